import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findWorkspace } from "../workspace.js";
import { LocalDatastore } from "./local.js";
import { openDatastore } from "./open.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-local-ds-"));
  mkdirSync(join(dir, "root/inner"), { recursive: true });
  writeFileSync(join(dir, "root/inner/a.txt"), "inside");
  writeFileSync(join(dir, "outside.txt"), "secret");
  mkdirSync(join(dir, "elsewhere"));
  writeFileSync(join(dir, "elsewhere/b.txt"), "secret too");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const store = () => new LocalDatastore("raw", join(dir, "root"), "datastores.raw.path");

describe("the local datastore", () => {
  it("follows a symbolic link that stays inside its folder", async () => {
    symlinkSync(join(dir, "root/inner"), join(dir, "root/alias"));
    symlinkSync(join(dir, "root/inner/a.txt"), join(dir, "root/b.txt"));
    expect((await store().list()).map((e) => e.path)).toEqual(["alias/a.txt", "b.txt", "inner/a.txt"]);
    expect((await store().digest("b.txt")).size).toBe(6);
  });

  it("refuses a symbolic link that points out of its folder, naming the path and the datastore", async () => {
    symlinkSync(join(dir, "outside.txt"), join(dir, "root/inner/leak.txt"));
    const refused = {
      code: "CANAL_STORE_DATASTORE_PATH_ESCAPE",
      message: expect.stringMatching(
        /the path "inner\/leak.txt" leaves datastore raw \(it is a symbolic link to .*outside.txt\)/,
      ),
    };
    await expect(store().list()).rejects.toMatchObject(refused);
    await expect(store().digest("inner/leak.txt")).rejects.toMatchObject(refused);
    await expect(store().openRead("inner/leak.txt")).rejects.toMatchObject(refused);
  });

  it("refuses a linked folder that points out, for reading and for writing", async () => {
    symlinkSync(join(dir, "elsewhere"), join(dir, "root/out"));
    await expect(store().list("out/**")).rejects.toMatchObject({ code: "CANAL_STORE_DATASTORE_PATH_ESCAPE" });
    await expect(store().write("out/new.txt", "x")).rejects.toMatchObject({
      code: "CANAL_STORE_DATASTORE_PATH_ESCAPE",
      message: expect.stringContaining('"out/new.txt" leaves datastore raw'),
    });
    expect(readdirSync(join(dir, "elsewhere"))).toEqual(["b.txt"]);
  });

  it("says its folder is missing and which setting names it", async () => {
    const missing = new LocalDatastore("raw", join(dir, "nope"), "datastores.raw.path");
    await expect(missing.check()).rejects.toMatchObject({
      code: "CANAL_STORE_UNREACHABLE",
      message: expect.stringContaining("datastore raw's folder"),
    });
    await expect(missing.list()).rejects.toMatchObject({
      message: expect.stringContaining("set `datastores.raw.path` to a folder that does"),
    });
  });

  it("leaves a write's temporary file out of listings, and no temporary file behind", async () => {
    writeFileSync(join(dir, "root/.canal-tmp-0123"), "half");
    await store().write("inner/new.txt", "whole");
    expect((await store().list()).map((e) => e.path)).toEqual(["inner/a.txt", "inner/new.txt"]);
    expect(readdirSync(join(dir, "root/inner")).sort()).toEqual(["a.txt", "new.txt"]);
  });

  it("is the workspace's own folder of its artifact location as `workspace`, made on first use", async () => {
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({ workspace: "w", artifacts: { kind: "local", path: "blobs" } }),
    );
    const own = await openDatastore(findWorkspace(dir), "workspace");
    expect(own.location).toBe(join(dir, "blobs/datastore"));
    await own.check();
    await own.write("x/y.txt", "z");
    expect(await own.list()).toEqual([{ path: "x/y.txt", size: 1 }]);
  });

  it("is an error naming the datastores there are when asked for one that is not", async () => {
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({ workspace: "w", datastores: { raw: { kind: "local", path: "root" } } }),
    );
    await expect(openDatastore(findWorkspace(dir), "lake")).rejects.toMatchObject({
      code: "CANAL_STORE_DATASTORE_UNKNOWN",
      message: expect.stringContaining(
        'no datastore "lake" in this workspace; the datastores are workspace, raw',
      ),
    });
  });
});

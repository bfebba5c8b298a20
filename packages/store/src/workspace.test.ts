import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { problemText } from "@canal/ir";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import { findWorkspace, initWorkspace, openWorkspace } from "./workspace.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canal-ws-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writeConfig = (config: unknown) =>
  writeFileSync(join(dir, "canal.config.json"), typeof config === "string" ? config : JSON.stringify(config));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("workspaces", () => {
  it("finds the nearest canal.config.json above the working directory", () => {
    writeConfig({ workspace: "vision", store: { path: "meta/canal.db" } });
    const deep = join(dir, "src", "steps", "train");
    mkdirSync(deep, { recursive: true });
    const found = findWorkspace(deep);
    expect(found.root).toBe(dir);
    expect(found.configPath).toBe(join(dir, "canal.config.json"));
    expect(found.config).toEqual({
      workspace: "vision",
      store: { kind: "sqlite", path: join(dir, "meta", "canal.db") },
      artifacts: { kind: "local", path: join(dir, ".canal", "blobs") },
    });
  });

  it("uses the working directory with the defaults when there is no config", () => {
    const found = findWorkspace(dir);
    expect(found).toEqual({
      root: dir,
      config: {
        workspace: basename(dir),
        store: { kind: "sqlite", path: join(dir, ".canal", "canal.db") },
        artifacts: { kind: "local", path: join(dir, ".canal", "blobs") },
      },
    });
  });

  it("initializes a workspace and refuses to overwrite one", () => {
    const created = initWorkspace(dir, "iris-team");
    const written = JSON.parse(readFileSync(join(dir, "canal.config.json"), "utf8"));
    expect(written).toEqual({
      workspace: "iris-team",
      store: { kind: "sqlite", path: ".canal/canal.db" },
      artifacts: { kind: "local", path: ".canal/blobs" },
    });
    expect(created.config.workspace).toBe("iris-team");
    expect(readFileSync(join(dir, ".canal", ".gitignore"), "utf8")).toContain("*");
    expect(findWorkspace(join(dir)).config).toEqual(created.config);

    expect(() => initWorkspace(dir, "other")).toThrow(
      expect.objectContaining({
        code: "CANAL_STORE_WORKSPACE_EXISTS",
        message: expect.stringContaining(`${join(dir, "canal.config.json")} already exists`),
      }),
    );
    expect(JSON.parse(readFileSync(join(dir, "canal.config.json"), "utf8")).workspace).toBe("iris-team");
  });

  it("names the file, the key and the fix for a bad config", () => {
    writeConfig({ workspace: "w", stor: { path: "x" } });
    const unknown = configError(() => findWorkspace(dir));
    expect(unknown.code).toBe("CANAL_STORE_CONFIG_INVALID");
    expect(unknown.message).toContain(join(dir, "canal.config.json"));
    expect(unknown.message).toContain(
      "`stor`: unknown key; remove it (the keys here are workspace, store, artifacts, targets, profiles)",
    );

    writeConfig({ store: { path: 42 } });
    expect(configError(() => findWorkspace(dir)).message).toContain(
      '`store.path`: expected a string, got number 42; fix the value, or remove it to use the default ".canal/canal.db"',
    );

    writeConfig({ artifacts: { kind: "s3", bucket: "b" } });
    const problems = configError(() => findWorkspace(dir)).problems;
    expect(problems.map((p) => p.path)).toEqual(["artifacts.kind", "artifacts.bucket"]);
    expect(problems.map(problemText)).toEqual([
      expect.stringContaining('`artifacts.kind`: must be "local", got "s3"'),
      expect.stringContaining("`artifacts.bucket`: unknown key"),
    ]);

    writeConfig("{ workspace: oops");
    expect(configError(() => findWorkspace(dir)).message).toContain("is not valid JSON");
    writeConfig([]);
    expect(configError(() => findWorkspace(dir)).message).toContain("must hold a JSON object, not a list");
  });

  it("opens the store and artifacts of the workspace from any directory inside it", async () => {
    initWorkspace(dir, "team");
    const sub = join(dir, "pipelines");
    mkdirSync(sub);
    const ws = openWorkspace(sub);
    expect(ws.root).toBe(dir);
    expect(ws.metadata.workspace).toBe("team");
    const version = await ws.metadata.registerPipelineVersion({ pipeline: "iris", hash: "h", ir: "{}" });
    const run = await ws.metadata.createRun({ pipelineVersionId: version.id, runtime: "local" });
    const digest = await ws.blobs.put("bytes");
    await ws.close();
    expect(existsSync(join(dir, ".canal", "canal.db"))).toBe(true);
    expect(existsSync(join(dir, ".canal", "blobs", "sha256", digest.slice(0, 2), digest.slice(2)))).toBe(
      true,
    );

    const again = openWorkspace(dir);
    expect((await again.metadata.getRun(run.id)).pipeline).toBe("iris");
    await expect(again.metadata.getRun("run-x")).rejects.toThrow(`no run \`run-x\` in workspace ${dir}`);
    await again.close();
  });
});

describe("the workspace's folders", () => {
  const openError = (config: unknown) => {
    writeConfig(config);
    try {
      openWorkspace(dir);
    } catch (error) {
      return error as { code: string; message: string };
    }
    throw new Error("expected the workspace not to open");
  };

  it("says which setting names a file where a folder must be", () => {
    writeFileSync(join(dir, "afile"), "");
    expect(openError({ artifacts: { path: "afile" } })).toMatchObject({
      code: "CANAL_STORE_PATH_INVALID",
      message: expect.stringMatching(
        /`artifacts\.path` in .*canal\.config\.json: .*afile is a file, not a folder; point/,
      ),
    });
    expect(openError({ store: { path: "afile/deeper/canal.db" } })).toMatchObject({
      code: "CANAL_STORE_PATH_INVALID",
      message: expect.stringMatching(/`store\.path` .*afile, on the way to .*deeper, is a file/),
    });
    expect(readFileSync(join(dir, "afile"), "utf8")).toBe("");
  });

  it("fails at once for a folder that cannot be made (under /proc, where a recursive mkdir never returns)", () => {
    expect(openError({ store: { path: "/proc/canal-none/deep/canal.db" } })).toMatchObject({
      code: "CANAL_STORE_PATH_INVALID",
      message: expect.stringContaining("point `store.path` at a folder this user can write"),
    });
  });

  it("makes missing folders, however deep", async () => {
    writeConfig({ store: { path: "a/b/c/canal.db" }, artifacts: { path: "x/y/z" } });
    const workspace = openWorkspace(dir);
    await workspace.close();
    expect(existsSync(join(dir, "a", "b", "c", "canal.db"))).toBe(true);
    expect(existsSync(join(dir, "x", "y", "z"))).toBe(true);
  });
});

import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { problemText } from "@canal/ir";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { localBackend, StoreRegistry, type StoreSettings, sqliteBackend } from "./backends.js";
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
      folders: {
        state: join(dir, ".canal"),
        work: join(dir, ".canal", "work"),
        cache: join(dir, ".canal", "cache"),
        artifacts: join(dir, ".canal", "artifacts"),
      },
      datastores: {
        workspace: {
          field: "artifacts",
          settings: { kind: "local", path: join(dir, ".canal", "blobs", "datastore"), create: true },
        },
      },
      mountCache: { maxBytes: 10 * 1024 ** 3 },
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
        folders: {
          state: join(dir, ".canal"),
          work: join(dir, ".canal", "work"),
          cache: join(dir, ".canal", "cache"),
          artifacts: join(dir, ".canal", "artifacts"),
        },
        datastores: {
          workspace: {
            field: "artifacts",
            settings: { kind: "local", path: join(dir, ".canal", "blobs", "datastore"), create: true },
          },
        },
        mountCache: { maxBytes: 10 * 1024 ** 3 },
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
      folders: { state: ".canal", work: ".canal/work", cache: ".canal/cache", artifacts: ".canal/artifacts" },
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
      "`stor`: unknown key; remove it (the keys here are workspace, user, store, artifacts, folders, targets, profiles, datastores, mountCache)",
    );

    writeConfig({ store: { path: 42 } });
    expect(configError(() => findWorkspace(dir)).message).toContain(
      '`store.path`: expected a string, got number 42; fix the value, or remove it to use the default ".canal/canal.db"',
    );

    writeConfig({ store: { busyTimeout: 5 }, artifacts: { kind: "local", root: "x" } });
    const problems = configError(() => findWorkspace(dir)).problems;
    expect(problems.map((p) => p.path)).toEqual(["store.busyTimeout", "artifacts.root"]);
    expect(problems.map(problemText)).toEqual([
      "`store.busyTimeout`: unknown key; remove it (the keys of `store` are kind, path, busyTimeoutMs)",
      "`artifacts.root`: unknown key; remove it (the keys of `artifacts` are kind, path)",
    ]);

    writeConfig({ folders: { work: "" } });
    expect(configError(() => findWorkspace(dir)).problems.map(problemText)).toEqual([
      '`folders.work`: must not be empty; set a value, or remove it to use the default ".canal/work"',
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
    const ws = await openWorkspace(sub);
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

    const again = await openWorkspace(dir);
    expect((await again.metadata.getRun(run.id)).pipeline).toBe("iris");
    await expect(again.metadata.getRun("run-x")).rejects.toThrow(`no run \`run-x\` in workspace ${dir}`);
    await again.close();
  });
});

/**
 * Opens `dir` and a second project, each pointed by `share` at one state folder outside them:
 * each is named by its own directory, and no name is kept in the shared folder.
 */
async function expectOwnNames(kind: string, share: (project: string, shared: string) => void): Promise<void> {
  const shared = mkdtempSync(join(tmpdir(), `canal-ws-${kind}-state-`));
  const other = mkdtempSync(join(tmpdir(), "canal-ws-other-"));
  try {
    for (const project of [dir, other]) {
      share(project, shared);
      const opened = await openWorkspace(project);
      expect(opened.metadata.workspace).toBe(basename(project));
      await opened.close();
    }
    expect(existsSync(join(shared, "workspace-name"))).toBe(false);
  } finally {
    rmSync(shared, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
}

describe("the workspace's name", () => {
  it("is kept in the state folder at first open, so a copy in a folder of another name keeps it", async () => {
    const first = await openWorkspace(dir);
    await first.close();
    expect(readFileSync(join(dir, ".canal", "workspace-name"), "utf8")).toBe(`${basename(dir)}\n`);
    const copy = mkdtempSync(join(tmpdir(), "canal-ws-copy-"));
    try {
      cpSync(join(dir, ".canal"), join(copy, ".canal"), { recursive: true });
      expect(findWorkspace(copy).config.workspace).toBe(basename(dir));
      // A name in the config wins over the kept one, and does not overwrite it.
      writeFileSync(join(copy, "canal.config.json"), JSON.stringify({ workspace: "team" }));
      const named = await openWorkspace(copy);
      expect(named.metadata.workspace).toBe("team");
      await named.close();
      expect(readFileSync(join(copy, ".canal", "workspace-name"), "utf8")).toBe(`${basename(dir)}\n`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
  it("is read back exactly as it was kept: a directory named with spaces at its ends keeps its runs", async () => {
    const project = join(dir, " spaced project\t");
    mkdirSync(project);
    for (let open = 0; open < 2; open++) {
      const opened = await openWorkspace(project);
      expect(opened.metadata.workspace).toBe(" spaced project\t");
      await opened.close();
    }
    // What the file holds is the name, data as it is; a blank file names no workspace.
    writeFileSync(join(project, ".canal", "workspace-name"), "../other\r\n");
    expect(findWorkspace(project).config.workspace).toBe("../other");
    writeFileSync(join(project, ".canal", "workspace-name"), "\n");
    expect(findWorkspace(project).config.workspace).toBe(" spaced project\t");
  });
  it("ending in a carriage return (a directory's may) reads back with it", async () => {
    const project = join(dir, "ends\r");
    mkdirSync(project);
    for (let open = 0; open < 2; open++) {
      const opened = await openWorkspace(project);
      expect(opened.metadata.workspace).toBe("ends\r");
      await opened.close();
    }
  });
  it("is read only from a regular file of a name's size: a FIFO, a huge file or a NUL is an error naming the file", () => {
    const state = join(dir, ".canal");
    const file = join(state, "workspace-name");
    mkdirSync(state, { recursive: true });
    // A FIFO with no writer: reading it would wait for ever.
    execFileSync("mkfifo", [file]);
    expect(() => findWorkspace(dir)).toThrow(`${file} is invalid`);
    expect(() => findWorkspace(dir)).toThrow("it is not a regular file; remove it");
    rmSync(file);
    writeFileSync(file, "x".repeat(1 << 20));
    expect(() => findWorkspace(dir)).toThrow("more than a workspace name (at most 4096)");
    writeFileSync(file, "team\0\n");
    expect(() => findWorkspace(dir)).toThrow("has a NUL byte");
    writeFileSync(file, "team\n");
    expect(findWorkspace(dir).config.workspace).toBe("team");
  });
  it("is kept in a state folder inside the project whose name starts with two dots", async () => {
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ folders: { state: "..state" } }));
    const opened = await openWorkspace(dir);
    await opened.close();
    expect(readFileSync(join(dir, "..state", "workspace-name"), "utf8")).toBe(`${basename(dir)}\n`);
  });
  it("that cannot be kept (the disk full, a file system without links) leaves the workspace usable, named as before", async () => {
    // Any failure to write the name, here the staged file's place taken by a folder.
    mkdirSync(join(dir, ".canal", `workspace-name.${process.pid}.tmp`), { recursive: true });
    const opened = await openWorkspace(dir);
    expect(opened.metadata.workspace).toBe(basename(dir));
    await opened.close();
    expect(existsSync(join(dir, ".canal", "workspace-name"))).toBe(false);
  });
  it("is not kept in a .canal/ that links to a folder outside the project, which several projects may share", async () => {
    await expectOwnNames("linked", (project, shared) => symlinkSync(shared, join(project, ".canal")));
  });
  it("is not kept in a state folder outside the project: each project using it keeps its own name", async () => {
    await expectOwnNames("shared", (project, shared) =>
      writeFileSync(join(project, "canal.config.json"), JSON.stringify({ folders: { state: shared } })),
    );
  });
});

describe("store kinds", () => {
  it("says which kinds there are when the config names one no backend provides", async () => {
    writeConfig({ artifacts: { kind: "gcs", bucket: "b" } });
    const error = configError(() => findWorkspace(dir));
    expect(error.problems.map(problemText)).toEqual([
      '`artifacts.kind`: "gcs" is not a blob store kind this installation knows (the kinds are "local", "s3"); ' +
        'set `artifacts.kind` to one of them, or install and register the package that provides "gcs"',
    ]);
    expect(error.message).toContain(join(dir, "canal.config.json"));
    writeConfig({ store: { kind: "mysql", url: "mysql://db/canal" } });
    await expect(openWorkspace(dir)).rejects.toMatchObject({
      code: "CANAL_STORE_CONFIG_INVALID",
      message: expect.stringContaining('`store.kind`: "mysql" is not a metadata store kind'),
    });
  });

  it("opens the stores that the config's kinds name in the registry, with their own settings", async () => {
    const registry = new StoreRegistry();
    registry.registerMetadataStore(sqliteBackend);
    const opened: StoreSettings[] = [];
    // Another blob store kind: here the local one under another name, with a setting of its own.
    registry.registerBlobStore({
      kind: "mirror",
      schema: z.strictObject({ kind: z.literal("mirror"), under: z.string() }),
      defaults: {},
      resolve: (settings, root) => ({ ...settings, under: join(root, settings.under) }),
      async open(settings, context) {
        opened.push(settings);
        return localBackend.open({ kind: "local", path: settings.under }, context);
      },
    });
    writeConfig({ workspace: "w", artifacts: { kind: "mirror", under: "bytes" } });
    expect(() => findWorkspace(dir)).toThrow(/"mirror" is not a blob store kind/);
    const ws = await openWorkspace(dir, { registry });
    expect(opened).toEqual([{ kind: "mirror", under: join(dir, "bytes") }]);
    const digest = await ws.blobs.put("x");
    expect(existsSync(join(dir, "bytes", "sha256", digest.slice(0, 2), digest.slice(2)))).toBe(true);
    await ws.close();

    writeConfig({ artifacts: { kind: "mirror" } });
    expect(configError(() => findWorkspace(dir, registry)).problems.map(problemText)).toEqual([
      "`artifacts.under`: is required; add it",
    ]);
  });
});

describe("the workspace's folders", () => {
  const openError = async (config: unknown) => {
    writeConfig(config);
    try {
      await openWorkspace(dir);
    } catch (error) {
      return error as { code: string; message: string };
    }
    throw new Error("expected the workspace not to open");
  };

  it("says which setting names a file where a folder must be", async () => {
    writeFileSync(join(dir, "afile"), "");
    expect(await openError({ artifacts: { path: "afile" } })).toMatchObject({
      code: "CANAL_STORE_PATH_INVALID",
      message: expect.stringMatching(
        /`artifacts\.path` in .*canal\.config\.json: .*afile is a file, not a folder; point/,
      ),
    });
    expect(await openError({ store: { path: "afile/deeper/canal.db" } })).toMatchObject({
      code: "CANAL_STORE_PATH_INVALID",
      message: expect.stringMatching(/`store\.path` .*afile, on the way to .*deeper, is a file/),
    });
    expect(readFileSync(join(dir, "afile"), "utf8")).toBe("");
  });

  it("fails at once for a folder that cannot be made (under /proc, where a recursive mkdir never returns)", async () => {
    expect(await openError({ store: { path: "/proc/canal-none/deep/canal.db" } })).toMatchObject({
      code: "CANAL_STORE_PATH_INVALID",
      message: expect.stringContaining("point `store.path` at a folder this user can write"),
    });
  });

  it("keeps the work, cache and artifact folders where the config says, whatever the database's path", async () => {
    writeConfig({ store: { path: "db/canal.db" }, folders: { work: "/tmp/elsewhere-work", cache: "c" } });
    const found = findWorkspace(dir);
    expect(found.config.folders).toEqual({
      state: join(dir, ".canal"),
      work: "/tmp/elsewhere-work",
      cache: join(dir, "c"),
      artifacts: join(dir, ".canal", "artifacts"),
    });
  });

  it("makes missing folders, however deep", async () => {
    writeConfig({ store: { path: "a/b/c/canal.db" }, artifacts: { path: "x/y/z" } });
    const workspace = await openWorkspace(dir);
    await workspace.close();
    expect(existsSync(join(dir, "a", "b", "c", "canal.db"))).toBe(true);
    expect(existsSync(join(dir, "x", "y", "z"))).toBe(true);
  });
});

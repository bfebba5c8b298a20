import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { errorCode } from "./blob-io.js";
import {
  CONFIG_FILE,
  DEFAULTS,
  defaultWorkspaceName,
  parseConfig,
  readConfigFile,
  resolveConfig,
  type WorkspaceConfig,
} from "./config.js";
import { StoreError } from "./errors.js";
import { ensureFolder } from "./folders.js";
import { LocalBlobStore } from "./local-blobs.js";
import { SqliteMetadataStore } from "./sqlite.js";
import type { BlobStore, MetadataStore } from "./types.js";

export interface FoundWorkspace {
  /** The directory holding canal.config.json, or the starting directory when there is none. */
  root: string;
  /** Absent when no config file was found and the defaults apply. */
  configPath?: string;
  config: WorkspaceConfig;
}

export interface Workspace extends FoundWorkspace {
  metadata: MetadataStore;
  blobs: BlobStore;
  close(): Promise<void>;
}

/**
 * The workspace `cwd` belongs to: the nearest canal.config.json in it or a directory above, as git
 * finds its repository. Without one, `cwd` itself with the defaults, so Canal works with no set-up.
 */
export function findWorkspace(cwd: string = process.cwd()): FoundWorkspace {
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    const configPath = join(dir, CONFIG_FILE);
    if (existsSync(configPath))
      return { root: dir, configPath, config: resolveConfig(readConfigFile(configPath), dir) };
    if (dirname(dir) === dir) break;
  }
  return { root: start, config: resolveConfig({}, start) };
}

/** Opens the workspace `dir` belongs to, creating its store on first use. */
export function openWorkspace(dir: string = process.cwd()): Workspace {
  const found = findWorkspace(dir);
  const { config } = found;
  const file = found.configPath ?? join(found.root, CONFIG_FILE);
  ensureFolder(dirname(config.store.path), "store.path", file);
  ensureFolder(config.artifacts.path, "artifacts.path", file);
  const metadata = SqliteMetadataStore.open(config.store.path, {
    workspace: config.workspace,
    location: found.root,
    ...(config.store.busyTimeoutMs !== undefined ? { busyTimeoutMs: config.store.busyTimeoutMs } : {}),
  });
  return {
    ...found,
    metadata,
    blobs: new LocalBlobStore(config.artifacts.path),
    close: () => metadata.close(),
  };
}

/**
 * Makes `dir` a workspace (`canal init`): writes canal.config.json with every default spelled out,
 * so a user sees what can be changed, and keeps the store out of git. Refuses to overwrite.
 */
export function initWorkspace(dir: string, name?: string): FoundWorkspace {
  const root = resolve(dir);
  const configPath = join(root, CONFIG_FILE);
  const file = {
    workspace: name ?? defaultWorkspaceName(root),
    store: { kind: "sqlite" as const, path: DEFAULTS.store },
    artifacts: { kind: "local" as const, path: DEFAULTS.artifacts },
  };
  parseConfig(file, configPath);
  mkdirSync(root, { recursive: true });
  try {
    // "wx": the existence check and the write are one step, so two `canal init` cannot both win.
    writeFileSync(configPath, `${JSON.stringify(file, null, 2)}\n`, { flag: "wx" });
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
    throw new StoreError(
      "CANAL_STORE_WORKSPACE_EXISTS",
      `${configPath} already exists: ${root} is already a Canal workspace; edit that file to change its ` +
        "settings, or delete it first to start over",
    );
  }
  const canalDir = join(root, ".canal");
  mkdirSync(canalDir, { recursive: true });
  const ignore = join(canalDir, ".gitignore");
  if (!existsSync(ignore)) writeFileSync(ignore, "# The workspace's store: runs and artifact bytes.\n*\n");
  return { root, configPath, config: resolveConfig(file, root) };
}

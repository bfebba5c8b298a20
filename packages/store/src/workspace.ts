import { existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type StoreContext, type StoreRegistry, storeRegistry } from "./backends.js";
import { errorCode } from "./blob-io.js";
import {
  CONFIG_FILE,
  DEFAULTS,
  defaultWorkspaceName,
  ownsStateFolder,
  parseConfig,
  readConfigFile,
  resolveConfig,
  WORKSPACE_NAME_FILE,
  type WorkspaceConfig,
} from "./config.js";
import { StoreError } from "./errors.js";
import { ensureFolder } from "./folders.js";
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
export function findWorkspace(
  cwd: string = process.cwd(),
  registry: StoreRegistry = storeRegistry,
): FoundWorkspace {
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    const configPath = join(dir, CONFIG_FILE);
    if (existsSync(configPath)) {
      const config = resolveConfig(readConfigFile(configPath, registry), dir, registry, configPath);
      return { root: dir, configPath, config };
    }
    if (dirname(dir) === dir) break;
  }
  return { root: start, config: resolveConfig({}, start, registry) };
}

export interface OpenOptions {
  /** Where the store kinds come from: default `storeRegistry` (sqlite and local, and what was registered). */
  registry?: StoreRegistry;
}

/**
 * Where the workspace's metadata store is, with no secret in it (a PostgreSQL URL's password is
 * masked): "the SQLite file /p/.canal/canal.db", "the PostgreSQL database postgres://canal@db/canal".
 */
export function metadataStorePlace(found: FoundWorkspace, registry: StoreRegistry = storeRegistry): string {
  const { store } = found.config;
  const configFile = found.configPath ?? join(found.root, CONFIG_FILE);
  return registry.get("store", store.kind, configFile).place?.(store) ?? `the ${store.kind} store`;
}

/**
 * Opens the workspace `dir` belongs to, creating its stores on first use: the metadata store and
 * the blob store are the backends their config `kind` names in the registry.
 */
export async function openWorkspace(
  dir: string = process.cwd(),
  options: OpenOptions = {},
): Promise<Workspace> {
  const registry = options.registry ?? storeRegistry;
  const found = findWorkspace(dir, registry);
  const { config } = found;
  const context: StoreContext = {
    workspace: config.workspace,
    root: found.root,
    configFile: found.configPath ?? join(found.root, CONFIG_FILE),
    cacheFolder: config.folders.cache,
  };
  const metadataBackend = registry.get("store", config.store.kind, context.configFile);
  const blobBackend = registry.get("artifacts", config.artifacts.kind, context.configFile);
  ensureFolder(config.folders.state, "folders.state", context.configFile);
  // The metadata store first: a blob store may keep small blobs in its table (PostgreSQL's).
  const metadata = await metadataBackend.open(config.store, context);
  const table = metadata.smallBlobTable?.bind(metadata);
  const blobs = await blobBackend
    .open(config.artifacts, table ? { ...context, smallBlobs: table } : context)
    .catch(async (error: unknown) => {
      await metadata.close();
      throw error;
    });
  if (ownsStateFolder(found.root, config.folders.state))
    pinWorkspaceName(config.folders.state, config.workspace);
  // The blob store first: what it still has to store may go to the metadata store's table.
  const close = async () => {
    try {
      await blobs.close?.();
    } finally {
      await metadata.close();
    }
  };
  return { ...found, metadata, blobs, close };
}

/**
 * Keeps the name a state folder is first used under in it (config.ts WORKSPACE_NAME_FILE), so the
 * name travels with a copied or moved `.canal/`. Written whole or not at all (a link of a complete
 * file), so a reader never sees half a name. A name that cannot be kept (a read-only folder, a full
 * disk, a file system without hard links) leaves the workspace named by its config or directory, as
 * before: the stores are open by now, and a command that only reads them must not fail for it.
 */
function pinWorkspaceName(state: string, name: string): void {
  const file = join(state, WORKSPACE_NAME_FILE);
  if (existsSync(file)) return;
  const staged = `${file}.${process.pid}.tmp`;
  try {
    // A name ending in \r (a directory's may) gets \r\n, of which the reader takes off only the end.
    writeFileSync(staged, `${name}${name.endsWith("\r") ? "\r\n" : "\n"}`);
    linkSync(staged, file);
  } catch {
    // EEXIST: another process kept its name first; anything else: not kept this time (see above).
  } finally {
    try {
      rmSync(staged, { force: true });
    } catch {}
  }
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
    folders: { ...DEFAULTS.folders },
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

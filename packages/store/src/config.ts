import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, realpathSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { MEMORY_FORM, MEMORY_PATTERN, parseMemory } from "@canal/ir/units";
import { z } from "zod";
import {
  DEFAULT_STORE_PATHS,
  type StoreField,
  type StoreRegistry,
  type StoreSettings,
  storeRegistry,
} from "./backends.js";
import { type DatastoreConfig, DatastoresSchema, resolveDatastores } from "./datastores/config.js";
import type { DatastoreSettings } from "./datastores/types.js";
import { ConfigError } from "./errors.js";
import {
  type ProfileConfig,
  ProfilesSchema,
  type TargetConfig,
  TargetsSchema,
  targetKeysAt,
  targetReferenceProblems,
} from "./targets-config.js";

export const CONFIG_FILE = "canal.config.json";

// A store's settings: its kind picks the backend (from the registry), whose own strict schema then
// checks the rest, so that another backend's settings are accepted once it is registered.
const StoreSettingsSchema = z.looseObject({ kind: z.string().min(1).optional() });

// Strict objects: a misspelt key ("stor") is an error, not a setting silently ignored.
const ConfigSchema = z.strictObject({
  workspace: z.string().min(1).optional(),
  user: z
    .string()
    .regex(/^[A-Za-z0-9._@-]{1,64}$/, "must be a name of letters, digits, '.', '_', '@' or '-' (at most 64)")
    .optional(),
  store: StoreSettingsSchema.optional(),
  artifacts: StoreSettingsSchema.optional(),
  folders: z
    .strictObject({
      state: z.string().min(1).optional(),
      work: z.string().min(1).optional(),
      cache: z.string().min(1).optional(),
      artifacts: z.string().min(1).optional(),
    })
    .optional(),
  targets: TargetsSchema.optional(),
  profiles: ProfilesSchema.optional(),
  datastores: DatastoresSchema.optional(),
  // The on-disk cache of S3 datastore files that steps read in place (access `mount`).
  mountCache: z
    .strictObject({
      maxSize: z
        .union([
          z.number().positive(),
          z.string().regex(MEMORY_PATTERN, { error: `expected a size: ${MEMORY_FORM}` }),
        ])
        .optional(),
    })
    .optional(),
});

/** canal.config.json as written: every field optional. */
export type WorkspaceConfigFile = Omit<z.infer<typeof ConfigSchema>, "store" | "artifacts" | "datastores"> & {
  store?: Partial<StoreSettings>;
  artifacts?: Partial<StoreSettings>;
  datastores?: Record<string, DatastoreSettings>;
};

/**
 * The folders on this machine that the workspace keeps its working files in, absolute. They are
 * the workspace's own settings, whatever its stores are (a database server, a bucket).
 */
export interface WorkspaceFolders {
  /** Run leases, the gc lock, staged parameter files. */
  state: string;
  /** One folder per run: the steps' work folders and a detached run's output. */
  work: string;
  /** What can be rebuilt: the compile cache, built environments, source digests. */
  cache: string;
  /** Verified copies of the compiled artifacts runs ran, by pipeline hash. */
  artifacts: string;
}

/** The configuration with defaults applied and paths made absolute. */
export interface WorkspaceConfig {
  workspace: string;
  /** Who this machine's runs are recorded as started by; absent: the OS user. */
  user?: string;
  /** The metadata store's settings, as its backend resolved them (`kind` picks the backend). */
  store: StoreSettings;
  /** The blob store's settings, as its backend resolved them. */
  artifacts: StoreSettings;
  folders: WorkspaceFolders;
  /** Compute targets by name, as written; absent when the file defines none. */
  targets?: Record<string, TargetConfig>;
  /** Profiles by name, as written; absent when the file defines none. */
  profiles?: Record<string, ProfileConfig>;
  /** Datastores by name, resolved: those the file defines and `workspace`, the artifact location's own. */
  datastores: Record<string, DatastoreConfig>;
  /** The most bytes the mount cache (`folders.cache`/mount) keeps of S3 datastore files read in place. */
  mountCache: { maxBytes: number };
}

export const DEFAULTS = {
  ...DEFAULT_STORE_PATHS,
  mountCacheSize: "10Gi",
  /** The kinds a workspace has when its config names none: the embedded stores. */
  kinds: { store: "sqlite", artifacts: "local" },
  folders: { state: ".canal", work: ".canal/work", cache: ".canal/cache", artifacts: ".canal/artifacts" },
} as const;

// What each key falls back to when removed, and which keys an object takes: for the fix in a message.
const DEFAULT_TEXT: Record<string, string> = {
  workspace:
    "the name the state folder was first used under (`.canal/workspace-name`), else the project directory's name",
  "store.kind": `"${DEFAULTS.kinds.store}"`,
  "artifacts.kind": `"${DEFAULTS.kinds.artifacts}"`,
  ...Object.fromEntries(
    Object.entries(DEFAULTS.folders).map(([key, path]) => [`folders.${key}`, `"${path}"`]),
  ),
};
const KEYS: Record<string, string[]> = {
  "": [
    "workspace",
    "user",
    "store",
    "artifacts",
    "folders",
    "targets",
    "profiles",
    "datastores",
    "mountCache",
  ],
  folders: Object.keys(DEFAULTS.folders),
  mountCache: ["maxSize"],
};

/** What messages say about settings beyond the fixed ones: the keys and defaults of the backends. */
interface Hints {
  text: Record<string, string>;
  keys: Record<string, string[]>;
}
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/**
 * The value at `path` of `input` as a message shows it. Under a key that names the variable holding
 * a secret (`store.passwordEnv`, `artifacts.secretAccessKeyEnv`, …), a value that is no variable's
 * name is often the secret itself, written in its variable's place: shown by its type only, since
 * the message reaches terminals and logs.
 */
function shown(input: unknown, path: PropertyKey[]): string {
  const value = valueAt(input, path);
  const last = path[path.length - 1];
  if (
    typeof last === "string" &&
    last.endsWith("Env") &&
    (typeof value === "string" || typeof value === "number")
  )
    return `a ${typeof value} (not repeated here: it may be the secret itself)`;
  return describe(value);
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    input,
  );
}

/**
 * The issue's message where the schema wrote its own (what is allowed, as `artifacts.inlineBytes`
 * says it); undefined where it is zod's generic one, which the formatter words instead.
 */
function schemaWords(issue: z.core.$ZodIssue, value: unknown): string | undefined {
  const generic = z.config().localeError?.({ ...issue, input: value } as z.core.$ZodRawIssue);
  return issue.message === (typeof generic === "string" ? generic : generic?.message)
    ? undefined
    : issue.message;
}

/**
 * One zod issue of `input` (the config file's value) in the config's own words: the key, what it
 * must be and the fix. `hints` adds the keys and defaults of a store backend's settings; `keysAt`
 * lists the keys of an object whose schema lives outside the store (a target's settings, defined
 * by its runtime), for an "unknown key" message.
 */
export function issueProblems(
  issue: z.core.$ZodIssue,
  input: unknown,
  keysAt: (path: string[]) => string[] | undefined = (path) => targetKeysAt(path, input),
  hints: Hints = { text: {}, keys: {} },
): string[] {
  const key = issue.path.map(String).join(".");
  const fallback = DEFAULT_TEXT[key] ?? hints.text[key];
  const removeHint = fallback ? `, or remove it to use the default ${fallback}` : "";
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = KEYS[key] ?? hints.keys[key] ?? keysAt(issue.path.map(String)) ?? [];
      return issue.keys.map((k) => {
        const full = key ? `${key}.${k}` : k;
        return `\`${full}\`: unknown key; remove it (the keys ${key ? `of \`${key}\`` : "here"} are ${known.join(", ")})`;
      });
    }
    case "invalid_type": {
      const got = shown(input, issue.path);
      if (key === "") return [`the file must hold a JSON object, not ${got}`];
      if (valueAt(input, issue.path) === undefined) return [`\`${key}\`: is required; add it`];
      const own = schemaWords(issue, valueAt(input, issue.path));
      if (own) return [`\`${key}\`: ${own}, got ${got}; fix the value${removeHint}`];
      const expected =
        issue.expected === "object"
          ? "an object"
          : issue.expected === "int"
            ? "a whole number"
            : `a ${issue.expected}`;
      return [`\`${key}\`: expected ${expected}, got ${got}; fix the value${removeHint}`];
    }
    case "invalid_union": {
      const got = shown(input, issue.path);
      // A target's `kind` that is none of the known ones: zod reports the union by its discriminator.
      if ("discriminator" in issue && "options" in issue) {
        const options = (issue.options as unknown[]).map((o) => JSON.stringify(o)).join(", ");
        return [
          `\`${key}\`: must be one of ${options}, got ${got}; set the ${key.startsWith("datastores.") ? "datastore" : "target"}'s kind`,
        ];
      }
      return [`\`${key}\`: ${issue.message}, got ${got}; fix the value`];
    }
    case "invalid_key": {
      // A record key the schema refuses (an environment variable's name): its own rule says how.
      const rule = issue.issues[0]?.message ?? "not a valid key here";
      return [`\`${key}\`: ${rule}; rename it`];
    }
    case "invalid_format":
      return [`\`${key}\`: ${issue.message}, got ${shown(input, issue.path)}; fix the value`];
    case "invalid_value": {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(" or ");
      const got = shown(input, issue.path);
      return [`\`${key}\`: must be ${allowed}, got ${got}; fix the value${removeHint}`];
    }
    case "too_small":
      if (issue.origin === "number") {
        const own = schemaWords(issue, valueAt(input, issue.path));
        if (own) return [`\`${key}\`: ${own}, got ${shown(input, issue.path)}; fix the value`];
        const bound = `${issue.inclusive ? "at least" : "more than"} ${String(issue.minimum)}`;
        return [`\`${key}\`: must be ${bound}, got ${shown(input, issue.path)}; fix the value`];
      }
      return [`\`${key}\`: must not be empty; set a value${removeHint}`];
    default:
      return [`\`${key}\`: ${issue.message}`];
  }
}

/**
 * Validates a parsed config; `file` names it in errors. `store` and `artifacts` are checked by the
 * backend their `kind` names in `registry`; a kind it does not know is an error naming the kinds.
 */
export function parseConfig(
  input: unknown,
  file: string,
  registry: StoreRegistry = storeRegistry,
): WorkspaceConfigFile {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.flatMap((issue) => issueProblems(issue, input)),
    );
  }
  const found: string[] = [];
  const config = result.data as WorkspaceConfigFile;
  for (const field of ["store", "artifacts"] as const) {
    const written = result.data[field];
    if (!written) continue;
    const kind = written.kind ?? DEFAULTS.kinds[field];
    const backend = registry.find(field, kind);
    if (!backend) {
      found.push(registry.unknownKind(field, kind));
      continue;
    }
    const settings = backend.schema.safeParse({ ...written, kind });
    if (settings.success) continue;
    const hints: Hints = {
      text: Object.fromEntries(Object.entries(backend.defaults ?? {}).map(([k, v]) => [`${field}.${k}`, v])),
      keys: { [field]: backend.schema instanceof z.ZodObject ? Object.keys(backend.schema.shape) : [] },
    };
    for (const issue of settings.error.issues)
      found.push(...issueProblems({ ...issue, path: [field, ...issue.path] }, input, undefined, hints));
  }
  if (found.length) throw new ConfigError(file, found);
  const references = targetReferenceProblems(result.data.targets, result.data.profiles);
  if (references.length) throw new ConfigError(file, references);
  return config;
}

export function readConfigFile(file: string, registry: StoreRegistry = storeRegistry): WorkspaceConfigFile {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, [`it is not valid JSON (${(error as Error).message}); fix the syntax`]);
  }
  return parseConfig(input, file, registry);
}

/**
 * Applies the defaults; relative paths are taken from the workspace root. `file` names the config
 * (or where it would be) in errors: a config built in code is checked here too.
 */
export function resolveConfig(
  config: WorkspaceConfigFile,
  root: string,
  registry: StoreRegistry = storeRegistry,
  file: string = resolve(root, CONFIG_FILE),
): WorkspaceConfig {
  const settings = (field: StoreField): StoreSettings => {
    const kind = config[field]?.kind ?? DEFAULTS.kinds[field];
    const backend = registry.get(field, kind, file);
    const parsed = backend.schema.safeParse({ ...config[field], kind });
    if (parsed.success) return backend.resolve(parsed.data, root);
    parseConfig(config, file, registry); // throws the error that names each problem
    throw parsed.error;
  };
  const folders = config.folders ?? {};
  const state = resolve(root, folders.state ?? DEFAULTS.folders.state);
  const artifacts = settings("artifacts");
  const own = registry.get("artifacts", artifacts.kind, file).datastore?.(artifacts);
  return {
    workspace:
      config.workspace ??
      (ownsStateFolder(root, state) ? pinnedWorkspaceName(state) : undefined) ??
      defaultWorkspaceName(root),
    ...(config.user ? { user: config.user } : {}),
    store: settings("store"),
    artifacts,
    folders: {
      state,
      work: resolve(root, folders.work ?? DEFAULTS.folders.work),
      cache: resolve(root, folders.cache ?? DEFAULTS.folders.cache),
      artifacts: resolve(root, folders.artifacts ?? DEFAULTS.folders.artifacts),
    },
    ...(config.targets ? { targets: config.targets } : {}),
    ...(config.profiles ? { profiles: config.profiles } : {}),
    datastores: resolveDatastores(config.datastores, own, root),
    mountCache: { maxBytes: parseMemory(config.mountCache?.maxSize ?? DEFAULTS.mountCacheSize) as number },
  };
}

export function defaultWorkspaceName(root: string): string {
  return basename(resolve(root)) || "default";
}

/**
 * The file in the state folder that keeps the workspace name the folder was first used under, so
 * a project moved or copied (`cp -a`) with its `.canal/` keeps its runs and cache entries instead
 * of becoming a new, empty workspace named after its new directory. A name in the config wins.
 */
export const WORKSPACE_NAME_FILE = "workspace-name";

/**
 * Whether the state folder lies inside the project, as `.canal/` does: only such a folder moves
 * with its project and so keeps its name. One outside (several projects may point at it) is named
 * by each project's config or directory, as before.
 */
export function ownsStateFolder(root: string, state: string): boolean {
  // Where the folders really are: a `.canal` that is a link to a folder elsewhere (which other
  // projects' links may name too) is outside the project.
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  const path = relative(real(resolve(root)), real(state));
  // A folder named `..x` inside the project is inside it: only `..` itself leads out.
  return path !== "" && path !== ".." && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

/** The most bytes a kept workspace name takes, its line end included. */
const NAME_FILE_MAX = 4096;

/**
 * The name kept in `state`/workspace-name; absent when there is none (or it is blank). Only the
 * line end it was written with is taken off: a name is data, and one with spaces at its ends (a
 * directory's) must read back as it was kept, or its runs would be under another workspace. Only
 * a regular file of a name's size is read (opened without waiting, so a FIFO there cannot hang
 * every command); anything else there is an error naming the file, as is a NUL byte in the name,
 * which no store keeps.
 */
export function pinnedWorkspaceName(state: string): string | undefined {
  const file = join(state, WORKSPACE_NAME_FILE);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const fix = `remove it (Canal then keeps the name of the project's directory there) or set "workspace" in ${CONFIG_FILE}`;
  let text: string;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(file, [`it is not a regular file; ${fix}`]);
    if (stat.size > NAME_FILE_MAX)
      throw new ConfigError(file, [
        `it holds ${stat.size} bytes, more than a workspace name (at most ${NAME_FILE_MAX}); ${fix}`,
      ]);
    const bytes = Buffer.alloc(NAME_FILE_MAX + 1);
    const read = readSync(fd, bytes, 0, bytes.length, 0);
    if (read > NAME_FILE_MAX)
      throw new ConfigError(file, [
        `it holds more than a workspace name (at most ${NAME_FILE_MAX} bytes); ${fix}`,
      ]);
    text = bytes.toString("utf8", 0, read);
  } finally {
    closeSync(fd);
  }
  const name = text.replace(/\r?\n$/, "");
  if (name.includes("\0"))
    throw new ConfigError(file, [`the workspace name it holds has a NUL byte, which no store keeps; ${fix}`]);
  return name.trim() === "" ? undefined : name;
}

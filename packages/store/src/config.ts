import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { z } from "zod";
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

// Strict objects: a misspelt key ("stor") is an error, not a setting silently ignored.
const ConfigSchema = z.strictObject({
  workspace: z.string().min(1).optional(),
  store: z
    .strictObject({
      kind: z.literal("sqlite").optional(),
      path: z.string().min(1).optional(),
      busyTimeoutMs: z.int().min(0).optional(),
    })
    .optional(),
  artifacts: z
    .strictObject({
      kind: z.literal("local").optional(),
      path: z.string().min(1).optional(),
    })
    .optional(),
  targets: TargetsSchema.optional(),
  profiles: ProfilesSchema.optional(),
});

/** canal.config.json as written: every field optional. */
export type WorkspaceConfigFile = z.infer<typeof ConfigSchema>;

/** The configuration with defaults applied and paths made absolute. */
export interface WorkspaceConfig {
  workspace: string;
  store: { kind: "sqlite"; path: string; busyTimeoutMs?: number };
  artifacts: { kind: "local"; path: string };
  /** Compute targets by name, as written; absent when the file defines none. */
  targets?: Record<string, TargetConfig>;
  /** Profiles by name, as written; absent when the file defines none. */
  profiles?: Record<string, ProfileConfig>;
}

export const DEFAULTS = { store: ".canal/canal.db", artifacts: ".canal/blobs" } as const;

// What each key falls back to when removed, and which keys an object takes: for the fix in a message.
const DEFAULT_TEXT: Record<string, string> = {
  workspace: "the project directory's name",
  "store.kind": '"sqlite"',
  "store.path": `"${DEFAULTS.store}"`,
  "store.busyTimeoutMs": "10000",
  "artifacts.kind": '"local"',
  "artifacts.path": `"${DEFAULTS.artifacts}"`,
};
const KEYS: Record<string, string[]> = {
  "": ["workspace", "store", "artifacts", "targets", "profiles"],
  store: ["kind", "path", "busyTimeoutMs"],
  artifacts: ["kind", "path"],
};

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    input,
  );
}

function problems(issue: z.core.$ZodIssue, input: unknown): string[] {
  const key = issue.path.map(String).join(".");
  const removeHint = DEFAULT_TEXT[key] ? `, or remove it to use the default ${DEFAULT_TEXT[key]}` : "";
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = KEYS[key] ?? targetKeysAt(issue.path.map(String), input) ?? [];
      return issue.keys.map((k) => {
        const full = key ? `${key}.${k}` : k;
        return `\`${full}\`: unknown key; remove it (the keys ${key ? `of \`${key}\`` : "here"} are ${known.join(", ")})`;
      });
    }
    case "invalid_type": {
      const got = describe(valueAt(input, issue.path));
      if (key === "") return [`the file must hold a JSON object, not ${got}`];
      if (valueAt(input, issue.path) === undefined) return [`\`${key}\`: is required; add it`];
      const expected =
        issue.expected === "object"
          ? "an object"
          : issue.expected === "int"
            ? "a whole number"
            : `a ${issue.expected}`;
      return [`\`${key}\`: expected ${expected}, got ${got}; fix the value${removeHint}`];
    }
    case "invalid_union": {
      const got = describe(valueAt(input, issue.path));
      // A target's `kind` that is none of the known ones: zod reports the union by its discriminator.
      if ("discriminator" in issue && "options" in issue) {
        const options = (issue.options as unknown[]).map((o) => JSON.stringify(o)).join(", ");
        return [`\`${key}\`: must be one of ${options}, got ${got}; set the target's kind`];
      }
      return [`\`${key}\`: ${issue.message}, got ${got}; fix the value`];
    }
    case "invalid_key": {
      // A record key the schema refuses (an environment variable's name): its own rule says how.
      const rule = issue.issues[0]?.message ?? "not a valid key here";
      return [`\`${key}\`: ${rule}; rename it`];
    }
    case "invalid_format":
      return [`\`${key}\`: ${issue.message}, got ${describe(valueAt(input, issue.path))}; fix the value`];
    case "invalid_value": {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(" or ");
      const got = describe(valueAt(input, issue.path));
      return [
        `\`${key}\`: must be ${allowed}, got ${got}; only the embedded store is available in this version${removeHint}`,
      ];
    }
    case "too_small":
      if (issue.origin === "number") {
        const bound = `${issue.inclusive ? "at least" : "more than"} ${String(issue.minimum)}`;
        return [`\`${key}\`: must be ${bound}, got ${describe(valueAt(input, issue.path))}; fix the value`];
      }
      return [`\`${key}\`: must not be empty; set a value${removeHint}`];
    default:
      return [`\`${key}\`: ${issue.message}`];
  }
}

/** Validates a parsed config; `file` names it in errors. */
export function parseConfig(input: unknown, file: string): WorkspaceConfigFile {
  const result = ConfigSchema.safeParse(input);
  if (result.success) {
    const references = targetReferenceProblems(result.data.targets, result.data.profiles);
    if (references.length) throw new ConfigError(file, references);
    return result.data;
  }
  throw new ConfigError(
    file,
    result.error.issues.flatMap((issue) => problems(issue, input)),
  );
}

export function readConfigFile(file: string): WorkspaceConfigFile {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, [`it is not valid JSON (${(error as Error).message}); fix the syntax`]);
  }
  return parseConfig(input, file);
}

/** Applies the defaults; relative paths are taken from the workspace root. */
export function resolveConfig(config: WorkspaceConfigFile, root: string): WorkspaceConfig {
  return {
    workspace: config.workspace ?? defaultWorkspaceName(root),
    store: {
      kind: "sqlite",
      path: resolve(root, config.store?.path ?? DEFAULTS.store),
      ...(config.store?.busyTimeoutMs !== undefined ? { busyTimeoutMs: config.store.busyTimeoutMs } : {}),
    },
    artifacts: { kind: "local", path: resolve(root, config.artifacts?.path ?? DEFAULTS.artifacts) },
    ...(config.targets ? { targets: config.targets } : {}),
    ...(config.profiles ? { profiles: config.profiles } : {}),
  };
}

export function defaultWorkspaceName(root: string): string {
  return basename(resolve(root)) || "default";
}

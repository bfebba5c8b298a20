import type { CacheKeyComponents } from "./types.js";

/** One reason two cache keys of a step differ. `before`/`after` absent: added or removed. */
export type CacheKeyChange =
  | { field: "input"; name: string; before?: string; after?: string }
  | { field: "codeFile"; path: string; before?: string; after?: string }
  /** Digests only: a variable's value is never kept, so a change names the variable alone. */
  | { field: "variable"; name: string; before?: string; after?: string }
  | { field: "code" | "environment" | "step"; before: string; after: string };

function diffMaps(
  before: Record<string, string>,
  after: Record<string, string>,
  make: (name: string, before?: string, after?: string) => CacheKeyChange,
): CacheKeyChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((name) => before[name] !== after[name])
    .map((name) => make(name, before[name], after[name]));
}

const defined = <T extends object>(change: T): T => {
  for (const key of Object.keys(change) as Array<keyof T>) if (change[key] === undefined) delete change[key];
  return change;
};

/**
 * Why a step missed the cache: how its key's components differ from those of the last entry for
 * the same step (`lastCacheEntryForStep`). Most specific first: the inputs, then the code files,
 * the environment variables, then the code, the environment, and the step itself (interface or command) when nothing narrower
 * explains it. Empty when the components are the same.
 */
export function explainCacheMiss(
  previous: CacheKeyComponents,
  current: CacheKeyComponents,
): CacheKeyChange[] {
  const changes: CacheKeyChange[] = diffMaps(previous.inputs, current.inputs, (name, before, after) =>
    defined({ field: "input" as const, name, before, after }),
  );
  const files = (c: CacheKeyComponents) =>
    Object.fromEntries((c.codeFiles ?? []).map((f) => [f.path, f.sha256]));
  const fileChanges = diffMaps(files(previous), files(current), (path, before, after) =>
    defined({ field: "codeFile" as const, path, before, after }),
  );
  changes.push(...fileChanges);
  changes.push(
    ...diffMaps(previous.variables ?? {}, current.variables ?? {}, (name, before, after) =>
      defined({ field: "variable" as const, name, before, after }),
    ),
  );
  const code = (c: CacheKeyComponents) => c.codeHash ?? "";
  if (code(previous) !== code(current) && fileChanges.length === 0) {
    changes.push({ field: "code", before: code(previous), after: code(current) });
  }
  if (previous.environment !== current.environment) {
    changes.push({ field: "environment", before: previous.environment, after: current.environment });
  }
  const explained = changes.some((c) => c.field !== "input");
  if (previous.stepHash !== current.stepHash && !explained) {
    changes.push({ field: "step", before: previous.stepHash, after: current.stepHash });
  }
  return changes;
}

const short = (value: string) => (/^[0-9a-f]{64}$/.test(value) ? value.slice(0, 12) : value);
const shown = (value: string) => short(value.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1"));

/** One line for `canal why`: "input `lr` changed: 0.01 -> 0.1". */
export function describeCacheKeyChange(change: CacheKeyChange): string {
  switch (change.field) {
    case "input":
    case "codeFile": {
      const what = change.field === "input" ? `input \`${change.name}\`` : `code file ${change.path}`;
      if (change.before === undefined) return `${what} was added`;
      if (change.after === undefined) return `${what} was removed`;
      return `${what} changed: ${shown(change.before)} -> ${shown(change.after)}`;
    }
    case "variable": {
      const what = `environment variable ${change.name}`;
      const set = (digest?: string) => digest !== undefined && digest !== "unset";
      if (change.before === undefined) return `${what} is now read by the step`;
      if (change.after === undefined) return `${what} is no longer read by the step`;
      if (!set(change.before)) return `${what} was set`;
      if (!set(change.after)) return `${what} was unset`;
      return `${what} changed`;
    }
    case "code":
      return `the step's code changed (${shown(change.before)} -> ${shown(change.after)})`;
    case "environment":
      return `the environment changed (${shown(change.before)} -> ${shown(change.after)})`;
    case "step":
      return "the step's interface or command changed";
  }
}

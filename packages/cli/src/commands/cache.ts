import { parseArgs } from "node:util";
import { parseInstanceKey } from "@canal/runtime-core";
import type {
  CacheEntry,
  CacheEntryFilter,
  CacheKeyComponents,
  MetadataStore,
  StoredValue,
} from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { suggestion } from "../suggest.js";
import { withWorkspace } from "../workspace.js";

export const cacheHelp = `Usage: canal cache ls [--step STEP] [--run RUN] [--json]
       canal cache explain KEY | RUN STEP [--json]
       canal cache invalidate KEY... | --step STEP | --run RUN [--json]

The workspace's cache: one entry per cache key, the outputs a later run with the same key reuses.
  ls           lists entries, newest first: key, step, the run that produced them, when, outputs
  explain      shows what a key is made of: the step's definition hash, its code (and code files),
               its environment and every input (upstream outputs by digest, parameters as JSON);
               RUN STEP shows the key that step was recorded under in RUN and whether it is cached
  invalidate   deletes entries, so that the next run executes those steps again and records their
               new outputs as the entries; the outputs themselves stay (\`canal gc\` frees them)

KEY is a key or its first 6 or more characters; STEP a step id, or "train[2]" for one fan-out
iteration; --run selects the entries RUN produced or reused. Filters combine.
`;

export async function cacheCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { step: { type: "string" }, run: { type: "string" }, json: { type: "boolean" } },
  });
  const [action, ...rest] = positionals;
  const json = values.json ?? false;
  const filter = stepAndRun(values);
  return withWorkspace(io, async ({ metadata }) => {
    switch (action) {
      case "ls":
      case "list": {
        if (rest.length > 0)
          throw new UsageError(`unexpected argument \`${rest[0]}\`; filter with --step or --run`);
        const entries = await metadata.listCacheEntries(filter);
        if (json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
        else printEntries(entries, io);
        return 0;
      }
      case "explain":
        return explain(metadata, rest, json, io);
      case "invalidate": {
        if (rest.length === 0 && !values.step && !values.run) {
          throw new UsageError(
            "canal cache invalidate needs what to invalidate: keys, --step STEP or --run RUN (`canal cache ls` lists the entries)",
          );
        }
        const chosen = new Map<string, CacheEntry>();
        if (rest.length === 0) for (const e of await metadata.listCacheEntries(filter)) chosen.set(e.key, e);
        for (const prefix of rest) {
          const found = await metadata.listCacheEntries({ ...filter, keyPrefix: prefix });
          if (found.length === 0) {
            io.stderr(
              `canal cache: no cache entry has a key starting with ${prefix}; \`canal cache ls\` lists them\n`,
            );
            return 1;
          }
          if (found.length > 1) {
            io.stderr(
              `canal cache: ${found.length} entries have keys starting with ${prefix}; give more characters\n`,
            );
            return 1;
          }
          for (const e of found) chosen.set(e.key, e);
        }
        const invalidated: CacheEntry[] = [];
        for (const entry of chosen.values())
          if (await metadata.deleteCacheEntry(entry.key)) invalidated.push(entry);
        if (json) io.stdout(`${JSON.stringify(invalidated.map((e) => e.key))}\n`);
        else {
          for (const e of invalidated)
            io.stdout(`invalidated ${e.key.slice(0, 12)} ${label(e)} (run ${e.producedBy.runId})\n`);
          io.stdout(
            `${invalidated.length} entr${invalidated.length === 1 ? "y" : "ies"} invalidated; the next run executes those steps again\n`,
          );
        }
        return 0;
      }
      default:
        throw new UsageError(
          action
            ? `unknown action \`${action}\`; use ls, explain or invalidate${await suggestion(action, ["ls", "explain", "invalidate"])}`
            : "canal cache needs an action: ls, explain or invalidate",
        );
    }
  });
}

function stepAndRun(values: { step?: string | undefined; run?: string | undefined }): CacheEntryFilter {
  const filter: CacheEntryFilter = {};
  if (values.step !== undefined) {
    const { stepId, index } = parseInstanceKey(values.step);
    filter.stepId = stepId;
    if (index >= 0) filter.instance = index;
  }
  if (values.run !== undefined) filter.runId = values.run;
  return filter;
}

const label = (e: CacheEntry) =>
  e.producedBy.instance >= 0 ? `${e.producedBy.stepId}[${e.producedBy.instance}]` : e.producedBy.stepId;

function printEntries(entries: CacheEntry[], io: Io): void {
  if (entries.length === 0) {
    io.stdout("no cache entries\n");
    return;
  }
  const rows = entries.map((e) => [
    e.key.slice(0, 12),
    label(e),
    e.producedBy.runId,
    new Date(e.createdAt).toISOString().replace("T", " ").slice(0, 19),
    Object.keys(e.outputs).join(", "),
  ]);
  const header = ["KEY", "STEP", "PRODUCED BY", "CREATED", "OUTPUTS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [header, ...rows])
    io.stdout(
      `${row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i] as number) : cell)).join("  ")}\n`,
    );
}

const describe = (value: StoredValue): string =>
  "digest" in value
    ? `sha256:${value.digest}${value.directory ? " (directory)" : ""}`
    : "digests" in value
      ? `[${value.digests.map((d) => `sha256:${d}`).join(", ")}]`
      : value.json;

function printComponents(components: CacheKeyComponents, io: Io): void {
  io.stdout(`  step definition  ${components.stepHash}\n`);
  if (components.codeHash) io.stdout(`  code             ${components.codeHash}\n`);
  for (const file of components.codeFiles ?? []) io.stdout(`    ${file.path}  ${file.sha256}\n`);
  io.stdout(`  environment      ${components.environment}\n`);
  const inputs = Object.entries(components.inputs).sort(([a], [b]) => a.localeCompare(b));
  io.stdout(inputs.length ? "  inputs\n" : "  inputs           (none)\n");
  for (const [name, value] of inputs) io.stdout(`    ${name} = ${value}\n`);
}

async function explain(metadata: MetadataStore, args: string[], json: boolean, io: Io): Promise<number> {
  if (args.length === 1) {
    const [prefix] = args as [string];
    const found = await metadata.listCacheEntries({ keyPrefix: prefix });
    if (found.length !== 1) {
      io.stderr(
        found.length === 0
          ? `canal cache: no cache entry has a key starting with ${prefix}; \`canal cache ls\` lists them\n`
          : `canal cache: ${found.length} entries have keys starting with ${prefix}; give more characters\n`,
      );
      return 1;
    }
    const entry = found[0] as CacheEntry;
    if (json) {
      io.stdout(`${JSON.stringify(entry, null, 2)}\n`);
      return 0;
    }
    io.stdout(`key ${entry.key}: step ${label(entry)}, produced by run ${entry.producedBy.runId}\n`);
    printComponents(entry.components, io);
    io.stdout("  outputs\n");
    for (const [name, value] of Object.entries(entry.outputs))
      io.stdout(`    ${name} = ${describe(value)}\n`);
    return 0;
  }
  if (args.length !== 2) throw new UsageError("canal cache explain needs a key, or a run id and a step");
  const [runId, stepName] = args as [string, string];
  const { stepId, index } = parseInstanceKey(stepName);
  const stepRuns = (await metadata.listStepRuns(runId)).filter(
    (s) => s.stepId === stepId && (index < 0 || s.instance === index),
  );
  if (stepRuns.length === 0) {
    const ids = [...new Set((await metadata.listStepRuns(runId)).map((s) => s.stepId))];
    io.stderr(
      `canal cache: run ${runId} has no step \`${stepName}\`; its steps are ${ids.join(", ")}${await suggestion(stepId, ids)}\n`,
    );
    return 1;
  }
  const explained = [];
  for (const stepRun of stepRuns) {
    const key = stepRun.instance >= 0 ? `${stepRun.stepId}[${stepRun.instance}]` : stepRun.stepId;
    const entry = stepRun.cacheKey ? await metadata.getCacheEntry(stepRun.cacheKey) : undefined;
    explained.push({ step: key, status: stepRun.status, key: stepRun.cacheKey, entry });
    if (json) continue;
    if (!stepRun.cacheKey) {
      io.stdout(`${key}: ${stepRun.status}; it never computed a cache key\n`);
      continue;
    }
    const where = entry
      ? `cached: the entry holds run ${entry.producedBy.runId}'s outputs`
      : "not cached: no entry under this key (the next run executes it)";
    io.stdout(`${key}: ${stepRun.status} under key ${stepRun.cacheKey}; ${where}\n`);
    const components = stepRun.cacheComponents ?? entry?.components;
    if (components) printComponents(components, io);
  }
  if (json) io.stdout(`${JSON.stringify(explained, null, 2)}\n`);
  return 0;
}

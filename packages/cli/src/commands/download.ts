import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { editDistance, pathInside } from "@canal/ir";
import { pipelineOutputs, type RunOutput } from "@canal/runner";
import {
  type BlobStore,
  type MetadataStore,
  type Run,
  RunNotFoundError,
  type StepRun,
  StoreError,
  type Workspace,
} from "@canal/store";
import { DownloadError } from "../errors.js";
import { formatBytes, type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export type { RunOutput };

export const downloadHelp = `Usage: canal download RUN [OUTPUT]... [--to DIR] [--force] [--json]

Writes a run's outputs out of the workspace's store, every byte checked against its digest: each
pipeline output (or only the OUTPUTs named) under its name in DIR, default ./RUN/. A file output
becomes a file, a directory output a directory as the step wrote it, a list of artifacts (fan-in)
a directory of 0, 1, …, and a value output NAME.json.

  OUTPUT        a pipeline output (\`best\`), or a step's output: \`prepare.prepped\`, \`train[2].model\`
  --to DIR      where to write (default ./RUN/)
  --force       replace what is already where an output goes
  --json        print what was written as JSON
`;

/** An output as written (and as `canal run --json` lists a run's outputs). */
export interface OutputSummary {
  name: string;
  kind: "file" | "directory" | "files" | "value";
  /** Bytes: of the file, of every file of a directory or list; of the JSON for a value. */
  size: number;
}

/** "it failed", "it is still running": why a run or step may have no outputs. */
function state(status: string): string {
  if (status === "running" || status === "queued") return `it is still ${status}`;
  if (status === "canceled" || status === "skipped") return `it was ${status}`;
  return `it ${status}`;
}

const keyOf = (step: StepRun) => (step.instance >= 0 ? `${step.stepId}[${step.instance}]` : step.stepId);

/** The known name closest to `name`, when it is close enough to be a typo of it. */
export function closest(
  name: string,
  known: readonly string[],
  maxDistance = Math.max(1, Math.floor(name.length / 3)),
): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= maxDistance ? best : undefined;
}

const didYouMean = (name: string, known: readonly string[]) => {
  const near = closest(name, known);
  return near ? `did you mean \`${near}\`? ` : "";
};

/** Parses `train[2].model` into step `train`, instance 2, output `model` (a step id may hold dots). */
function parseStepOutput(spec: string): { step: string; instance?: number; output: string } | undefined {
  const dot = spec.lastIndexOf(".");
  if (dot <= 0 || dot === spec.length - 1) return undefined;
  const output = spec.slice(dot + 1);
  const key = spec.slice(0, dot);
  const indexed = /^(.+)\[(\d+)\]$/.exec(key);
  return indexed
    ? { step: indexed[1] as string, instance: Number(indexed[2]), output }
    : { step: key, output };
}

/** The outputs `specs` name in a run (every pipeline output when none), or an error naming what exists. */
export async function selectOutputs(
  metadata: MetadataStore,
  run: Run,
  specs: string[],
): Promise<RunOutput[]> {
  const declared = await pipelineOutputs(metadata, run);
  if (specs.length === 0) {
    if (declared.length === 0)
      throw new DownloadError(
        "CANAL_DOWNLOAD_NO_OUTPUTS",
        `run ${run.id} has no pipeline outputs${run.status === "succeeded" ? "" : ` (${state(run.status)})`}; name a step's output (\`step.output\`): \`canal runs show ${run.id}\` lists them`,
      );
    return declared;
  }
  const steps = await metadata.listStepRuns(run.id);
  const selected: RunOutput[] = [];
  for (const spec of [...new Set(specs)]) {
    const fromPipeline = declared.find((o) => o.name === spec);
    if (fromPipeline) {
      selected.push(fromPipeline);
      continue;
    }
    const parsed = parseStepOutput(spec);
    if (!parsed) {
      const names = declared.map((o) => o.name);
      throw new DownloadError(
        "CANAL_DOWNLOAD_UNKNOWN_OUTPUT",
        `run ${run.id} has no pipeline output \`${spec}\`; ${didYouMean(spec, names)}its outputs are ${names.join(", ") || "none"} (a step's output is \`step.output\`)`,
      );
    }
    const keys = steps.map(keyOf);
    const ofStep = steps.filter((s) => s.stepId === parsed.step);
    if (ofStep.length === 0) {
      const stepName = parsed.instance === undefined ? parsed.step : `${parsed.step}[${parsed.instance}]`;
      throw new DownloadError(
        "CANAL_DOWNLOAD_UNKNOWN_OUTPUT",
        `run ${run.id} has no step \`${stepName}\`; ${didYouMean(parsed.step, [...new Set(steps.map((s) => s.stepId))])}its steps are ${[...new Set(keys)].join(", ") || "none"}`,
      );
    }
    const fanned = ofStep.some((s) => s.instance >= 0);
    if (parsed.instance === undefined && fanned) {
      throw new DownloadError(
        "CANAL_DOWNLOAD_UNKNOWN_OUTPUT",
        `step \`${parsed.step}\` ran ${ofStep.length} times in run ${run.id} (a fan-out); name one: ${ofStep.map((s) => `${keyOf(s)}.${parsed.output}`).join(", ")}`,
      );
    }
    const stepRun = ofStep.find((s) => s.instance === (parsed.instance ?? -1));
    if (!stepRun) {
      throw new DownloadError(
        "CANAL_DOWNLOAD_UNKNOWN_OUTPUT",
        parsed.instance !== undefined && !fanned
          ? `step \`${parsed.step}\` is not fanned out; name its output \`${parsed.step}.${parsed.output}\``
          : `step \`${parsed.step}\` has no instance ${parsed.instance} in run ${run.id}; it ran ${ofStep.map(keyOf).join(", ")}`,
      );
    }
    const outputs = await metadata.getOutputs(stepRun.id);
    const value = outputs[parsed.output];
    if (!value) {
      const names = Object.keys(outputs);
      throw new DownloadError(
        "CANAL_DOWNLOAD_UNKNOWN_OUTPUT",
        names.length === 0
          ? `step ${keyOf(stepRun)} has no outputs recorded in run ${run.id} (${state(stepRun.status)})`
          : `step ${keyOf(stepRun)} has no output \`${parsed.output}\`; ${didYouMean(parsed.output, names)}its outputs are ${names.join(", ")}`,
      );
    }
    selected.push({ name: spec, value });
  }
  return selected;
}

/** Sizes and kinds of outputs, from the store's records of the blobs (nothing is read or hashed). */
export async function summarizeOutputs(blobs: BlobStore, outputs: RunOutput[]): Promise<OutputSummary[]> {
  return Promise.all(
    outputs.map(async ({ name, value }): Promise<OutputSummary> => {
      if ("json" in value) return { name, kind: "value", size: Buffer.byteLength(value.json) };
      if ("digest" in value)
        return {
          name,
          kind: value.directory ? "directory" : "file",
          size: (await blobs.stat(value.digest))?.size ?? 0,
        };
      const sizes = await Promise.all(value.digests.map(async (d) => (await blobs.stat(d))?.size ?? 0));
      return { name, kind: "files", size: sizes.reduce((a, b) => a + b, 0) };
    }),
  );
}

/** Where an output goes under `to`: its name, as one file name (a name can never leave `to`). */
function targetName(output: RunOutput): string {
  return "json" in output.value ? `${output.name}.json` : output.name;
}

/** A path as the user reads it: relative to where they are, or absolute when it is elsewhere. */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function occupied(path: string): boolean {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return false;
  return !info.isDirectory() || readdirSync(path).length > 0;
}

/**
 * Writes each output under `to`: built in a staging folder inside `to` (every blob verified by the
 * store as it is copied out), then renamed into place, so a damaged blob leaves nothing half
 * written where the output goes.
 */
async function writeOutputs(
  blobs: BlobStore,
  outputs: RunOutput[],
  to: string,
  options: { force: boolean; cwd: string },
): Promise<string[]> {
  const targets = outputs.map((output) => pathInside(to, targetName(output)));
  const twice = targets.find((target, i) => targets.indexOf(target) !== i);
  if (twice) {
    const names = outputs.filter((_, i) => targets[i] === twice).map((o) => `\`${o.name}\``);
    throw new DownloadError(
      "CANAL_DOWNLOAD_TARGET_EXISTS",
      `${names.join(" and ")} would both be written to ${shownPath(twice, options.cwd)}; download them one at a time, each with its own --to`,
    );
  }
  const taken = targets.filter(occupied);
  if (taken.length > 0 && !options.force) {
    throw new DownloadError(
      "CANAL_DOWNLOAD_TARGET_EXISTS",
      `${taken.map((t) => shownPath(t, options.cwd)).join(", ")} ${taken.length === 1 ? "is" : "are"} already there and not empty; pass --force to replace ${taken.length === 1 ? "it" : "them"}, or choose another --to`,
    );
  }
  const info = statSync(to, { throwIfNoEntry: false });
  if (info && !info.isDirectory())
    throw new DownloadError(
      "CANAL_DOWNLOAD_TARGET_EXISTS",
      `--to ${shownPath(to, options.cwd)} is a file; name a directory to write the outputs into`,
    );
  const created = !info;
  mkdirSync(to, { recursive: true });
  const staging = pathInside(to, `.canal-download-${randomBytes(4).toString("hex")}`);
  mkdirSync(staging);
  let done = false;
  try {
    const staged: string[] = [];
    for (const [i, output] of outputs.entries()) {
      const path = join(staging, String(i));
      const { value } = output;
      if ("json" in value) writeFileSync(path, `${JSON.stringify(JSON.parse(value.json), null, 2)}\n`);
      else if ("digest" in value) await blobs.materialize(value.digest, path);
      else {
        mkdirSync(path);
        for (const [j, digest] of value.digests.entries())
          await blobs.materialize(digest, join(path, String(j)));
      }
      staged.push(path);
    }
    for (const [i, target] of targets.entries()) {
      rmSync(target, { recursive: true, force: true });
      renameSync(staged[i] as string, target);
    }
    done = true;
    return targets;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    // A download that failed (a damaged blob) leaves no folder it made behind.
    if (!done && created) rmSync(to, { recursive: true, force: true });
  }
}

async function findRun(metadata: MetadataStore, id: string): Promise<Run> {
  try {
    return await metadata.getRun(id);
  } catch (error) {
    if (!(error instanceof RunNotFoundError)) throw error;
    const recent = (await metadata.listRuns({ limit: 100 })).map((r) => r.id);
    // A run id is mostly a timestamp: only a slip of a character or two is a typo of another.
    const near = closest(id, recent, 2);
    throw new StoreError(
      "CANAL_STORE_RUN_NOT_FOUND",
      `no run \`${id}\` in this workspace; ${near ? `did you mean \`${near}\`? ` : ""}${recent.length ? `the latest is ${recent[0]}; ` : ""}\`canal runs\` lists them`,
    );
  }
}

export async function downloadCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      to: { type: "string" },
      force: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const [runId, ...specs] = positionals;
  if (!runId) throw new UsageError("canal download needs a run id; `canal runs` lists them");
  return withWorkspace(io, async (workspace: Workspace) => {
    const run = await findRun(workspace.metadata, runId);
    const outputs = await selectOutputs(workspace.metadata, run, specs);
    const to = resolve(io.cwd, values.to ?? run.id);
    const written = await writeOutputs(workspace.blobs, outputs, to, {
      force: values.force ?? false,
      cwd: io.cwd,
    });
    const summaries = await summarizeOutputs(workspace.blobs, outputs);
    if (values.json) {
      const listed = summaries.map((s, i) => ({ ...s, path: written[i], value: outputs[i]?.value }));
      io.stdout(`${JSON.stringify({ run: run.id, to, outputs: listed }, null, 2)}\n`);
      return 0;
    }
    for (const [i, summary] of summaries.entries()) {
      io.stdout(
        `${summary.name.padEnd(20)} ${summary.kind.padEnd(9)} ${formatBytes(summary.size).padStart(10)}  -> ${shownPath(written[i] as string, io.cwd)}\n`,
      );
    }
    return 0;
  });
}

/**
 * The lines `canal run` ends with: the pipeline outputs with their sizes, and the command that
 * downloads them. Empty when the run has none.
 */
export function outputsText(runId: string, summaries: OutputSummary[]): string {
  if (summaries.length === 0) return "";
  const list = summaries
    .map((s) => `${s.name} (${s.kind === "value" ? "value" : formatBytes(s.size)})`)
    .join(", ");
  return `outputs: ${list}\n  download: canal download ${runId}\n`;
}

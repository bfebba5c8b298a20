import { parseArgs } from "node:util";
import { type LiveRun, type LiveStateOptions, liveRuns, type ProcessStartedAt } from "@canal/runner";
import type { Run, RunStatus, Workspace } from "@canal/store";
import { closest } from "../closest.js";
import { type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export const runsHelp = `Usage: canal runs [--experiment NAME] [--pipeline NAME] [--status STATUS] [--user NAME] [--host NAME]
                  [--limit N] [--json]
       canal runs show RUN [--json]

Lists the workspace's runs, newest first, with the experiment each belongs to, or shows one run:
its parameters, git state, and each step with its status, attempts, timings, outputs and metrics.

  --experiment NAME   only the runs of this experiment (\`canal run --experiment\`; default: the pipeline's name)
  --user NAME         only the runs this user started (the config's "user", else the OS user)
  --host NAME         only the runs started from this host
  --dataset NAME[:V]  only the runs that read a version of dataset NAME (or version V), or registered one

A run still marked running whose driver stopped writing its heartbeat (30 s by default,
$CANAL_HEARTBEAT_STALE_MS; at once on the driver's own machine once its process is gone) shows as
interrupted; \`canal runs show RUN\` names its driver process, host and last heartbeat.
`;

let processStartedAt: ProcessStartedAt | undefined;

/**
 * How this process judges runs' drivers (see @canal/runner's `judgeRun`): by heartbeat, and on
 * the driver's own machine also by reading its process (the local runtime's reader of /proc), so
 * that a killed driver shows at once. The reader is loaded only when one of `runs` (when given)
 * is still marked live: listing finished runs loads no runtime, and starts faster.
 */
export async function driverCheck(runs?: Run[]): Promise<LiveStateOptions> {
  const live = !runs || runs.some((run) => run.status === "running" || run.status === "queued");
  if (live && !processStartedAt) processStartedAt = (await import("@canal/runtime-local")).processStartedAt;
  return processStartedAt ? { processStartedAt } : {};
}

/** A run as `--json` prints it: its live status, who drives it, and a cancel request. */
function shownRun(
  live: LiveRun,
): Omit<Run, "status"> & Pick<LiveRun, "status" | "driver" | "cancel" | "reason"> {
  return {
    ...live.run,
    status: live.status,
    ...(live.driver ? { driver: live.driver } : {}),
    ...(live.cancel ? { cancel: live.cancel } : {}),
    ...(live.reason ? { reason: live.reason } : {}),
  };
}

function duration(run: Run): string {
  if (!run.startedAt) return "";
  return `${(((run.endedAt ?? Date.now()) - run.startedAt) / 1000).toFixed(1)}s`;
}

export async function runsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      pipeline: { type: "string" },
      experiment: { type: "string" },
      user: { type: "string" },
      host: { type: "string" },
      dataset: { type: "string" },
      status: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
  });
  return withWorkspace(io, async (workspace) => {
    if (positionals[0] === "show") {
      const id = positionals[1];
      if (!id) throw new UsageError("canal runs show needs a run id; `canal runs` lists them");
      return show(workspace, id, io, values.json ?? false);
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
    const limit = values.limit ? Number(values.limit) : 20;
    const byDataset = values.dataset === undefined ? undefined : await datasetRuns(workspace, values.dataset);
    const runs = (
      await workspace.metadata.listRuns({
        ...(values.pipeline ? { pipeline: values.pipeline } : {}),
        ...(values.experiment !== undefined ? { experiment: values.experiment } : {}),
        ...(values.user !== undefined ? { startedBy: values.user } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(values.status ? { status: values.status as RunStatus } : {}),
        // A run that read or registered the dataset may be older than the newest `limit` runs.
        limit: byDataset ? Number.MAX_SAFE_INTEGER : limit,
      })
    )
      .filter((run) => !byDataset || byDataset.has(run.id))
      .slice(0, limit);
    if (runs.length === 0 && values.experiment !== undefined) {
      const known = (await workspace.metadata.listExperiments()).map((e) => e.name);
      if (!known.includes(values.experiment)) {
        const near = closest(values.experiment, known);
        io.stderr(
          `canal runs: no experiment \`${values.experiment}\` in this workspace${near ? ` (did you mean \`${near}\`?)` : ""}; ${known.length ? `its experiments: ${known.join(", ")}` : "it has no runs yet"}\n`,
        );
        return 1;
      }
    }
    const live = await liveRuns(workspace.metadata, runs, await driverCheck(runs));
    if (values.json) {
      io.stdout(`${JSON.stringify(live.map(shownRun), null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.stdout("no runs yet; start one with `canal run <pipeline.ts>`\n");
      return 0;
    }
    io.stdout(
      `${"RUN".padEnd(28)} ${"PIPELINE".padEnd(16)} ${"STATUS".padEnd(12)} ${"TIME".padStart(8)}  ${"STARTED".padEnd(19)}  ${"BY".padEnd(24)}  EXPERIMENT\n`,
    );
    for (const { run, status } of live) {
      const started = new Date(run.startedAt ?? run.createdAt).toISOString().replace("T", " ").slice(0, 19);
      io.stdout(
        `${run.id.padEnd(28)} ${`${run.pipeline} v${run.pipelineVersion}`.padEnd(16)} ${status.padEnd(12)} ${duration(run).padStart(8)}  ${started}  ${startedBy(run).padEnd(24)}  ${run.experiment}\n`,
      );
    }
    return 0;
  });
}

/** The ids of the runs that read a version of dataset `text` (`NAME` or `NAME:VERSION`), or registered one. */
async function datasetRuns(workspace: Workspace, text: string): Promise<Set<string>> {
  const match = /^(.*?)(?::(\d+))?$/s.exec(text) as RegExpExecArray;
  const name = match[1] as string;
  const versions = match[2]
    ? [await workspace.metadata.getDatasetVersion(name, Number(match[2]))]
    : await workspace.metadata.listDatasetVersions(name);
  const ids = new Set<string>();
  for (const version of versions)
    for (const use of await workspace.metadata.listDatasetUses({ versionId: version.id })) ids.add(use.runId);
  return ids;
}

/** Who started a run, and from where: `user@host`, or what of it a record has ("-" for neither). */
function startedBy(run: Run): string {
  if (run.startedBy && run.host) return `${run.startedBy}@${run.host}`;
  return run.startedBy ?? (run.host ? `@${run.host}` : "-");
}

async function show(workspace: Workspace, id: string, io: Io, json: boolean): Promise<number> {
  const { metadata } = workspace;
  const run = await metadata.getRun(id);
  const [live] = (await liveRuns(metadata, [run], await driverCheck([run]))) as [LiveRun];
  const steps = await metadata.listStepRuns(id);
  const detailed = await Promise.all(
    steps.map(async (step) => ({
      ...step,
      attempts: await metadata.listAttempts(step.id),
      outputs: await metadata.getOutputs(step.id),
      metrics: (await metadata.getMetrics({ stepRunId: step.id })).map((m) => ({
        name: m.name,
        value: m.value,
      })),
    })),
  );
  if (json) {
    io.stdout(`${JSON.stringify({ run: shownRun(live), steps: detailed }, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  out.push(`run ${run.id}  ${live.status}  ${duration(run)}`);
  out.push(
    `  pipeline ${run.pipeline} v${run.pipelineVersion} (${run.pipelineHash.slice(0, 12)}) on ${run.runtime}${run.regenerate ? ", regenerate" : ""}`,
  );
  out.push(`  experiment ${run.experiment}`);
  if (run.startedBy || run.host) out.push(`  started by ${startedBy(run)}`);
  if (run.git?.commit)
    out.push(`  git ${run.git.branch} ${run.git.commit.slice(0, 12)}${run.git.dirty ? " (dirty)" : ""}`);
  out.push(`  parameters ${JSON.stringify(run.parameters)}`);
  // Where a parameter read from the workspace's data came from: which dataset version, or datastore path.
  for (const [name, value] of Object.entries(run.parameters)) {
    const origin = value as {
      dataset?: { name: string; version: number };
      datastore?: { name: string; path: string };
    };
    if (origin?.dataset)
      out.push(`  ${name} <- dataset ${origin.dataset.name} version ${origin.dataset.version}`);
    else if (origin?.datastore) out.push(`  ${name} <- ${origin.datastore.name}:${origin.datastore.path}`);
  }
  const { driver, cancel } = live;
  if (driver?.host)
    out.push(
      `  driver process ${driver.pid} on ${driver.host}${
        driver.ageMs !== undefined ? `, last heartbeat ${(driver.ageMs / 1000).toFixed(1)}s ago` : ""
      }${live.reason ? ` (interrupted: ${live.reason})` : ""}`,
    );
  else if (live.reason) out.push(`  interrupted: ${live.reason}`);
  if (cancel)
    out.push(
      `  cancel requested${cancel.by ? ` by ${cancel.by}` : ""} at ${new Date(cancel.at).toISOString()}${cancel.reason ? `: ${cancel.reason}` : ""}`,
    );
  if (run.error) out.push(`  error: ${run.error}`);
  out.push("", "steps");
  for (const step of detailed) {
    const key = step.instance >= 0 ? `${step.stepId}[${step.instance}]` : step.stepId;
    const time =
      step.startedAt && step.endedAt ? ` ${((step.endedAt - step.startedAt) / 1000).toFixed(1)}s` : "";
    const reused = step.reusedFrom ? ` (from ${step.reusedFrom.runId})` : "";
    out.push(
      `  ${key.padEnd(14)} ${step.status}${time}${reused}${step.attempts.length > 1 ? `, ${step.attempts.length} attempts` : ""}`,
    );
    if (step.error && step.status !== "succeeded") out.push(`      ${step.error.split("\n")[0]}`);
    for (const [name, value] of Object.entries(step.outputs)) {
      const shown =
        "digest" in value
          ? `sha256:${value.digest.slice(0, 12)}`
          : "digests" in value
            ? `${value.digests.length} artifacts`
            : value.json;
      out.push(`      out ${name}: ${shown}`);
    }
    if (step.metrics.length)
      out.push(`      metrics ${step.metrics.map((m) => `${m.name}=${m.value}`).join(" ")}`);
  }
  io.stdout(`${out.join("\n")}\n`);
  return 0;
}

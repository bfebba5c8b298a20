import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { nameProblem, readArtifact, rememberVerifiedIr, shownName } from "@canal/ir";
import { canalDir, changedSources, placementText, runPipeline, type WrittenOutput } from "@canal/runner";
import { parseParameterArgs } from "@canal/runtime-core";
import { cancellation } from "../cancel-signals.js";
import type { Io } from "../io.js";
import { UsageError } from "../io.js";
import { Progress } from "../progress.js";
import { targetHelp, targetOptions, targetsFor } from "../targets.js";
import { artifactFor, withWorkspace } from "../workspace.js";
import { detach, detachedRunId, detachedStartedBy, driveDetached } from "./detach.js";
import { outputsText, summarizeOutputs } from "./download.js";
import { staleWarning } from "./stale.js";

export const runHelp = `Usage: canal run <pipeline.ts | artifact> [-p name=value]... [options]

Runs a pipeline, recording it in the workspace's store. An entry file is compiled first. Every step
whose code, environment and inputs are unchanged is reused from the cache. Steps run on this machine
unless a target or profile of canal.config.json says otherwise; every step's resources are checked
against its target before anything runs.

  -p, --param name=value   a parameter, read by its type: text for a string or path (-p mode=full),
                           JSON otherwise (-p lrs='[0.1,1]' -p deploy=true)
  --pipeline NAME          which pipeline, when the entry file has several
  --experiment NAME        group the run under this experiment (default: the pipeline's name)
  --detach                 run in the background: print the run id and return at once
                           (\`canal wait RUN\` follows it, \`canal logs RUN\` shows its output)
  --regenerate             run every step, ignoring the cache (AzureML regenerate_outputs)
  --parallel N             at most N steps at once (default: the target's maxParallel)
${targetHelp}  --logs                   echo the steps' output as it comes
  --json                   print the finished run as JSON

Exit status: 0 succeeded, 1 failed, 130 canceled (Ctrl-C, \`canal cancel\` or a SIGTERM). With --detach: 0 once
the run is recorded and going, 1 when it could not start (\`canal wait RUN\` gives its end's status).
`;

export async function runCommand(args: string[], io: Io): Promise<number> {
  const driven = detachedRunId();
  if (driven) {
    const startedBy = detachedStartedBy();
    return driveDetached(driven, io, (log) => runHere(args, log, driven, startedBy));
  }
  return runHere(args, io);
}

/** Runs the pipeline in this process (as the run's driver when `runId`, the id chosen for a detached run, is given). */
async function runHere(args: string[], io: Io, runId?: string, startedBy?: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      param: { type: "string", short: "p", multiple: true },
      pipeline: { type: "string" },
      regenerate: { type: "boolean" },
      parallel: { type: "string" },
      logs: { type: "boolean" },
      json: { type: "boolean" },
      experiment: { type: "string" },
      detach: { type: "boolean" },
      ...targetOptions,
    },
  });
  const [target] = positionals;
  if (!target)
    throw new UsageError(
      "canal run needs a pipeline entry file or an artifact, e.g. `canal run pipeline.ts`",
    );
  const parallel = values.parallel ? Number(values.parallel) : undefined;
  if (parallel !== undefined && !(Number.isInteger(parallel) && parallel > 0)) {
    throw new UsageError(`--parallel takes a positive whole number, not ${values.parallel}`);
  }
  parseParameterArgs(values.param ?? []); // each is name=value, before anything is compiled
  const experimentProblem = values.experiment === undefined ? undefined : nameProblem(values.experiment);
  if (experimentProblem)
    throw new UsageError(`--experiment ${shownName(values.experiment)} ${experimentProblem}`);
  return withWorkspace(io, async (workspace) => {
    // An artifact checked once in this workspace is not checked again (every step hash recomputed).
    rememberVerifiedIr(join(canalDir(workspace), "cache", "ir.verified"));
    const artifactDir = await artifactFor(target, io, workspace, values.pipeline);
    // Read by each parameter's type, as canal exec and canal export read them.
    // Read once, here: the parameters, the placement and the run all take it from this read.
    const artifact = readArtifact(artifactDir);
    const parameters = parseParameterArgs(values.param ?? [], artifact.pipeline);
    // An artifact given as it is (not compiled just now from its entry file) may be older than its sources.
    const asCompiled = [artifactDir, resolve(artifactDir, "pipeline.pb")].includes(resolve(io.cwd, target));
    if (values.detach) {
      const stale = asCompiled && changedSources(artifact.pipeline, artifactDir, workspace);
      return detach({
        workspace,
        artifactDir,
        values,
        io,
        ...(stale ? { warning: staleWarning(stale, io.cwd) } : {}),
      });
    }
    const prepared = await targetsFor(workspace, artifact.pipeline, values, parallel);
    const { runtime } = prepared;
    const progress = new Progress(values.json ? () => {} : io.stdout, Boolean(io.tty), values.logs ?? false);
    const canceled = cancellation("run", io, progress, runId);
    const writtenOutputs: WrittenOutput[] = [];
    try {
      const { run, summary } = await runPipeline({
        workspace,
        artifactDir,
        artifact,
        parameters,
        runtime,
        regenerate: values.regenerate ?? false,
        ...(parallel ? { maxParallel: parallel } : {}),
        ...(values.experiment !== undefined ? { experiment: values.experiment } : {}),
        ...(runId ? { runId } : {}),
        ...(startedBy ? { startedBy } : {}),
        ...(asCompiled ? { onStaleSources: (stale) => io.stderr(staleWarning(stale, io.cwd)) } : {}),
        signal: canceled.signal,
        onStart: (started, pipeline) => {
          canceled.started(started.id);
          if (!values.json)
            io.stdout(
              `run ${started.id}: pipeline ${pipeline.name} (${pipeline.hash.slice(0, 12)}) on ${runtime.name}, ${placementText(prepared)}\n`,
            );
        },
        onEvent: (event) => progress.on(event),
        onCancelRequest: canceled.onCancelRequest,
        onWrittenOutput: (written) => writtenOutputs.push(written),
      });
      progress.finish();
      const listed = await summarizeOutputs(
        workspace.blobs,
        Object.entries(summary.outputs).map(([name, value]) => ({ name, value })),
      );
      const download = listed.length > 0 ? `canal download ${run.id}` : undefined;
      if (values.json) {
        io.stdout(
          `${JSON.stringify({ run, steps: summary.steps, outputs: summary.outputs, outputList: listed, download, written: writtenOutputs }, null, 2)}\n`,
        );
      } else {
        const counts = Object.values(summary.steps).reduce<Record<string, number>>((acc, s) => {
          acc[s] = (acc[s] ?? 0) + 1;
          return acc;
        }, {});
        const parts = Object.entries(counts)
          .map(([state, n]) => `${n} ${state}`)
          .join(", ");
        const seconds = (((run.endedAt ?? Date.now()) - (run.startedAt ?? run.createdAt)) / 1000).toFixed(1);
        io.stdout(
          `run ${run.id} ${run.status}${run.status === "canceled" && canceled.from ? ` ${canceled.from}` : ""} in ${seconds}s (${parts})${run.error ? `: ${run.error}` : ""}\n`,
        );
        io.stdout(outputsText(run.id, listed));
        for (const w of writtenOutputs) {
          const registered = w.registered
            ? w.registered.created
              ? `, registered as ${w.registered.name} version ${w.registered.version}`
              : `, already ${w.registered.name} version ${w.registered.version}`
            : "";
          io.stdout(
            `  ${w.output} -> ${w.location} (${w.files} file${w.files === 1 ? "" : "s"}${registered})\n`,
          );
        }
      }
      return run.status === "succeeded" ? 0 : run.status === "canceled" ? 130 : 1;
    } finally {
      // A run whose driving failed leaves no status line under the error.
      progress.finish();
      canceled.dispose();
      await runtime.close();
    }
  });
}

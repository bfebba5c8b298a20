import { rmSync } from "node:fs";
import { join } from "node:path";
import { runComment } from "./batch-script.js";
import { checkRunId, jobsWithComment, type RunKeys, runTag } from "./run-keys.js";
import { lastLine, slurmCommand } from "./slurm-commands.js";

/**
 * Ends what run `runId` left on the cluster when its driver was killed: its jobs still queued or
 * running (their comment is the run's tag) are cancelled, then its job folder
 * (`<sharedDir>/jobs/<run tag>/`) removed, with the attempt scripts a job had not started yet,
 * which hold the step's declared values and the bucket's credentials, and the run's key is
 * forgotten. The tag holds the run's key, kept in the workspace's store (any checkout sharing it
 * finds it): another workspace's run of the same id, sharing the cluster and the shared
 * directory, has another key, and nothing of it is touched.
 *
 * A run with no key kept was started by the previous version, which tagged it by its id
 * alone: its jobs with the comment `canal-run=<run id>` and its folder `jobs/<run id>/` are ended,
 * as that version did. They cannot be told from another workspace's run of the same id started by
 * that version; no run of this version has that form.
 */
export async function endRunJobs(
  runId: string,
  keys: RunKeys,
  sharedDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  // The id comes from the store or the command line: it names one folder under jobs/, no other.
  checkRunId(runId, ": nothing was cancelled");
  const key = await keys.find(runId);
  const tag = key ? runTag(runId, key) : runId;
  const listed = await slurmCommand("squeue", ["-h", "-o", "%i %k"], env);
  if (listed.code !== 0) throw new Error(`squeue failed: ${lastLine(listed.stderr)}`);
  const jobs = jobsWithComment(listed.stdout, runComment(tag));
  if (jobs.length) {
    const cancelled = await slurmCommand("scancel", jobs, env);
    if (cancelled.code !== 0) throw new Error(`scancel failed: ${lastLine(cancelled.stderr)}`);
  }
  // A job cancelled as it started finds no folder and fails: none writes here again.
  rmSync(join(sharedDir, "jobs", tag), { recursive: true, force: true });
  // Nothing of the run is left here. Another target of the run on another cluster still finds
  // the key: `canal cancel` forgets it in the store once every target ended the run.
  await keys.forget(runId);
  return jobs.map((id) => `Slurm job ${id}`);
}

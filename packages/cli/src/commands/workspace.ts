import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { PushError, pushSummary, pushWorkspace } from "@canal/runner";
import { CONFIG_FILE, openWorkspace } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export const workspaceHelp = `Usage: canal workspace push --to CONFIG [--dry-run] [--json]

Copies this workspace's history and cache into another workspace, typically a team's (PostgreSQL +
S3): every ended run with its steps, attempts, logs, metrics and values, the pipeline versions with
their kept artifacts, the cache entries and the blobs they name, and the datasets: each version
(files, digests, table schema, who registered it) with its lineage (which run read or registered
it). Run ids stay as they are, so \`canal runs\` there lists the runs pushed, and a \`canal run\`
there reuses every step that ran here.
  --to CONFIG   the other workspace's canal.config.json (or the directory holding it)
  --dry-run     copy nothing; count what would be copied
  --json        print the summary as JSON

Pushing again copies only what is new: runs (by id), versions (by hash), cache entries (by key)
and blobs (by digest) already there are left alone. Each blob is verified before it is copied; one
missing or damaged here is not copied, nor the cache entries naming it. A run still going here is
skipped: push again once it has ended.

A dataset version's files must be on the team's datastore of the same name (\`workspace\`: the
team's own): those missing there are copied from here, each checked against its registered sha256;
then the version is registered, after the team's own versions of that name (its number there may
differ: the push says so). A version is skipped, with why, when the team has no datastore of that
name (define it in the team's canal.config.json, push again), when the team holds one of its files
with other bytes (never overwritten), or when a file here is not the one registered.
`;

export async function workspaceCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "push")
    throw new UsageError(
      action === undefined
        ? "name what to do: `canal workspace push --to CONFIG`"
        : `unknown action \`${action}\`; the one there is: push`,
    );
  const { parseArgs } = await import("node:util");
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { to: { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
  if (!values.to)
    throw new UsageError("--to CONFIG is needed: the canal.config.json of the workspace to push to");
  const targetDir = teamDirectory(resolve(io.cwd, values.to), values.to);
  return withWorkspace(io, async (source) => {
    if (resolve(source.root) === targetDir)
      throw new PushError(
        "CANAL_PUSH_SAME_WORKSPACE",
        `--to ${values.to} is this workspace's own config; name the other workspace's canal.config.json`,
      );
    const target = await openWorkspace(targetDir);
    try {
      const progress = values.json ? undefined : (line: string) => io.stdout(`${line}\n`);
      const report = await pushWorkspace(source, target, {
        dryRun: values["dry-run"] ?? false,
        ...(progress ? { progress } : {}),
      });
      if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        io.stdout(`${report.dryRun ? "push (dry run)" : "pushed"} ${source.root} -> ${target.configPath}\n`);
        for (const line of pushSummary(report)) io.stdout(`${line}\n`);
      }
      return 0;
    } finally {
      await target.close();
    }
  });
}

/** The directory of the workspace `--to` names: its canal.config.json there, not one above it. */
function teamDirectory(path: string, given: string): string {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const dir = isDir ? path : dirname(path);
  if (!isDir && basename(path) !== CONFIG_FILE)
    throw new PushError(
      "CANAL_PUSH_TARGET_INVALID",
      `--to ${given}: name a ${CONFIG_FILE} (or the directory holding one); the file must be called ${CONFIG_FILE}`,
    );
  if (!existsSync(join(dir, CONFIG_FILE)))
    throw new PushError(
      "CANAL_PUSH_TARGET_INVALID",
      `--to ${given}: there is no ${join(dir, CONFIG_FILE)}; write the team workspace's config there (store and artifacts)`,
    );
  return dir;
}

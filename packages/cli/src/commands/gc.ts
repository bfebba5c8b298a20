import { parseArgs } from "node:util";
import { parseDuration } from "@canal/ir";
import { collectGarbage, type GcItemKind } from "@canal/runner";
import { formatBytes, type Io, UsageError } from "../io.js";
import { withWorkspace } from "../workspace.js";

export const gcHelp = `Usage: canal gc [--dry-run] [--keep-last N] [--older-than AGE] [--json]

Frees the workspace's disk: deletes what no kept run or cache entry needs. Every recorded run is
kept (its outputs stay downloadable and \`canal runs show\` shows them) unless you drop old ones:
  --keep-last N        keep the newest N runs of each pipeline; delete the records of older ones
  --older-than AGE     delete the records of runs that ended more than AGE ago ("30d", "12h")
                       (both given: a run goes only when both say so; a run still going never goes)
A deleted run takes the cache entries it produced with it. Then gc deletes blobs no run, step or
cache entry names, kept artifacts, TypeScript modules and Python environments of pipeline
versions left without runs, temporary files, and the work folders of runs that have ended.
  --dry-run            delete nothing; list what would go and its size

Safe beside a running \`canal run\`: while a run is live, gc deletes only work folders of ended
runs, and a run that starts during a gc waits for it to finish.
`;

export async function gcCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean" },
      "keep-last": { type: "string" },
      "older-than": { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
  let keepLast: number | undefined;
  if (values["keep-last"] !== undefined) {
    keepLast = Number(values["keep-last"]);
    if (!Number.isInteger(keepLast) || keepLast < 0)
      throw new UsageError(`--keep-last takes a number of runs (0 or more), not \`${values["keep-last"]}\``);
  }
  let olderThanMs: number | undefined;
  if (values["older-than"] !== undefined) {
    olderThanMs = parseDuration(values["older-than"]);
    if (olderThanMs === undefined)
      throw new UsageError(
        `--older-than takes an age like "30d", "12h" or "90m", not \`${values["older-than"]}\``,
      );
  }
  return withWorkspace(io, async (workspace) => {
    const report = await collectGarbage(workspace, {
      dryRun: values["dry-run"] ?? false,
      ...(keepLast !== undefined ? { keepLast } : {}),
      ...(olderThanMs !== undefined ? { olderThanMs } : {}),
    });
    if (values.json) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const verb = report.dryRun ? "would delete" : "deleted";
    if (report.runs.length)
      io.stdout(`${verb} ${report.runs.length} run record(s): ${report.runs.join(", ")}\n`);
    const byKind = new Map<GcItemKind, { count: number; bytes: number }>();
    for (const item of report.items) {
      const sum = byKind.get(item.kind) ?? { count: 0, bytes: 0 };
      sum.count++;
      sum.bytes += item.bytes;
      byKind.set(item.kind, sum);
      if (report.dryRun)
        io.stdout(`  ${item.kind.padEnd(11)} ${formatBytes(item.bytes).padStart(10)}  ${item.path}\n`);
    }
    for (const [kind, sum] of byKind)
      io.stdout(`${verb} ${sum.count} ${kind} item(s), ${formatBytes(sum.bytes)}\n`);
    io.stdout(`${report.dryRun ? "would free" : "freed"} ${formatBytes(report.bytes)}\n`);
    if (report.liveRuns.length) {
      io.stdout(
        `runs are going on (process ${report.liveRuns.join(", ")}): blobs, artifacts, modules and environments were left alone; run \`canal gc\` again once they end\n`,
      );
    }
    return 0;
  });
}

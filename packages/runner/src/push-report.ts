import type { DatasetPushReport } from "./push-datasets.js";

export interface PushCount {
  copied: number;
  /** Already in the team workspace: left as they are. */
  present: number;
}

export interface PushReport {
  dryRun: boolean;
  runs: PushCount & {
    /** Runs still going (or interrupted) here: not pushed, with why. */
    skipped: Array<{ id: string; reason: string }>;
  };
  versions: PushCount;
  cacheEntries: PushCount;
  blobs: PushCount & {
    bytesCopied: number;
    bytesPresent: number;
    /** Blobs that failed verification here (missing or damaged): not copied, nor the cache entries naming them. */
    damaged: string[];
  };
  /** Dataset versions with their files (on the team's datastores) and lineage. */
  datasets: DatasetPushReport;
}

/** The summary lines of a push, as the CLI prints them. */
export function pushSummary(report: PushReport): string[] {
  const verb = report.dryRun ? "would copy" : "copied";
  const { runs, versions, cacheEntries, blobs, datasets } = report;
  const lines = [
    `runs:              ${verb} ${runs.copied}, already there ${runs.present}, skipped ${runs.skipped.length}`,
    `pipeline versions: ${verb} ${versions.copied}, already there ${versions.present}`,
    `cache entries:     ${verb} ${cacheEntries.copied}, already there ${cacheEntries.present}`,
    `blobs:             ${verb} ${blobs.copied} (${bytes(blobs.bytesCopied)}), already there ${blobs.present} (${bytes(blobs.bytesPresent)})`,
  ];
  if (blobs.damaged.length)
    lines.push(
      `not copied, missing or damaged here: ${blobs.damaged.join(", ")} (the cache entries naming them stay behind)`,
    );
  lines.push(
    `dataset versions:  ${verb} ${datasets.versions.copied}, already there ${datasets.versions.present}, skipped ${datasets.versions.skipped.length}`,
    `dataset files:     ${verb} ${datasets.files.copied} (${bytes(datasets.files.bytesCopied)}), already there ${datasets.files.present}`,
    `dataset uses:      ${verb} ${datasets.uses.copied}, already there ${datasets.uses.present}, left for a later push ${datasets.uses.left}`,
  );
  for (const { dataset, version, reason } of datasets.versions.skipped)
    lines.push(`skipped dataset ${dataset} version ${version}: ${reason}`);
  const nothing =
    runs.skipped.length +
      datasets.versions.skipped.length +
      runs.copied +
      versions.copied +
      cacheEntries.copied +
      blobs.copied +
      datasets.versions.copied +
      datasets.files.copied +
      datasets.uses.copied ===
    0;
  if (nothing) lines.push("nothing to copy: the team workspace already has everything this one holds");
  return lines;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

import { join, relative } from "node:path";
import type { StaleSources } from "@canal/runner";

const SHOWN = 10;

/** The warning `canal run` prints for an artifact whose sources changed since it was compiled. */
export function staleWarning(stale: StaleSources, cwd: string): string {
  const names = stale.changes
    .slice(0, SHOWN)
    .map(
      (c) =>
        `${relative(cwd, join(stale.root, c.path)) || c.path}${c.change === "deleted" ? " (deleted)" : ""}`,
    );
  const more = stale.changes.length > SHOWN ? `, and ${stale.changes.length - SHOWN} more` : "";
  const entry = relative(cwd, join(stale.root, stale.entry)) || stale.entry;
  return (
    `canal run: warning: this artifact is older than its sources: ${names.join(", ")}${more} changed since it was compiled; ` +
    `it runs as it was compiled. To run the sources as they are now, run \`canal run ${entry}\` or recompile with \`canal compile ${entry}\`\n`
  );
}

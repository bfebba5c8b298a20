// The injection cases every runtime runs: hostile values through one script step that prints its
// value in each quoting context a command template allows (fixtures/injection).
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { expect } from "vitest";
import { canal } from "../canal.js";

export const INJECTION_FIXTURE = join(import.meta.dirname, "fixtures/injection");

const runIdOf = (stdout: string) => /^run (run-[^\s:]+)/m.exec(stdout)?.[1] ?? "";

/** Values that create `sentinel` if they ever run as shell. */
function hostileValues(sentinel: string): string[] {
  return [
    `$(touch ${sentinel})`,
    `\`touch ${sentinel}\``,
    `; touch ${sentinel}`,
    `' ; touch ${sentinel} ; '`,
    `" ; touch ${sentinel} ; "`,
    `\\"; touch ${sentinel}; \\"`,
    `'"$(touch ${sentinel})"'`,
    `line one\ntouch ${sentinel}`,
    `a$IFS;touch$IFS${sentinel}`,
    "*",
    "-n",
    "",
    "\\",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a JavaScript template
    "$HOME ${HOME}",
  ];
}

/** What the fixture's command prints for `value`. */
function printed(value: string): string {
  return [value, value, `x${value}y`, `name: ${value}`, value, `--m=${value}`].map((v) => `${v}|`).join("");
}

/**
 * Runs the fixture in `dir` with every hostile value (`args`: e.g. `--target box`) and checks that
 * none ran as shell and each printed verbatim in every context.
 */
export async function expectValuesStayData(dir: string, args: string[]): Promise<void> {
  const sentinel = join(mkdtempSync(join(tmpdir(), "canal-injection-")), "pwned");
  const values = hostileValues(sentinel);
  const result = await canal(["run", "pipeline.ts", ...args, "-p", `msgs=${JSON.stringify(values)}`], dir);
  expect(result.status, result.stderr + result.stdout).toBe(0);
  expect(existsSync(sentinel)).toBe(false);
  const workspace = await openWorkspace(dir);
  try {
    const runId = runIdOf(result.stdout);
    for (const [index, value] of values.entries()) {
      const step = await workspace.metadata.getStepRun(runId, "show", index);
      const { out } = await workspace.metadata.getOutputs(step.id);
      const text = (await workspace.blobs.get((out as { digest: string }).digest)).toString();
      expect(text, JSON.stringify(value)).toBe(printed(value));
    }
  } finally {
    await workspace.close();
  }
}

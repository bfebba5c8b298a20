import type { Run } from "@canal/store";
import { describe, expect, it } from "vitest";
import { type WhyReport, whyLines } from "./why.js";

// What the store holds is whatever its writers wrote: a teammate's process, an older Canal, a hand.
const esc = "\u001b[2J";
const run = { id: "run-1", pipeline: `iris${esc}` } as Run;

describe("canal why's sentences", () => {
  it("show every character a terminal would act on as its escape, whatever part of the store it came from", () => {
    const reports: WhyReport[] = [
      { step: "train", status: "cached", reason: "cached", run: `run-x${esc}` },
      { step: "train", status: "failed", reason: "no-key", error: `boom\r\n${esc}` },
      { step: "train", status: "succeeded", reason: "same-key", run: `run-\u009b1m` },
      { step: "train", status: "succeeded", reason: "first", elsewhere: ["ci\u2028"] },
      {
        step: "train",
        status: "succeeded",
        reason: "changed",
        run: "run-0",
        changes: [
          {
            field: "input",
            name: "mode",
            before: '"a"',
            after: `"b${esc}"`,
            text: `input \`mode\` changed: "a" -> "b${esc}"`,
          },
        ],
      },
    ];
    const lines = reports.flatMap((report) => whyLines(report, run));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    }
    expect(lines[0]).toBe("reused from the cache (run run-x\\u001b[2J)");
    expect(lines[1]).toContain("boom\\r\\n\\u001b[2J");
    expect(lines[3]).toContain("pipeline iris\\u001b[2J");
    expect(lines[3]).toContain('"workspace": "ci\\u2028"');
    expect(lines[4]).toBe('input `mode` changed: "a" -> "b\\u001b[2J"');
  });
});

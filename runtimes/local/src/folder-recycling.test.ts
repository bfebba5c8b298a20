import { join } from "node:path";
import type { Step } from "@canal/ir";
import { timesShowEveryChange } from "@canal/runtime-core";
import {
  fromOutput,
  TestBed,
  testPipeline,
  testSnapshot,
  testStep,
  types,
  writeTestArtifact,
} from "@canal/runtime-core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalRuntime } from "./local-runtime.js";

let bed: TestBed;
let runtime: LocalRuntime;
beforeEach(() => {
  bed = new TestBed();
  runtime = new LocalRuntime({ cacheDir: join(bed.dir, "cache"), maxParallel: 1 });
});
afterEach(async () => {
  await runtime.close();
  bed.remove();
});

// Each step lists its whole folder as its command sees it, then names the folder by inode and birth.
const command = "test -f {x} && { ls -AR ..; stat -c '%i %w' ..; } > {data}";

describe.runIf(timesShowEveryChange(process.env.TMPDIR ?? "/tmp"))(
  "script steps on the local runtime",
  () => {
    it("see a fresh folder's layout when a finished step's folder serves the next one", async () => {
      const { digest, blobs } = testSnapshot({ README: "a snapshot\n" });
      const steps: Step[] = [
        testStep(
          "s1",
          {},
          { data: types.file },
          { kind: "SCRIPT", script: { snapshot: digest, command: "date > {data}", source: "./src" } },
        ),
      ];
      for (let i = 2; i <= 7; i++)
        steps.push(
          testStep(
            `s${i}`,
            { x: [types.file, fromOutput(`s${i - 1}`, "data")] },
            { data: types.file },
            {
              kind: "SCRIPT",
              script: { snapshot: digest, command, source: "./src" },
            },
          ),
        );
      const pipeline = writeTestArtifact(join(bed.dir, "artifact"), testPipeline(steps), blobs);
      const { summary, events } = await bed.run(pipeline, runtime, { maxParallel: 1 });
      expect(events.filter((event) => event.type === "step-failed")).toEqual([]);
      expect(summary.status).toBe("succeeded");
      const seen = events.flatMap((event) => {
        const data = event.type === "step-succeeded" && event.key !== "s1" ? event.outputs.data : undefined;
        return data && "digest" in data ? [String(bed.blobs.read(data.digest))] : [];
      });
      expect(seen).toHaveLength(6);
      const layout = "..:\nin\nout\nsrc\n\n../in:\nx\n\n../in/x:\ndata\n\n../out:\ndata\n\n../src:\nREADME\n";
      for (const text of seen)
        expect(text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1)).toBe(layout);
      // One folder served two steps or more.
      const folders = seen.map((text) => text.trim().split("\n").pop());
      expect(new Set(folders).size).toBeLessThan(folders.length);
    });
  },
);

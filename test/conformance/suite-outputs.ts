// The runtime conformance suite's (suite.ts) cases on what a run gives.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunEvent, StoredValue } from "@canal/runtime-core";
import { expect } from "vitest";
import { type CaseContext, digestOf, type Harness, problems, sequence } from "./suite-context.js";

/** The runtime conformance cases on what a run gives: outputs, events, logs, cache decisions, values. */
export function outputCases({ name, test, open }: CaseContext): void {
  test(
    "byte-identical-outputs",
    "gives byte-identical outputs in two workspaces and on a re-run",
    async () => {
      const a = await open();
      const b = await open();
      const first = await a.run("outputs");
      const second = await b.run("outputs");
      expect(first.summary).toMatchObject({
        status: "succeeded",
        steps: { make: "succeeded", list: "succeeded" },
      });
      expect(second.summary.status).toBe("succeeded");
      expect(Object.keys(first.summary.outputs).sort()).toEqual(["listing", "report", "tree"]);
      expect(second.summary.outputs).toEqual(first.summary.outputs);
      for (const output of ["report", "tree", "listing"]) {
        expect(await b.read(second.summary.outputs[output])).toEqual(
          await a.read(first.summary.outputs[output]),
        );
      }
      expect(await a.text(first.summary.outputs.report)).toBe("the same bytes everywhere\n".repeat(3));
      expect(await a.read(first.summary.outputs.tree)).toEqual(
        new Map([
          ["nested/bytes.bin", Buffer.from([0, 1, 2, 127, 128, 255])],
          ["text.txt", Buffer.from("the same bytes everywhere")],
        ]),
      );
      expect(await a.text(first.summary.outputs.listing)).toBe("./nested/bytes.bin 6\n./text.txt 25\n");

      const regenerated = await a.run("outputs", { regenerate: true });
      expect(regenerated.summary.steps).toEqual({ make: "succeeded", list: "succeeded" });
      expect(regenerated.summary.outputs).toEqual(first.summary.outputs);
    },
  );

  test("events", "emits the same events in the same order, and cached events on a re-run", async () => {
    const h = await open();
    const first = await h.run("events");
    expect(first.run.status, problems(first.events)).toBe("succeeded");
    expect(sequence(first.events)).toEqual([
      "step-queued greet",
      "step-queued measure",
      "step-started greet #1",
      "step-succeeded greet #1",
      "step-started measure #1",
      "step-succeeded measure #1",
    ]);
    expect(await h.text(first.summary.outputs.size)).toBe(`${"hello canal\n".length}\n`);
    const greetRun = await h.workspace.metadata.getStepRun(first.run.id, "greet");
    const log = await h.workspace.metadata.readLog(greetRun.id, 1);
    expect(log.chunks.map((c) => c.text).join("")).toContain("greeting canal");

    const second = await h.run("events");
    expect(second.run.status, problems(second.events)).toBe("succeeded");
    expect(sequence(second.events)).toEqual([
      "step-queued greet",
      "step-queued measure",
      "step-cached greet",
      "step-cached measure",
    ]);
    const keys = (events: RunEvent[]) =>
      events.flatMap((e) =>
        e.type === "step-succeeded" || e.type === "step-cached" ? [[e.key, e.cacheKey]] : [],
      );
    expect(keys(second.events)).toEqual(keys(first.events));
    expect(second.summary.outputs).toEqual(first.summary.outputs);
    const steps = await h.workspace.metadata.listStepRuns(second.run.id);
    expect(steps.map((s) => [s.stepId, s.status, s.reusedFrom?.runId])).toEqual([
      ["greet", "cached", first.run.id],
      ["measure", "cached", first.run.id],
    ]);
  });

  test("logs", "records each attempt's own output, complete, on the stream it was written to", async () => {
    const h = await open();
    // Several runs one after another: a step's last words must not reach the next step the
    // runtime runs (a warm worker, a reused container) instead of its own log.
    for (const item of [1, 2, 3, 4, 5]) {
      const { run, events } = await h.run("logs", { parameters: { item, word: `hi${item}` } });
      expect(run.status, problems(events)).toBe("succeeded");
      const recorded: Record<string, { stdout: string; stderr: string }> = {};
      for (const stepRun of await h.workspace.metadata.listStepRuns(run.id)) {
        const { chunks } = await h.workspace.metadata.readLog(stepRun.id, 1);
        const text = (stream: string) =>
          chunks
            .filter((c) => c.stream === stream)
            .map((c) => c.text)
            .join("");
        recorded[stepRun.stepId] = { stdout: text("stdout"), stderr: text("stderr") };
      }
      expect(recorded).toEqual({
        say: { stdout: `stdout of item ${item}\n`, stderr: `stderr of item ${item}\n` },
        speak: { stdout: `script says hi${item}\n`, stderr: "script warns\n" },
      });
    }
  });

  test(
    "cache",
    "reuses unchanged steps, re-runs changed ones, and cuts off when the bytes come out the same",
    async () => {
      const h = await open();
      const states = async (text?: string) =>
        (await h.run("cache", text === undefined ? {} : { parameters: { text } })).summary;

      const first = await states();
      expect(first.steps).toEqual({ normalize: "succeeded", shout: "succeeded" });
      expect(await h.text(first.outputs.loud)).toBe("HELLO CANAL\n");
      expect((await states()).steps).toEqual({ normalize: "cached", shout: "cached" });

      // Another parameter value that normalises to the same bytes: the upstream step must run
      // (its input changed), the downstream one is reused (its input did not).
      const cutoff = await states("  HELLO canal ");
      expect(cutoff.steps).toEqual({ normalize: "succeeded", shout: "cached" });
      expect(cutoff.outputs).toEqual(first.outputs);

      const changed = await states("Goodbye");
      expect(changed.steps).toEqual({ normalize: "succeeded", shout: "succeeded" });
      expect(await h.text(changed.outputs.loud)).toBe("GOODBYE\n");

      const regenerated = await h.run("cache", { regenerate: true });
      expect(regenerated.summary.steps).toEqual({ normalize: "succeeded", shout: "succeeded" });
      expect(regenerated.summary.outputs).toEqual(first.outputs);
    },
  );

  test(
    "parameters",
    "applies defaults and overrides, and refuses missing, mistyped and unknown parameters",
    async () => {
      const h = await open();
      const defaults = await h.run("params", { parameters: { count: 2 } });
      expect(defaults.run.status, problems(defaults.events)).toBe("succeeded");
      expect(defaults.run.parameters).toEqual({ count: 2, word: "item", loud: false });
      expect(await h.text(defaults.summary.outputs.text)).toBe("item x2\n");
      const overridden = await h.run("params", { parameters: { count: 3, word: "box", loud: true } });
      expect(await h.text(overridden.summary.outputs.text)).toBe("BOX x3\n");

      await expect(h.run("params", { parameters: { count: "two" } })).rejects.toThrow(
        /parameter `count`: Invalid input: expected number, received string \(got "two"\); pass a value of its type, e\.g\. -p count=1/,
      );
      await expect(h.run("params", {})).rejects.toThrow(
        "parameter `count` is required and has no default; pass it with -p count=VALUE",
      );
      await expect(h.run("params", { parameters: { count: 1, colour: "red" } })).rejects.toThrow(
        "pipeline params has no parameter `colour`; its parameters are count, word, loud",
      );
      // A refused run records nothing.
      expect(await h.workspace.metadata.listRuns()).toHaveLength(2);
    },
  );

  test(
    "fan-out-fan-in",
    "fans out over a parameter array and collects the results in item order",
    async () => {
      const h = await open();
      const first = await h.run("fan");
      expect(first.summary.steps).toEqual({
        "part[0]": "succeeded",
        "part[1]": "succeeded",
        "part[2]": "succeeded",
        gather: "succeeded",
      });
      // The items finish in another order than they are listed (their delays differ); the fan-in
      // still sees them in item order.
      expect(await h.text(first.summary.outputs.all)).toBe("delay 0.6\ndelay 0\ndelay 0.3\n");
      const steps = await h.workspace.metadata.listStepRuns(first.run.id);
      expect(steps.filter((s) => s.stepId === "part").map((s) => s.instance)).toEqual([0, 1, 2]);

      // Items are cached by content, whatever their position.
      const second = await h.run("fan", { parameters: { delays: [0.3, 0] } });
      expect(second.summary.steps).toEqual({
        "part[0]": "cached",
        "part[1]": "cached",
        gather: "succeeded",
      });
      expect(await h.text(second.summary.outputs.all)).toBe("delay 0.3\ndelay 0\n");
    },
  );

  test(
    "step-kinds",
    "runs TypeScript and script steps with their inputs, outputs, context and metrics",
    async () => {
      const h = await open();
      const { run, summary, events } = await h.run("kinds");
      expect(run.status, problems(events)).toBe("succeeded");
      const info = JSON.parse(await h.text(summary.outputs.info));
      expect(info).toEqual({ text: "abc", run: run.id, step: "describe", attempt: 1 });

      const report = JSON.parse(await h.text(summary.outputs.report));
      const [input, times, output] = report.argv as string[];
      expect(times).toBe("2");
      expect(report.env).toMatchObject({
        CANAL_RUN_ID: run.id,
        CANAL_STEP: "check",
        CANAL_ATTEMPT: "1",
        CANAL_INPUT_INFO: input,
        CANAL_PARAM_TIMES: "2",
        CANAL_OUTPUT_REPORT: output,
        CANAL_METRICS_FILE: expect.any(String),
      });
      expect(report.helper).toEqual({ input, times: 2, output, run: run.id, step: "check", attempt: 1 });
      expect(report.info).toEqual(info);

      const metrics = await h.workspace.metadata.getMetrics({ runId: run.id });
      expect(metrics.map((m) => [m.stepId, m.name, m.value])).toEqual(
        expect.arrayContaining([
          ["describe", "chars", 3],
          ["describe", "language", "typescript"],
          ["check", "times", 2],
          ["check", "language", "python"],
        ]),
      );
      expect(metrics).toHaveLength(4);
      const check = await h.workspace.metadata.getStepRun(run.id, "check");
      const log = await h.workspace.metadata.readLog(check.id, 1);
      expect(log.chunks.map((c) => c.text).join("")).toContain("check: report written");
    },
  );

  test(
    "corrupt-cache",
    "treats a corrupt cached output as a miss: the step re-runs and repairs it",
    async () => {
      const h = await open();
      const first = await h.run("cache");
      expect(first.run.status, problems(first.events)).toBe("succeeded");
      const blobFile = (value: StoredValue | undefined) => {
        const digest = digestOf(value);
        return join(String(h.workspace.config.artifacts.path), "sha256", digest.slice(0, 2), digest.slice(2));
      };
      const corrupt = (path: string) => {
        chmodSync(path, 0o644);
        const bytes = readFileSync(path);
        bytes[0] = (bytes[0] as number) ^ 0xff;
        writeFileSync(path, bytes);
      };

      corrupt(blobFile(first.summary.outputs.clean));
      expect(await h.workspace.blobs.verify(digestOf(first.summary.outputs.clean))).toBe("corrupt");
      const repaired = await h.run("cache");
      expect(repaired.run.status, problems(repaired.events)).toBe("succeeded");
      expect(repaired.summary.steps).toEqual({ normalize: "succeeded", shout: "cached" });
      expect(repaired.summary.outputs).toEqual(first.summary.outputs);
      expect(await h.workspace.blobs.verify(digestOf(first.summary.outputs.clean))).toBe("ok");
      expect(await h.text(repaired.summary.outputs.clean)).toBe("hello canal\n");

      // The downstream output this time: its step re-runs from the repaired upstream bytes.
      corrupt(blobFile(first.summary.outputs.loud));
      const again = await h.run("cache");
      expect(again.summary.steps).toEqual({ normalize: "cached", shout: "succeeded" });
      expect(await h.text(again.summary.outputs.loud)).toBe("HELLO CANAL\n");
      expect(again.events.some((e) => e.type === "step-failed")).toBe(false);
    },
  );

  test(
    "large-output",
    "passes a 1 GiB output between steps while the orchestrator's memory stays flat",
    async () => {
      const h = await open();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      let result: Awaited<ReturnType<Harness["run"]>>;
      try {
        result = await h.run("large");
      } finally {
        clearInterval(sampler);
      }
      expect(result.run.status, problems(result.events)).toBe("succeeded");
      expect((await h.text(result.summary.outputs.size)).trim()).toBe("1073741824");
      const big = await h.workspace.metadata.getOutputs(
        (await h.workspace.metadata.getStepRun(result.run.id, "produce")).id,
      );
      expect((await h.workspace.blobs.stat(digestOf(big.big)))?.size).toBe(1073741824);
      expect(peak - baseline).toBeLessThan(50 * 1024 * 1024);
    },
    180_000,
  );

  test(
    "output-escapes",
    "fails a step whose output lies outside its output folder, without retrying",
    async () => {
      const h = await open();
      const { run, events } = await h.run("escape");
      expect(run.status, problems(events)).toBe("failed");
      const failed = events.find((e) => e.type === "step-failed");
      expect(failed && "error" in failed ? failed.error : "").toMatch(
        /step leak output `out` is at \/etc\/hostname, outside its output folder .*; write outputs under context\(\)\.outputPath\("out"\)/,
      );
      expect(events.filter((e) => e.type === "step-started")).toHaveLength(1);
      expect(events.some((e) => e.type === "step-retrying")).toBe(false);
    },
  );
}

// The runtime conformance suite's (suite.ts) cases on steps that fail, overrun, are cancelled or retried.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { isRunning, processesWithEnv, waitFor } from "../helpers.js";
import { type CaseContext, problems, sequence, withoutLogs } from "./suite-context.js";

const pid = (path: string) => Number(readFileSync(path, "utf8").trim());

/** How many times a step's heartbeat file was appended to (one byte, or ".\n", each time). */
const beats = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").replace(/\n/g, "").length : 0);

/** Fails unless the heartbeat file `path` beat, and then stays the same for 0.5 s. */
async function heartbeatStopped(path: string): Promise<void> {
  const before = beats(path);
  expect(before, `${path} never beat`).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(beats(path), `${path} still beats`).toBe(before);
}

/** The runtime conformance cases on steps that fail, overrun, are cancelled or retried. */
export function failureCases({ hostPids, test, open }: CaseContext): void {
  test("retries", "retries a failing step with backoff until it succeeds", async () => {
    const h = await open();
    const counter = join(h.dir, "counter.txt");
    const { run, summary, events } = await h.run("retry", { parameters: { counter } });
    expect(run.status, problems(events)).toBe("succeeded");
    expect(sequence(events)).toEqual([
      "step-queued flaky",
      "step-started flaky #1",
      "step-retrying flaky #1",
      "step-started flaky #2",
      "step-retrying flaky #2",
      "step-started flaky #3",
      "step-succeeded flaky #3",
    ]);
    const retrying = events.flatMap((e) => (e.type === "step-retrying" ? [e] : []));
    expect(retrying.map((e) => e.delayMs)).toEqual([200, 400]);
    expect(retrying[0]?.error).toContain("flaky: attempt 1 fails");
    expect(readFileSync(counter, "utf8")).toBe("1\n2\n3\n");
    expect(await h.text(summary.outputs.out)).toBe("ok after 3 attempts\n");
    const stepRun = await h.workspace.metadata.getStepRun(run.id, "flaky");
    const attempts = await h.workspace.metadata.listAttempts(stepRun.id);
    expect(attempts.map((a) => [a.number, a.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "succeeded"],
    ]);
  });

  test(
    "failure",
    "fails the run when a step fails, skips its dependents, still finishes the rest",
    async () => {
      const h = await open();
      const { run, summary, events } = await h.run("failing");
      expect(run.status, problems(events)).toBe("failed");
      expect(run.error).toContain("broken");
      expect(summary.steps).toEqual({ broken: "failed", after: "skipped", independent: "succeeded" });
      const failed = events.find((e) => e.type === "step-failed");
      expect(failed).toMatchObject({ key: "broken", attempt: 1 });
      expect(failed && "error" in failed ? failed.error : "").toMatch(
        /exited with status 3[\s\S]*broken: the input is unusable/,
      );
      expect(events.find((e) => e.type === "step-skipped")).toMatchObject({
        key: "after",
        reason: expect.stringContaining("broken"),
      });
      expect(events.filter((e) => e.type === "step-started")).toHaveLength(2);
      expect(await h.text(summary.outputs.independent)).toBe("independent\n");

      const again = await h.run("failing");
      expect(again.summary.steps).toEqual({ broken: "failed", after: "skipped", independent: "cached" });
    },
  );

  test("timeout", "ends a step that overruns its timeout, with every process it started", async () => {
    const h = await open();
    const started = Date.now();
    const { run, summary, events } = await h.run("timeout", { parameters: { dir: h.dir } });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.status, problems(events)).toBe("failed");
    expect(summary.steps).toEqual({ holdScript: "failed", holdWorker: "failed" });
    for (const key of ["holdScript", "holdWorker"]) {
      const failed = events.find((e) => e.type === "step-failed" && e.key === key);
      expect(failed && "error" in failed ? failed.error : "").toContain("timed out");
    }
    await heartbeatStopped(join(h.dir, "script.beat"));
    await heartbeatStopped(join(h.dir, "worker.beat"));
    for (const file of hostPids ? ["script-shell.pid", "script-sleep.pid", "worker.pid"] : []) {
      expect(isRunning(pid(join(h.dir, file))), `${file} still running`).toBe(false);
    }
    expect(processesWithEnv("CANAL_RUN_ID", run.id)).toEqual([]);
  });

  test(
    "cancel",
    "cancels a run mid-step: the steps' processes end and the run is recorded as canceled",
    async () => {
      const h = await open();
      const controller = new AbortController();
      let runId = "";
      const running = h.run("cancel", {
        parameters: { dir: h.dir },
        signal: controller.signal,
        onStart: (run) => {
          runId = run.id;
        },
      });
      await waitFor(
        "both steps to start and beat",
        () =>
          ["script-sleep.pid", "worker.pid"].every((file) => existsSync(join(h.dir, file))) &&
          ["script.beat", "worker.beat"].every((file) => beats(join(h.dir, file)) >= 2),
      );
      const live = processesWithEnv("CANAL_RUN_ID", runId);
      if (hostPids) {
        expect(live).toEqual(
          expect.arrayContaining([
            pid(join(h.dir, "script-shell.pid")),
            pid(join(h.dir, "script-sleep.pid")),
          ]),
        );
      } else expect(live.length).toBeGreaterThan(0);
      const aborted = Date.now();
      controller.abort();
      const { run, summary, events } = await running;
      expect(Date.now() - aborted).toBeLessThan(10_000);
      expect(run.status, problems(events)).toBe("canceled");
      expect(summary).toMatchObject({
        status: "canceled",
        steps: { holdScript: "canceled", holdWorker: "canceled", after: "canceled" },
      });
      expect(
        withoutLogs(events)
          .filter((e) => e.type === "step-canceled")
          .map((e) => e.key)
          .sort(),
      ).toEqual(["after", "holdScript", "holdWorker"]);
      await heartbeatStopped(join(h.dir, "script.beat"));
      await heartbeatStopped(join(h.dir, "worker.beat"));
      for (const file of hostPids ? ["script-shell.pid", "script-sleep.pid", "worker.pid"] : []) {
        expect(isRunning(pid(join(h.dir, file))), `${file} still running`).toBe(false);
      }
      expect(processesWithEnv("CANAL_RUN_ID", run.id)).toEqual([]);
      expect((await h.workspace.metadata.getRun(run.id)).status).toBe("canceled");
      const steps = await h.workspace.metadata.listStepRuns(run.id);
      expect(steps.map((s) => s.status)).toEqual(["canceled", "canceled", "canceled"]);
    },
  );

  test("command-not-found", "fails a step whose command is not found, without retrying", async () => {
    const h = await open();
    const { run, events } = await h.run("missing");
    expect(run.status, problems(events)).toBe("failed");
    const failed = events.find((e) => e.type === "step-failed");
    expect(failed && "error" in failed ? failed.error : "").toMatch(
      /step summon: command not found .*canal-no-such-command.*; install `canal-no-such-command` or fix the step's `run`/,
    );
    expect(events.filter((e) => e.type === "step-started")).toHaveLength(1);
    expect(events.some((e) => e.type === "step-retrying")).toBe(false);
  });
}

// The scheduler on a real SQLite workspace with a clock the test moves: no waiting. Runs are not
// started here (test/server/schedules.test.ts starts real ones): `fire` records what it was asked.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initWorkspace, type NewSchedule, openWorkspace, type Schedule, type Workspace } from "@canal/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkCron } from "./schedule-cron.js";
import { baselineState, changeSchedule } from "./schedule-define.js";
import { CATCH_UP_LIMIT, type Clock, type FireRequest, Scheduler, STALE_CLAIM_MS } from "./scheduler.js";

let dir: string;
let workspace: Workspace;
let clock: Clock & { t: number };
let fired: FireRequest[];
let failNext: string | undefined;
const opened: Workspace[] = [];

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function scheduler(on: Workspace = workspace): Scheduler {
  return new Scheduler({
    workspace: on,
    clock,
    dataPollMs: 0,
    fire: async (request) => {
      if (failNext) {
        const message = failNext;
        failNext = undefined;
        throw new Error(message);
      }
      fired.push(request);
      return `run-${fired.length}`;
    },
  });
}

async function schedule(fields: Partial<NewSchedule> = {}): Promise<Schedule> {
  return workspace.metadata.createSchedule({
    name: "hourly",
    endpoint: "score",
    kind: "cron",
    cron: "0 * * * *",
    timezone: "UTC",
    createdAt: clock.t,
    ...fields,
  });
}

async function ticks(name = "hourly") {
  const found = (await workspace.metadata.getSchedule(name)) as Schedule;
  return (await workspace.metadata.listTicks(found.id, { limit: 1000 }))
    .reverse()
    .map((t) => [iso(t.scheduledAt), t.status, ...(t.runId ? [t.runId] : [])]);
}

const firedAt = () => fired.map((f) => iso(f.scheduledAt));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-scheduler-"));
  initWorkspace(dir, "sched");
  const configPath = join(dir, "canal.config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
  config.datastores = { raw: { kind: "local", path: "data/raw" } };
  writeFileSync(configPath, JSON.stringify(config));
  mkdirSync(join(dir, "data/raw/in"), { recursive: true });
  workspace = await openWorkspace(dir);
  clock = { t: at("2026-03-01T00:30:00Z"), now: () => clock.t, sleep: async () => {} };
  fired = [];
  failNext = undefined;
});

afterEach(async () => {
  for (const other of opened.splice(0)) await other.close();
  await workspace.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the scheduler", () => {
  it("fires each slot as it comes due, once, and records the run it started", async () => {
    await schedule();
    const running = scheduler();
    clock.t = at("2026-03-01T00:59:59Z");
    const wait = await running.evaluate();
    expect(fired).toEqual([]);
    expect(wait).toBeLessThanOrEqual(1000);
    clock.t = at("2026-03-01T01:00:00.250Z");
    await running.evaluate();
    clock.t = at("2026-03-01T02:00:01Z");
    await running.evaluate();
    await running.evaluate();
    expect(firedAt()).toEqual(["2026-03-01T01:00:00.000Z", "2026-03-01T02:00:00.000Z"]);
    expect(await ticks()).toEqual([
      ["2026-03-01T01:00:00.000Z", "fired", "run-1"],
      ["2026-03-01T02:00:00.000Z", "fired", "run-2"],
    ]);
  });

  it("records the slots of a downtime as missed with catch-up none, and fires the next on time", async () => {
    await schedule({ catchUp: "none" });
    clock.t = at("2026-03-01T03:05:00Z");
    const running = scheduler();
    await running.evaluate();
    expect(fired).toEqual([]);
    clock.t = at("2026-03-01T04:00:00Z");
    await running.evaluate();
    expect(await ticks()).toEqual([
      ["2026-03-01T01:00:00.000Z", "missed"],
      ["2026-03-01T02:00:00.000Z", "missed"],
      ["2026-03-01T03:00:00.000Z", "missed"],
      ["2026-03-01T04:00:00.000Z", "fired", "run-1"],
    ]);
  });

  it("treats slots reached long after they came due (the machine slept) as a downtime", async () => {
    await schedule({ catchUp: "none" });
    const running = scheduler();
    clock.t = at("2026-03-01T01:00:30Z");
    await running.evaluate();
    clock.t = at("2026-03-01T04:00:20Z");
    await running.evaluate();
    expect(await ticks()).toEqual([
      ["2026-03-01T01:00:00.000Z", "fired", "run-1"],
      ["2026-03-01T02:00:00.000Z", "missed"],
      ["2026-03-01T03:00:00.000Z", "missed"],
      ["2026-03-01T04:00:00.000Z", "fired", "run-2"],
    ]);
  });

  it("fires only the latest slot of a downtime with catch-up latest, skipping the others", async () => {
    await schedule({ catchUp: "latest" });
    clock.t = at("2026-03-01T03:05:00Z");
    await scheduler().evaluate();
    expect(firedAt()).toEqual(["2026-03-01T03:00:00.000Z"]);
    expect(await ticks()).toEqual([
      ["2026-03-01T01:00:00.000Z", "skipped"],
      ["2026-03-01T02:00:00.000Z", "skipped"],
      ["2026-03-01T03:00:00.000Z", "fired", "run-1"],
    ]);
  });

  it(`fires every slot of a downtime with catch-up all, the latest ${CATCH_UP_LIMIT} of them`, async () => {
    await schedule({ catchUp: "all" });
    clock.t = at("2026-03-01T03:05:00Z");
    await scheduler().evaluate();
    expect(firedAt()).toEqual([
      "2026-03-01T01:00:00.000Z",
      "2026-03-01T02:00:00.000Z",
      "2026-03-01T03:00:00.000Z",
    ]);

    await schedule({ name: "minutely", cron: "* * * * *", catchUp: "all", createdAt: clock.t });
    fired = [];
    clock.t += 250 * 60_000;
    await scheduler().evaluate();
    expect(fired.filter((f) => f.schedule.name === "minutely")).toHaveLength(CATCH_UP_LIMIT);
    const minutely = await ticks("minutely");
    expect(minutely).toHaveLength(CATCH_UP_LIMIT + 1);
    expect(minutely[0]?.[1]).toBe("missed");
    const summary = (
      await workspace.metadata.listTicks(
        ((await workspace.metadata.getSchedule("minutely")) as Schedule).id,
        { limit: 1000 },
      )
    ).at(-1);
    expect(summary?.reason).toContain("149 earlier slots");
  });

  it("re-anchors an edited cron at the edit: no slot from before it fires, whatever the catch-up", async () => {
    const made = await schedule({ catchUp: "all" });
    // The server is down from 00:30; at 02:45 the schedule is edited to minute 30; at 03:00 a
    // server starts. Slots of 01:00 and 02:00 (old cron) and 01:30, 02:30 (new) are all before the edit.
    clock.t = at("2026-03-01T02:45:00Z");
    const update = await changeSchedule(workspace, made, { cron: "30 * * * *" }, clock.t);
    expect(update.reanchorAt).toBe(clock.t);
    await workspace.metadata.updateSchedule("hourly", update);
    clock.t = at("2026-03-01T03:00:00Z");
    const running = scheduler();
    await running.evaluate();
    expect(fired).toEqual([]);
    expect(await ticks()).toEqual([]);
    clock.t = at("2026-03-01T03:30:00Z");
    await running.evaluate();
    expect(await ticks()).toEqual([["2026-03-01T03:30:00.000Z", "fired", "run-1"]]);
    // An edit that changes neither the cron nor the zone keeps the anchor.
    const same = await changeSchedule(
      workspace,
      (await workspace.metadata.getSchedule("hourly")) as Schedule,
      { cron: "30 * * * *", catchUp: "none" },
      clock.t,
    );
    expect(same.reanchorAt).toBeUndefined();
  });

  it("skips the slots of a pause, and a resume fires none of them", async () => {
    await schedule({ catchUp: "all", paused: true });
    const running = scheduler();
    clock.t = at("2026-03-01T02:10:00Z");
    await running.evaluate();
    expect(fired).toEqual([]);
    expect((await ticks()).map((t) => t[1])).toEqual(["skipped", "skipped"]);
    // Paused on, with no server from 02:10 to 04:20; resumed at 04:20 before one starts.
    clock.t = at("2026-03-01T04:20:00Z");
    const paused = (await workspace.metadata.getSchedule("hourly")) as Schedule;
    await workspace.metadata.updateSchedule(
      "hourly",
      await changeSchedule(workspace, paused, { paused: false }, clock.t),
    );
    const restarted = scheduler();
    await restarted.evaluate();
    expect(fired).toEqual([]);
    clock.t = at("2026-03-01T05:00:00Z");
    await restarted.evaluate();
    expect(firedAt()).toEqual(["2026-03-01T05:00:00.000Z"]);
    expect((await ticks()).map((t) => t[0])).not.toContain("2026-03-01T03:00:00.000Z");
  });

  it("reads the cron in its zone across daylight saving changes", async () => {
    clock.t = at("2026-03-27T12:00:00Z");
    // Catch-up all: the days pass in one step of the clock, and every slot fires.
    await schedule({ cron: "30 2 * * *", timezone: "Europe/Madrid", catchUp: "all" });
    const running = scheduler();
    clock.t = at("2026-03-31T00:00:00Z");
    await running.evaluate();
    // 02:30 CET is 01:30Z; on 29 March 02:30 does not exist in Madrid (02:00 -> 03:00): it fires
    // at 03:00 CEST, 01:00Z; from then 02:30 CEST is 00:30Z.
    expect(firedAt()).toEqual([
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
    fired = [];
    await workspace.metadata.createSchedule({
      name: "autumn",
      endpoint: "score",
      kind: "cron",
      cron: "30 2 * * *",
      timezone: "Europe/Madrid",
      catchUp: "all",
      createdAt: at("2026-10-23T12:00:00Z"),
    });
    clock.t = at("2026-10-27T00:00:00Z");
    await running.evaluate();
    // On 25 October 02:30 happens twice (03:00 CEST -> 02:00 CET): it fires once, at the first.
    expect(fired.filter((f) => f.schedule.name === "autumn").map((f) => iso(f.scheduledAt))).toEqual([
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  it("fires a slot once across schedulers racing on one store, and across a restart", async () => {
    await schedule({ cron: "*/10 * * * *", catchUp: "all" });
    const others = await Promise.all([1, 2, 3].map(() => openWorkspace(dir)));
    opened.push(...others);
    const schedulers = [scheduler(), ...others.map((other) => scheduler(other))];
    for (const minutes of [10, 20, 30, 40]) {
      clock.t = at("2026-03-01T00:30:00Z") + minutes * 60_000;
      await Promise.all(schedulers.map((s) => s.evaluate()));
    }
    expect(firedAt()).toEqual([
      "2026-03-01T00:40:00.000Z",
      "2026-03-01T00:50:00.000Z",
      "2026-03-01T01:00:00.000Z",
      "2026-03-01T01:10:00.000Z",
    ]);
    // A server claimed the slot of 01:20 and stopped before its run started: a server started
    // after it does not fire that slot again (at most once), and catches up the next.
    const made = (await workspace.metadata.getSchedule("hourly")) as Schedule;
    await workspace.metadata.claimTick({
      scheduleId: made.id,
      scheduledAt: at("2026-03-01T01:20:00Z"),
      status: "claimed",
      at: at("2026-03-01T01:25:00Z"),
    });
    clock.t = at("2026-03-01T01:35:00Z");
    await scheduler().evaluate();
    expect(firedAt().slice(4)).toEqual(["2026-03-01T01:30:00.000Z"]);
    const all = await ticks();
    expect(new Set(all.map((t) => t[0])).size).toBe(all.length);
    expect(all.filter((t) => t[1] === "fired")).toHaveLength(fired.length);
    expect(all.find((t) => t[0] === "2026-03-01T01:20:00.000Z")?.[1]).toBe("claimed");
    // Long after, the stale claim is recorded as failed, and still not fired.
    clock.t += STALE_CLAIM_MS + 60_000;
    await scheduler().evaluate();
    const [stale] = (await workspace.metadata.listTicks(made.id, { limit: 100 })).filter(
      (t) => t.scheduledAt === at("2026-03-01T01:20:00Z"),
    );
    expect(stale).toMatchObject({
      status: "failed",
      error: expect.stringContaining("stopped before its run started"),
    });
    expect(firedAt()).not.toContain("2026-03-01T01:20:00.000Z");
  });

  it("records a run that failed to start as a failed tick with the error", async () => {
    await schedule();
    const running = scheduler();
    clock.t = at("2026-03-01T01:00:00Z");
    failNext = "endpoint score has no version 3";
    await running.evaluate();
    const [tick] = await workspace.metadata.listTicks(
      ((await workspace.metadata.getSchedule("hourly")) as Schedule).id,
    );
    expect(tick).toMatchObject({ status: "failed", error: "endpoint score has no version 3" });
  });

  it("checks a cron and its zone, naming the field and the fix", () => {
    expect(() => checkCron("61 * * * *", "UTC")).toThrow(/CANAL|cron/);
    expect(() => checkCron("61 * * * *", "UTC")).toThrowError(
      expect.objectContaining({ code: "CANAL_SCHEDULE_CRON_INVALID" }),
    );
    expect(() => checkCron("0 3 * *", "UTC")).toThrowError(
      expect.objectContaining({
        code: "CANAL_SCHEDULE_CRON_INVALID",
        message: expect.stringContaining("4 fields"),
      }),
    );
    expect(() => checkCron("0 3 * * *", "Europe/Madridd")).toThrowError(
      expect.objectContaining({
        code: "CANAL_SCHEDULE_TIMEZONE_INVALID",
        message: expect.stringContaining("--tz"),
      }),
    );
    expect(checkCron("*/5 * * * * *", "Europe/Madrid")).toBeDefined();
  });
});

describe("a data trigger", () => {
  const raw = (path: string) => join(dir, "data/raw", path);

  it("fires one run for a burst of changes once they settle, with the changed paths", async () => {
    writeFileSync(raw("in/old.csv"), "old\n");
    writeFileSync(raw("elsewhere.csv"), "x\n");
    await workspace.metadata.createSchedule({
      name: "on-drop",
      endpoint: "score",
      kind: "data",
      datastore: "raw",
      path: "in/**",
      debounceMs: 60_000,
      pathsParam: "changed",
      state: await baselineState(workspace, "raw", "in/**"),
      createdAt: clock.t,
    });
    const running = scheduler();
    await running.evaluate();
    expect(fired).toEqual([]);
    writeFileSync(raw("in/a.csv"), "a\n");
    writeFileSync(raw("in/b.csv"), "b\n");
    clock.t += 10_000;
    await running.evaluate();
    writeFileSync(raw("in/old.csv"), "changed\n");
    writeFileSync(raw("elsewhere.csv"), "not watched\n");
    clock.t += 30_000;
    await running.evaluate();
    clock.t += 50_000; // 50 s after the last change: not settled yet
    await running.evaluate();
    expect(fired).toEqual([]);
    clock.t += 11_000;
    await running.evaluate();
    await running.evaluate();
    expect(fired).toHaveLength(1);
    expect(fired[0]?.paths).toEqual(["in/a.csv", "in/b.csv", "in/old.csv"]);
    const [tick] = await ticks("on-drop");
    expect(tick).toEqual([iso(at("2026-03-01T00:30:10Z")), "fired", "run-1"]);
    // Quiet from then on: nothing more fires; the next change is a batch of its own.
    clock.t += 120_000;
    await running.evaluate();
    rmSync(raw("in/a.csv"));
    clock.t += 1000;
    await running.evaluate();
    clock.t += 120_000;
    await running.evaluate();
    expect(fired).toHaveLength(1);
    writeFileSync(raw("in/c.csv"), "c\n");
    await running.evaluate();
    clock.t += 61_000;
    await running.evaluate();
    expect(fired.map((f) => f.paths)).toEqual([["in/a.csv", "in/b.csv", "in/old.csv"], ["in/c.csv"]]);
  });

  it("gives a batch to one of two schedulers watching the same trigger", async () => {
    await workspace.metadata.createSchedule({
      name: "on-drop",
      endpoint: "score",
      kind: "data",
      datastore: "raw",
      path: "in",
      debounceMs: 0,
      pathsParam: "changed",
      state: await baselineState(workspace, "raw", "in"),
    });
    const other = await openWorkspace(dir);
    opened.push(other);
    const pair = [scheduler(), scheduler(other)];
    writeFileSync(raw("in/a.csv"), "a\n");
    for (let i = 0; i < 4; i++) {
      clock.t += 1000;
      await Promise.all(pair.map((s) => s.evaluate()));
    }
    expect(fired).toHaveLength(1);
    expect(await ticks("on-drop")).toHaveLength(1);
  });
});

// Two users of one team workspace, each in a directory of their own on a "machine" of their own
// (CANAL_HOSTNAME), sharing a real PostgreSQL server and an S3 bucket (Ceph RGW) started here:
// B reuses A's results, lists A's runs, cancels a run A drives, sees A's killed driver as
// interrupted and takes its step over, and when both start the same pipeline at once every step
// executes once in all (single-flight): the other run waits and reuses the result.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CanalProcesses } from "../cli-processes.js";
import { makeProject, processesWithEnv, waitFor } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-team";
const KEY_ENV = "CANAL_TEST_TEAM_S3_KEY";
const SECRET_ENV = "CANAL_TEST_TEAM_S3_SECRET";
const fixture = join(import.meta.dirname, "fixtures/flight");
// Every process this file starts carries it: what is left over is found by it and ended by PID.
const MARK = `team-${randomUUID()}`;
// A driver beats every 200 ms and is called gone after a second without one; a claim lasts as long.
const CONTROL = { CANAL_HEARTBEAT_MS: "200", CANAL_HEARTBEAT_STALE_MS: "1000", CANAL_CANCEL_POLL_MS: "100" };

let pg: PostgresServer;
let rgw: Rgw;
let bucket: TestBucket;
let scratch: string;

interface User {
  name: string;
  host: string;
  dir: string;
}
let ana: User;
let bo: User;

const processes = new CanalProcesses();
const gates: string[] = [];

/** `canal ARGS` as its own process, as `user` on their machine, in their workspace. */
function start(user: User, args: string[]) {
  return processes.start(args, {
    cwd: user.dir,
    env: { ...CONTROL, CANAL_HOSTNAME: user.host, TEAM_TEST_MARK: MARK },
  });
}

function exec(user: User, args: string[]) {
  return processes.exec(args, {
    cwd: user.dir,
    env: { ...CONTROL, CANAL_HOSTNAME: user.host, TEAM_TEST_MARK: MARK },
  });
}

/** Polls a condition until it holds, for a minute: a run across two machines takes its time. */
const until = (what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 60_000) =>
  waitFor(what, ready, timeoutMs);

const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

/** A fresh counter file and gate prefix for one case: its parameters (and so its cache keys) are its own. */
function caseFiles(name: string, gated: boolean) {
  const counter = join(scratch, `${name}.count`);
  const prefix = join(scratch, `${name}.gate`);
  if (gated) gates.push(...["first", "second", "third"].map((step) => `${prefix}.${step}`));
  const params = ["-p", `counter=${counter}`, ...(gated ? ["-p", `gates=${prefix}`] : [])];
  return {
    params,
    open: (step: string) => writeFileSync(`${prefix}.${step}`, ""),
    executions: () => (existsSync(counter) ? readFileSync(counter, "utf8").split("\n").filter(Boolean) : []),
  };
}

/** `canal runs show RUN --json` as `user`: the run as their machine sees it. */
async function shown(user: User, runId: string) {
  const result = await exec(user, ["runs", "show", runId, "--json"]);
  expect(result.status, result.output).toBe(0);
  return JSON.parse(result.output) as {
    run: { status: string; startedBy?: string; host?: string; reason?: string };
    steps: Array<{ stepId: string; status: string; reusedFrom?: { runId: string } }>;
  };
}

function workspace(name: string, host: string): User {
  const dir = makeProject({ from: fixture });
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: "team",
      user: name,
      store: { kind: "postgres", url: pg.url("canal") },
      artifacts: bucket.config({ prefix: "team" }),
    }),
  );
  return { name, host, dir };
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "canal-team-"));
  pg = await startPostgres();
  pg.psql("CREATE DATABASE canal");
  rgw = await startRgw();
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  ana = workspace("ana", "host-a");
  bo = workspace("bo", "host-b");
  for (const user of [ana, bo]) {
    const compiled = await exec(user, ["compile", "pipeline.ts"]);
    expect(compiled.status, compiled.output).toBe(0);
  }
}, 900_000);

afterAll(async () => {
  for (const gate of gates) writeFileSync(gate, "");
  await processes.stopAll();
  for (const pid of processesWithEnv("TEAM_TEST_MARK", MARK)) process.kill(pid, "SIGKILL");
  bucket?.release();
  await rgw?.stop();
  await pg?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const RUN = ["run", "canal-out/flight"];

describe("two users sharing PostgreSQL and S3", () => {
  it("B reuses every step of A's run, and lists A's runs by user", async () => {
    const files = caseFiles("reuse", false);
    const a = await exec(ana, [...RUN, ...files.params]);
    expect(a.status, a.output).toBe(0);
    const b = await exec(bo, [...RUN, ...files.params]);
    expect(b.status, b.output).toBe(0);
    expect(b.output).toContain("first: cached\n");
    const bRun = await shown(bo, runIdOf(b.output));
    expect(bRun.run).toMatchObject({ status: "succeeded", startedBy: "bo", host: "host-b" });
    expect(bRun.steps.map((s) => [s.stepId, s.status, s.reusedFrom?.runId])).toEqual([
      ["first", "cached", runIdOf(a.output)],
      ["second", "cached", runIdOf(a.output)],
      ["third", "cached", runIdOf(a.output)],
    ]);
    expect(files.executions()).toEqual(["first", "second", "third"]);

    const listed = await exec(bo, ["runs", "--user", "ana", "--json"]);
    expect(listed.status, listed.output).toBe(0);
    const runs = JSON.parse(listed.output) as Array<{ id: string; startedBy?: string; host?: string }>;
    expect(runs.map((r) => r.id)).toContain(runIdOf(a.output));
    expect(runs.map((r) => r.id)).not.toContain(runIdOf(b.output));
    expect(runs.every((r) => r.startedBy === "ana")).toBe(true);
  }, 300_000);

  it("B cancels a run A drives: A's run ends canceled", async () => {
    const files = caseFiles("cancel", true);
    const a = start(ana, [...RUN, ...files.params]);
    await until("A's first step to run", () => a.output().includes("first: started"));
    const runId = runIdOf(a.output());
    const cancel = await exec(bo, ["cancel", runId, "--reason", "wrong data"]);
    expect(cancel.status, cancel.output).toBe(0);
    expect(await a.exited).not.toBe(0);
    expect(a.output()).toContain(`run ${runId} canceled`);
    expect((await shown(ana, runId)).run.status).toBe("canceled");
    // Its claim went with it: B runs the step itself at once, without waiting.
    files.open("first");
    files.open("second");
    files.open("third");
    const b = await exec(bo, [...RUN, ...files.params]);
    expect(b.status, b.output).toBe(0);
    expect(b.output).not.toContain("waiting for");
    expect(files.executions()).toEqual(["first", "first", "second", "third"]);
  }, 300_000);

  it("B sees A's killed driver as interrupted once its heartbeat is stale, and takes its step over", async () => {
    const files = caseFiles("killed", true);
    const a = start(ana, [...RUN, ...files.params]);
    await until("A's first step to run", () => a.output().includes("first: started"));
    const runId = runIdOf(a.output());
    // B needs the same step: it waits for A's result.
    const b = start(bo, [...RUN, ...files.params]);
    await until("B to wait for A", () => b.output().includes(`first: waiting for ${runId} on host-a`));
    a.child.kill("SIGKILL");
    await a.exited;
    await until(
      "A's run to be interrupted",
      async () => (await shown(bo, runId)).run.status === "interrupted",
    );
    expect((await shown(bo, runId)).run.reason).toContain("host-a");
    // A's claim expired with its heartbeat: B executes the step itself.
    await until("B to take the step over", () => files.executions().length === 2);
    files.open("first");
    files.open("second");
    files.open("third");
    expect(await b.exited, b.output()).toBe(0);
    expect(b.output()).toContain("first: started");
    expect(b.output()).not.toContain("first: cached");
    expect(files.executions()).toEqual(["first", "first", "second", "third"]);
  }, 300_000);

  it("A and B start the same pipeline at once: each step executes once, the other run waits for it", async () => {
    const files = caseFiles("together", true);
    const a = start(ana, [...RUN, ...files.params]);
    const b = start(bo, [...RUN, ...files.params]);
    const both = () => a.output() + b.output();
    for (const step of ["first", "second", "third"]) {
      await until(
        `one run to execute ${step} and the other to wait for it`,
        () => both().includes(`${step}: started`) && both().includes(`${step}: waiting for run-`),
      );
      files.open(step);
    }
    expect(await a.exited, a.output()).toBe(0);
    expect(await b.exited, b.output()).toBe(0);
    expect(files.executions()).toEqual(["first", "second", "third"]);
    // Whichever run got to a step first executed it; the other waited for it and reused its result.
    const runs = [
      { run: a, user: ana, id: runIdOf(a.output()) },
      { run: b, user: bo, id: runIdOf(b.output()) },
    ];
    for (const step of ["first", "second", "third"]) {
      const [executed, waited] = runs[0]?.run.output().includes(`${step}: succeeded`)
        ? [runs[0], runs[1]]
        : [runs[1], runs[0]];
      expect(executed?.run.output()).toContain(`${step}: succeeded`);
      expect(waited?.run.output()).toContain(
        `${step}: cached (waited for ${executed?.id} on ${executed?.user.host})`,
      );
      const record = await shown(waited?.user as User, waited?.id ?? "");
      expect(record.steps.find((s) => s.stepId === step)).toMatchObject({
        status: "cached",
        reusedFrom: { runId: executed?.id },
      });
    }
  }, 300_000);
});

// Schedules run by a real `canal serve`: a per-second cron fires real runs (driver processes), a
// restart of the server in the middle fires no slot twice, and a data trigger on a local
// datastore fires one run for a burst of file changes, with the changed paths.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");
const fixture = join(import.meta.dirname, "fixtures/scheduled");

let dir: string;
/** The servers running; the API is asked through the first. */
const servers: ChildProcess[] = [];
let base = "";
let secret = "";
let launcherSecret = "";

interface Tick {
  scheduledAt: number;
  status: string;
  runId?: string;
  paths?: string[];
}
interface Run {
  id: string;
  status: string;
  startedBy?: string;
  parameters: Record<string, unknown>;
}

async function api<T>(path: string): Promise<T> {
  const answer = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${secret}` } });
  expect(answer.status, `${path}: ${await answer.clone().text()}`).toBe(200);
  return (await answer.json()) as T;
}

const ticks = async (name: string) => (await api<{ ticks: Tick[] }>(`/schedules/${name}?limit=500`)).ticks;
const runsBy = async (user: string) =>
  (await api<{ runs: Run[] }>(`/runs?limit=500&user=${encodeURIComponent(`schedule:${user}`)}`)).runs;

/** Waits for `ready` to hold, asking again after each answer. */
async function until(what: string, ready: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startServer(): Promise<ChildProcess> {
  let output = "";
  const started = spawn(process.execPath, [cli, "serve", "--port", "0", "--data-poll", "200ms"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  started.stdout?.on("data", collect);
  started.stderr?.on("data", collect);
  servers.push(started);
  const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
  await waitFor("canal serve to listen", () => listening.test(output), 30_000);
  if (servers[0] === started) base = (listening.exec(output) as RegExpExecArray)[1] as string;
  return started;
}

async function stopServer(running: ChildProcess): Promise<void> {
  servers.splice(servers.indexOf(running), 1);
  if (running.exitCode !== null) return;
  const exited = new Promise((resolve) => running.once("close", resolve));
  running.kill("SIGTERM");
  await exited;
}

beforeAll(async () => {
  dir = makeProject({ from: fixture });
  expect((await canal(["init", "."], dir)).status).toBe(0);
  const configPath = join(dir, "canal.config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
  config.datastores = { drop: { kind: "local", path: "drop" } };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  mkdirSync(join(dir, "drop/in"), { recursive: true });
  writeFileSync(join(dir, "drop/in/before.csv"), "there before the trigger\n");
  const compiled = await canal(["compile", "pipeline.ts"], dir);
  expect(compiled.status, compiled.stderr).toBe(0);
  const published = await canal(["publish", "canal-out/scheduled", "--name", "stamp"], dir);
  expect(published.status, published.stderr).toBe(0);
  const made = await canal(["tokens", "create", "--role", "viewer", "--json"], dir);
  secret = (JSON.parse(made.stdout) as { secret: string }).secret;
  const launcher = await canal(["tokens", "create", "--role", "launcher", "--json"], dir);
  launcherSecret = (JSON.parse(launcher.stdout) as { secret: string }).secret;
}, 120_000);

afterAll(async () => {
  for (const running of [...servers]) await stopServer(running);
});

describe("canal schedules", () => {
  it("refuses a cron or a zone that is not one, naming the option and the fix", async () => {
    const cron = await canal(["schedules", "create", "stamp", "--cron", "61 * * * *"], dir);
    expect(cron.status).toBe(1);
    expect(cron.stderr).toContain("CANAL_SCHEDULE_CRON_INVALID");
    expect(cron.stderr).toContain("--cron");
    const zone = await canal(
      ["schedules", "create", "stamp", "--cron", "0 3 * * *", "--tz", "Nowhere/City"],
      dir,
    );
    expect(zone.status).toBe(1);
    expect(zone.stderr).toContain("CANAL_SCHEDULE_TIMEZONE_INVALID");
    expect(zone.stderr).toContain("Europe/Madrid");
    const param = await canal(
      ["schedules", "create", "stamp", "--cron", "0 3 * * *", "-p", "scheduled_time=x"],
      dir,
    );
    expect(param.status).toBe(1);
    expect(param.stderr).toContain("filled in by the schedule");
    const paths = await canal(
      ["schedules", "create", "stamp", "--on-change", "drop:in", "--paths-param", "label2"],
      dir,
    );
    expect(paths.status).toBe(1);
    expect(paths.stderr).toContain("declares no parameter `label2`");
    const endpoint = await canal(["schedules", "create", "nope", "--cron", "0 3 * * *"], dir);
    expect(endpoint.status).toBe(1);
    expect(endpoint.stderr).toContain("CANAL_SCHEDULE_INVALID: no endpoint nope");
    expect(endpoint.stderr).toContain("stamp");
    const listed = await canal(["schedules"], dir);
    expect(listed.stdout).toContain("no schedules");
  });

  it("fires a per-second schedule through a restart of the server and beside a second one, each slot once, each with its run", async () => {
    const made = await canal(
      ["schedules", "create", "stamp", "--cron", "* * * * * *", "--name", "every-second", "-p", "label=sec"],
      dir,
    );
    expect(made.status, made.stderr).toBe(0);
    const first = await startServer();
    const fired = async () => (await ticks("every-second")).filter((t) => t.status === "fired");
    await until("two ticks fired", async () => (await fired()).length >= 2);
    await stopServer(first);
    const before = (await canal(["schedules", "show", "every-second", "--json"], dir)).stdout;
    const firedBefore = (JSON.parse(before) as { ticks: Tick[] }).ticks.filter(
      (t) => t.status === "fired",
    ).length;
    // Restarted, and a second server on the same store: both race for every slot.
    await Promise.all([startServer(), startServer()]);
    await until(
      "three more ticks fired after the restart",
      async () => (await fired()).length >= firedBefore + 3,
    );
    expect((await canal(["schedules", "pause", "every-second"], dir)).status).toBe(0);
    // A tick being fired when the pause was made ends fired; none is left claimed, and a pass
    // made since the pause has skipped the newest slot.
    await until("the pause to be seen, no tick left claimed", async () => {
      const now = await ticks("every-second");
      return now[0]?.status === "skipped" && now.every((t) => t.status !== "claimed");
    });
    const all = await ticks("every-second");
    expect(new Set(all.map((t) => t.scheduledAt)).size).toBe(all.length);
    const firedTicks = all.filter((t) => t.status === "fired");
    const runs = await runsBy("every-second");
    expect(runs.length).toBe(firedTicks.length);
    expect(new Set(firedTicks.map((t) => t.runId))).toEqual(new Set(runs.map((r) => r.id)));
    // Each run has its slot's time as `scheduled_time` and the schedule's parameters.
    const slotOf = new Map(firedTicks.map((t) => [t.runId, new Date(t.scheduledAt).toISOString()]));
    for (const run of runs)
      expect(run.parameters).toMatchObject({ label: "sec", scheduled_time: slotOf.get(run.id) });
    await until("the scheduled runs to end", async () =>
      (await runsBy("every-second")).every((r) => r.status === "succeeded"),
    );
    const shown = await canal(["schedules", "show", "every-second"], dir);
    expect(shown.stdout).toContain("paused");
    expect(shown.stdout).toMatch(/fired +run-/);
  }, 240_000);

  it("fires a data trigger once for a burst of file changes, with the changed paths", async () => {
    const made = await canal(
      ["schedules", "create", "stamp", "--on-change", "drop:in/**", "--debounce", "1s", "--name", "on-drop"],
      dir,
    );
    expect(made.status, made.stderr).toBe(0);
    if (servers.length === 0) await startServer();
    const burst = ["in/a.csv", "in/b.csv", "in/c.csv", "in/deeper/d.csv"];
    mkdirSync(join(dir, "drop/in/deeper"), { recursive: true });
    for (const path of burst) writeFileSync(join(dir, "drop", path), `${path}\n`);
    writeFileSync(join(dir, "drop/elsewhere.csv"), "not watched\n");
    await until("the trigger to fire", async () =>
      (await ticks("on-drop")).some((t) => t.status === "fired"),
    );
    const [tick] = await ticks("on-drop");
    expect(tick?.paths).toEqual(burst);
    await until("its run to end", async () =>
      (await runsBy("on-drop")).every((r) => r.status === "succeeded"),
    );
    const runs = await runsBy("on-drop");
    expect(runs).toHaveLength(1);
    expect(runs[0]?.parameters.changed).toEqual(burst);
    // Many polls have passed since: still one tick, one run.
    expect(await ticks("on-drop")).toHaveLength(1);
  }, 180_000);

  it("makes a schedule over HTTP, and edits, pauses, resumes and deletes one with the CLI", async () => {
    if (servers.length === 0) await startServer();
    const post = await fetch(`${base}/api/v1/schedules`, {
      method: "POST",
      headers: { authorization: `Bearer ${launcherSecret}`, "content-type": "application/json" },
      body: JSON.stringify({
        endpoint: "stamp",
        name: "nightly",
        cron: "0 3 * * *",
        timezone: "Europe/Madrid",
        catchUp: "latest",
        parameters: { label: "night" },
      }),
    });
    expect(post.status, await post.clone().text()).toBe(201);
    const made = (await post.json()) as { anchorAt: number; next: number; createdBy: string };
    expect(made.createdBy).toMatch(/^token:/);
    // 03:00 in Madrid is 01:00 or 02:00 UTC, by the season.
    expect([1, 2]).toContain(new Date(made.next).getUTCHours());
    const again = await fetch(`${base}/api/v1/schedules`, {
      method: "POST",
      headers: { authorization: `Bearer ${launcherSecret}`, "content-type": "application/json" },
      body: JSON.stringify({ endpoint: "stamp", name: "nightly", cron: "0 3 * * *" }),
    });
    expect(again.status).toBe(409);

    const edited = await canal(
      ["schedules", "edit", "nightly", "--cron", "0 4 * * *", "-p", "label=later"],
      dir,
    );
    expect(edited.status, edited.stderr).toBe(0);
    const shown = JSON.parse((await canal(["schedules", "show", "nightly", "--json"], dir)).stdout) as {
      schedule: { cron: string; anchorAt: number; parameters: Record<string, unknown> };
    };
    expect(shown.schedule).toMatchObject({ cron: "0 4 * * *", parameters: { label: "later" } });
    expect(shown.schedule.anchorAt).toBeGreaterThan(made.anchorAt);
    expect((await canal(["schedules", "pause", "nightly"], dir)).stdout).toContain("paused");
    expect((await canal(["schedules", "resume", "nightly"], dir)).stdout).toContain("next ");
    const listed = await canal(["schedules"], dir);
    expect(listed.stdout).toContain('nightly  -> stamp  cron "0 4 * * *" Europe/Madrid, catch-up latest');
    expect((await canal(["schedules", "delete", "nightly"], dir)).status).toBe(0);
    const gone = await canal(["schedules", "show", "nightly"], dir);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain("CANAL_SCHEDULE_NOT_FOUND");
    expect(gone.stderr).toContain("every-second");
  });
});

// Replacing a wrong cache entry, controlling the cache by hand, and collecting garbage, through the
// CLI as a user drives it. The fixture's steps draw random bytes, so each execution's output is
// its own and a test can tell which execution a run served.
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject, repoRoot, waitFor } from "../helpers.js";

const cli = join(repoRoot, "packages/cli/dist/main.js");
const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

let dir: string;

/** `canal run` of the compiled fixture; returns the run id and each step's final state. */
async function run(...args: string[]): Promise<{ id: string; steps: Record<string, string> }> {
  const result = await canal(["run", "build/draws", ...args], dir);
  expect(result.status, result.stdout + result.stderr).toBe(0);
  const id = runIdOf(result.stdout);
  return { id, steps: await stepStates(id) };
}

async function stepStates(id: string): Promise<Record<string, string>> {
  const workspace = await openWorkspace(dir);
  try {
    const steps = await workspace.metadata.listStepRuns(id);
    return Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
  } finally {
    await workspace.close();
  }
}

/** The text a step of a run output (what the run served, cached or not). */
async function outputText(runId: string, stepId: string): Promise<string> {
  const workspace = await openWorkspace(dir);
  try {
    const step = await workspace.metadata.getStepRun(runId, stepId);
    const { out } = await workspace.metadata.getOutputs(step.id);
    return (await workspace.blobs.get((out as { digest: string }).digest)).toString();
  } finally {
    await workspace.close();
  }
}

/** Every file and folder under .canal with its size: what gc may or may not have touched. */
function canalTree(): Map<string, number> {
  const tree = new Map<string, number>();
  const walk = (path: string) => {
    const stat = statSync(path);
    // The database's own files change size as SQLite sees fit; that they stay is what counts.
    tree.set(path, stat.isDirectory() || /canal\.db/.test(path) ? -1 : stat.size);
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(join(dir, ".canal"));
  return tree;
}

beforeAll(async () => {
  dir = makeProject({ from: join(import.meta.dirname, "fixtures/cache-control") });
  const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
  expect(compiled.stderr).toBe("");
});

describe("a re-executed step replaces its cache entry", () => {
  it("--regenerate: the next plain run serves the regenerated outputs, not the old ones", async () => {
    const first = await run("-p", "label=regenerate");
    expect(existsSync(join(dir, ".canal/work", first.id)), "a run leaves no empty work folder").toBe(false);
    const regenerated = await run("-p", "label=regenerate", "--regenerate");
    expect(regenerated.steps).toEqual({ draw: "succeeded", report: "succeeded" });
    const old = await outputText(first.id, "report");
    const fresh = await outputText(regenerated.id, "report");
    expect(fresh).not.toBe(old);
    const next = await run("-p", "label=regenerate");
    expect(next.steps).toEqual({ draw: "cached", report: "cached" });
    expect(await outputText(next.id, "report")).toBe(fresh);
    expect(await outputText(next.id, "draw")).toBe(await outputText(regenerated.id, "draw"));
  });

  it("rerun --from: the next plain run serves what the rerun produced", async () => {
    const first = await run("-p", "label=rerun");
    const rerun = await canal(["rerun", first.id, "--from", "report"], dir);
    expect(rerun.status, rerun.stdout + rerun.stderr).toBe(0);
    const rerunId = /^run (run-\S+) succeeded/m.exec(rerun.stdout)?.[1] ?? "";
    expect(await stepStates(rerunId)).toEqual({ draw: "cached", report: "succeeded" });
    const fresh = await outputText(rerunId, "report");
    expect(fresh).not.toBe(await outputText(first.id, "report"));
    const next = await run("-p", "label=rerun");
    expect(next.steps).toEqual({ draw: "cached", report: "cached" });
    expect(await outputText(next.id, "report")).toBe(fresh);
    // `canal why` names the run whose entry it replaced, not some other entry of the step.
    expect((await canal(["why", rerunId, "report"], dir)).stdout).toBe(
      `report: its cache key matches run ${first.id}'s; it ran because it was made to (\`canal rerun --from\`, reuse: false) or the cached outputs were missing or damaged; what it produced replaced the cache entry\n`,
    );
  });

  it("rerun names what it takes instead of suggesting an option it rejects", async () => {
    const first = await run("-p", "label=rerun");
    for (const option of ["-p", "--regenerate", "--bogus"]) {
      const result = await canal(["rerun", first.id, option], dir);
      expect(result.status).toBe(2);
      expect(result.stderr).not.toMatch(/after '--'/);
    }
    expect((await canal(["rerun", first.id, "-p", "label=x"], dir)).stderr).toMatch(/canal run ARTIFACT -p/);
  });
});

describe("canal cache", () => {
  it("lists entries by step and run, and explains a key's components", async () => {
    const first = await run("-p", "label=explain");
    const listed = JSON.parse(
      (await canal(["cache", "ls", "--run", first.id, "--json"], dir)).stdout,
    ) as Array<{
      key: string;
      producedBy: { stepId: string };
      components: { inputs: Record<string, string> };
    }>;
    expect(listed.map((e) => e.producedBy.stepId).sort()).toEqual(["draw", "report"]);
    const byStep = JSON.parse(
      (await canal(["cache", "ls", "--step", "draw", "--json"], dir)).stdout,
    ) as Array<{
      producedBy: { stepId: string };
    }>;
    expect(byStep.length).toBeGreaterThan(0);
    expect(new Set(byStep.map((e) => e.producedBy.stepId))).toEqual(new Set(["draw"]));

    const draw = listed.find((e) => e.producedBy.stepId === "draw");
    const explained = await canal(["cache", "explain", (draw?.key ?? "").slice(0, 12)], dir);
    expect(explained.status).toBe(0);
    expect(explained.stdout).toContain(`key ${draw?.key}: step draw, produced by run ${first.id}`);
    for (const part of ["step definition", "code", "environment", 'label = "explain"', "out = sha256:"])
      expect(explained.stdout).toContain(part);
    const byRun = await canal(["cache", "explain", first.id, "report"], dir);
    expect(byRun.stdout).toMatch(/^report: succeeded under key [0-9a-f]{64}; cached/m);
    expect(byRun.stdout).toMatch(/drawn = sha256:[0-9a-f]{64}/);

    const ambiguous = await canal(["cache", "explain", "zz"], dir);
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toMatch(/CANAL_STORE_INVALID_RECORD: `zz` is not a cache key/);
  });

  it("invalidate by step, key and run: the next run executes exactly the invalidated steps", async () => {
    await run("-p", "label=invalidate");
    const byStep = await canal(["cache", "invalidate", "--step", "report"], dir);
    expect(byStep.stdout).toMatch(/entr(y|ies) invalidated/);
    const afterStep = await run("-p", "label=invalidate");
    expect(afterStep.steps).toEqual({ draw: "cached", report: "succeeded" });
    expect((await run("-p", "label=invalidate")).steps).toEqual({ draw: "cached", report: "cached" });

    const report = JSON.parse(
      (await canal(["cache", "ls", "--run", afterStep.id, "--json"], dir)).stdout,
    ).find((e: { producedBy: { stepId: string } }) => e.producedBy.stepId === "report") as { key: string };
    const byKey = await canal(["cache", "invalidate", report.key.slice(0, 10)], dir);
    expect(byKey.stdout).toBe(
      `invalidated ${report.key.slice(0, 12)} report (run ${afterStep.id})\n1 entry invalidated; the next run executes those steps again\n`,
    );
    const afterKey = await run("-p", "label=invalidate");
    expect(afterKey.steps).toEqual({ draw: "cached", report: "succeeded" });

    const byRun = await canal(["cache", "invalidate", "--run", afterKey.id, "--json"], dir);
    expect((JSON.parse(byRun.stdout) as string[]).length).toBe(2);
    expect((await run("-p", "label=invalidate")).steps).toEqual({ draw: "succeeded", report: "succeeded" });

    const nothing = await canal(["cache", "invalidate"], dir);
    expect(nothing.status).toBe(2);
  });
});

describe("canal gc", () => {
  /** Leftovers no record names: a stray blob, a temporary file, and a work folder of ended run `runId`. */
  async function leaveGarbage(runId: string): Promise<{ orphan: string; temp: string; work: string }> {
    const workspace = await openWorkspace(dir);
    const digest = await workspace.blobs.put(`orphan ${Math.random()}`);
    await workspace.close();
    const orphan = join(dir, ".canal/blobs/sha256", digest.slice(0, 2), digest.slice(2));
    const temp = join(dir, ".canal/blobs/tmp/leftover");
    mkdirSync(join(dir, ".canal/blobs/tmp"), { recursive: true });
    writeFileSync(temp, "half a blob");
    const work = join(dir, ".canal/work", runId, "draw");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "scratch"), "x".repeat(1000));
    return { orphan, temp, work };
  }

  it("--dry-run deletes nothing and reports what would go with its size", async () => {
    const ended = await run("-p", "label=gc");
    const garbage = await leaveGarbage(ended.id);
    const unknown = join(dir, ".canal/work/run-20200101-000000-dead");
    mkdirSync(unknown, { recursive: true });
    const before = canalTree();
    const result = await canal(["gc", "--dry-run", "--keep-last", "0", "--json"], dir);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      dryRun: boolean;
      runs: string[];
      items: Array<{ kind: string; path: string; bytes: number }>;
      bytes: number;
    };
    expect(report.dryRun).toBe(true);
    expect(report.runs.length).toBeGreaterThan(0);
    const paths = report.items.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining([garbage.orphan, garbage.temp]));
    expect(report.items.find((i) => i.path === join(dir, ".canal/work", ended.id))?.bytes).toBe(1000);
    expect(paths).toContain(unknown);
    expect(report.bytes).toBe(report.items.reduce((sum, i) => sum + i.bytes, 0));
    expect(canalTree()).toEqual(before);
    expect((await canal(["gc", "--dry-run"], dir)).stdout).toMatch(/would free \d/);
    expect(canalTree()).toEqual(before);
  });

  it("frees what nothing references, keeps what is, and a cached re-run after it is fully cached", async () => {
    const kept = await run("-p", "label=gc");
    const garbage = await leaveGarbage(kept.id);
    // Caches and copies no kept pipeline version names, beside those the fixture's version uses.
    const cache = join(dir, ".canal/cache");
    const modules = readdirSync(join(cache, "modules"));
    const artifacts = readdirSync(join(dir, ".canal/artifacts"));
    const stale = {
      module: join(cache, "modules", `${"e".repeat(64)}.mjs`),
      environment: join(cache, "envs", "f".repeat(64)),
      artifact: join(dir, ".canal/artifacts", "a".repeat(64)),
    };
    mkdirSync(stale.environment, { recursive: true });
    writeFileSync(join(stale.environment, "python"), "");
    writeFileSync(stale.module, "export {};\n");
    mkdirSync(stale.artifact);
    const result = await canal(["gc"], dir);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^freed /m);
    for (const path of [...Object.values(garbage), ...Object.values(stale)])
      expect(existsSync(path), path).toBe(false);
    expect(readdirSync(join(cache, "modules"))).toEqual(modules);
    expect(readdirSync(join(dir, ".canal/artifacts"))).toEqual(artifacts);
    expect(readdirSync(join(dir, ".canal/work"))).toEqual([]);
    // Every recorded run's outputs are still there, intact.
    const workspace = await openWorkspace(dir);
    try {
      for (const r of await workspace.metadata.listRuns({ limit: 1000 })) {
        for (const step of await workspace.metadata.listStepRuns(r.id)) {
          for (const value of Object.values(await workspace.metadata.getOutputs(step.id))) {
            expect(await workspace.blobs.verify((value as { digest: string }).digest)).toBe("ok");
          }
        }
      }
    } finally {
      await workspace.close();
    }
    const again = await run("-p", "label=gc");
    expect(again.steps).toEqual({ draw: "cached", report: "cached" });
    expect(await outputText(again.id, "report")).toBe(await outputText(kept.id, "report"));
    expect((await canal(["runs", "show", kept.id], dir)).status).toBe(0);
  });

  it("never follows a link out of .canal", async () => {
    const outside = makeProject({ files: { "keep/me.txt": "not Canal's" } });
    mkdirSync(join(dir, ".canal/blobs/sha256"), { recursive: true });
    symlinkSync(join(outside, "keep"), join(dir, ".canal/blobs/sha256/zz"));
    symlinkSync(join(outside, "keep"), join(dir, ".canal/work/run-20200101-000000-link"));
    const result = await canal(["gc"], dir);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(outside, "keep/me.txt"), "utf8")).toBe("not Canal's");
  });

  it("--keep-last drops old runs' records and the entries they made; the newest stay cached", async () => {
    await run("-p", "label=keep-one");
    const newest = await run("-p", "label=keep-two");
    const result = await canal(["gc", "--keep-last", "1", "--json"], dir);
    const report = JSON.parse(result.stdout) as { runs: string[] };
    expect(report.runs).not.toContain(newest.id);
    const runs = JSON.parse((await canal(["runs", "--json"], dir)).stdout) as Array<{ id: string }>;
    expect(runs.map((r) => r.id)).toEqual([newest.id]);
    expect((await run("-p", "label=keep-two")).steps).toEqual({ draw: "cached", report: "cached" });
    expect((await run("-p", "label=keep-one")).steps).toEqual({ draw: "succeeded", report: "succeeded" });
    expect((await canal(["gc", "--older-than", "soon"], dir)).status).toBe(2);
  });

  it("beside a live run deletes nothing runs share; a run started during a gc waits for it", async () => {
    const ended = await run("-p", "label=live");
    const garbage = await leaveGarbage(ended.id);
    const unknown = join(dir, ".canal/work/run-20200101-000000-next");
    mkdirSync(unknown, { recursive: true });
    // A live run holds a lease (this test process is alive): blobs and temporary files stay.
    const lease = join(dir, ".canal/live", `${process.pid}-test`);
    mkdirSync(join(dir, ".canal/live"), { recursive: true });
    writeFileSync(lease, "");
    const beside = JSON.parse((await canal(["gc", "--json"], dir)).stdout) as { liveRuns: number[] };
    expect(beside.liveRuns).toEqual([process.pid]);
    expect(existsSync(garbage.orphan)).toBe(true);
    expect(existsSync(garbage.temp)).toBe(true);
    expect(existsSync(garbage.work)).toBe(false);
    // A folder no record names yet may be a live run's that is being recorded: it stays.
    expect(existsSync(unknown)).toBe(true);
    rmSync(lease);

    // A gc in progress (its holder alive): a run records nothing until the lock is gone.
    const holder = spawn("sleep", ["60"], { stdio: "ignore" });
    writeFileSync(join(dir, ".canal/gc.lock"), JSON.stringify({ pid: holder.pid, at: Date.now() }));
    const before = (JSON.parse((await canal(["runs", "--json"], dir)).stdout) as unknown[]).length;
    const waiting = canal(["run", "build/draws", "-p", "label=waits"], dir);
    await waitFor("the run's lease", () => readdirSync(join(dir, ".canal/live")).length > 0);
    const busy = await canal(["gc"], dir);
    expect(busy.stderr).toMatch(/CANAL_GC_BUSY: another `canal gc` \(process \d+\) is collecting/);
    expect((JSON.parse((await canal(["runs", "--json"], dir)).stdout) as unknown[]).length).toBe(before);
    holder.kill();
    const done = await waiting;
    expect(done.status, done.stderr).toBe(0);
    expect(readdirSync(join(dir, ".canal/live"))).toEqual([]);
  });
});

describe("output into a closed pipe", () => {
  it("canal runs | head -1 prints the first line and exits cleanly", () => {
    for (const reader of ["head -1", "true"]) {
      const out = execFileSync(
        "bash",
        [
          "-c",
          `set -o pipefail; node ${JSON.stringify(cli)} runs --limit 200 2>stderr.txt | ${reader}; echo "status $?"`,
        ],
        { cwd: dir, encoding: "utf8" },
      );
      expect(out).toMatch(/status 0\n$/);
      if (reader === "head -1") expect(out).toMatch(/^RUN +PIPELINE/);
      expect(execFileSync("cat", ["stderr.txt"], { cwd: dir, encoding: "utf8" })).toBe("");
    }
  });
});

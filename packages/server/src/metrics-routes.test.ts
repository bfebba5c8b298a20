// GET /metrics over real HTTP on a real SQLite workspace: a metric across a pipeline's newest runs
// or named runs, and each way a request can be wrong.
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeRegistry } from "@canal/runner";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Launcher } from "./context.js";
import { type RunningServer, startServer } from "./listen.js";
import { createToken } from "./tokens.js";

let dir: string;
let workspace: Workspace;
let server: RunningServer;
let viewer = "";
/** The runs of pipeline `sweep`, oldest first. */
const sweep: string[] = [];
let other = "";
const launcher: Launcher = {
  start: () => Promise.reject(new Error("no run is started in these tests")),
  rerun: () => Promise.reject(new Error("no run is started in these tests")),
};

interface Answer {
  runs: Array<{
    run: { id: string; status: string; createdAt: number; pipeline: string };
    metrics: Array<{ stepId: string; instance: number; name: string; value: unknown; sequence: number }>;
  }>;
}
interface Failure {
  error: { code: string; message: string; problems: Array<{ path: string; message: string }> };
}

function get(query: string, token: string | null = viewer) {
  return fetch(`${server.url}/api/v1/metrics${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-metrics-"));
  initWorkspace(dir, "served");
  workspace = await openWorkspace(dir);
  const { metadata } = workspace;
  viewer = (await createToken(metadata, { role: "viewer", name: "viewer" })).secret;
  const version = await metadata.registerPipelineVersion({
    pipeline: "sweep",
    hash: "s".repeat(64),
    ir: "{}",
  });
  for (const [i, [accuracy, scored]] of [
    [0.61, 0.6],
    [0.72, 0.71],
    [0.83, 0.82],
    [0.94, 0.93],
  ].entries()) {
    const run = await metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      createdAt: 1000 + i,
      status: i === 3 ? "failed" : "succeeded",
    });
    const train = await metadata.createStepRun({ runId: run.id, stepId: "train" });
    const score = await metadata.createStepRun({ runId: run.id, stepId: "score" });
    await metadata.logMetrics(train.id, [
      { name: "accuracy", value: 0.1 },
      { name: "accuracy", value: accuracy as number },
      { name: "loss", value: 1 - (accuracy as number) },
    ]);
    await metadata.logMetrics(score.id, [{ name: "accuracy", value: scored as number }]);
    sweep.push(run.id);
  }
  const otherVersion = await metadata.registerPipelineVersion({
    pipeline: "other",
    hash: "o".repeat(64),
    ir: "{}",
  });
  other = (
    await metadata.createRun({ pipelineVersionId: otherVersion.id, runtime: "local", createdAt: 2000 })
  ).id;
  server = await startServer({ workspace, launcher, runtimes: new RuntimeRegistry(), port: 0 });
});

afterAll(async () => {
  await server?.close();
  await workspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /metrics", () => {
  it("answers a pipeline's newest runs, each with the last value of each step's metric", async () => {
    const answer = await get("?pipeline=sweep&limit=3&name=accuracy");
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Answer;
    expect(body.runs.map((r) => [r.run.id, r.run.status, r.run.createdAt])).toEqual([
      [sweep[3], "failed", 1003],
      [sweep[2], "succeeded", 1002],
      [sweep[1], "succeeded", 1001],
    ]);
    expect(body.runs[0]?.metrics.map((m) => [m.stepId, m.instance, m.name, m.sequence, m.value])).toEqual([
      ["score", -1, "accuracy", 0, 0.93],
      ["train", -1, "accuracy", 1, 0.94],
    ]);
    const trained = (await (await get("?pipeline=sweep&step=train")).json()) as Answer;
    expect(trained.runs).toHaveLength(4);
    expect(trained.runs[3]?.metrics.map((m) => [m.stepId, m.name, m.value])).toEqual([
      ["train", "accuracy", 0.61],
      ["train", "loss", 1 - 0.61],
    ]);
  });

  it("answers named runs of any pipeline, newest first, each named once", async () => {
    const ids = [sweep[0], other, sweep[2], sweep[0]].join(",");
    const body = (await (await get(`?runs=${ids}&name=accuracy&step=train`)).json()) as Answer;
    expect(body.runs.map((r) => [r.run.id, r.run.pipeline, r.metrics.map((m) => m.value)])).toEqual([
      [other, "other", []],
      [sweep[2], "sweep", [0.83]],
      [sweep[0], "sweep", [0.61]],
    ]);
  });

  it("refuses a request that names neither or both, a limit out of range, too many run ids: 400", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["", "query.pipeline", /give `pipeline=NAME` .* or `runs=ID,ID,…`/],
      [`?pipeline=sweep&runs=${sweep[0]}`, "query.runs", /not both/],
      ["?pipeline=sweep&limit=0", "query.limit", /1/],
      ["?pipeline=sweep&limit=501", "query.limit", /500/],
      ["?pipeline=sweep&limit=many", "query.limit", /number/],
      ["?runs=,,", "query.runs", /at least one run id/],
      [
        `?runs=${Array.from({ length: 501 }, (_, i) => `run-${i}`).join(",")}`,
        "query.runs",
        /501 run ids, more than 500; ask for them in parts/,
      ],
    ];
    for (const [query, path, message] of cases) {
      const answer = await get(query);
      expect(answer.status, query).toBe(400);
      const { error } = (await answer.json()) as Failure;
      expect(error.code, query).toBe("CANAL_API_INVALID_REQUEST");
      expect(
        error.problems.map((p) => p.path),
        query,
      ).toContain(path);
      expect(error.problems.find((p) => p.path === path)?.message, query).toMatch(message);
    }
  });

  it("answers 404 naming an unknown pipeline or run, and a pipeline without runs with none", async () => {
    const pipeline = await get("?pipeline=nowhere");
    expect(pipeline.status).toBe(404);
    const { error } = (await pipeline.json()) as Failure;
    expect(error.code).toBe("CANAL_API_NOT_FOUND");
    expect(error.message).toContain("no pipeline `nowhere`");
    const run = await get(`?runs=${sweep[0]},run-20000101-000000-dead`);
    expect(run.status).toBe(404);
    expect(((await run.json()) as Failure).error.message).toContain("`run-20000101-000000-dead`");
    await workspace.metadata.registerPipelineVersion({ pipeline: "fresh", hash: "f".repeat(64), ir: "{}" });
    const fresh = await get("?pipeline=fresh");
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toEqual({ runs: [] });
  });

  it("needs a token (401), and is in the OpenAPI document with its query and answer", async () => {
    const answer = await get("?pipeline=sweep", null);
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as Failure).error.code).toBe("CANAL_API_UNAUTHORIZED");
    const doc = (await (
      await fetch(`${server.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${viewer}` } })
    ).json()) as {
      paths: Record<
        string,
        {
          get?: {
            parameters: Array<{ name: string }>;
            responses: Record<string, unknown>;
            "x-canal-role"?: string;
          };
        }
      >;
      components: { schemas: Record<string, unknown> };
    };
    const path = doc.paths["/api/v1/metrics"]?.get;
    expect(path?.parameters.map((p) => p.name).sort()).toEqual(["limit", "name", "pipeline", "runs", "step"]);
    expect(Object.keys(path?.responses ?? {}).sort()).toEqual(["200", "400", "401", "403", "404"]);
    expect(path?.["x-canal-role"]).toBe("viewer");
    expect(doc.components.schemas.RunsMetrics).toBeDefined();
  });
});

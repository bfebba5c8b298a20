// The server's layouts of pipeline versions' graphs: made by ELK in the layout worker, of exactly
// the nodes the web UI draws first (each fan-out one node), kept per IR digest, and served at
// GET /api/v1/pipelines/{name}/versions/{v}/layout behind a viewer token like the version itself.
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeRegistry } from "@canal/runner";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphLayout, graphShape, type IrStep, LAYOUT_REVISION, layoutFits } from "./graph-shape.js";
import { Layouts } from "./layouts.js";
import { type RunningServer, startServer } from "./listen.js";
import { createToken } from "./tokens.js";

/** prepare → train (fanned out) → compare, and a report after prepare. */
const steps: IrStep[] = [
  { id: "prepare" },
  { id: "train", fanOut: "lrs", inputs: [{ name: "data", binding: { output: { step: "prepare" } } }] },
  { id: "compare", inputs: [{ name: "metrics", binding: { collect: { step: "train" } } }] },
  { id: "report", after: ["prepare"] },
];

let dir: string;
let workspace: Workspace;
let server: RunningServer;
const layouts = new Layouts({ kept: 2 });
let viewer = "";

const call = (path: string, token?: string) =>
  fetch(`${server.url}/api/v1${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-layouts-"));
  initWorkspace(dir, "layouts");
  workspace = await openWorkspace(dir);
  viewer = (await createToken(workspace.metadata, { role: "viewer", name: "viewer" })).secret;
  await workspace.metadata.registerPipelineVersion({
    pipeline: "fans",
    hash: "f".repeat(64),
    ir: JSON.stringify({ name: "fans", steps }),
  });
  server = await startServer({
    workspace,
    launcher: {
      start: () => Promise.reject(new Error("none")),
      rerun: () => Promise.reject(new Error("none")),
    },
    runtimes: new RuntimeRegistry(),
    scheduler: false,
    layouts,
    port: 0,
  });
});

afterAll(async () => {
  await server?.close();
  await layouts.close();
  await workspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a pipeline version's layout", () => {
  it("is served for a viewer: every node the page draws first, placed, and every edge's path", async () => {
    const answer = await call("/pipelines/fans/versions/1/layout", viewer);
    expect(answer.status).toBe(200);
    const layout = (await answer.json()) as GraphLayout;
    expect(layout.revision).toBe(LAYOUT_REVISION);
    // The fan-out is one node, as the run page shows it until it is expanded.
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(["compare", "prepare", "report", "train"]);
    expect(layoutFits(layout, graphShape(steps))).toBe(true);
    expect(
      layoutFits(
        layout,
        graphShape(steps, new Set(["train"]), () => [0, 1]),
      ),
    ).toBe(false);
    // Laid out left to right: each step after the one it reads.
    const x = Object.fromEntries(layout.nodes.map((n) => [n.id, n.x]));
    expect(x.prepare).toBeLessThan(x.train as number);
    expect(x.train).toBeLessThan(x.compare as number);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual([
      "prepare>report",
      "prepare>train",
      "train>compare",
    ]);
    for (const edge of layout.edges) expect(edge.points.length).toBeGreaterThanOrEqual(4);
    expect(layout.width).toBeGreaterThan(3 * 170);
  });

  it("answers the API's 404 for a version or a pipeline there is not, and 401 without a token", async () => {
    const unknownVersion = await call("/pipelines/fans/versions/2/layout", viewer);
    expect(unknownVersion.status).toBe(404);
    const body = (await unknownVersion.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("CANAL_API_NOT_FOUND");
    expect(body.error.message).toBe("pipeline fans has no version 2; its versions are 1…1");
    const unknownPipeline = await call("/pipelines/nothing/versions/1/layout", viewer);
    expect(unknownPipeline.status).toBe(404);
    expect(((await unknownPipeline.json()) as { error: { message: string } }).error.message).toContain(
      "no pipeline nothing in this workspace",
    );
    expect((await call("/pipelines/fans/versions/0/layout", viewer)).status).toBe(400);
    expect((await call("/pipelines/fans/versions/1/layout")).status).toBe(401);
  });

  it("is in the OpenAPI document with its schema", async () => {
    const doc = (await (await call("/openapi.json", viewer)).json()) as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths["/api/v1/pipelines/{name}/versions/{version}/layout"]?.get?.responses).toHaveProperty(
      "404",
    );
    expect(doc.components.schemas).toHaveProperty("GraphLayout");
  });
});

describe("the layouts kept", () => {
  it("are made once per IR digest, the least recently used forgotten beyond the bound", async () => {
    const read: string[] = [];
    const of = (digest: string) =>
      layouts.of(digest, () => {
        read.push(digest);
        return steps;
      });
    const first = await of("a");
    expect(await of("a")).toBe(first);
    await of("b");
    await of("a");
    // Two kept: "b" is the least recently used when "c" comes.
    await of("c");
    await of("a");
    await of("b");
    expect(read).toEqual(["a", "b", "c", "b"]);
  });

  it("fails when the worker ends under a layout, keeps no failure, and starts a new worker next", async () => {
    const own = new Layouts();
    try {
      const inFlight = own.of("d", () => steps);
      await own.close();
      await expect(inFlight).rejects.toThrow(/the layout worker ended/);
      const again = await own.of("d", () => steps);
      expect(again.nodes).toHaveLength(4);
    } finally {
      await own.close();
    }
  });
});

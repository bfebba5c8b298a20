// What a team workspace's cold step asks of PostgreSQL before it starts (a real server started
// here, a workspace on it with its artifacts in a local folder): a step likely to miss the cache
// sends its lookup and its claim as one statement, and a hit in its place takes no claim.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { runPipeline } from "@canal/runner";
import { LocalRuntime } from "@canal/runtime-local";
import { openWorkspace } from "@canal/store";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";

let server: PostgresServer;
let project: string;
let artifactDir: string;
let dir: string;
let scratch: string;

beforeAll(async () => {
  server = await startPostgres();
  server.psql("CREATE DATABASE canal");
  project = makeProject({ from: join(import.meta.dirname, "fixtures/flight") });
  const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
  expect(result.diagnostics).toEqual([]);
  artifactDir = result.pipelines[0]?.dir as string;
  dir = mkdtempSync(join(tmpdir(), "canal-cold-step-"));
  scratch = mkdtempSync(join(tmpdir(), "canal-cold-step-scratch-"));
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ workspace: "team", store: { kind: "postgres", url: server.url("canal") } }),
  );
}, 300_000);

afterAll(async () => {
  for (const path of [project, dir, scratch]) if (path) rmSync(path, { recursive: true, force: true });
  await server?.stop();
});

type Kind = "lookup" | "claim" | "lookup-or-claim";

/** The kind of a statement that decides whether a step runs, if it is one. */
function kindOf(text: string): Kind | undefined {
  // The schema's migrations (the function's own SQL among them) decide nothing.
  if (/^\s*CREATE /m.test(text)) return undefined;
  if (/^SELECT \* FROM canal_lookup_or_claim\(/.test(text)) return "lookup-or-claim";
  if (text.includes("INSERT INTO step_claims")) return "claim";
  if (/^SELECT outputs FROM cache_entries WHERE workspace_id = \$1 AND key = \$2$/.test(text))
    return "lookup";
  return undefined;
}

/** Runs the flight chain in this process, counting the statements of each kind that `pg` sends. */
async function counted(counter: string): Promise<{ steps: string[]; sent: Record<Kind, number> }> {
  const sent: Record<Kind, number> = { lookup: 0, claim: 0, "lookup-or-claim": 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const kind = kindOf(typeof first === "string" ? first : (first?.text ?? ""));
    if (kind) sent[kind]++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const workspace = await openWorkspace(dir);
  const runtime = new LocalRuntime({ cacheDir: join(dir, "cache") });
  try {
    const { run, summary } = await runPipeline({ workspace, artifactDir, runtime, parameters: { counter } });
    expect(run.status).toBe("succeeded");
    return { steps: Object.values(summary.steps), sent };
  } finally {
    pg.Client.prototype.query = query;
    await runtime.close();
    await workspace.close();
  }
}

describe("a team workspace's cold step", () => {
  it("looks itself up and claims its key in one statement when it is likely to miss", async () => {
    const cold = await counted(join(scratch, "cold.count"));
    expect(cold.steps).toEqual(["succeeded", "succeeded", "succeeded"]);
    // The first step is looked up, then claimed with a fresh look (a holder that let go in between
    // is found); each after a miss asks one statement.
    expect(cold.sent).toEqual({ lookup: 1, claim: 0, "lookup-or-claim": 3 });
    // Cached whole: the probes answer every step, and none is claimed.
    const again = await counted(join(scratch, "cold.count"));
    expect(again.steps).toEqual(["cached", "cached", "cached"]);
    expect(again.sent).toEqual({ lookup: 0, claim: 0, "lookup-or-claim": 0 });
  });
});

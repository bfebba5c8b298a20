import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";
const digest = "sha256:[0-9a-f]{12}";

describe("canal why names the upstream output whose content changed", () => {
  let dir: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/why") });
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ workspace: "alice" }));
    expect((await canal(["compile", "pipeline.ts", "--out", "build"], dir)).stderr).toBe("");
    const a = await canal(["run", "build/upstream"], dir);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    first = runIdOf(a.stdout);
    // `text` changes what `prepare` writes; the second item changes what `train[1]` writes.
    const b = await canal(["run", "build/upstream", "-p", "text=z", "-p", "items=[1,5,3]"], dir);
    expect(b.status, b.stdout + b.stderr).toBe(0);
    second = runIdOf(b.stdout);
  });

  it("names the step output behind an artifact input, not another output with the same bytes", async () => {
    const why = await canal(["why", second, "use"], dir);
    expect(why.stderr).toBe("");
    expect(why.stdout).toMatch(
      new RegExp(
        `^use: ran because, since run ${first}:\\n  - input \`prepped\` changed \\(from \`prepare\\.prepped\`, whose content changed\\): ${digest} -> ${digest}\\n$`,
      ),
    );
  });

  it("names which elements of a fan-in changed and the fan-out instances behind them", async () => {
    const why = await canal(["why", second, "compare"], dir);
    expect(why.stdout).toMatch(
      new RegExp(
        `^compare: ran because, since run ${first}:\\n  - input \`models\` \\(a fan-in\\) changed, 1 of its 3 elements: element 1 from \`train\\[1\\]\\.model\`: ${digest} -> ${digest}\\n$`,
      ),
    );
    const fanOut = await canal(["why", second, "train"], dir);
    expect(fanOut.stdout).toBe(
      [
        `train[0]: reused from the cache (run ${first})`,
        `train[1]: ran because, since run ${first}:`,
        "  - input `item` changed: 2 -> 5",
        `train[2]: reused from the cache (run ${first})`,
        "",
      ].join("\n"),
    );
  });

  it("says the same for scripts with --json", async () => {
    const why = await canal(["why", second, "compare", "--json"], dir);
    expect(why.status).toBe(0);
    const [report] = JSON.parse(why.stdout);
    expect(report).toMatchObject({ step: "compare", status: "succeeded", reason: "changed", run: first });
    expect(report.changes).toHaveLength(1);
    expect(report.changes[0]).toMatchObject({
      field: "input",
      name: "models",
      upstream: { countBefore: 3, countAfter: 3, elements: [{ index: 1, from: "`train[1].model`" }] },
    });
    expect(report.changes[0].upstream.elements[0].after).toMatch(/^sha256:[0-9a-f]{64}$/);
    const cached = JSON.parse((await canal(["why", second, "train[0]", "--json"], dir)).stdout);
    expect(cached).toEqual([{ step: "train[0]", status: "cached", reason: "cached", run: first }]);
  });

  it("names the cache it looked in when a step never ran before", async () => {
    const why = await canal(["why", first, "prepare"], dir);
    expect(why.stderr).toBe("");
    expect(why.stdout).toBe(
      `prepare: ran because it never ran before in pipeline upstream: no earlier cache entry (the cache of workspace "alice", in the SQLite file ${join(dir, ".canal", "canal.db")})\n`,
    );
    const [report] = JSON.parse((await canal(["why", first, "prepare", "--json"], dir)).stdout);
    expect(report).toEqual({
      step: "prepare",
      status: "succeeded",
      reason: "first",
      workspace: { name: "alice", store: `the SQLite file ${join(dir, ".canal", "canal.db")}` },
      elsewhere: [],
    });
  });

  it("names another workspace of the same store that has the step's entry, and how to join it", async () => {
    // Another project whose config names the same SQLite file under another workspace name: its
    // cache is its own, so everything runs, though alice's cache holds every key.
    const other = makeProject({ from: join(import.meta.dirname, "fixtures/why") });
    const store = join(dir, ".canal", "canal.db");
    writeFileSync(
      join(other, "canal.config.json"),
      JSON.stringify({ workspace: "bob", store: { kind: "sqlite", path: store } }),
    );
    expect((await canal(["compile", "pipeline.ts", "--out", "build"], other)).stderr).toBe("");
    const ran = await canal(["run", "build/upstream"], other);
    expect(ran.status, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).not.toContain("cached");
    const why = await canal(["why", runIdOf(ran.stdout), "prepare"], other);
    expect(why.stdout).toBe(
      `prepare: ran because it never ran before in pipeline upstream: no earlier cache entry (the cache of workspace "bob", in the SQLite file ${store}); workspace "alice" has an entry for its cache key in the same store: to reuse that workspace's cache, name it in canal.config.json ("workspace": "alice") and use its artifact store\n`,
    );
    const [report] = JSON.parse(
      (await canal(["why", runIdOf(ran.stdout), "prepare", "--json"], other)).stdout,
    );
    expect(report).toMatchObject({
      reason: "first",
      workspace: { name: "bob", store: `the SQLite file ${store}` },
      elsewhere: ["alice"],
    });
  });

  it("shows workspace names and the store's path with control characters escaped, and --json as they are", async () => {
    // A workspace of the same store whose name would clear the screen and forge a line of its
    // own, and a store reached by a path that would: what `canal why` prints of them is text.
    const name = "evil\u001b[2J\r\nprepare: reused\u009b1m";
    const store = join(dir, ".canal", "canal.db");
    const project = async (workspace: string, path: string) => {
      const at = makeProject({ from: join(import.meta.dirname, "fixtures/why") });
      writeFileSync(
        join(at, "canal.config.json"),
        JSON.stringify({ workspace, store: { kind: "sqlite", path } }),
      );
      expect((await canal(["compile", "pipeline.ts", "--out", "build"], at)).stderr).toBe("");
      const ran = await canal(["run", "build/upstream"], at);
      expect(ran.status, ran.stdout + ran.stderr).toBe(0);
      return { at, runId: runIdOf(ran.stdout) };
    };
    await project(name, store);
    const scratch = mkdtempSync(join(tmpdir(), "canal-why-"));
    const link = join(scratch, "st\u001b[1more\n");
    symlinkSync(join(dir, ".canal"), link);
    const carol = await project("carol", join(link, "canal.db"));

    const why = await canal(["why", carol.runId, "prepare"], carol.at);
    expect(why.stderr).toBe("");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
    expect(why.stdout.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    const shown = '"evil\\u001b[2J\\r\\nprepare: reused\\u009b1m"';
    const place = join(scratch, "st\\u001b[1more\\n", "canal.db");
    expect(why.stdout).toContain(`(the cache of workspace "carol", in the SQLite file ${place}); `);
    expect(why.stdout).toMatch(/; workspaces "alice", .* have an entry for its cache key/);
    expect(why.stdout).toContain(`, ${shown} have an entry for its cache key`);
    const json = await canal(["why", carol.runId, "prepare", "--json"], carol.at);
    const [report] = JSON.parse(json.stdout);
    expect(report.elsewhere).toContain(name);
    expect(report.workspace.store).toBe(`the SQLite file ${join(link, "canal.db")}`);
  });

  it("suggests the step meant", async () => {
    const why = await canal(["why", second, "trian"], dir);
    expect(why.status).toBe(1);
    expect(why.stderr).toMatch(
      new RegExp(
        `^run ${second} has no step \`trian\`; its steps are [a-z0-9, ]+; did you mean \`train\`\\?\n$`,
      ),
    );
  });
});

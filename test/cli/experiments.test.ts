import { appendFileSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readArtifact } from "@canal/ir";
import { changedSources } from "@canal/runner";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

const fixture = join(import.meta.dirname, "../run/fixtures/slow");

interface RunRecord {
  id: string;
  experiment: string;
}

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";
const sourceFiles = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "canal-out/slow/pipeline.json"), "utf8")).source.files as Array<{
    path: string;
    sha256: string;
  }>;

describe("experiments", () => {
  let dir: string;
  beforeAll(async () => {
    dir = makeProject({ from: fixture });
    expect((await canal(["compile", "pipeline.ts"], dir)).status).toBe(0);
  });

  it("groups runs under the pipeline's name by default, or the one given; runs filters and shows them", async () => {
    const plain = await canal(["run", "canal-out/slow"], dir);
    expect(plain.status).toBe(0);
    const tuned = await canal(["run", "canal-out/slow", "--experiment", "tuning"], dir);
    expect(tuned.status).toBe(0);
    const [plainId, tunedId] = [runIdOf(plain.stdout), runIdOf(tuned.stdout)];

    const all = JSON.parse((await canal(["runs", "--json"], dir)).stdout) as RunRecord[];
    expect(all.find((r) => r.id === plainId)?.experiment).toBe("slow");
    expect(all.find((r) => r.id === tunedId)?.experiment).toBe("tuning");
    const filtered = JSON.parse((await canal(["runs", "--experiment", "tuning", "--json"], dir)).stdout);
    expect(filtered.map((r: RunRecord) => r.id)).toEqual([tunedId]);

    const listed = (await canal(["runs"], dir)).stdout;
    expect(listed).toMatch(/^RUN .* EXPERIMENT$/m);
    expect(listed).toMatch(new RegExp(`^${tunedId} +slow v1 +succeeded .* tuning$`, "m"));
    expect(listed).toMatch(new RegExp(`^${plainId} +slow v1 +succeeded .* slow$`, "m"));
    expect((await canal(["runs", "show", tunedId], dir)).stdout).toContain("\n  experiment tuning\n");

    // A rerun stays in its run's experiment.
    const rerun = await canal(["rerun", tunedId, "--json"], dir);
    expect(rerun.status).toBe(0);
    expect(JSON.parse(rerun.stdout).experiment).toBe("tuning");
  });

  it("records who started each run and from which host; runs lists them and filters by them", async () => {
    const team = makeProject({ from: fixture });
    expect((await canal(["compile", "pipeline.ts"], team)).status).toBe(0);
    const runAs = async (user: string, host: string) => {
      writeFileSync(join(team, "canal.config.json"), JSON.stringify({ workspace: "team", user }));
      const before = process.env.CANAL_HOSTNAME;
      process.env.CANAL_HOSTNAME = host;
      try {
        const result = await canal(["run", "canal-out/slow"], team);
        expect(result.status).toBe(0);
        return runIdOf(result.stdout);
      } finally {
        if (before === undefined) delete process.env.CANAL_HOSTNAME;
        else process.env.CANAL_HOSTNAME = before;
      }
    };
    const anas = await runAs("ana", "laptop-a");
    const bos = await runAs("bo", "gpu-b");

    const listedBy = async (...filter: string[]) =>
      (JSON.parse((await canal(["runs", ...filter, "--json"], team)).stdout) as RunRecord[]).map((r) => r.id);
    expect(await listedBy("--user", "ana")).toEqual([anas]);
    expect(await listedBy("--host", "gpu-b")).toEqual([bos]);
    expect(await listedBy("--user", "ana", "--host", "gpu-b")).toEqual([]);
    const all = JSON.parse((await canal(["runs", "--json"], team)).stdout);
    expect(all.find((r: RunRecord) => r.id === anas)).toMatchObject({ startedBy: "ana", host: "laptop-a" });

    const table = (await canal(["runs"], team)).stdout;
    expect(table).toMatch(/^RUN .* BY +EXPERIMENT$/m);
    expect(table).toMatch(new RegExp(`^${anas} .* ana@laptop-a +slow$`, "m"));
    expect((await canal(["runs", "show", bos], team)).stdout).toContain("\n  started by bo@gpu-b\n");

    writeFileSync(join(team, "canal.config.json"), JSON.stringify({ user: "ana; rm -rf /" }));
    const refused = await canal(["runs"], team);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("`user`: must be a name of letters, digits");
    rmSync(team, { recursive: true, force: true });
  });

  it("names the experiments there are for an unknown one, and refuses a name that is not one", async () => {
    const unknown = await canal(["runs", "--experiment", "tunnig"], dir);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no experiment `tunnig` in this workspace (did you mean `tuning`?)");
    expect(unknown.stderr).toMatch(/its experiments: .*tuning/);

    const bad = await canal(["run", "canal-out/slow", "--experiment", "../x"], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--experiment "../x" may hold only letters');
  });
});

describe("stale artifacts", () => {
  it("warns naming the edited files, says how to recompile, and keeps quiet for an unchanged tree", async () => {
    const dir = makeProject({ from: fixture });
    expect((await canal(["compile", "pipeline.ts"], dir)).status).toBe(0);
    expect(sourceFiles(dir).map((f) => f.path)).toEqual(["pipeline.ts", "scripts/slow.sh"]);

    const unchanged = await canal(["run", "canal-out/slow"], dir);
    expect(unchanged.status).toBe(0);
    expect(unchanged.stderr).toBe("");

    appendFileSync(join(dir, "scripts/slow.sh"), "# a comment still changes the script\n");
    const edited = await canal(["run", "canal-out/slow"], dir);
    expect(edited.status).toBe(0);
    expect(edited.stderr).toMatch(
      /^canal run: warning: this artifact is older than its sources: scripts\/slow\.sh changed since it was compiled/,
    );
    expect(edited.stderr).toContain(
      "run `canal run pipeline.ts` or recompile with `canal compile pipeline.ts`",
    );
    expect(edited.stderr).not.toContain("pipeline.ts changed");

    // Run from elsewhere in the workspace (a subfolder), the paths are named from there.
    writeFileSync(join(dir, "pipeline.ts"), `${readFileSync(join(dir, "pipeline.ts"), "utf8")}\n// edited\n`);
    const both = await canal(["run", "../canal-out/slow"], join(dir, "scripts"));
    expect(both.stderr).toContain("sources: ../pipeline.ts, slow.sh changed");

    rmSync(join(dir, "scripts/slow.sh"));
    expect((await canal(["run", "canal-out/slow"], dir)).stderr).toContain("scripts/slow.sh (deleted)");
  });

  it("records every file the compile read: local modules, script files, requirements, datasets; not packages", async () => {
    const dir = makeProject({
      files: {
        "pipeline.ts": [
          'import { Dataset, env, File, pipeline, step } from "@canal/sdk";',
          'import { shout } from "./lib/words.js";',
          "export class Read {",
          '  @step.script({ source: "./scripts", run: "cat {raw} > {out}", env: env.python({ requirements: "requirements.txt" }) })',
          "  copy(raw: Dataset): { out: File } { return step.declared(); }",
          "  @step",
          "  async loud(input: File): Promise<{ text: string }> { return { text: shout(input.path) }; }",
          '  @pipeline({ name: "read" })',
          '  run(raw: Dataset = Dataset.from("data/raw.csv")) {',
          "    const { out } = this.copy(raw);",
          "    return this.loud(out);",
          "  }",
          "}",
          "",
        ].join("\n"),
        "lib/words.ts": "export const shout = (text: string) => text.toUpperCase();\n",
        "scripts/readme.txt": "the copy step runs cat\n",
        "requirements.txt": "\n",
        "data/raw.csv": "a,b\n1,2\n",
      },
    });
    const compiled = await canal(["compile", "pipeline.ts"], dir);
    expect(compiled.stderr).toBe("");
    const files = JSON.parse(readFileSync(join(dir, "canal-out/read/pipeline.json"), "utf8")).source.files;
    expect(files.map((f: { path: string }) => f.path)).toEqual([
      "data/raw.csv",
      "lib/words.ts",
      "pipeline.ts",
      "requirements.txt",
      "scripts/readme.txt",
    ]);
    // A comment in a module leaves every hash as it was, and is still a change to the source.
    appendFileSync(join(dir, "lib/words.ts"), "// louder\n");
    appendFileSync(join(dir, "requirements.txt"), "numpy\n");
    const workspace = await openWorkspace(dir);
    const artifact = join(dir, "canal-out/read");
    expect(changedSources(readArtifact(artifact).pipeline, artifact, workspace)).toEqual({
      root: realpathSync(dir),
      entry: "pipeline.ts",
      changes: [
        { path: "lib/words.ts", change: "changed" },
        { path: "requirements.txt", change: "changed" },
      ],
    });
    await workspace.close();
  });

  it("`canal run pipeline.ts` writes the artifact where `canal compile` does, so canal-out is never stale", async () => {
    const dir = makeProject({ from: fixture });
    expect((await canal(["compile", "pipeline.ts"], dir)).status).toBe(0);
    const before = sourceFiles(dir);
    writeFileSync(join(dir, "scripts/slow.sh"), '{ cat "$1"; echo changed; } > "$2"\n');
    const fromEntry = await canal(["run", "pipeline.ts"], dir);
    expect(fromEntry.status).toBe(0);
    expect(sourceFiles(dir)).not.toEqual(before);

    const fromArtifact = await canal(["run", "canal-out/slow"], dir);
    expect(fromArtifact.stderr).toBe("");
    // It runs what the entry file's run ran: every step reused from that run.
    expect(fromArtifact.stdout).toMatch(/4 cached/);
  });
});

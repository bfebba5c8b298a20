import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { copyIris, repoRoot } from "../helpers.js";

describe("canal compile and inspect", () => {
  it("compiles the flagship and inspects it for people and for scripts", async () => {
    const dir = copyIris();
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    expect(compiled.status).toBe(0);
    expect(compiled.stdout).toMatch(/^compiled iris: 5 steps, hash [0-9a-f]{12}, .* -> build\/iris\n$/);

    const shown = await canal(["inspect", "build/iris"], dir);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/train {2}\[script\] {2}[0-9a-f]{16} {2}for each c in regularization/);
    expect(shown.stdout).toContain("in  metrics: Metrics[] <- [train.metrics …]");
    expect(shown.stdout).toContain("prepare -> train  (prepped -> prepped)");

    const json = JSON.parse((await canal(["inspect", "build/iris/pipeline.pb", "--json"], dir)).stdout);
    expect(json.pipeline.steps).toHaveLength(5);
    expect(json.edges).toContainEqual({
      from: "train",
      to: "compare",
      kind: "fan-in",
      output: "model",
      input: "models",
    });
    expect(json.problems).toEqual([]);
  });

  it("prints diagnostics like a compiler, exits 1 and writes nothing", async () => {
    const dir = copyIris();
    writeFileSync(
      join(dir, "bad.ts"),
      [
        'import { Metrics, Model, pipeline, step, Table } from "@canal/sdk";',
        "export class Bad {",
        "  @step",
        "  async fit(t: Table): Promise<{ model: Model }> { return { model: new Model(t.path) }; }",
        "  @step",
        "  async score(t: Table): Promise<Metrics> { return new Metrics(t.path); }",
        "  @pipeline",
        "  async run(t: Table) {",
        "    const { model } = await this.fit(t);",
        "    return this.score(model);",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const result = await canal(["compile", "bad.ts", "--out", "build"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^bad\.ts:10:23 - error CANAL1003: .*`score`.*Table.*Model/m);
    expect(result.stderr).toContain("    return this.score(model);");
    expect(result.stderr).toMatch(/hint: /);
    expect(result.stderr).toMatch(/canal compile: \d+ errors?; nothing written/);
    expect(existsSync(join(dir, "build"))).toBe(false);

    const json = JSON.parse((await canal(["compile", "bad.ts", "--json"], dir)).stdout);
    expect(json.ok).toBe(false);
    expect(json.diagnostics[0]).toMatchObject({ code: "CANAL1003", location: { file: "bad.ts", line: 10 } });
  });

  it("answers misuse with the help and exit status 2", async () => {
    expect((await canal([], repoRoot)).status).toBe(2);
    const unknown = await canal(["compil"], repoRoot);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command `compil`");
    const missing = await canal(["compile"], repoRoot);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("needs an entry file");
    expect((await canal(["inspect", "--frobnicate", "x"], repoRoot)).status).toBe(2);
  });

  it("says what to do with something that is not an artifact, or a damaged one", async () => {
    const dir = copyIris();
    const notArtifact = await canal(["inspect", "src"], dir);
    expect(notArtifact.status).toBe(1);
    expect(notArtifact.stderr).toMatch(
      /is not a compiled Canal artifact .* run `canal compile <entry.ts>` first/,
    );

    await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    writeFileSync(join(dir, "build/iris/pipeline.pb"), Buffer.from([0x0a, 0xff, 0xff, 0x01]));
    const damaged = await canal(["inspect", "build/iris"], dir);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(/CANAL_IR_CORRUPT: .*pipeline\.pb is not a Canal pipeline .*recompile/);
  });

  it("ships a working `canal` binary", () => {
    const out = execFileSync(process.execPath, [join(repoRoot, "packages/cli/dist/main.js"), "--help"], {
      encoding: "utf8",
    });
    expect(out).toContain("compile <entry.ts>");
  });
});

import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { copyIris, makeProject, treeBytes } from "../helpers.js";

// Compiling in a build step (docs/ci.md): `canal compile --check` type-checks and validates and
// writes nothing; the artifact `canal compile` writes runs elsewhere, with no sources there, and
// `canal inspect --json` gives what a reviewer reads.
// Each test type-checks a whole project in its own canal process: a few seconds alone, many times
// that while the suite's real services start beside it on two cores.
const COMPILE_TIMEOUT = 150_000;

describe("canal compile --check", () => {
  it(
    "checks the flagship and writes nothing at all",
    async () => {
      const dir = copyIris();
      const before = treeBytes(dir);
      const checked = await canal(["compile", "pipeline.ts", "--check"], dir);
      expect(checked.stderr).toBe("");
      expect(checked.status).toBe(0);
      expect(checked.stdout).toMatch(/^checked iris: 5 steps, hash [0-9a-f]{12}, .*, nothing written\n$/);
      expect(treeBytes(dir)).toEqual(before);
    },
    COMPILE_TIMEOUT,
  );

  it(
    "checks the flagship as JSON and writes nothing at all",
    async () => {
      const dir = copyIris();
      const before = treeBytes(dir);
      const json = JSON.parse((await canal(["compile", "pipeline.ts", "--check", "--json"], dir)).stdout);
      expect(json).toMatchObject({ ok: true, pipelines: [{ name: "iris", steps: 5, dir: null }] });
      expect(treeBytes(dir)).toEqual(before);
    },
    COMPILE_TIMEOUT,
  );

  it(
    "fails on an error, with the diagnostics, and writes nothing",
    async () => {
      const dir = copyIris();
      writeFileSync(join(dir, "pipeline.ts"), "export const notAPipeline: number = 'one';\n");
      const before = treeBytes(dir);
      const checked = await canal(["compile", "pipeline.ts", "--check"], dir);
      expect(checked.status).toBe(1);
      expect(checked.stderr).toMatch(/error CANAL1016: TypeScript error TS2322/);
      expect(checked.stderr).toMatch(/canal compile: \d+ errors?; nothing written/);
      expect(treeBytes(dir)).toEqual(before);
    },
    COMPILE_TIMEOUT,
  );

  it(
    "compiles an artifact that runs elsewhere, with no sources there, and inspects as JSON",
    async () => {
      const project = makeProject({
        files: {
          "pipeline.ts": [
            'import { File, pipeline, step } from "@canal/sdk";',
            "export class Ci {",
            '  @step.script({ source: "./src", run: "cat greeting.txt > {out}" })',
            "  greet(): { out: File } {",
            "    return step.declared();",
            "  }",
            '  @pipeline({ name: "ci" })',
            "  run() {",
            "    return this.greet().out;",
            "  }",
            "}",
            "",
          ].join("\n"),
          "src/greeting.txt": "hello from the build\n",
        },
      });
      expect((await canal(["compile", "pipeline.ts", "--check"], project)).status).toBe(0);
      const compiled = await canal(["compile", "pipeline.ts", "--out", "canal-out"], project);
      expect(compiled.status).toBe(0);
      const review = JSON.parse((await canal(["inspect", "canal-out/ci", "--json"], project)).stdout);
      expect(review.problems).toEqual([]);
      expect(review.pipeline.steps.map((s: { id: string }) => s.id)).toEqual(["greet"]);

      // The CI job keeps canal-out/ci; another machine runs it from there.
      const elsewhere = mkdtempSync(join(tmpdir(), "canal-ci-run-"));
      cpSync(join(project, "canal-out/ci"), join(elsewhere, "ci"), { recursive: true });
      expect((await canal(["init"], elsewhere)).status).toBe(0);
      const ran = await canal(["run", "ci", "--json"], elsewhere);
      expect(ran.stderr).toBe("");
      expect(ran.status).toBe(0);
      expect(JSON.parse(ran.stdout).run.status).toBe("succeeded");
    },
    COMPILE_TIMEOUT,
  );
});

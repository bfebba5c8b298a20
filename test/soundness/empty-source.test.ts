// A script step whose source folder is empty: a valid snapshot, run in an empty folder of its own.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

it("a script step with an empty source folder runs in an empty folder", async () => {
  const dir = makeProject({
    files: {
      "pipeline.ts": `import { File, pipeline, step } from "@canal/sdk";

export class Empty {
  @step.script({ source: "./empty", run: "ls -A > {out}" })
  list(): { out: File } {
    return step.declared();
  }

  @pipeline({ name: "empty" })
  run() {
    return this.list();
  }
}
`,
    },
  });
  // Git keeps no empty folders, so the test makes it.
  mkdirSync(join(dir, "empty"));
  const result = await canal(["run", "pipeline.ts"], dir);
  expect(result.stderr).toBe("");
  expect(result.status, result.stdout).toBe(0);
  expect(result.stdout).toMatch(/list: succeeded/);
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { initWorkspace } from "@canal/store";
import { expect } from "vitest";
import { makeProject } from "../helpers.js";

/** The compiled `fixtures/lookahead` pipeline and a new workspace to run it in; `remove` cleans both up. */
export interface LookaheadFixture {
  artifactDir: string;
  dir: string;
  remove(): void;
}

export async function lookaheadFixture(prefix: string): Promise<LookaheadFixture> {
  const project = makeProject({ from: join(import.meta.dirname, "fixtures/lookahead") });
  const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
  expect(result.diagnostics).toEqual([]);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  initWorkspace(dir);
  return {
    artifactDir: result.pipelines[0]?.dir as string,
    dir,
    remove() {
      rmSync(project, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

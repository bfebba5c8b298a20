// File names survive in containers: see test/soundness/file-names-cases.ts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectFileNamesSurvive, FILE_NAMES_FIXTURE } from "../soundness/file-names-cases.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

describe("a file input keeps its name on docker", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("in a script's placeholder and environment, a TypeScript step's path, a pass-through and a fan-in", async () => {
    const dir = makeProject({ from: FILE_NAMES_FIXTURE });
    const box = { kind: "docker", socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets: { box } }));
    await expectFileNamesSurvive(dir, ["--target", "box"]);
  }, 180_000);
});

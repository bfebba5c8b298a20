// Script-step cases shared with the local runtime, in containers of one engine: values stay data
// inside a container's /bin/sh too (injection-cases.ts), and a file input keeps its name
// (file-names-cases.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectFileNamesSurvive, FILE_NAMES_FIXTURE } from "../soundness/file-names-cases.js";
import { expectValuesStayData, INJECTION_FIXTURE } from "../soundness/injection-cases.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

describe("script steps on docker", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  /** A copy of `fixture` whose canal.config.json names the engine as target `box`. */
  function onEngine(fixture: string): string {
    const dir = makeProject({ from: fixture });
    const box = { kind: "docker", socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets: { box } }));
    return dir;
  }

  it("keep a value data in every quoting context, for every metacharacter", async () => {
    await expectValuesStayData(onEngine(INJECTION_FIXTURE), ["--target", "box"]);
  });

  it("give a file input its own name: a script's placeholder and environment, a TypeScript step's path, a pass-through and a fan-in", async () => {
    await expectFileNamesSurvive(onEngine(FILE_NAMES_FIXTURE), ["--target", "box"]);
  }, 180_000);
});

// The injection cases on the docker runtime: values stay data inside a container's /bin/sh too.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectValuesStayData, INJECTION_FIXTURE } from "../soundness/injection-cases.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

describe("a value in a script step's command on docker", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("stays data in every quoting context, for every metacharacter", async () => {
    const dir = makeProject({ from: INJECTION_FIXTURE });
    const box = { kind: "docker", socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets: { box } }));
    await expectValuesStayData(dir, ["--target", "box"]);
  });
});

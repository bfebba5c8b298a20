import { DockerRuntime } from "@canal/runtime-docker";
import { afterAll, beforeAll } from "vitest";
import { runtimeConformance } from "../conformance/suite.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  await engine?.stop();
});

// The fixture hands some steps a host directory as a parameter; the tests' tmpdir is shared at the
// same path so those steps reach it from their containers.
runtimeConformance(
  "docker",
  () => new DockerRuntime({ socket: engine.socket, image: HOST_IMAGE, binds: [...HOST_BINDS, "/tmp:/tmp"] }),
  // A container's processes have ids of their own PID namespace: the pids its steps record mean
  // nothing here, so timeout and cancel are checked by heartbeats and by the run's environment.
  { hostPids: false },
);

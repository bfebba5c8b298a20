// The runtime conformance suite on docker with the artifacts in an S3 bucket and a network that
// reaches it: every step fetches its own inputs from the bucket and stores its own outputs there
// (the driver stages no byte), and must still give the same outputs, events and cache decisions.
import { randomUUID } from "node:crypto";
import { DockerRuntime } from "@canal/runtime-docker";
import { afterAll, beforeAll } from "vitest";
import { runtimeConformance } from "../conformance/suite.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

const BUCKET = "canal-conformance";
const KEY_ENV = "CANAL_TEST_CONFORMANCE_S3_KEY";
const SECRET_ENV = "CANAL_TEST_CONFORMANCE_S3_SECRET";

let engine: Engine;
let rgw: Rgw;
let bucket: TestBucket;
beforeAll(async () => {
  [engine, rgw] = await Promise.all([startEngine(), startRgw()]);
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);
afterAll(async () => {
  bucket?.release();
  await Promise.all([engine?.stop(), rgw?.stop()]);
});

runtimeConformance(
  "docker with an S3 store",
  // Network "host": the containers reach the test's gateway on loopback.
  () =>
    new DockerRuntime({
      socket: engine.socket,
      image: HOST_IMAGE,
      binds: [...HOST_BINDS, "/tmp:/tmp"],
      network: "host",
    }),
  {
    hostPids: false,
    artifacts: () => bucket.config({ prefix: `conformance/${randomUUID()}` }),
    skip: {
      "corrupt-cache":
        "it damages a blob in the local store's folder; test/run/s3-artifacts.test.ts changes one in the bucket",
      "large-output":
        "1 GiB through the test's in-memory gateway twice; test/bytes/driver-bytes.test.ts counts the driver's reads instead",
    },
  },
);

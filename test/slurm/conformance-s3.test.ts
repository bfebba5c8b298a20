// The runtime conformance suite on Slurm with the artifacts in an S3 bucket: every job fetches its
// own inputs from the bucket and stores its own outputs there (the driver stages no byte), and
// must still give the same outputs, events and cache decisions.
import { randomUUID } from "node:crypto";
import { SlurmRuntime } from "@canal/runtime-slurm";
import { afterAll, beforeAll } from "vitest";
import { runtimeConformance } from "../conformance/suite.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { type SlurmCluster, startSlurmCluster } from "./cluster.mjs";

const BUCKET = "canal-slurm-conformance";
const KEY_ENV = "CANAL_TEST_SLURM_CONFORMANCE_S3_KEY";
const SECRET_ENV = "CANAL_TEST_SLURM_CONFORMANCE_S3_SECRET";

let cluster: SlurmCluster;
let rgw: Rgw;
let bucket: TestBucket;
beforeAll(async () => {
  [cluster, rgw] = await Promise.all([startSlurmCluster(), startRgw()]);
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);
afterAll(async () => {
  bucket?.release();
  await Promise.all([cluster?.stop(), rgw?.stop()]);
});

runtimeConformance(
  "slurm with an S3 store",
  (sharedDir) => new SlurmRuntime({ sharedDir, env: cluster.env }),
  {
    artifacts: () => bucket.config({ prefix: `conformance/${randomUUID()}` }),
    skip: {
      "corrupt-cache":
        "it damages a blob in the local store's folder; test/run/s3-artifacts.test.ts changes one in the bucket",
      "large-output":
        "1 GiB through the test's in-memory gateway twice; test/slurm/s3-bytes.test.ts counts the driver's reads instead",
    },
  },
);

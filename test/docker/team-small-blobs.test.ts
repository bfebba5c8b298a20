// A step on docker that fetches its own inputs from the team store's bucket (PostgreSQL metadata,
// S3 artifacts, network "host"; real servers started here) finds an input the driver kept as a
// row of PostgreSQL (a small file parameter): it is put into the bucket before the step starts.
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";
import { type PostgresServer, startPostgres } from "../postgres/server.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

const BUCKET = "canal-docker-team";
const KEY_ENV = "CANAL_TEST_DOCKER_TEAM_S3_KEY";
const SECRET_ENV = "CANAL_TEST_DOCKER_TEAM_S3_SECRET";

const PIPELINE = `import { readFile, writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";

export class Shout {
  @step
  async shout(note: File): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, (await readFile(note.path, "utf8")).toUpperCase());
    return { out: new File(out) };
  }

  @pipeline({ name: "shout" })
  async run(note: File) {
    const { out } = await this.shout(note);
    return { out };
  }
}
`;

let engine: Engine;
let rgw: Rgw;
let pg: PostgresServer;
let bucket: TestBucket;

beforeAll(async () => {
  [engine, rgw, pg] = await Promise.all([startEngine(), startRgw(), startPostgres()]);
  pg.psql("CREATE DATABASE canal");
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
}, 900_000);

afterAll(async () => {
  bucket?.release();
  await Promise.all([engine?.stop(), rgw?.stop(), pg?.stop()]);
});

const sha256 = (bytes: string) => createHash("sha256").update(bytes).digest("hex");
const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

describe("a docker step of a team workspace", () => {
  it("finds its input kept as a row: put into the bucket before the step starts", async () => {
    const prefix = `docker/${randomUUID()}`;
    const dir = makeProject({ files: { "pipeline.ts": PIPELINE, "note.txt": "a small note\n" } });
    writeFileSync(
      join(dir, "canal.config.json"),
      JSON.stringify({
        workspace: "team",
        store: { kind: "postgres", url: pg.url("canal") },
        artifacts: bucket.config({ prefix }),
        targets: {
          box: {
            kind: "docker",
            socket: engine.socket,
            image: HOST_IMAGE,
            binds: HOST_BINDS,
            network: "host",
          },
        },
      }),
    );
    const compiled = await canal(["compile", "pipeline.ts", "--out", "artifact"], dir);
    expect(compiled.status, compiled.stdout + compiled.stderr).toBe(0);
    const artifact = join(dir, "artifact", "shout");
    expect(existsSync(join(artifact, "pipeline.pb")), readdirSync(join(dir, "artifact")).join(" ")).toBe(
      true,
    );

    const ran = await canal(["run", artifact, "--target", "box", "-p", `note=${join(dir, "note.txt")}`], dir);
    expect(ran.status, ran.stdout + ran.stderr).toBe(0);
    const note = sha256("a small note\n");
    // The driver kept the parameter as a row, and put it into the bucket for the step.
    expect(pg.psql(`SELECT count(*) FROM small_blobs WHERE digest = '${note}'`, "canal").trim()).toBe("1");
    const Key = `${prefix}/sha256/${note.slice(0, 2)}/${note.slice(2)}`;
    expect((await bucket.admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))).ContentLength).toBe(13);
    const to = join(dir, "fetched");
    const fetched = await canal(["download", runIdOf(ran.stdout), "--to", to], dir);
    expect(fetched.status, fetched.stdout + fetched.stderr).toBe(0);
    expect(readFileSync(join(to, "out"), "utf8")).toBe("A SMALL NOTE\n");
  }, 300_000);
});

// Steps on docker with the artifacts in an S3 bucket move their own bytes: the `canal run` process
// that drives them reads a small part of what they fetch and store (counted by the kernel, in
// /proc/PID/io), the outputs are in the bucket under their digests, a re-run is cached without
// reading them either, and an input damaged or gone from the bucket fails the step that needs it,
// saying which input and why. The bucket's keys show nowhere in what Canal writes.
import { createHash, randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedCanal } from "../counted-canal.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "../docker/engine.mjs";
import { makeProject, repoRoot, waitFor } from "../helpers.js";
import { type Rgw, startRgw } from "../services/rgw.mjs";
import { type TestBucket, testBucket } from "../services/s3-bucket.mjs";

const BUCKET = "canal-bytes";
const KEY_ENV = "CANAL_TEST_BYTES_S3_KEY";
const SECRET_ENV = "CANAL_TEST_BYTES_S3_SECRET";
const MiB = 1024 * 1024;

// Bytes that a step makes and the test can make too: `size` of them from `seed`, so that a re-run
// stores the same outputs and the test knows their digests.
const BYTES = `function bytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(seed).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}`;
function bytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(seed).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

/** Steps that move 104 MiB between them: 20 MiB made, 16 MiB doubled by a script, 36 MiB read back. */
const MOVING = `import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { context, Directory, File, pipeline, step } from "@canal/sdk";

${BYTES}

export class Moving {
  @step
  async make(): Promise<{ data: File; tree: Directory }> {
    const data = context().outputPath("data");
    await writeFile(data, bytes("data", ${16 * MiB}));
    const tree = context().outputPath("tree");
    await mkdir(join(tree, "sub"));
    await writeFile(join(tree, "a.bin"), bytes("a", ${2 * MiB}));
    await writeFile(join(tree, "sub", "b.bin"), bytes("b", ${2 * MiB}));
    return { data: new File(data), tree: new Directory(tree) };
  }

  @step.script({ source: "./scripts", run: "cat {data} {data} > {out}" })
  double(data: File): { out: File } {
    return step.declared();
  }

  @step
  async measure(doubled: File, tree: Directory): Promise<{ size: number; report: File }> {
    const size =
      (await readFile(doubled.path)).length +
      (await readFile(join(tree.path, "a.bin"))).length +
      (await readFile(join(tree.path, "sub", "b.bin"))).length;
    const report = context().outputPath("report");
    await writeFile(report, \`\${size}\\n\`);
    return { size, report: new File(report) };
  }

  @pipeline({ name: "moving" })
  async run() {
    const made = await this.make();
    const doubled = this.double(made.data);
    const measured = await this.measure(doubled.out, made.tree);
    return { report: measured.report };
  }
}
`;

/**
 * Two inputs that the test damages and deletes in the bucket while \`hold\` waits for /gate/open:
 * the steps after it must fetch them themselves.
 */
const GATED = `import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { context, File, pipeline, step } from "@canal/sdk";

${BYTES}

export class Gated {
  @step
  async make(): Promise<{ data: File; other: File }> {
    const data = context().outputPath("data");
    await writeFile(data, bytes("gated-data", ${MiB}));
    const other = context().outputPath("other");
    await writeFile(other, bytes("gated-other", ${MiB}));
    return { data: new File(data), other: new File(other) };
  }

  @step.script({ source: "./scripts", run: "touch /gate/held; while [ ! -e /gate/open ]; do sleep 0.05; done; echo held > {out}" })
  hold(data: File): { out: File } {
    return step.declared();
  }

  @step
  async useData(data: File, held: File): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, (await readFile(data.path)).subarray(0, 10));
    return { out: new File(out) };
  }

  @step
  async useOther(other: File, held: File): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, (await readFile(other.path)).subarray(0, 10));
    return { out: new File(out) };
  }

  @pipeline({ name: "gated" })
  async run() {
    const made = await this.make();
    const held = this.hold(made.data);
    const a = await this.useData(made.data, held.out);
    const b = await this.useOther(made.other, held.out);
    return { a: a.out, b: b.out };
  }
}
`;

/** A Table with a declared schema, fetched by the step itself: checked where it lands. */
const TABLED = `import { writeFile } from "node:fs/promises";
import { context, File, pipeline, step, Table } from "@canal/sdk";
import type { WineRow } from "./schemas.js";

export class Tabled {
  @step
  async export(): Promise<{ table: Table }> {
    const out = context().outputPath("table");
    await writeFile(out, "ph,grape\\n3.5,merlot\\n");
    return { table: new Table(out) };
  }

  @step
  async summarise(wine: Table<typeof WineRow>): Promise<{ out: File }> {
    const out = context().outputPath("out");
    await writeFile(out, "summarised\\n");
    return { out: new File(out) };
  }

  @pipeline({ name: "tabled" })
  async run() {
    const { table } = await this.export();
    return this.summarise(table);
  }
}
`;

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

let rgw: Rgw;
let bucket: TestBucket;
let engine: Engine;
let admin: TestBucket["admin"];
const scratch = mkdtempSync(join(tmpdir(), "canal-bytes-"));
const gate = join(scratch, "gate");
// The driver's reads, as the kernel counted them.
const counted = countedCanal(scratch, () => ({
  [KEY_ENV]: rgw.credentials.accessKeyId,
  [SECRET_ENV]: rgw.credentials.secretAccessKey,
}));

beforeAll(async () => {
  [rgw, engine] = await Promise.all([startRgw(), startEngine()]);
  bucket = await testBucket(rgw, { bucket: BUCKET, keyEnv: KEY_ENV, secretEnv: SECRET_ENV });
  admin = bucket.admin;
  mkdirSync(gate);
}, 900_000);

afterAll(async () => {
  bucket?.release();
  await Promise.all([rgw?.stop(), engine?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

/** A project running `source` on a docker target that reaches the bucket (network "host"). */
function project(source: string, prefix: string, files: Record<string, string> = {}): string {
  const dir = makeProject({
    files: { "pipeline.ts": source, "scripts/README": "script steps' source\n", ...files },
  });
  const box = {
    kind: "docker",
    socket: engine.socket,
    image: HOST_IMAGE,
    binds: [...HOST_BINDS, `${gate}:/gate`],
    network: "host",
  };
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({
      workspace: "bytes",
      artifacts: bucket.config({ prefix }),
      targets: { box },
    }),
  );
  return dir;
}

const canal = counted.start;
const run = counted.run;
const runIdOf = (output: string) => /^run (run-\S+): /m.exec(output)?.[1] ?? "";

interface ShownStep {
  stepId: string;
  status: string;
  error?: string;
  outputs?: Record<string, { digest?: string; directory?: boolean; json?: string }>;
}

async function shown(dir: string, runId: string): Promise<ShownStep[]> {
  const result = await run(["runs", "show", runId, "--json"], dir);
  expect(result.status, result.output).toBe(0);
  return JSON.parse(result.output).steps as ShownStep[];
}

const states = (steps: ShownStep[]) => Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
const keyOf = (prefix: string, digest: string, kind = "sha256") =>
  `${prefix}/${kind}/${digest.slice(0, 2)}/${digest.slice(2)}`;

/** Every file under `dir`, read, for a secret that must not be there. */
function everyFile(dir: string): Array<{ path: string; text: string }> {
  const found: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isDirectory()) found.push(...everyFile(path));
    else if (info?.isFile()) found.push({ path, text: readFileSync(path, "latin1") });
  }
  return found;
}

describe("steps on docker with an S3 blob store", () => {
  it("fetch and store their own bytes: the driver reads a fraction of them, and a re-run is cached", async () => {
    const prefix = `moving/${randomUUID()}`;
    const dir = project(MOVING, prefix);
    const compiled = await run(["compile", "pipeline.ts", "--out", "artifact"], dir);
    expect(compiled.status, compiled.output).toBe(0);
    const artifact = join(dir, "artifact", "moving");
    expect(existsSync(join(artifact, "pipeline.pb")), readdirSync(join(dir, "artifact")).join(" ")).toBe(
      true,
    );

    const first = await run(["run", artifact, "--target", "box"], dir);
    expect(first.status, first.output).toBe(0);
    const moved = 104 * MiB;
    // The steps fetched and stored 104 MiB; the driver read what Node and Canal's code take to
    // start and the small records (about 6 MiB), not the data: with the bytes staged through it
    // (a target with network "none") it reads every input and output at least once (over 150 MiB).
    // read_bytes counts what came from the disk rather than the page cache: a bound, no more.
    expect(first.io.rchar, first.output).toBeLessThan(moved / 8);
    expect(first.io.readBytes).toBeLessThan(moved / 8);

    const steps = await shown(dir, runIdOf(first.output));
    expect(states(steps)).toEqual({ make: "succeeded", double: "succeeded", measure: "succeeded" });
    const outputs = Object.fromEntries(steps.map((s) => [s.stepId, s.outputs ?? {}]));
    expect(outputs.make?.data?.digest).toBe(sha256(bytes("data", 16 * MiB)));
    const data = bytes("data", 16 * MiB);
    expect(outputs.double?.out?.digest).toBe(sha256(Buffer.concat([data, data])));
    expect(outputs.measure?.size).toEqual({ json: String(36 * MiB) });
    // Each artifact under its digest in the bucket, the directory with its marker and its files.
    for (const value of [
      outputs.make?.data,
      outputs.make?.tree,
      outputs.double?.out,
      outputs.measure?.report,
    ]) {
      const head = await admin.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, value?.digest ?? "") }),
      );
      expect(head.ContentLength).toBeGreaterThan(0);
    }
    await admin.send(
      new HeadObjectCommand({
        Bucket: BUCKET,
        Key: keyOf(prefix, outputs.make?.tree?.digest ?? "", "directories"),
      }),
    );
    const member = await admin.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, sha256(bytes("b", 2 * MiB))) }),
    );
    expect(member.ContentLength).toBe(2 * MiB);

    const again = await run(["run", artifact, "--target", "box"], dir);
    expect(again.status, again.output).toBe(0);
    expect(states(await shown(dir, runIdOf(again.output)))).toEqual({
      make: "cached",
      double: "cached",
      measure: "cached",
    });
    // The cache is checked by the objects' ETags, found when the steps' outputs were: no byte read.
    expect(again.io.rchar).toBeLessThan(moved / 8);

    for (const ended of [compiled, first, again]) {
      expect(ended.output).not.toContain(rgw.credentials.secretAccessKey);
      expect(ended.output).not.toContain(rgw.credentials.accessKeyId);
    }
    // Not in the store, the logs or a file a step was given.
    for (const file of everyFile(dir)) {
      expect(file.text.includes(rgw.credentials.secretAccessKey), file.path).toBe(false);
      expect(file.text.includes(rgw.credentials.accessKeyId), file.path).toBe(false);
    }
  }, 300_000);

  it("fail the step clearly when an input is damaged or gone from the bucket", async () => {
    const prefix = `gated/${randomUUID()}`;
    const dir = project(GATED, prefix);
    rmSync(join(gate, "held"), { force: true });
    rmSync(join(gate, "open"), { force: true });
    const started = canal(["run", "pipeline.ts", "--target", "box"], dir);
    let settled = false;
    void started.ended.finally(() => {
      settled = true;
    });
    // `hold` runs once `make`'s outputs were recorded: they are changed in the bucket behind the
    // driver's back, and the steps after `hold` fetch them.
    await waitFor("step hold to start", () => existsSync(join(gate, "held")) || settled, 120_000);
    expect(settled).toBe(false);
    // The running step's task file names the bucket and the inputs, never the keys.
    const files = everyFile(dir);
    const stepFile = files.find((file) => file.path.endsWith("/step.json"));
    expect(stepFile?.text, files.map((file) => file.path).join("\n")).toContain(`"bucket":"${BUCKET}"`);
    for (const file of files) {
      expect(file.text.includes(rgw.credentials.secretAccessKey), file.path).toBe(false);
      expect(file.text.includes(rgw.credentials.accessKeyId), file.path).toBe(false);
    }
    const data = sha256(bytes("gated-data", MiB));
    const other = sha256(bytes("gated-other", MiB));
    await admin.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, data), Body: "not the data" }),
    );
    await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, other) }));
    writeFileSync(join(gate, "open"), "");
    const ended = await started.ended;
    expect(ended.status, ended.output).not.toBe(0);
    const steps = await shown(dir, runIdOf(ended.output));
    expect(states(steps)).toEqual({
      make: "succeeded",
      hold: "succeeded",
      useData: "failed",
      useOther: "failed",
    });
    const errorOf = (id: string) => steps.find((s) => s.stepId === id)?.error ?? "";
    expect(errorOf("useData")).toMatch(
      new RegExp(
        `^step useData: input \`data\` \\(sha256:${data}\\) could not be fetched from the artifact store: .*is corrupt`,
      ),
    );
    expect(errorOf("useOther")).toMatch(
      new RegExp(
        `^step useOther: input \`other\` \\(sha256:${other}\\) could not be fetched from the artifact store: .*is not in the artifact store s3://${BUCKET}/${prefix}/`,
      ),
    );
    expect(ended.output).toContain("could not be fetched from the artifact store");
    expect(ended.output).not.toContain(rgw.credentials.secretAccessKey);
  }, 300_000);

  it("check a Table input against its declared schema once fetched, before the step's body starts", async () => {
    const prefix = `tabled/${randomUUID()}`;
    const dir = project(TABLED, prefix, {
      "schemas.ts":
        'import { z } from "zod";\nexport const WineRow = z.object({ ph: z.number(), quality: z.int() });\n',
    });
    // The compiler reads the schema's types; the steps' code only names it as a type.
    symlinkSync(join(repoRoot, "node_modules/zod"), join(dir, "node_modules/zod"));
    const compiled = await run(["compile", "pipeline.ts", "--out", "artifact"], dir);
    expect(compiled.status, compiled.output).toBe(0);
    const ended = await run(["run", join(dir, "artifact", "tabled"), "--target", "box"], dir);
    expect(ended.status, ended.output).not.toBe(0);
    const steps = await shown(dir, runIdOf(ended.output));
    expect(states(steps)).toEqual({ export: "succeeded", summarise: "failed" });
    expect(steps.find((s) => s.stepId === "summarise")?.error).toBe(
      "step summarise: input `wine` does not fit schema `WineRow`: table has no column `quality` (integer); its columns are `ph`, `grape`; fix the data, or change the schema the step declares",
    );
  }, 300_000);
});

import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Binding, Pipeline, Step, Type } from "@canal/ir";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { timesShowEveryChange } from "./folder-recycling.js";
import { testSnapshot, writeTestArtifact } from "./testing/artifact.js";
import type { StepCall } from "./testing/memory-runtime.js";
import { fromOutput, TestBed, testPipeline, testStep, types } from "./testing/pipelines.js";

let bed: TestBed;
beforeEach(() => {
  bed = new TestBed();
});
afterEach(() => bed.remove());

const README = "The script steps run in a snapshot of this folder.\n";

/**
 * A chain of script steps, each a snapshot of one README: `s1` writes a number, `s2`… add one to
 * their input's. All but `s1` have one folder shape, so a finished one's folder may serve a later one.
 */
function scriptChain(n: number): Pipeline {
  const { digest, blobs } = testSnapshot({ README });
  const script = { snapshot: digest, command: "true", source: "./src" };
  const steps: Step[] = [];
  for (let i = 1; i <= n; i++) {
    const inputs: Record<string, [Type, Binding]> =
      i === 1 ? {} : { x: [types.file, fromOutput(`s${i - 1}`, "data")] };
    steps.push(testStep(`s${i}`, inputs, { data: types.file }, { kind: "SCRIPT", script }));
  }
  return writeTestArtifact(join(bed.dir, "artifact"), testPipeline(steps), blobs);
}

/** What a step saw of its folder as it started. */
interface Seen {
  key: string;
  /** Every entry under the folder, a directory's with a `/` and its permissions. */
  tree: string[];
  readme: string;
  input?: string;
  /** The folder's inode and birth: the same pair twice is one folder handed on. */
  folder: string;
  /** The input file's inode and birth: the same pair twice is one file written into again. */
  inputFile?: string;
  /** out/'s inode and birth: the same pair twice is one out/ handed on. */
  out: string;
  /** out/'s size as the step started. */
  outSize: number;
}

function tree(dir: string, prefix = ""): string[] {
  const entries: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const relative = prefix ? `${prefix}/${name}` : name;
    const stats = lstatSync(join(dir, relative));
    if (stats.isDirectory()) {
      entries.push(`${relative}/ ${(stats.mode & 0o7777).toString(8)}`, ...tree(dir, relative));
    } else entries.push(stats.isSymbolicLink() ? `${relative} ->` : relative);
  }
  return entries;
}

function identityOf(path: string): string {
  const stats = lstatSync(path, { bigint: true });
  return `${stats.ino}:${stats.birthtimeNs}`;
}

/** Runs a chain of `n` in which step `s2` does `tamper` to its folder once it wrote its output. */
async function run(n: number, tamper: (call: StepCall) => void = () => {}) {
  const seen: Seen[] = [];
  const steps: Record<string, (call: StepCall) => void> = {};
  for (let i = 1; i <= n; i++) {
    steps[`s${i}`] = (call) => {
      const dir = call.task.workDir;
      const stats = lstatSync(dir, { bigint: true });
      const input = call.inputs.x as string | undefined;
      seen.push({
        key: call.task.stepKey,
        tree: [`./ ${(Number(stats.mode) & 0o7777).toString(8)}`, ...tree(dir)],
        readme: readFileSync(join(dir, "src", "README"), "utf8"),
        ...(input ? { input: readFileSync(input, "utf8") } : {}),
        folder: `${stats.ino}:${stats.birthtimeNs}`,
        out: identityOf(join(dir, "out")),
        outSize: lstatSync(join(dir, "out")).size,
        ...(input ? { inputFile: identityOf(input) } : {}),
      });
      const value = input ? Number(readFileSync(input, "utf8")) + 1 : 1;
      writeFileSync(call.outputPath("data"), String(value));
      if (i === 2) tamper(call);
    };
  }
  const { summary } = await bed.run(scriptChain(n), { steps, settles: true, maxParallel: 1 });
  return { summary, seen };
}

// A fresh folder's permissions, as mkdir makes it under this process's umask.
function freshMode(): string {
  const probe = join(bed.dir, "probe");
  mkdirSync(probe);
  return (lstatSync(probe).mode & 0o7777).toString(8);
}

/** No step after the tampered one (`s2`) was handed its folder. */
function expectNotHandedOn(seen: Seen[]) {
  const tampered = seen.find((step) => step.key === "s2")?.folder;
  expect(seen.filter((step) => step.key !== "s2" && step.folder === tampered)).toEqual([]);
}

/** Each step saw a fresh folder's layout, its own input, the snapshot as built. */
function expectFresh(seen: Seen[]) {
  const mode = freshMode();
  for (const [i, step] of seen.entries()) {
    const inputs = i === 0 ? [] : [`in/ ${mode}`, `in/x/ ${mode}`, "in/x/data"];
    expect(step.tree, step.key).toEqual([
      `./ ${mode}`,
      ...inputs,
      `out/ ${mode}`,
      `src/ ${mode}`,
      "src/README",
    ]);
    expect(step.readme, step.key).toBe(README);
    if (i > 0) expect(step.input, step.key).toBe(String(i));
  }
}

describe.runIf(timesShowEveryChange(process.env.TMPDIR ?? "/tmp"))("a finished folder recycled", () => {
  it("hands an unchanged finished folder to the next step of its shape, which sees a fresh folder", async () => {
    const { summary, seen } = await run(6);
    expect(summary.status).toBe("succeeded");
    expectFresh(seen);
    // One folder served two steps or more: the same inode and birth time.
    const folders = seen.map((step) => step.folder);
    expect(new Set(folders).size).toBeLessThan(folders.length);
    // Nothing of the run's folders is left.
    const work = join(bed.dir, "work");
    expect(readdirSync(work).flatMap((run) => readdirSync(join(work, run)))).toEqual([]);
  });

  it("writes the next step's input over the copy its folder's last step left as staged", async () => {
    const { seen } = await run(6);
    expectFresh(seen);
    // A later step read its input from the very file an earlier one read its own from, written over.
    const files = seen.flatMap((step) => (step.inputFile ? [step.inputFile] : []));
    expect(new Set(files).size).toBeLessThan(files.length);
  });

  it("hands on a kept folder's out/ itself, emptied, where it is as made", async () => {
    const { seen } = await run(6);
    expectFresh(seen);
    // A later step was given the very out/ an earlier one wrote its output into.
    const outs = seen.map((step) => step.out);
    expect(new Set(outs).size).toBeLessThan(outs.length);
  });

  it("makes out/ afresh after a step that changed its permissions, and still hands the folder on", async () => {
    const { seen } = await run(5, (call) => chmodSync(join(call.task.workDir, "out"), 0o700));
    expectFresh(seen);
    const tampered = seen.find((step) => step.key === "s2");
    const later = seen.filter((step) => step.key !== "s2" && step.folder === tampered?.folder);
    expect(later.length).toBeGreaterThan(0);
    for (const step of later) expect(step.out, step.key).not.toBe(tampered?.out);
  });

  it("makes out/ afresh after a step that filled it with scratch files and removed them", async () => {
    const fresh = join(bed.dir, "fresh-out");
    mkdirSync(fresh);
    const { seen } = await run(5, (call) => {
      const out = join(call.task.workDir, "out");
      for (let i = 0; i < 500; i++) writeFileSync(join(out, `scratch-${i}.tmp`), "");
      for (let i = 0; i < 500; i++) rmSync(join(out, `scratch-${i}.tmp`));
    });
    expectFresh(seen);
    // A directory that held many entries stays large where the file system never shrinks one
    // (ext4): each later step starts with an out/ the size of a fresh one.
    for (const step of seen) expect(step.outSize, step.key).toBe(lstatSync(fresh).size);
  });

  // The folder's own times catch a replaced out/ before out/'s identity is looked at.
  it("gives no later step the out/ a step put in place of its own", async () => {
    let replaced = "";
    const { seen } = await run(5, (call) => {
      const out = join(call.task.workDir, "out");
      renameSync(out, join(bed.dir, "moved-out"));
      mkdirSync(out);
      writeFileSync(call.outputPath("data"), readFileSync(join(bed.dir, "moved-out", "data")));
      replaced = identityOf(out);
    });
    expectFresh(seen);
    // Its folder's own times show the change: no later step is given either.
    expectNotHandedOn(seen);
    expect(seen.filter((step) => step.out === replaced)).toEqual([]);
  });

  it("gives a fresh copy after a step that linked its input elsewhere, and leaves the linked file as it was", async () => {
    const outside = join(bed.dir, "linked");
    const { seen } = await run(6, (call) => linkSync(call.inputs.x as string, outside));
    expectFresh(seen);
    // s2 read s1's output, "1"; no later input was written through the link.
    expect(readFileSync(outside, "utf8")).toBe("1");
    expect(seen.filter((step) => step.inputFile === identityOf(outside)).map((step) => step.key)).toEqual([
      "s2",
    ]);
  });

  it("hands on a folder whose collected outputs its store left in out/, and the next step sees out/ empty", async () => {
    bed.blobs.movesFiles = false;
    const { summary, seen } = await run(6);
    expect(summary.status).toBe("succeeded");
    expectFresh(seen);
    const folders = seen.map((step) => step.folder);
    expect(new Set(folders).size).toBeLessThan(folders.length);
  });

  it("makes a fresh folder after a step that left a file in out/ under another name than its outputs'", async () => {
    bed.blobs.movesFiles = false;
    const { seen } = await run(5, (call) => writeFileSync(join(call.task.workDir, "out", "notes"), "left"));
    expectFresh(seen);
    expectNotHandedOn(seen);
  });

  it("makes a fresh folder after a step that wrote an extra file in its folder", async () => {
    const { seen } = await run(5, (call) => writeFileSync(join(call.task.workDir, "notes.txt"), "left"));
    expectFresh(seen);
  });

  it("makes a fresh folder after a step that changed a folder's permissions", async () => {
    const { seen } = await run(5, (call) => chmodSync(join(call.task.workDir, "in"), 0o700));
    expectFresh(seen);
  });

  it("makes a fresh folder after a step that wrote its snapshot's file in place", async () => {
    const { seen } = await run(5, (call) => {
      const file = join(call.task.workDir, "src", "README");
      // The same size, the same inode: only the times say it was written.
      writeFileSync(file, README.replace("The", "THE"), { flag: "r+" });
    });
    expectFresh(seen);
  });

  it("makes a fresh folder after a step that put a link in place of in/, and touches nothing it leads to", async () => {
    const outside = join(bed.dir, "outside");
    const { seen } = await run(5, (call) => {
      renameSync(join(call.task.workDir, "in"), outside);
      symlinkSync(outside, join(call.task.workDir, "in"));
    });
    expectFresh(seen);
    expect(readdirSync(join(outside, "x"))).toEqual(["data"]);
  });

  it("makes a fresh folder after a step that left something in out/", async () => {
    const { seen } = await run(5, (call) => {
      mkdirSync(join(call.task.workDir, "out", "cache"));
      writeFileSync(join(call.task.workDir, "out", "cache", "part"), "p");
    });
    expectFresh(seen);
    expectNotHandedOn(seen);
  });

  it("keeps no folder of a failed attempt, and the run leaves none behind", async () => {
    const { summary, seen } = await run(4, (call) => {
      rmSync(call.outputPath("data"));
    });
    expect(summary.steps.s2).toBe("failed");
    expect(seen.map((step) => step.key)).toEqual(["s1", "s2"]);
    const work = join(bed.dir, "work");
    expect(existsSync(work) ? readdirSync(work).flatMap((run) => readdirSync(join(work, run))) : []).toEqual(
      [],
    );
  });
});

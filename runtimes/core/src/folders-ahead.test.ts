import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attemptFolder, FoldersAhead } from "./folders-ahead.js";
import type { StepInstance } from "./plan.js";
import { literal, testStep, types } from "./testing/pipelines.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "canal-folders-ahead-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const reads = testStep("reads", { data: [types.file, literal("x")] }, { out: types.file });
const counts = testStep("counts", { n: [types.number, literal(1)] }, { out: types.number });
const instance = (step = reads, key = step.id): StepInstance => ({ key, step, index: -1 });

function folders(limit = 2) {
  const released: string[] = [];
  const ahead = new FoldersAhead({
    workRoot: root,
    runId: "run-1",
    artifactDir: join(root, "artifact"),
    limit,
    release: (dir) => {
      released.push(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return { ahead, released };
}

describe("FoldersAhead", () => {
  it("makes a first attempt's folder with out/, and in/ only for a step that takes files", () => {
    const { ahead } = folders();
    expect(ahead.make(instance())).toBe(true);
    expect(ahead.make(instance(counts))).toBe(true);
    expect(readdirSync(attemptFolder(root, "run-1", "reads", 1)).sort()).toEqual(["in", "out"]);
    expect(readdirSync(join(attemptFolder(root, "run-1", "reads", 1), "in"))).toEqual(["data"]);
    expect(readdirSync(attemptFolder(root, "run-1", "counts", 1))).toEqual(["out"]);
  });

  it("hands the folder to its first attempt only, once", () => {
    const { ahead } = folders();
    ahead.make(instance());
    const first = attemptFolder(root, "run-1", "reads", 1);
    expect(ahead.take("reads", 2, attemptFolder(root, "run-1", "reads", 2))).toBeUndefined();
    expect(ahead.take("reads", 1, first)).toEqual({ in: true, inputs: ["data"] });
    expect(ahead.take("reads", 1, first)).toBeUndefined();
    // Taken: the attempt's own now, not the run's to remove.
    ahead.forget("reads");
    expect(existsSync(first)).toBe(true);
  });

  it("makes no folder for a key that names a place outside the work folder, and does not throw", () => {
    const { ahead, released } = folders();
    const escaping = testStep("up/../../escape", { data: [types.file, literal("x")] }, {});
    expect(ahead.make(instance(escaping))).toBe(false);
    expect(ahead.has(escaping.id)).toBe(false);
    expect(released).toEqual([]);
    expect(existsSync(join(root, "escape-1"))).toBe(false);
  });

  it("leaves no removal behind a folder it could not finish, to take the attempt's own folder later", () => {
    // The run removes released folders later (off the critical path): a folder that failed half
    // made is gone before make returns, since the attempt makes its own at that very path.
    const deferred: string[] = [];
    const ahead = new FoldersAhead({
      workRoot: root,
      runId: "run-1",
      artifactDir: join(root, "artifact"),
      limit: 2,
      release: (dir) => deferred.push(dir),
    });
    // Its snapshot is not in the artifact: rebuilding it ahead fails once out/ and in/ are made.
    const script = testStep(
      "script",
      { data: [types.file, literal("x")] },
      {},
      {
        kind: "SCRIPT",
        script: { snapshot: "0".repeat(64), command: "true", source: "./src" },
      },
    );
    expect(ahead.make(instance(script))).toBe(false);
    const dir = attemptFolder(root, "run-1", "script", 1);
    expect(existsSync(dir)).toBe(false);
    // The attempt makes its folder and starts; whatever the run removes later spares it.
    mkdirSync(join(dir, "out"), { recursive: true });
    writeFileSync(join(dir, "out", "model"), "m");
    for (const released of deferred) rmSync(released, { recursive: true, force: true });
    expect(existsSync(join(dir, "out", "model"))).toBe(true);
  });

  it("holds no more folders than its bound, and removes those never used", () => {
    const { ahead, released } = folders(1);
    expect(ahead.make(instance())).toBe(true);
    expect(ahead.make(instance(counts))).toBe(false);
    expect(existsSync(attemptFolder(root, "run-1", "counts", 1))).toBe(false);
    ahead.forget("reads");
    expect(released).toEqual([attemptFolder(root, "run-1", "reads", 1)]);
    expect(existsSync(released[0] as string)).toBe(false);
    expect(ahead.make(instance(counts))).toBe(true);
    ahead.forgetAll();
    expect(existsSync(attemptFolder(root, "run-1", "counts", 1))).toBe(false);
    // The run ended: nothing more is made.
    expect(ahead.make(instance())).toBe(false);
    expect(existsSync(attemptFolder(root, "run-1", "reads", 1))).toBe(false);
  });
});

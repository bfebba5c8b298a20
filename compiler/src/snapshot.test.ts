import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CodeHashError } from "./errors.js";
import type { StepDefinition } from "./model.js";
import { hashedContent, pathsIdentity, scriptStepIdentity, snapshotDirectory } from "./snapshot.js";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), "canal-snapshot-"));
  made.push(root);
  for (const [file, content] of Object.entries(files)) put(root, file, content);
  return root;
}

function put(root: string, file: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
}

function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

function listed(root: string, dir = "src"): string[] {
  return snapshotDirectory(join(root, dir), root).files.map((file) => file.path);
}

function hashOf(root: string, dir = "src"): string {
  return snapshotDirectory(join(root, dir), root).hash;
}

function thrown(fn: () => unknown): CodeHashError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodeHashError) return error;
    throw error;
  }
  throw new Error("expected a CodeHashError");
}

function scriptStep(root: string, source: string, hashPaths: string[] = []): StepDefinition {
  return {
    key: "pipeline.ts#P.prepare",
    name: "prepare",
    kind: "SCRIPT",
    declaration: undefined as unknown as StepDefinition["declaration"],
    file: join(root, "pipeline.ts"),
    exportName: "P",
    member: "prepare",
    source: join(root, source),
    sourceAsWritten: `./${source}`,
    command: "python prepare.py",
    hashPaths,
  };
}

describe("snapshotDirectory", () => {
  it("lists files sorted by path with their hash, size and executable bit, and hashes a canonical manifest", () => {
    const root = tree({ "src/b.py": "b\n", "src/a/z.py": "zz\n", "src/run.sh": "#!/bin/sh\n" });
    chmodSync(join(root, "src/run.sh"), 0o755);
    const snap = snapshotDirectory(join(root, "src"), root);
    const expected = [
      { path: "a/z.py", sha256: sha256("zz\n"), size: 3, executable: false },
      { path: "b.py", sha256: sha256("b\n"), size: 2, executable: false },
      { path: "run.sh", sha256: sha256("#!/bin/sh\n"), size: 10, executable: true },
    ];
    expect(snap.files.map(({ absolute: _, ...file }) => file)).toEqual(expected);
    expect(snap.files[0]?.absolute).toBe(join(root, "src/a/z.py"));
    const manifest = expected.map((f) => ({
      executable: f.executable,
      path: f.path,
      sha256: f.sha256,
      size: f.size,
    }));
    expect(snap.manifest.toString("utf8")).toBe(JSON.stringify(manifest));
    expect(snap.hash).toBe(sha256(snap.manifest));
  });

  it("depends on paths, contents and executable bits only: not on location or mtimes", () => {
    const root = tree({ "src/a.py": "a\n", "src/sub/b.py": "b\n" });
    const base = hashOf(root);
    const elsewhere = tree({});
    cpSync(join(root, "src"), join(elsewhere, "deeper/src"), { recursive: true });
    utimesSync(join(elsewhere, "deeper/src/a.py"), new Date(0), new Date(0));
    expect(hashOf(elsewhere, "deeper/src")).toBe(base);
    put(root, "src/a.py", "a!\n");
    expect(hashOf(root)).not.toBe(base);
    const executable = tree({ "src/a.py": "a\n", "src/sub/b.py": "b\n" });
    chmodSync(join(executable, "src/a.py"), 0o755);
    expect(hashOf(executable)).not.toBe(base);
    const renamed = tree({ "src/a2.py": "a\n", "src/sub/b.py": "b\n" });
    expect(hashOf(renamed)).not.toBe(base);
  });

  it("hashes text with CRLF like LF, so a Windows checkout matches, but leaves binary bytes alone", () => {
    const lf = tree({ "src/a.py": "x = 1\nprint(x)\n" });
    const crlf = tree({ "src/a.py": "x = 1\r\nprint(x)\r\n" });
    expect(hashOf(crlf)).toBe(hashOf(lf));
    const binary = (eol: string) => Buffer.concat([Buffer.from([0, 1]), Buffer.from(`a${eol}b`)]);
    expect(hashOf(tree({ "src/m.bin": binary("\r\n") }))).not.toBe(
      hashOf(tree({ "src/m.bin": binary("\n") })),
    );
    expect(hashedContent(Buffer.from("a\r\nb\r"))).toEqual(Buffer.from("a\nb\r"));
  });

  it("honours .gitignore in the directory, below it and above it up to the project root", () => {
    const root = tree({
      ".gitignore": "*.log\n",
      "project/.gitignore": "__pycache__/\n/src/build/\n",
      "project/src/.gitignore": "*.tmp\n",
      "project/src/a.py": "a",
      "project/src/a.tmp": "ignored here",
      "project/src/run.log": "ignored above the project root? no: outside it",
      "project/src/build/out.txt": "ignored by an anchored pattern of the root",
      "project/src/__pycache__/a.pyc": "ignored by the project root",
      "project/src/sub/.gitignore": "!keep.tmp\nlocal.txt\n",
      "project/src/sub/keep.tmp": "re-included by the deeper file",
      "project/src/sub/other.tmp": "still ignored",
      "project/src/sub/local.txt": "ignored in sub",
    });
    expect(listed(join(root, "project"))).toEqual([
      ".gitignore",
      "a.py",
      "run.log",
      "sub/.gitignore",
      "sub/keep.tmp",
    ]);
  });

  it("honours .canalignore like .gitignore, and lets it re-include what git ignores", () => {
    const root = tree({
      "src/.gitignore": "*.bin\n",
      "src/.canalignore": "notes/\n!model.bin\n",
      "src/a.py": "a",
      "src/model.bin": "shipped although git ignores it",
      "src/other.bin": "ignored",
      "src/notes/todo.md": "left out",
    });
    expect(listed(root)).toEqual([".canalignore", ".gitignore", "a.py", "model.bin"]);
    const before = hashOf(root);
    put(root, "src/notes/todo.md", "edited");
    put(root, "src/other.bin", "edited");
    expect(hashOf(root)).toBe(before);
  });

  it("snapshots a directory that is itself ignored (a dataset kept out of git)", () => {
    const root = tree({
      ".gitignore": "data/\n",
      "data/iris.csv": "1,2\n",
      "data/.gitignore": "*.tmp\n",
      "data/x.tmp": "",
    });
    expect(listed(root, "data")).toEqual([".gitignore", "iris.csv"]);
  });

  it("always leaves .git out", () => {
    const root = tree({
      "src/.git/config": "x",
      "src/sub/.git": "gitdir: ../../.git/modules/sub",
      "src/a.py": "a",
    });
    expect(listed(root)).toEqual(["a.py"]);
  });

  it("follows a symlink inside the directory and rejects one that leaves it, naming it", () => {
    const root = tree({ "src/a.py": "a", "outside.py": "o" });
    symlinkSync("a.py", join(root, "src/alias.py"));
    expect(snapshotDirectory(join(root, "src"), root).files.map((f) => [f.path, f.sha256])).toEqual([
      ["a.py", sha256("a")],
      ["alias.py", sha256("a")],
    ]);
    symlinkSync("../outside.py", join(root, "src/escape.py"));
    const error = thrown(() => snapshotDirectory(join(root, "src"), root));
    expect(error.code).toBe("CANAL_PATH_ESCAPES");
    expect(error.message).toMatch(
      /symlink escape\.py in .*src points outside it.*copy the file into the directory/,
    );
    put(root, "src/.canalignore", "escape.py\n");
    expect(listed(root)).toEqual([".canalignore", "a.py", "alias.py"]);
  });

  it("reports a broken symlink, a missing directory, a file, and a directory outside the project", () => {
    const root = tree({ "src/a.py": "a", "file.txt": "f" });
    symlinkSync("nothing.py", join(root, "src/broken.py"));
    expect(thrown(() => listed(root)).code).toBe("CANAL_SYMLINK_BROKEN");
    expect(thrown(() => listed(root, "missing")).code).toBe("CANAL_PATH_MISSING");
    expect(thrown(() => listed(root, "file.txt")).code).toBe("CANAL_NOT_A_DIRECTORY");
    const outside = thrown(() => snapshotDirectory(join(root, "src"), join(root, "file.txt", "..", "other")));
    expect(outside.code).toBe("CANAL_PATH_ESCAPES");
  });
});

describe("scriptStepIdentity and pathsIdentity", () => {
  it("cover the source snapshot and the hashPaths, with project-relative entries", () => {
    const root = tree({
      "prep/prepare.py": "p",
      "config/a.json": "{}",
      "config/b/c.json": "[]",
      "extra.txt": "e",
    });
    const paths = [join(root, "config"), join(root, "extra.txt")];
    const { identity, snapshot } = scriptStepIdentity(scriptStep(root, "prep", paths), root);
    expect(identity.files.map((f) => f.path)).toEqual([
      "config/a.json",
      "config/b/c.json",
      "extra.txt",
      "prep/prepare.py",
    ]);
    expect(snapshot.files.map((f) => f.path)).toEqual(["prepare.py"]);
    expect(pathsIdentity(paths, root)).toEqual([
      { path: "config/a.json", sha256: sha256("{}") },
      { path: "config/b/c.json", sha256: sha256("[]") },
      { path: "extra.txt", sha256: sha256("e") },
    ]);
    put(root, "config/b/c.json", "[1]");
    expect(scriptStepIdentity(scriptStep(root, "prep", paths), root).identity.hash).not.toBe(identity.hash);
  });

  it("name the step, the path and the fix in errors", () => {
    const root = tree({ "prep/prepare.py": "p" });
    const missing = thrown(() => scriptStepIdentity(scriptStep(root, "nope"), root));
    expect(missing.code).toBe("CANAL_PATH_MISSING");
    expect(missing.message).toMatch(/^step `prepare`: directory nope does not exist; create it/);
    expect(missing.hint).toMatch(/^create it/);
    const outside = tree({ "x.txt": "x" });
    const escaping = thrown(() =>
      scriptStepIdentity(scriptStep(root, "prep", [join(outside, "x.txt")]), root),
    );
    expect(escaping.code).toBe("CANAL_PATH_ESCAPES");
    expect(escaping.message).toContain("step `prepare`: hash path");
    expect(escaping.message).toContain("move or copy it into the project");
  });
});

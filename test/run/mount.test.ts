// A dataset read in place (access "mount") from a local datastore: the step reads the datastore's
// own files through links (no copy in the blob store or its folder), gets the same cache key as
// a download of the same version, and fails when a file is not what the version recorded or
// changes while the step runs.
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { makeProject } from "../helpers.js";

const runIdOf = (stdout: string) => /^run (run-\S+): /m.exec(stdout)?.[1] ?? "";

interface Seen {
  files: Array<{
    name: string;
    symlink: boolean;
    real: string;
    links: number;
    writable: boolean;
    text: string;
  }>;
}

describe("access mount on a local datastore", () => {
  let dir: string;
  let lake: string;
  const part1 = "ph,quality\n3.5,6\n3.1,5\n";

  const seen = async (stdout: string): Promise<Seen> => {
    const shown = JSON.parse((await canal(["runs", "show", runIdOf(stdout), "--json"], dir)).stdout) as {
      steps: Array<{ outputs?: Record<string, { digest?: string }> }>;
    };
    const digest = shown.steps[0]?.outputs?.seen?.digest as string;
    const workspace = await openWorkspace(dir);
    try {
      return JSON.parse((await workspace.blobs.get(digest)).toString()) as Seen;
    } finally {
      await workspace.close();
    }
  };

  beforeAll(async () => {
    dir = makeProject({ from: join(import.meta.dirname, "fixtures/mount") });
    lake = realpathSync(join(dir, "lake"));
    const compiled = await canal(["compile", "pipeline.ts", "--out", "build"], dir);
    expect(compiled.stderr).toBe("");
    const registered = await canal(["datasets", "register", "wine", "--from", "raw:wine/*.csv"], dir);
    expect(registered.status, registered.stderr).toBe(0);
  });

  it("reads the datastore's own files in place, and shares its cache key with a download", async () => {
    const mounted = await canal(["run", "build/mounted"], dir);
    expect(mounted.status, mounted.stdout + mounted.stderr).toBe(0);
    const { files } = await seen(mounted.stdout);
    // The files the pattern names, below its folder, as a download puts them; each one a link
    // to the datastore's file, whose bytes were never copied.
    expect(files.map((f) => [f.name, f.symlink, f.real])).toEqual([
      ["part-1.csv", true, join(lake, "wine/part-1.csv")],
      ["part-2.csv", true, join(lake, "wine/part-2.csv")],
    ]);
    expect(files[0]?.text).toBe(part1);
    const workspace = await openWorkspace(dir);
    try {
      const digest = (await import("node:crypto")).createHash("sha256").update(part1).digest("hex");
      expect(await workspace.blobs.verify(digest, "file")).toBe("missing");
    } finally {
      await workspace.close();
    }
    // A download of the same version is the same content: the same key, served from the cache.
    const downloaded = await canal(["run", "build/downloaded"], dir);
    expect(downloaded.status, downloaded.stdout + downloaded.stderr).toBe(0);
    expect(downloaded.stdout).toMatch(/^look: cached/m);
  });

  it("hashes a datastore path when the run is submitted, and reads it in place", async () => {
    const first = await canal(["run", "build/in-place"], dir);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    // raw:wine/ is every file under the folder, the notes included.
    expect((await seen(first.stdout)).files.map((f) => [f.name, f.symlink])).toEqual([
      ["notes.txt", true],
      ["part-1.csv", true],
      ["part-2.csv", true],
    ]);
    const again = await canal(["run", "build/in-place"], dir);
    expect(again.stdout).toMatch(/^look: cached/m);
    // Copied, the same files are the same content: the same key.
    const copied = await canal(["run", "build/copied"], dir);
    expect(copied.status, copied.stdout + copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(/^look: cached/m);
  });

  it("fails the step before it starts when a file is not what the version recorded", async () => {
    const file = join(lake, "wine/part-2.csv");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, "ph,quality\n3.0,8\n");
    try {
      const run = await canal(["run", "build/mounted", "--regenerate"], dir);
      expect(run.status).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        "raw:wine/part-2.csv in " + lake + " is not what the run recorded: it has sha256:",
      );
    } finally {
      writeFileSync(file, original);
    }
  });

  it("fails a step that writes to its mounted input, and keeps none of its outputs", async () => {
    const file = join(lake, "wine/part-1.csv");
    try {
      const run = await canal(["run", "build/mounted", "-p", "tamper=true"], dir);
      expect(run.status).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        "input `wine`, read in place, changed while the step ran: raw:wine/part-1.csv was modified",
      );
      expect(readFileSync(file, "utf8")).not.toBe(part1);
    } finally {
      writeFileSync(file, part1);
    }
    // Nothing was cached under the key: the next run with the file as registered runs the step.
    const again = await canal(["run", "build/mounted", "-p", "tamper=true"], dir);
    expect(again.stdout + again.stderr).not.toMatch(/^look: cached/m);
    writeFileSync(file, part1);
  });
});

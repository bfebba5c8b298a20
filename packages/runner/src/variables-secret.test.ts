import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runVariables, workspaceSecret } from "./variables-secret.js";

describe("the workspace's secret for variable digests", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is made once, owner-only, and kept: digests agree across runs of one workspace", () => {
    dir = mkdtempSync(join(tmpdir(), "canal-secret-"));
    const first = workspaceSecret(dir);
    expect(first).toHaveLength(32);
    expect(statSync(join(dir, "variables.key")).mode & 0o777).toBe(0o600);
    expect(workspaceSecret(dir).equals(first)).toBe(true);
    const a = runVariables(dir, { SEED: "1" });
    expect(a.digest("SEED", "1")).toBe(runVariables(dir, {}).digest("SEED", "1"));
    expect(a.values.SEED).toBe("1");
  });

  it("replaces a damaged secret rather than using it", () => {
    dir = mkdtempSync(join(tmpdir(), "canal-secret-"));
    writeFileSync(join(dir, "variables.key"), "short");
    const secret = workspaceSecret(dir);
    expect(secret).toHaveLength(32);
    expect(readFileSync(join(dir, "variables.key")).equals(secret)).toBe(true);
  });

  it("differs between workspaces", () => {
    dir = mkdtempSync(join(tmpdir(), "canal-secret-"));
    const other = mkdtempSync(join(tmpdir(), "canal-secret-"));
    try {
      expect(runVariables(dir).digest("A", "1")).not.toBe(runVariables(other).digest("A", "1"));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

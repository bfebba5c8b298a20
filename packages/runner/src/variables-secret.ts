import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunVariables, variableDigest } from "@canal/runtime-core";

const SECRET_FILE = "variables.key";
const SECRET_BYTES = 32;

/**
 * The workspace's secret for digesting declared variables' values (`passEnv`) into cache keys:
 * 32 random bytes in `<dir>/variables.key`, readable by its owner only, made on first use. Keyed,
 * so that a key or a `canal why` line reveals nothing of a value to whoever lacks the file, even
 * a value short enough to guess; per workspace, so that runs of one workspace share their cache.
 */
export function workspaceSecret(dir: string): Buffer {
  const path = join(dir, SECRET_FILE);
  try {
    const secret = readFileSync(path);
    if (secret.length === SECRET_BYTES) return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dir, { recursive: true });
  // Written whole under a name of its own, then linked into place: a reader sees all of it or
  // nothing, and of two runs making it at once both use the one that was linked first.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temp, randomBytes(SECRET_BYTES), { mode: 0o600 });
  try {
    linkSync(temp, path);
  } catch (error) {
    // A damaged file (wrong length) is replaced: it only means one cache miss per declared variable.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const existing = readFileSync(path);
    if (existing.length !== SECRET_BYTES) {
      rmSync(path, { force: true });
      linkSync(temp, path);
    }
  } finally {
    rmSync(temp, { force: true });
  }
  return readFileSync(path);
}

/** This process's environment, digested under the workspace's secret. */
export function runVariables(dir: string, values: NodeJS.ProcessEnv = process.env): RunVariables {
  const secret = workspaceSecret(dir);
  return { values, digest: (name, value) => variableDigest(secret, name, value) };
}

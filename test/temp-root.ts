import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Vitest's global set-up: every test file's temporary folders, and those of the processes and
 * services the tests start (they inherit `TMPDIR`), go in one folder made for this run of the
 * suite, removed when it ends. A test that leaves its folders behind then costs the machine
 * nothing; `CANAL_KEEP_TEST_TMP=1` keeps the folder to look into after a failure (its path is
 * printed).
 */
export default function setup(): () => void {
  // Each vitest project runs the global set-up: the first one's folder serves both.
  if (process.env.CANAL_TEST_TMP_ROOT) return () => {};
  const root = mkdtempSync(join(tmpdir(), "canal-tests-"));
  // As open as the system's own: services run as their own users (postgres) and steps may run as
  // another, and each must reach its folders in here and make temporary files of its own.
  chmodSync(root, 0o1777);
  process.env.CANAL_TEST_TMP_ROOT = root;
  process.env.TMPDIR = root;
  return () => {
    if (process.env.CANAL_KEEP_TEST_TMP === "1") {
      process.stderr.write(`canal tests: temporary folders kept in ${root}\n`);
      return;
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}

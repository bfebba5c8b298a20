/**
 * Canal's dependency-free Python step helper (`canal_step`), shipped with Canal. Runtimes put
 * {@link pythonHelperDir} on PYTHONPATH for script steps.
 *
 * @example
 * ```ts
 * import { pythonHelperDir } from "@canal/python";
 * spawn("python3", ["train.py"], { env: { ...process.env, PYTHONPATH: pythonHelperDir } });
 * ```
 */
import { fileURLToPath } from "node:url";

/** The directory holding the `canal_step` package. */
export const pythonHelperDir = fileURLToPath(new URL("..", import.meta.url));

/**
 * The `canal` command line.
 *
 * @example
 * ```ts
 * import { runCli } from "@canal/cli";
 * const status = await runCli(["compile", "pipeline.ts"], { stdout: console.log, stderr: console.error, cwd: "." });
 * ```
 */
export { mainHelp, runCli } from "./cli.js";
export type { Io } from "./io.js";

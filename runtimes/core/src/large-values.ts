import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { TaskInput } from "./contract.js";

/**
 * Linux refuses to start a process when one argument or one environment entry is over 128 KiB
 * (MAX_ARG_STRLEN), whatever the total: "Argument list too long". A value input or a fan-in list
 * larger than this goes to the step as a file instead of in its environment.
 */
export const LARGE_VALUE_BYTES = 32 * 1024;

/** A command longer than this runs from a file, not as the argument of `/bin/sh -c`. */
export const LARGE_COMMAND_BYTES = 64 * 1024;

/**
 * Writes the files beside a task's inputs that let a step read what its environment cannot hold:
 * every fan-in's list (`in/<name>.list`, one path per line, relative to the list's folder so it
 * stays right in a container that mounts the work folder elsewhere) and each value whose JSON is
 * over LARGE_VALUE_BYTES (`in/<name>.json`). Returns the inputs with those files named.
 */
export function writeInputFiles(inputs: Record<string, TaskInput>, inDir: string): Record<string, TaskInput> {
  const out: Record<string, TaskInput> = {};
  for (const [name, input] of Object.entries(inputs)) {
    if (input.kind === "artifacts") {
      const listFile = join(inDir, `${name}.list`);
      mkdirSync(inDir, { recursive: true });
      const lines = input.paths.map((path) => relative(dirname(listFile), path));
      writeFileSync(listFile, lines.length ? `${lines.join("\n")}\n` : "");
      out[name] = { ...input, listFile };
    } else if (input.kind === "value") {
      const json = JSON.stringify(input.value);
      if (Buffer.byteLength(json) <= LARGE_VALUE_BYTES) {
        out[name] = input;
        continue;
      }
      const file = join(inDir, `${name}.json`);
      mkdirSync(inDir, { recursive: true });
      writeFileSync(file, json);
      out[name] = { ...input, file };
    } else {
      out[name] = input;
    }
  }
  return out;
}

/**
 * The text to give `/bin/sh -c` for `command`: itself, or for a command too long to be one
 * argument (a large fan-in's paths), a line that reads it from `command.sh`, written into the
 * attempt's folder `hostDir` (which the step sees as `stepDir`).
 */
export function shellCommand(command: string, hostDir: string, stepDir: string = hostDir): string {
  if (Buffer.byteLength(command) <= LARGE_COMMAND_BYTES) return command;
  const file = join(hostDir, "command.sh");
  writeFileSync(file, `${command}\n`);
  return `. '${join(stepDir, basename(file)).replace(/'/g, `'\\''`)}'`;
}

/** A command as errors show it: a long one cut, so a failure never repeats megabytes. */
export function shownCommand(command: string): string {
  const limit = 300;
  if (command.length <= limit) return command;
  return `${command.slice(0, limit)}… (${command.length - limit} more characters)`;
}

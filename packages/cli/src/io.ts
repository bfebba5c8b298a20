/** Where a command writes; tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  /** Whether stdout is a terminal (live progress) or not (plain lines). */
  tty?: boolean;
}

// Commands take UsageError with the Io they write to.
export { UsageError } from "./errors.js";

/** A failure already explained to the user: print nothing more, exit with this status. */
export class Reported extends Error {
  constructor(readonly status: number) {
    super("reported");
  }
}

/**
 * The process's own streams. A reader that goes away early (\`canal runs | head -1\`) closes the
 * pipe: Node reports that as an asynchronous EPIPE error on the stream, which would crash the
 * process with a stack trace. Output nobody reads any more is not a failure of the command: what
 * follows is dropped and the command ends as it would have, with its own status (a \`canal run\`
 * piped into \`head\` still finishes and records its run instead of dying half-way).
 */
export function processIo(): Io {
  let closed = false;
  const ignoreClosed = (stream: NodeJS.WriteStream) =>
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      if (stream === process.stdout) closed = true;
    });
  ignoreClosed(process.stdout);
  ignoreClosed(process.stderr);
  return {
    stdout: (text) => {
      if (!closed) process.stdout.write(text);
    },
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    tty: Boolean(process.stdout.isTTY),
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

import { PassThrough } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type Docker from "dockerode";
import { EngineGoneError } from "./errors.js";

/** How one container ended. */
export interface ContainerEnd {
  exitCode: number;
  /** The kernel killed it for exceeding its memory limit (State.OOMKilled). */
  oomKilled: boolean;
  /** The signal was aborted and the container killed. */
  aborted: boolean;
}

export interface ContainerRun {
  create: Docker.ContainerCreateOptions;
  onLog(stream: "stdout" | "stderr", text: string): void;
  signal: AbortSignal;
  /** Commit the container's file system to this image once it exited 0. */
  commit?: { repo: string; tag: string };
}

/** Errors that mean the engine is not there (any more), rather than that it refused something. */
const GONE = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "ECONNABORTED", "EHOSTUNREACH"]);

/** True when `error` says the Docker engine could not be reached or dropped the connection. */
export function engineGone(error: unknown): boolean {
  if (error instanceof EngineGoneError) return true;
  const e = error as { code?: string; message?: string } | undefined;
  if (e?.code && GONE.has(e.code)) return true;
  return /socket hang up|connect ENOENT|ECONNREFUSED|ECONNRESET/i.test(e?.message ?? "");
}

function demuxTo(stream: NodeJS.ReadableStream, docker: Docker, onLog: ContainerRun["onLog"]): Promise<void> {
  const pipe = (name: "stdout" | "stderr") => {
    const through = new PassThrough();
    const decoder = new StringDecoder("utf8");
    through.on("data", (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (text) onLog(name, text);
    });
    through.on("end", () => {
      const rest = decoder.end();
      if (rest) onLog(name, rest);
    });
    return through;
  };
  const out = pipe("stdout");
  const err = pipe("stderr");
  docker.modem.demuxStream(stream, out, err);
  return new Promise((resolve) => {
    const done = () => {
      out.end();
      err.end();
      resolve();
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new EngineGoneError(`the engine did not answer ${what} in ${ms / 1000} s`)),
      ms,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** How often a running container is looked at besides the wait call. */
const WATCH_MS = 2000;

/**
 * The container's exit status. The engine's wait call alone is not enough: a daemon killed under
 * it can leave the call open forever. So the container is also inspected every two seconds, and an
 * engine that stops answering, or a container it no longer knows, ends the wait with an error.
 */
function exitOf(container: Docker.Container): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (end: () => void) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      end();
    };
    const timer = setInterval(async () => {
      try {
        const state = (await withTimeout(container.inspect(), 10_000, "an inspect")).State;
        if (!state.Running && !state.Restarting) finish(() => resolve(state.ExitCode));
      } catch (error) {
        const missing = (error as { statusCode?: number }).statusCode === 404;
        finish(() =>
          reject(missing ? new EngineGoneError("the engine no longer knows the container") : error),
        );
      }
    }, WATCH_MS);
    container.wait().then(
      (waited: { StatusCode: number }) => finish(() => resolve(waited.StatusCode)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/**
 * Runs one container to its end: created, attached (before it starts, so no output is lost),
 * started, waited for, inspected and removed — removed however it ended. Aborting the signal kills
 * it. Rejects only when the engine fails (use {@link engineGone} to tell a vanished engine).
 */
export async function runContainer(docker: Docker, run: ContainerRun): Promise<ContainerEnd> {
  const container = await docker.createContainer({
    ...run.create,
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
  });
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    container.kill().catch(() => {});
  };
  try {
    const stream = (await container.attach({
      stream: true,
      stdout: true,
      stderr: true,
      logs: true,
    })) as unknown as NodeJS.ReadableStream;
    const drained = demuxTo(stream, docker, run.onLog);
    run.signal.addEventListener("abort", onAbort);
    if (run.signal.aborted) {
      aborted = true;
      return { exitCode: 137, oomKilled: false, aborted };
    }
    await container.start();
    const exitCode = await exitOf(container);
    // The attach stream ends just after the container; a bounded wait keeps the last lines
    // without ever letting a stuck stream hold the step.
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    // The kernel's OOM kill ends the container with SIGKILL (137); only then is it worth asking.
    const oomKilled =
      exitCode === 137 &&
      Boolean((await withTimeout(container.inspect(), 10_000, "an inspect")).State.OOMKilled);
    if (run.commit && exitCode === 0 && !aborted) await container.commit(run.commit);
    return { exitCode, oomKilled, aborted };
  } finally {
    run.signal.removeEventListener("abort", onAbort);
    // Bounded: a vanished engine must not hold the attempt; a container it restored is removed
    // with it or by the next run's engine.
    await withTimeout(container.remove({ force: true, v: true }), 10_000, "a remove").catch(() => {});
  }
}

// `canal run --detach`: the run is driven by a background `canal run` process of its own (the
// driver), which records it like any run; its output goes to the run's log in the store.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pathInside } from "@canal/ir";
import { newRunId, openWorkspace, type Run, RunNotFoundError, type Workspace } from "@canal/store";
import { errorText } from "../errors.js";
import type { Io } from "../io.js";
import { Reported } from "../workspace.js";

/** Set in a driver's environment to the id its run is recorded under. */
const DRIVER_ENV = "CANAL_DRIVER_RUN_ID";
// Eight random hex digits; four in the ids of runs started before.
const RUN_ID = /^run-\d{8}-\d{6}-[0-9a-f]{4}(?:[0-9a-f]{4})?$/;
/** What the driver process writes outside its run log (a crash of Node itself), in the run's work folder. */
const DRIVER_OUTPUT = "driver.log";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run id this process drives in the background, when it is a detached run's driver. */
export function detachedRunId(): string | undefined {
  const id = process.env[DRIVER_ENV];
  delete process.env[DRIVER_ENV];
  return id && RUN_ID.test(id) ? id : undefined;
}

/** The built CLI: beside this module in dist/, or dist/ of this package when run from its sources. */
function cliMain(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, "..", "main.js");
  return existsSync(built) ? built : join(here, "..", "..", "dist", "main.js");
}

function driverOutputPath(workspace: Workspace, runId: string): string {
  return pathInside(workspace.config.folders.work, runId, DRIVER_OUTPUT);
}

/** `canal run`'s options as the driver takes them: the same, less those that only the terminal's process uses. */
function driverArgs(values: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === "detach" || name === "pipeline" || name === "json") continue;
    if (value === undefined || value === false) continue;
    if (value === true) args.push(`--${name}`);
    // `--name=value`: a value that starts with "-" stays a value.
    else for (const item of ([] as unknown[]).concat(value)) args.push(`--${name}=${String(item)}`);
  }
  return args;
}

async function recorded(workspace: Workspace, runId: string): Promise<Run | undefined> {
  try {
    return await workspace.metadata.getRun(runId);
  } catch (error) {
    if (error instanceof RunNotFoundError) return undefined;
    throw error;
  }
}

/** Set in a driver's environment to who starts the run, when not the user (a server's token). */
const STARTED_BY_ENV = "CANAL_DRIVER_STARTED_BY";

/** Who the driver of a detached run records as having started it, when its starter said. */
export function detachedStartedBy(): string | undefined {
  const by = process.env[STARTED_BY_ENV];
  delete process.env[STARTED_BY_ENV];
  return by || undefined;
}

/** A driver that ended before it recorded its run: what it printed says why. */
export class DriverStartError extends Error {
  constructor(
    readonly output: string,
    readonly status: number,
  ) {
    super(output.trim() || `the driver process ended (status ${status}) before it recorded the run`);
  }
}

/**
 * Starts a driver process (`canal COMMAND ARGS…` with the id chosen for its run) and returns once
 * it has recorded the run, so that `canal wait`, `canal logs` and `canal cancel` find it. The driver
 * is in a session of its own: it outlives this process and the terminal, and a Ctrl-C here never
 * reaches it. Throws DriverStartError when it ends first.
 */
export async function startDriver(options: {
  workspace: Workspace;
  command: "run" | "rerun";
  args: string[];
  cwd: string;
  startedBy?: string;
}): Promise<{ run: Run; pid: number | undefined }> {
  const { workspace } = options;
  const runId = newRunId();
  const outputPath = driverOutputPath(workspace, runId);
  mkdirSync(dirname(outputPath), { recursive: true });
  const fd = openSync(outputPath, "a");
  // Taken here, not imported: `canal run` loads this module, and a run that is not detached starts
  // no process from it.
  const { spawn } = process.getBuiltinModule("node:child_process");
  const child = spawn(process.execPath, [cliMain(), options.command, ...options.args], {
    cwd: options.cwd,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: {
      ...process.env,
      [DRIVER_ENV]: runId,
      ...(options.startedBy ? { [STARTED_BY_ENV]: options.startedBy } : {}),
    },
  });
  closeSync(fd);
  let ended: number | undefined;
  let failure = "";
  child.on("exit", (code) => {
    ended = code ?? 1;
  });
  child.on("error", (error) => {
    failure = `canal ${options.command}: could not start the driver process (${error.message})\n`;
    ended = 1;
  });
  for (;;) {
    const run = await recorded(workspace, runId);
    if (run) {
      child.unref();
      return { run, pid: child.pid };
    }
    if (ended !== undefined) {
      const said = existsSync(outputPath) ? readFileSync(outputPath, "utf8") : "";
      rmSync(dirname(outputPath), { recursive: true, force: true });
      throw new DriverStartError(said || failure, ended === 0 ? 1 : ended);
    }
    await sleep(50);
  }
}

/** `canal run --detach`: starts the driver and prints the run id (or, when it failed, why). */
export async function detach(options: {
  workspace: Workspace;
  artifactDir: string;
  values: Record<string, unknown>;
  io: Io;
  /** Shown once the run is going (when the driver fails first, its own output says it). */
  warning?: string;
}): Promise<number> {
  const { workspace, io } = options;
  let started: { run: Run; pid: number | undefined };
  try {
    started = await startDriver({
      workspace,
      command: "run",
      args: [options.artifactDir, ...driverArgs(options.values)],
      cwd: io.cwd,
    });
  } catch (error) {
    if (!(error instanceof DriverStartError)) throw error;
    io.stderr(error.output || `canal run: ${error.message}\n`);
    throw new Reported(error.status);
  }
  const { run, pid } = started;
  if (options.warning) io.stderr(options.warning);
  if (options.values.json) {
    io.stdout(`${JSON.stringify({ run, driverPid: pid }, null, 2)}\n`);
  } else {
    io.stdout(
      `run ${run.id}: pipeline ${run.pipeline} (${run.pipelineHash.slice(0, 12)}), experiment ${run.experiment}, started in the background (driver process ${pid})\n` +
        `  follow it: canal wait ${run.id}   its output: canal logs ${run.id}   stop it: canal cancel ${run.id}\n`,
    );
  }
  return 0;
}

interface Chunk {
  stream: "stdout" | "stderr";
  text: string;
  at: number;
}

/**
 * The driver's output, kept in the store as the run's log (`canal logs RUN` shows it): written in
 * batches, from the moment the run is recorded. What was printed before it could be (a target
 * check that failed) goes to the driver's own output, which the starting process shows.
 */
class RunLog {
  private pending: Chunk[] = [];
  private flushing: Promise<boolean> = Promise.resolve(true);
  private readonly workspace: Workspace;
  private readonly timer: NodeJS.Timeout;
  readonly io: Io;

  static async open(runId: string, own: Io): Promise<RunLog> {
    return new RunLog(runId, own, await openWorkspace(own.cwd));
  }

  private constructor(
    private readonly runId: string,
    private readonly own: Io,
    workspace: Workspace,
  ) {
    this.workspace = workspace;
    // A write that failed (the store locked past its timeout) is tried again with the next one.
    this.timer = setInterval(() => void this.flush().catch(() => {}), 200);
    this.timer.unref();
    const push = (stream: Chunk["stream"]) => (text: string) => {
      this.pending.push({ stream, text, at: Date.now() });
    };
    this.io = { stdout: push("stdout"), stderr: push("stderr"), cwd: own.cwd, tty: false };
  }

  /** Writes what is pending; false while the run is not recorded yet. */
  flush(): Promise<boolean> {
    this.flushing = this.flushing
      .catch(() => true)
      .then(async () => {
        if (this.pending.length === 0) return true;
        const chunks = this.pending;
        const { metadata } = this.workspace;
        try {
          await metadata.transaction(async (tx) => {
            for (const chunk of chunks) await tx.appendRunLog(this.runId, chunk.stream, chunk.text, chunk.at);
          });
        } catch (error) {
          if (error instanceof RunNotFoundError) return false;
          throw error;
        }
        this.pending = this.pending.slice(chunks.length);
        return true;
      });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      const written = await this.flush().catch((error: Error) => {
        this.own.stderr(`canal run: could not keep the run's output in the store (${error.message})\n`);
        return false;
      });
      if (!written) {
        for (const chunk of this.pending)
          (chunk.stream === "stdout" ? this.own.stdout : this.own.stderr)(chunk.text);
        return;
      }
      // What reached the process's own output instead (a warning of Node's) joins the log.
      const path = driverOutputPath(this.workspace, this.runId);
      const left = existsSync(path) ? readFileSync(path, "utf8") : "";
      if (left) await this.workspace.metadata.appendRunLog(this.runId, "stderr", left);
      rmSync(path, { force: true });
      try {
        rmdirSync(dirname(path));
      } catch {
        // An attempt's folder kept for inspection.
      }
    } finally {
      await this.workspace.close();
    }
  }
}

/** Runs `body` as the driver of detached run `runId`, its output going to the run's log. */
export async function driveDetached(
  runId: string,
  own: Io,
  body: (io: Io) => Promise<number>,
): Promise<number> {
  const log = await RunLog.open(runId, own);
  try {
    return await body(log.io);
  } catch (error) {
    if (error instanceof Reported) return error.status;
    log.io.stderr(errorText("run", error));
    return 1;
  } finally {
    await log.close();
  }
}

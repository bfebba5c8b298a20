import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import type { BlobPlace, Environment, Step } from "@canal/ir";
import { pythonHelperDir } from "@canal/python";
import {
  type AttemptHooks,
  type AttemptResult,
  FIXED,
  materializeSnapshot,
  type Runtime,
  renderCommand,
  type StepFile,
  type StepFileResult,
  type StepTask,
  shellCommand,
  shownCommand,
  stepEntrypoint,
  stepEnvironment,
  type TargetCheck,
  workerEntrypoint,
} from "@canal/runtime-core";
import Docker from "dockerode";
import { type ContainerEnd, engineGone, runContainer } from "./container.js";
import { DEFAULT_IMAGE } from "./default-image.js";
import { cannotConnect, checkEngine, connectFailure, defaultSocket } from "./engine-check.js";
import { DockerImageError } from "./errors.js";
import { stepImage } from "./images.js";
import { mapTask, PathMap } from "./path-map.js";

export interface DockerRuntimeOptions {
  /** The Docker Engine API socket; default DOCKER_HOST's (`unix://PATH`), else /var/run/docker.sock. */
  socket?: string;
  /** The image of steps whose environment names none, and the base of Python/Node environment images. */
  image?: string;
  /** Container network mode; "none" unless set, so a step reaches nothing it did not declare. */
  network?: string;
  /** Attempts at once; default: the machine's cores. */
  maxParallel?: number;
  /**
   * Binds every container gets, as `host:container[:ro]`: e.g. "/usr:/usr:ro" for an image that
   * borrows the host's interpreters.
   */
  binds?: string[];
  /**
   * Environment variables every step gets, under its own: the host's environment is not passed
   * into containers, so settings a step's results depend on (a BLAS kernel choice) go here. They
   * join every step's cache key (see {@link Runtime.variables}).
   */
  env?: Record<string, string>;
  /** `uid:gid` the steps run as; default this process's, so the orchestrator can read what they write. */
  user?: string;
}

/** Where a container sees the attempt's work directory, the artifact, the Python helper and Canal itself. */
const WORK = "/work";
const ARTIFACT = "/canal/artifact";
const PYTHON_HELPER = "/canal/python";
const RUNTIME = "/canal/runtime";
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The directory the worker entrypoint's package resolves its dependencies from: the nearest
 * ancestor whose node_modules holds @canal/ir. Mounting it whole keeps the workspace links
 * (relative symlinks) and hoisted packages resolvable inside the container.
 */
function installRoot(): string {
  let dir = dirname(workerEntrypoint);
  for (;;) {
    if (existsSync(join(dir, "node_modules", "@canal", "ir"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return dirname(dirname(workerEntrypoint));
    dir = parent;
  }
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ["Gi", 1024 ** 3],
    ["Mi", 1024 ** 2],
    ["Ki", 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Runs each step attempt in a container through the Docker Engine API: inputs mounted read-only,
 * the attempt's work directory (outputs included) read-write, limits from the step's resources,
 * GPUs as device requests, no network unless the target says so, and the container removed however
 * the attempt ends.
 */
export class DockerRuntime implements Runtime {
  readonly name = "docker";
  readonly maxParallel: number;
  /** A step's timeout counts from its container's start, not from building its environment's image. */
  readonly queued = true;
  private readonly docker: Docker;
  private readonly socket: string;
  private readonly image: string;
  private readonly network: string;
  private readonly binds: string[];
  private readonly user: string;
  private readonly env: Record<string, string>;
  readonly variables: Record<string, string>;
  private readonly root = installRoot();
  /** The engine answered once: a connection failure after that is an engine that went away. */
  private reached = false;

  constructor(options: DockerRuntimeOptions = {}) {
    this.socket = options.socket ?? defaultSocket();
    this.docker = new Docker({ socketPath: this.socket });
    this.image = options.image ?? DEFAULT_IMAGE;
    this.network = options.network ?? "none";
    this.binds = options.binds ?? [];
    this.env = options.env ?? {};
    this.variables = this.env;
    this.maxParallel = options.maxParallel ?? cpus().length;
    this.user = options.user ?? `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
  }

  /**
   * A step reaches an S3 bucket from its container when the target gives it a network: then it
   * fetches its inputs and stores its outputs there itself, with the `node` of its image. With
   * network "none" (the default) it reaches nothing, and the driver stages its bytes; so it does
   * for a script step in an image of its own (`env.image`), which may have no `node`.
   */
  movesBlobs(place: BlobPlace, step: Step, environment: Environment | undefined): boolean {
    if (place.kind !== "s3" || this.network === "none") return false;
    return step.kind !== "SCRIPT" || environment?.kind !== "IMAGE";
  }

  async execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    try {
      return await this.attempt(task, hooks);
    } catch (error) {
      if (error instanceof DockerImageError)
        return { status: "failed", error: `step ${task.stepKey}: ${error.message}`, retryable: false };
      // An engine this runtime never reached is not one that went away: it was never there.
      const refused = this.reached ? undefined : connectFailure(error, this.socket);
      if (refused) {
        return {
          status: "failed",
          error: `step ${task.stepKey}: ${cannotConnect(this.socket, refused)}`,
          retryable: false,
        };
      }
      if (engineGone(error)) {
        return {
          status: "failed",
          error: `step ${task.stepKey}: the Docker engine at ${this.socket} went away (${(error as Error).message}); the attempt is retried once it is back (start dockerd, or check the docker target's "socket")`,
          retryable: true,
        };
      }
      throw error;
    }
  }

  private async attempt(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    const environment = task.environment;
    const { image, path } = await stepImage(
      environment,
      {
        docker: this.docker,
        baseImage: this.image,
        binds: this.binds,
        user: this.user,
        network: this.network,
      },
      task.stepKey,
    );
    this.reached = true;
    hooks.started();
    const workDir = resolve(task.workDir);
    const paths = new PathMap([
      { host: workDir, container: WORK, readOnly: false },
      { host: resolve(task.artifactDir), container: ARTIFACT, readOnly: true },
      { host: pythonHelperDir.replace(/\/$/, ""), container: PYTHON_HELPER, readOnly: true },
    ]);
    const inDir = join(workDir, "in");
    // Inputs the driver staged are mounted read-only; a step that fetches its own writes them.
    if (existsSync(inDir) && !task.blobs) paths.add({ host: inDir, container: `${WORK}/in`, readOnly: true });
    const inner = mapTask(task, paths, { artifactDir: ARTIFACT, workDir: WORK });
    // Declared variables' values (and the bucket's credentials) reach the container's environment
    // only, never a file.
    const { variables: _values, ...written } = inner;
    // A step that moves its own bytes runs under the entrypoint that fetches and stores them.
    const underStepMain = (file: StepFile): string[] => {
      writeFileSync(join(workDir, "step.json"), JSON.stringify(file));
      const entry = `${RUNTIME}/${relative(this.root, stepEntrypoint)}`;
      return ["node", entry, `${WORK}/step.json`, `${WORK}/result.json`];
    };
    let cmd: string[];
    let cwd = WORK;
    let command = "";
    if (task.step.kind === "SCRIPT") {
      const script = task.step.script;
      if (!script) return { status: "failed", error: `step ${task.stepKey} has no script`, retryable: false };
      materializeSnapshot(task.artifactDir, script.snapshot, join(workDir, "src"));
      command = renderCommand(inner);
      cmd = ["/bin/sh", "-c", shellCommand(command, workDir, WORK)];
      cwd = `${WORK}/src`;
      if (task.blobs) {
        paths.add({ host: this.root, container: RUNTIME, readOnly: true });
        cmd = underStepMain({ task: written, script: { argv: cmd, cwd } });
      }
    } else {
      paths.add({ host: this.root, container: RUNTIME, readOnly: true });
      if (task.blobs) {
        cmd = underStepMain({ task: written });
      } else {
        writeFileSync(join(workDir, "task.json"), JSON.stringify(written));
        const entry = `${RUNTIME}/${relative(this.root, workerEntrypoint)}`;
        cmd = ["node", entry, `${WORK}/task.json`, `${WORK}/result.json`];
      }
    }
    // The environment rule: nothing of this process's environment, only the fixed locale, the
    // target's `env`, the step's own variables and what Canal sets.
    const env = {
      ...FIXED,
      ...this.env,
      ...stepEnvironment(inner),
      PATH: [...path, DEFAULT_PATH].join(":"),
      PYTHONPATH: PYTHON_HELPER,
      PYTHONUNBUFFERED: "1",
      HOME: "/tmp",
    };
    const resources = task.step.resources ?? {};
    let stderrTail = "";
    const end: ContainerEnd = await runContainer(this.docker, {
      create: {
        Image: image,
        Cmd: cmd,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        WorkingDir: cwd,
        User: this.user,
        Labels: {
          "canal.run": task.runId,
          "canal.step": task.stepKey,
          "canal.attempt": String(task.attempt),
        },
        HostConfig: {
          Binds: [...this.binds, ...paths.binds()],
          NetworkMode: this.network,
          ...(resources.cpu ? { NanoCpus: Math.round(resources.cpu * 1e9) } : {}),
          // Swap at the same limit as memory: a step over its limit is killed, not slowed to a crawl.
          ...(resources.memoryBytes
            ? { Memory: resources.memoryBytes, MemorySwap: resources.memoryBytes }
            : {}),
          ...(resources.gpu
            ? { DeviceRequests: [{ Driver: "", Count: resources.gpu, Capabilities: [["gpu"]] }] }
            : {}),
        },
      },
      onLog: (stream, text) => {
        if (stream === "stderr") stderrTail = (stderrTail + text).slice(-2000);
        hooks.log(stream, text);
      },
      signal: hooks.signal,
    });
    if (end.aborted || hooks.signal.aborted) {
      return hooks.signal.reason === "timeout"
        ? { status: "timed-out", error: `step ${task.stepKey} timed out` }
        : { status: "canceled" };
    }
    if (end.oomKilled) {
      const limit = resources.memoryBytes ? formatBytes(resources.memoryBytes) : "the container's";
      return {
        status: "failed",
        exitCode: end.exitCode,
        error: `step ${task.stepKey} was killed for using more than its memory limit of ${limit}; raise resources.memory`,
        retryable: false,
      };
    }
    if (task.step.kind !== "SCRIPT") return this.workerResult(task, paths, end, stderrTail);
    let exitCode = end.exitCode;
    if (task.blobs) {
      // The script ran under the entrypoint that moved its bytes: its own status is in the result.
      const result = this.workerResult(task, paths, end, stderrTail);
      if (result.status !== "failed" || result.scriptExit === undefined) return result;
      exitCode = result.scriptExit;
    }
    return this.scriptEnd(task, image, command, exitCode, stderrTail);
  }

  /** How a script step's shell ended, in Canal's words. */
  private scriptEnd(
    task: StepTask,
    image: string,
    command: string,
    exitCode: number,
    stderrTail: string,
  ): AttemptResult {
    if (exitCode === 0) return { status: "succeeded", values: {}, returned: {} };
    if (exitCode === 127) {
      const word = command.trim().split(/\s+/)[0];
      return {
        status: "failed",
        exitCode: 127,
        error: `step ${task.stepKey}: command not found in image ${image} (${stderrTail.trim().split("\n").pop() ?? word}); install \`${word}\` or fix the step's \`run\``,
        retryable: false,
      };
    }
    const last = stderrTail.trim().split("\n").slice(-3).join("\n");
    // 137 without an OOM kill or a cancel: something outside the step killed its container, most
    // often an engine that was restarted (it kills the containers it finds running).
    const how =
      exitCode === 137
        ? "was killed from outside (status 137: SIGKILL, e.g. the Docker engine restarting)"
        : `exited with status ${exitCode}`;
    return {
      status: "failed",
      exitCode: exitCode,
      error: `step ${task.stepKey}: \`${shownCommand(command)}\` ${how}${last ? `:\n${last}` : ""}`,
      retryable: true,
    };
  }

  /** A TypeScript step's result, as the worker wrote it, with its paths back on the host. */
  private workerResult(
    task: StepTask,
    paths: PathMap,
    end: ContainerEnd,
    stderrTail: string,
  ): StepFileResult {
    const file = join(task.workDir, "result.json");
    if (!existsSync(file)) {
      const last = stderrTail.trim().split("\n").slice(-3).join("\n");
      return {
        status: "failed",
        exitCode: end.exitCode,
        error: `step ${task.stepKey}: the worker in its container exited with status ${end.exitCode} without a result${last ? `:\n${last}` : ""}${end.exitCode === 127 ? `; the image needs node on PATH${task.blobs ? " (a step on a docker target with a network fetches its inputs from the bucket with it)" : ""}` : ""}`,
        retryable: true,
      };
    }
    const result = JSON.parse(readFileSync(file, "utf8")) as StepFileResult;
    if (result.status !== "succeeded") return result;
    const returned: Record<string, string> = {};
    for (const [name, path] of Object.entries(result.returned)) {
      // A path no mount holds stays as the container saw it: the orchestrator refuses it as outside
      // the output folder, in the words it uses for every runtime.
      const host = paths.toHost(path) ?? path;
      returned[name] = host;
    }
    return { ...result, returned };
  }

  /** Removes the run's containers that are still there (labelled `canal.run`), running or not. */
  async endRun(runId: string): Promise<string[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`canal.run=${runId}`] },
    });
    for (const info of containers) await this.docker.getContainer(info.Id).remove({ force: true });
    return containers.map(
      (info) => `container ${info.Id.slice(0, 12)} (step ${info.Labels["canal.step"] ?? "?"})`,
    );
  }

  /** Connects to the engine and reports what it has, or why steps cannot run on it (`canal targets --check`). */
  check(target: string): Promise<TargetCheck> {
    return checkEngine(
      this.docker,
      { socket: this.socket, image: this.image, network: this.network, binds: this.binds },
      target,
    );
  }

  async close(): Promise<void> {}
}

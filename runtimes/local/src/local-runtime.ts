import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { Step } from "@canal/ir";
import type { AttemptHooks, AttemptResult, Runtime, StepTask, TargetCheck } from "@canal/runtime-core";
import { systemPython } from "@canal/runtime-core";
import { type Launcher, ResidentShells } from "./launcher.js";
import { endRunProcesses } from "./leftovers.js";
import { runScript } from "./script-runner.js";
import { WorkerPool } from "./worker-pool.js";

export interface LocalRuntimeOptions {
  /** Where environments (virtualenvs) and unpacked bundles are kept between runs. */
  cacheDir: string;
  /** Attempts at once; default: the machine's cores. */
  maxParallel?: number;
}

/** Runs steps as processes on this machine: script steps under /bin/sh, TypeScript steps in warm workers. */
export class LocalRuntime implements Runtime {
  readonly name = "local";
  readonly maxParallel: number;
  /** A step's timeout counts from its start, not from building its Python environment. */
  readonly queued = true;
  private readonly workers: WorkerPool;
  private readonly shells: Launcher;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.maxParallel = options.maxParallel ?? cpus().length;
    this.workers = new WorkerPool(join(options.cacheDir, "modules"));
    this.shells = new ResidentShells(join(options.cacheDir, "shells"));
  }

  /** Its steps are processes of this machine: data read in place is read where it lies. */
  readsInPlace(): boolean {
    return true;
  }

  /**
   * A script step's command and whatever it started are ended before execute resolves (see
   * launcher.ts); a TypeScript step runs in a warm worker that outlives it.
   */
  settlesFolder(step: Step): boolean {
    return step.kind === "SCRIPT";
  }

  execute(task: StepTask, hooks: AttemptHooks): Promise<AttemptResult> {
    if (task.step.kind === "SCRIPT") return runScript(task, hooks, this.options.cacheDir, this.shells);
    hooks.started();
    return this.workers.run(task, hooks);
  }

  async endRun(runId: string): Promise<string[]> {
    return (await endRunProcesses(runId)).map((pid) => `process ${pid}`);
  }

  /** This machine: its cores and memory, the Node that runs TypeScript steps, the Python that env.python uses. */
  async check(): Promise<TargetCheck> {
    let python: string;
    try {
      python = process
        .getBuiltinModule("node:child_process")
        .execFileSync(systemPython(), ["--version"], { encoding: "utf8", timeout: 10_000 })
        .trim();
    } catch {
      python = "not found (script steps that run python, and env.python, need python3 on PATH)";
    }
    return {
      offers: [
        { label: "machine", value: `${cpus().length} CPUs, ${(totalmem() / 1024 ** 3).toFixed(1)}Gi` },
        { label: "node", value: process.version },
        { label: "python", value: python },
      ],
      problems: [],
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.workers.close(), this.shells.close()]);
  }
}

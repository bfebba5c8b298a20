import { resolve, sep } from "node:path";
import type { StepTask, TaskInput, TaskOutput } from "@canal/runtime-core";

/** A host directory or file and where a container sees it. */
export interface Mount {
  host: string;
  container: string;
  readOnly: boolean;
}

/**
 * Translates paths between the host and a container through its mounts: the deepest mount that
 * holds a path wins, so a read-only inputs mount inside the read-write work mount maps correctly.
 */
export class PathMap {
  private readonly mounts: Mount[];

  constructor(mounts: Mount[]) {
    this.mounts = [...mounts];
  }

  add(mount: Mount): void {
    this.mounts.push(mount);
  }

  binds(): string[] {
    return this.mounts.map((m) => `${m.host}:${m.container}${m.readOnly ? ":ro" : ""}`);
  }

  toContainer(path: string): string | undefined {
    return translate(resolve(path), this.mounts, "host", "container");
  }

  toHost(path: string): string | undefined {
    return translate(path, this.mounts, "container", "host");
  }
}

function translate(
  path: string,
  mounts: Mount[],
  from: "host" | "container",
  to: "host" | "container",
): string | undefined {
  let best: Mount | undefined;
  for (const mount of mounts) {
    const root = mount[from];
    if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) continue;
    if (!best || root.length > best[from].length) best = mount;
  }
  return best ? best[to] + path.slice(best[from].length) : undefined;
}

/**
 * The task as the container sees it: every host path replaced by its container path. Paths no mount
 * holds are mounted on the way (inputs read-only, outputs read-write), under /canal/mnt.
 */
export function mapTask(task: StepTask, paths: PathMap, container: { artifactDir: string; workDir: string }) {
  let extra = 0;
  const reach = (path: string, readOnly: boolean): string => {
    const mapped = paths.toContainer(path);
    if (mapped !== undefined) return mapped;
    const target = `/canal/mnt/${extra++}`;
    paths.add({ host: resolve(path), container: target, readOnly });
    return target;
  };
  const inputs: Record<string, TaskInput> = {};
  for (const [name, input] of Object.entries(task.inputs)) {
    if (input.kind === "artifact") inputs[name] = { ...input, path: reach(input.path, true) };
    else if (input.kind === "artifacts")
      inputs[name] = {
        kind: "artifacts",
        paths: input.paths.map((p) => reach(p, true)),
        ...(input.listFile ? { listFile: reach(input.listFile, true) } : {}),
      };
    else inputs[name] = input.file ? { ...input, file: reach(input.file, true) } : input;
  }
  const outputs: Record<string, TaskOutput> = {};
  for (const [name, output] of Object.entries(task.outputs)) {
    outputs[name] = { ...output, path: reach(output.path, false) };
  }
  const mapped: StepTask = {
    ...task,
    artifactDir: container.artifactDir,
    workDir: container.workDir,
    inputs,
    outputs,
    metricsFile: reach(task.metricsFile, false),
  };
  // Fetched in the container, to where its inputs name them (under the work folder, writable).
  if (task.blobs)
    mapped.blobs = {
      ...task.blobs,
      fetch: task.blobs.fetch.map((entry) => ({ ...entry, path: reach(entry.path, false) })),
    };
  return mapped;
}

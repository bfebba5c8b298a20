import { createHash } from "node:crypto";
import type { Environment, Pipeline, Step } from "@canal/ir";

/** What both exports take besides the pipeline. */
export interface ExportOptions {
  /** The image of steps whose environment names none (env.python, env.node, TypeScript steps). */
  image?: string;
  /** The namespace the manifests are written for; none: the one kubectl or argo submit uses. */
  namespace?: string;
  /**
   * The PersistentVolumeClaim (ReadWriteMany) every step mounts at /canal: the artifact is copied
   * to /canal/artifacts/<pipeline hash>, and steps pass outputs to each other under /canal/runs.
   */
  volumeClaim?: string;
  /** Parameter values instead of the defaults (by name, as `canal run -p` takes them). */
  parameters?: Record<string, unknown>;
  /** The node label a step's GPU type selects on; default `canal.dev/gpu-type`. */
  gpuTypeLabel?: string;
  /**
   * The Secret a step's declared variables (`passEnv`) are read from, one key per variable name;
   * default `canal-env`. Their values never enter the manifests.
   */
  envSecret?: string;
}

/** What a manifest's step container needs from the export options, with defaults applied. */
export interface Settings {
  image: string;
  namespace?: string;
  volumeClaim: string;
  gpuTypeLabel: string;
  envSecret: string;
}

export const MOUNT = "/canal";
export const DEFAULT_VOLUME_CLAIM = "canal";
export const DEFAULT_GPU_TYPE_LABEL = "canal.dev/gpu-type";
export const DEFAULT_ENV_SECRET = "canal-env";
/** The label every object Canal writes carries, so `kubectl get -l` finds them. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "canal" } as const;

/** The worker image of a Canal version: Node, the Canal CLI, nothing of any pipeline. */
export function defaultImage(pipeline: Pipeline): string {
  return `canal/worker:${pipeline.minRuntimeVersion}`;
}

export function settings(pipeline: Pipeline, options: ExportOptions): Settings {
  return {
    image: options.image ?? defaultImage(pipeline),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    volumeClaim: options.volumeClaim ?? DEFAULT_VOLUME_CLAIM,
    gpuTypeLabel: options.gpuTypeLabel ?? DEFAULT_GPU_TYPE_LABEL,
    envSecret: options.envSecret ?? DEFAULT_ENV_SECRET,
  };
}

/**
 * A name Kubernetes accepts for an object (RFC 1123: lowercase letters, digits and '-', at most
 * `max` characters). When the name had to change, a short hash of the original keeps two distinct
 * names (`train_a`, `train-a`) apart.
 */
export function objectName(name: string, max = 63): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (clean === name && clean.length <= max) return clean;
  const suffix = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${clean.slice(0, max - suffix.length - 1).replace(/-$/, "")}-${suffix}`;
}

/** A CPU count as a Kubernetes quantity: "2", "500m". */
export function cpuQuantity(cpu: number): string {
  return Number.isInteger(cpu) ? String(cpu) : `${Math.ceil(cpu * 1000)}m`;
}

/** Bytes as a Kubernetes quantity: "16Gi" when it divides evenly, else plain bytes. */
export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [
    ["Ti", 1024 ** 4],
    ["Gi", 1024 ** 3],
    ["Mi", 1024 ** 2],
    ["Ki", 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(Math.ceil(bytes));
}

/**
 * Requests and limits from a step's resources. CPU is requested, not limited (a limit throttles a
 * step that could use an idle core); memory is requested and limited alike, so a step that asked
 * for 8Gi is scheduled where 8Gi is free and stopped past it; GPUs are an extended resource, which
 * Kubernetes takes as a limit.
 */
export function resourceRequirements(step: Step): {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
} {
  const wants = step.resources ?? {};
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (wants.cpu) requests.cpu = cpuQuantity(wants.cpu);
  if (wants.memoryBytes) {
    requests.memory = memoryQuantity(wants.memoryBytes);
    limits.memory = requests.memory;
  }
  if (wants.gpu) limits["nvidia.com/gpu"] = String(wants.gpu);
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}

/** Where a GPU step may be scheduled: on nodes of its GPU type, tolerating the usual GPU taint. */
export function gpuPlacement(
  step: Step,
  settings: Settings,
): {
  nodeSelector?: Record<string, string>;
  tolerations?: { key: string; operator: string; effect: string }[];
} {
  const wants = step.resources ?? {};
  return {
    ...(wants.gpuType ? { nodeSelector: { [settings.gpuTypeLabel]: wants.gpuType } } : {}),
    ...(wants.gpu
      ? { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] }
      : {}),
  };
}

export function environmentOf(pipeline: Pipeline, step: Step): Environment | undefined {
  return pipeline.environments?.find((e) => e.id === step.environment);
}

/** The step's own image (env.image), else the export's default worker image. */
export function imageOf(pipeline: Pipeline, step: Step, settings: Settings): string {
  const environment = environmentOf(pipeline, step);
  return environment?.kind === "IMAGE" && environment.image ? environment.image : settings.image;
}

export type EnvVarSource =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional: true } } };

/**
 * A step container's environment: its environment's fixed variables, and each variable the step
 * declares (`passEnv`) from the export's Secret, so a value the step reads is set on the cluster
 * and never written into the manifests; a key the Secret lacks leaves the variable unset.
 */
export function environmentVariables(pipeline: Pipeline, step: Step, settings: Settings): EnvVarSource[] {
  const fixed: EnvVarSource[] = (environmentOf(pipeline, step)?.variables ?? []).map((v) => ({
    name: v.name,
    value: v.value,
  }));
  const declared: EnvVarSource[] = (step.passEnv ?? []).map((name) => ({
    name,
    valueFrom: { secretKeyRef: { name: settings.envSecret, key: name, optional: true } },
  }));
  return [...fixed, ...declared];
}

/** Where the artifact lives on the shared volume. */
export function artifactPath(pipeline: Pipeline): string {
  return `${MOUNT}/artifacts/${pipeline.hash}`;
}

/** Seconds for a timeout, rounded up: Kubernetes deadlines are whole seconds. */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export function volume(settings: Settings) {
  return {
    volumeMounts: [{ name: "canal", mountPath: MOUNT }],
    volumes: [{ name: "canal", persistentVolumeClaim: { claimName: settings.volumeClaim } }],
  };
}

/** Pipeline value parameters (artifact parameters travel as paths on the shared volume). */
export function valueParameters(pipeline: Pipeline) {
  return pipeline.parameters.filter((p) => !("artifact" in p.type));
}

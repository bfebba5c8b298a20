import { existsSync } from "node:fs";
import type { TargetCheck } from "@canal/runtime-core";
import type Docker from "dockerode";
import { imageExists } from "./images.js";

/** The socket a docker target uses when it names none: DOCKER_HOST's, as the docker CLI does, else Docker's default. */
export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  return "/var/run/docker.sock";
}

/**
 * Why the engine at `socket` could not be connected to, in words, when `error` is a failure to
 * connect (nothing there, nobody listening, not allowed); undefined for any other error.
 */
export function connectFailure(error: unknown, socket: string): string | undefined {
  const e = error as { code?: string; syscall?: string; message?: string } | undefined;
  const code = e?.code ?? /\b(ENOENT|ECONNREFUSED|EACCES|EPERM)\b/.exec(e?.message ?? "")?.[1];
  switch (code) {
    case "ENOENT":
      return `nothing is at ${socket} (no such file)`;
    case "ECONNREFUSED":
      return `${socket} exists, but no engine listens on it (connection refused)`;
    case "EACCES":
    case "EPERM":
      return `this user may not open ${socket} (permission denied); add it to the group that owns the socket (usually \`docker\`), or use an engine this user may reach`;
    default:
      return undefined;
  }
}

/** The message for a step, or a check, that could not reach the engine at all. */
export function cannotConnect(socket: string, reason: string, target?: string): string {
  const setting = target ? `\`targets.${target}.socket\`` : 'the docker target\'s "socket"';
  return (
    `could not connect to the Docker engine at ${socket}: ${reason}; start dockerd (it listens on ` +
    `/var/run/docker.sock unless started with -H unix://PATH), or set ${setting} in canal.config.json to ` +
    "the socket of the engine to use (`docker context inspect --format '{{.Endpoints.docker.Host}}'` shows the docker CLI's)"
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export interface EngineSettings {
  socket: string;
  image: string;
  network: string;
  binds: string[];
}

const GIB = 1024 ** 3;

/**
 * `canal targets --check` of a docker target: connects to its engine and reports the engine's
 * version, what it has (CPUs, memory, container runtimes, images), and what stops steps from
 * running there: an engine it cannot reach, a base image the engine lacks (Canal never pulls), a
 * bind whose host folder does not exist, a network the engine does not have.
 */
export async function checkEngine(
  docker: Docker,
  settings: EngineSettings,
  target: string,
): Promise<TargetCheck> {
  const { socket } = settings;
  const offers: TargetCheck["offers"] = [{ label: "socket", value: socket }];
  const problems: string[] = [];
  let version: Docker.DockerVersion;
  try {
    version = await withTimeout(docker.version(), 10_000, `the Docker engine at ${socket}`);
  } catch (error) {
    const reason = connectFailure(error, socket);
    problems.push(
      reason
        ? cannotConnect(socket, reason, target)
        : `the Docker engine at ${socket} did not answer: ${(error as Error).message}; check that dockerd runs (its log says why not)`,
    );
    return { offers, problems };
  }
  offers.push({
    label: "engine",
    value: `Docker ${version.Version} (API ${version.ApiVersion}, ${version.Os}/${version.Arch})`,
  });
  const info = (await docker.info()) as {
    NCPU?: number;
    MemTotal?: number;
    Runtimes?: Record<string, unknown>;
  };
  if (info.NCPU !== undefined && info.MemTotal !== undefined)
    offers.push({ label: "machine", value: `${info.NCPU} CPUs, ${(info.MemTotal / GIB).toFixed(1)}Gi` });
  offers.push({ label: "container runtimes", value: Object.keys(info.Runtimes ?? {}).sort() });
  const images = (await docker.listImages())
    .flatMap((image) => image.RepoTags ?? [])
    .filter((tag) => tag !== "<none>:<none>")
    .sort();
  offers.push({ label: "images", value: images });
  if (!(await imageExists(docker, settings.image))) {
    problems.push(
      `the image ${settings.image} is not on the engine (steps whose environment names no image run in it, and env.python/env.node ` +
        `images are built from it), and Canal never pulls one; build or import it there (docs/targets.md shows how), ` +
        `or set \`targets.${target}.image\` to one the engine has`,
    );
  }
  for (const bind of settings.binds) {
    const host = bind.split(":")[0] as string;
    if (!existsSync(host))
      problems.push(
        `\`targets.${target}.binds\`: ${host} does not exist on this machine; create it or remove the bind`,
      );
  }
  if (settings.network !== "none") {
    const networks = (await docker.listNetworks()).map((n) => n.Name);
    if (!networks.includes(settings.network))
      problems.push(
        `\`targets.${target}.network\`: the engine has no network ${settings.network}; its networks are ${networks.sort().join(", ") || "none"}`,
      );
  }
  return { offers, problems };
}

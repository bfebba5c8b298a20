import type { Environment } from "@canal/ir";
import type Docker from "dockerode";
import { runContainer } from "./container.js";
import { DockerImageError } from "./errors.js";

/** Where an environment image keeps its virtualenv; its bin directory goes first on PATH. */
export const VENV_DIR = "/canal/env";

/** What a step of an environment runs in: the image, and the directories to put first on PATH. */
export interface StepImage {
  image: string;
  path: string[];
}

export interface ImageContext {
  docker: Docker;
  /** The target's base image, for steps without an image of their own. */
  baseImage: string;
  /** Extra binds every container gets (a host /usr for an image that borrows the host's tools). */
  binds: string[];
  user: string;
  network: string;
}

/** Whether the engine has `image` (a 404 is no; any other failure is thrown). */
export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

async function requireImage(docker: Docker, image: string, wanted: string): Promise<void> {
  if (await imageExists(docker, image)) return;
  throw new DockerImageError(
    "CANAL_DOCKER_IMAGE_MISSING",
    `the image ${image} (${wanted}) is not on the Docker engine, and images are never pulled; build it ` +
      `(docker build -t ${image} .), load it (docker load -i image.tar) or import it (docker import rootfs.tar ${image}) ` +
      `on the engine first, or set the docker target's "image"`,
  );
}

const needsVenv = (environment: Environment) =>
  Boolean(environment.requirements?.trim() || environment.packages?.length || environment.pythonVersion);

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell script that builds a Python environment in a container: a virtualenv seeing the
 * image's site-packages (as the local runtime builds one), with the requirements installed.
 */
function venvScript(environment: Environment): string {
  const lines = ["set -e"];
  if (environment.pythonVersion) {
    const want = environment.pythonVersion;
    lines.push(
      `have=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')`,
      `case "$have" in ${quote(want)}*) ;; *) echo "the image has Python $have, not ${want.replace(/[^\w.]/g, "")}" >&2; exit 3;; esac`,
    );
  }
  lines.push(`python3 -m venv --system-site-packages ${VENV_DIR}`);
  const pip = `${VENV_DIR}/bin/python -m pip install --no-input --disable-pip-version-check --no-warn-script-location`;
  if (environment.requirements?.trim()) {
    lines.push(
      `cat > /tmp/requirements.txt <<'CANAL_REQUIREMENTS'\n${environment.requirements}\nCANAL_REQUIREMENTS`,
    );
    lines.push(`${pip} -r /tmp/requirements.txt`);
  }
  if (environment.packages?.length) lines.push(`${pip} ${environment.packages.map(quote).join(" ")}`);
  return lines.join("\n");
}

const building = new Map<string, Promise<void>>();

/**
 * The image a step of `environment` runs in. `env.image(ref)` is used as it is; Python and Node
 * environments get an image of their own, tagged `canal-env:<id prefix>`, made once per environment
 * id from the base image and kept on the engine (so every later run, of any workspace, reuses it).
 *
 * A Python environment with requirements is built by running the install in a container of the
 * base image with the target's binds and committing it: a Dockerfile build could not see a host
 * directory the base image borrows its interpreter from.
 */
export async function stepImage(
  environment: Environment | undefined,
  context: ImageContext,
  stepKey: string,
): Promise<StepImage> {
  const { docker, baseImage } = context;
  if (environment?.kind === "IMAGE" && environment.image) {
    await requireImage(docker, environment.image, `the environment of step ${stepKey}`);
    return { image: environment.image, path: [] };
  }
  if (environment?.kind !== "PYTHON" && environment?.kind !== "NODE") {
    await requireImage(docker, baseImage, `the docker target's base image, for step ${stepKey}`);
    return { image: baseImage, path: [] };
  }
  const tag = `canal-env:${environment.id.slice(0, 16)}`;
  const venv = environment.kind === "PYTHON" && needsVenv(environment);
  const path = venv ? [`${VENV_DIR}/bin`] : [];
  if (await imageExists(docker, tag)) return { image: tag, path };
  let pending = building.get(tag);
  if (!pending) {
    pending = build(environment, tag, venv, context, stepKey).finally(() => building.delete(tag));
    building.set(tag, pending);
  }
  await pending;
  return { image: tag, path };
}

async function build(
  environment: Environment,
  tag: string,
  venv: boolean,
  context: ImageContext,
  stepKey: string,
): Promise<void> {
  const { docker, baseImage } = context;
  await requireImage(
    docker,
    baseImage,
    `the docker target's base image, for the environment of step ${stepKey}`,
  );
  const [repo, version] = tag.split(":") as [string, string];
  if (!venv) {
    await docker.getImage(baseImage).tag({ repo, tag: version });
    return;
  }
  let output = "";
  const result = await runContainer(docker, {
    create: {
      Image: baseImage,
      Cmd: ["/bin/sh", "-c", venvScript(environment)],
      User: "0:0",
      WorkingDir: "/",
      HostConfig: { Binds: context.binds, NetworkMode: context.network },
    },
    onLog: (_stream, text) => {
      output = (output + text).slice(-4000);
    },
    signal: new AbortController().signal,
    commit: { repo, tag: version },
  });
  if (result.exitCode !== 0) {
    const last = output.trim().split("\n").slice(-3).join(" | ");
    throw new DockerImageError(
      "CANAL_DOCKER_ENV_BUILD_FAILED",
      `building the image ${tag} for environment ${environment.id.slice(0, 12)}${environment.requirementsPath ? ` (${environment.requirementsPath})` : ""} from ${baseImage} failed (exit ${result.exitCode}): ${last}; ` +
        `make each requirement installable in that image (no package index may be reachable), or give the step an image that has them (env.image)`,
    );
  }
}

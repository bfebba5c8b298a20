import { CanalError } from "@canal/ir";

/** The codes of {@link DockerImageError}. */
export type DockerImageErrorCode = "CANAL_DOCKER_IMAGE_MISSING" | "CANAL_DOCKER_ENV_BUILD_FAILED";

/** An image a step needs that is not on the engine, or an environment image that could not be built. */
export class DockerImageError extends CanalError<DockerImageErrorCode> {
  override name = "DockerImageError";
}

/** The engine stopped answering about a container, or forgot it (a restarted engine). */
export class EngineGoneError extends CanalError<"CANAL_DOCKER_ENGINE_GONE"> {
  override name = "EngineGoneError";
  constructor(message: string) {
    super("CANAL_DOCKER_ENGINE_GONE", message);
  }
}

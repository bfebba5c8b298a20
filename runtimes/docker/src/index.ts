/**
 * The Docker runtime: executes a compiled pipeline's steps in containers through the Docker Engine
 * API, one container per attempt.
 *
 * @example
 * ```ts
 * import { DockerRuntime } from "@canal/runtime-docker";
 * const runtime = new DockerRuntime({ socket: "/var/run/docker.sock", image: "python:3.12" });
 * ```
 */

export { DEFAULT_IMAGE } from "./default-image.js";
export type { DockerRuntimeOptions } from "./docker-runtime.js";
export { DockerRuntime } from "./docker-runtime.js";
export type { DockerImageErrorCode } from "./errors.js";
export { DockerImageError, EngineGoneError } from "./errors.js";
export type { DockerSettings } from "./module.js";
export { dockerRuntime } from "./module.js";

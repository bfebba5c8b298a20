import { askRuntime, type RuntimeModule } from "@canal/runtime-core";
import { z } from "zod";
import { DEFAULT_IMAGE } from "./default-image.js";

const BIND_FORM = 'expected a bind "/host/path:/path/in/container", optionally ending ":ro" or ":rw"';
const ENV_NAME_FORM =
  "expected an environment variable name (letters, digits and _, not starting with a digit)";

const settings = z.strictObject({
  /** The Docker Engine API socket. */
  socket: z.string().min(1).optional(),
  /** The image for steps whose environment names none. */
  image: z.string().min(1).optional(),
  /** Container network; "none" unless set, so a step reaches nothing it did not declare. */
  network: z.string().min(1).optional(),
  /** Host folders every container sees: data a step reads by path, an interpreter the image lacks. */
  binds: z.array(z.string().regex(/^\/[^:]*:\/[^:]*(:(ro|rw))?$/, { error: BIND_FORM })).optional(),
  /** Environment variables every step gets (the host's environment is not passed into containers). */
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: ENV_NAME_FORM }), z.string())
    .optional(),
  /** `uid:gid` the steps run as; default the user running Canal, so it can read what they write. */
  user: z.string().min(1).optional(),
});

/** A docker target's own settings in canal.config.json. */
export type DockerSettings = z.infer<typeof settings>;

// The Docker client (dockerode, ssh2, grpc) loads only when a docker target is used.
const create: RuntimeModule<DockerSettings>["create"] = async (target, { maxParallel }) => {
  const { DockerRuntime } = await import("./docker-runtime.js");
  const { socket, image, network, binds, env, user } = target.settings;
  const bound = target.maxParallel ?? maxParallel;
  return new DockerRuntime({
    ...(socket !== undefined ? { socket } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(binds !== undefined ? { binds } : {}),
    ...(env !== undefined ? { env } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(bound !== undefined ? { maxParallel: bound } : {}),
  });
};

/** The Docker runtime as Canal uses it: targets of kind "docker", containers of an engine. */
export const dockerRuntime: RuntimeModule<DockerSettings> = {
  kind: "docker",
  settings,
  onThisMachine: true,
  describe: ({ settings: s }) =>
    `containers of the engine at ${s.socket ?? "/var/run/docker.sock (or DOCKER_HOST)"}, image ${s.image ?? DEFAULT_IMAGE}, network ${s.network ?? "none"}${s.binds?.length ? `, binds ${s.binds.join(" ")}` : ""}`,
  create,
  ...askRuntime(create),
};

import { askRuntime, type RuntimeModule } from "@canal/runtime-core";
import { z } from "zod";

const settings = z.strictObject({});

/** The settings of a local target: none beyond what every target declares. */
export type LocalSettings = z.infer<typeof settings>;

const create: RuntimeModule<LocalSettings>["create"] = async (target, { cacheDir, maxParallel }) => {
  const { LocalRuntime } = await import("./local-runtime.js");
  const bound = target.maxParallel ?? maxParallel;
  return new LocalRuntime({
    cacheDir,
    ...(bound !== undefined ? { maxParallel: bound } : {}),
  });
};

/** The local runtime as Canal uses it: targets of kind "local", processes on this machine. */
export const localRuntime: RuntimeModule<LocalSettings> = {
  kind: "local",
  settings,
  onThisMachine: true,
  describe: () => "processes on this machine",
  create,
  ...askRuntime(create),
};

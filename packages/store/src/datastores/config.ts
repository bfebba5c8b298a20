// `datastores` in canal.config.json: named local folders and S3 prefixes, plus `workspace`, the
// workspace's own artifact location, which every workspace has without writing it.
import { z } from "zod";
import { datastoreKinds } from "./kinds.js";
import type { DatastoreSettings } from "./types.js";

/** The datastore every workspace has: a folder (or prefix) of its own artifact location. */
export const WORKSPACE_DATASTORE = "workspace";

const [first, ...rest] = Object.values(datastoreKinds).map((kind) => kind.schema);

/** The datastores as written: a name each, and a kind that says what the other keys are. */
export const DatastoresSchema = z
  .record(
    z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_-]{0,62}$/,
        "a datastore's name must start with a letter and hold letters, digits, '_' or '-' (at most 63)",
      ),
    z.discriminatedUnion("kind", [first as z.ZodObject, ...rest]),
  )
  .superRefine((datastores, context) => {
    if (Object.hasOwn(datastores, WORKSPACE_DATASTORE)) {
      context.addIssue({
        code: "custom",
        path: [WORKSPACE_DATASTORE],
        message:
          "is the workspace's own datastore (its artifact location) and cannot be redefined; give this one another name",
      });
    }
  });

/** A datastore as the workspace knows it: its settings, resolved, and the config key they are under. */
export interface DatastoreConfig {
  settings: DatastoreSettings;
  /** `datastores.NAME`, or `artifacts` for the workspace's own: messages name its keys. */
  field: string;
}

/**
 * The datastores of a config: paths made absolute from `root`, `workspace` added as `own` (the
 * blob store's datastore, when its kind has one).
 */
export function resolveDatastores(
  written: Record<string, DatastoreSettings> | undefined,
  own: DatastoreSettings | undefined,
  root: string,
): Record<string, DatastoreConfig> {
  const out: Record<string, DatastoreConfig> = {};
  if (own) out[WORKSPACE_DATASTORE] = { settings: own, field: "artifacts" };
  for (const [name, settings] of Object.entries(written ?? {})) {
    const kind = datastoreKinds[settings.kind];
    if (kind) out[name] = { settings: kind.resolve(settings, root), field: `datastores.${name}` };
  }
  return out;
}

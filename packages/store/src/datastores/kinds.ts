// The kinds of datastore, by `kind`: each one's settings, how they resolve and how it opens. A
// new kind is one entry here and one module implementing Datastore, proven by the datastore suite.
import { resolve } from "node:path";
import { z } from "zod";
import type { StoreContext } from "../backend-types.js";
import { type S3Settings, s3Backend, s3SettingsSchema } from "../s3/backend.js";
import { LocalDatastore } from "./local.js";
import type { Datastore, DatastoreSettings } from "./types.js";

export interface DatastoreKind {
  /** Its settings as written (`kind` included), strict. */
  schema: z.ZodObject;
  /** Applies the defaults and makes paths absolute (from `root`). */
  resolve(settings: DatastoreSettings, root: string): DatastoreSettings;
  /** `field` is the config object its settings are under, for the fix in a message. */
  open(name: string, settings: DatastoreSettings, context: StoreContext, field: string): Promise<Datastore>;
}

export const datastoreKinds: Record<string, DatastoreKind> = {
  local: {
    schema: z.strictObject({ kind: z.literal("local"), path: z.string().min(1) }),
    resolve: (settings, root) => ({ ...settings, path: resolve(root, settings.path as string) }),
    open: async (name, settings, _context, field) =>
      new LocalDatastore(name, settings.path as string, `${field}.path`, settings.create === true),
  },
  s3: {
    schema: s3SettingsSchema,
    resolve: (settings, root) => s3Backend.resolve(settings as S3Settings, root),
    async open(name, settings, context, field) {
      const { S3Datastore } = await import("./s3.js");
      return new S3Datastore(name, settings as S3Settings, context, field);
    },
  },
};

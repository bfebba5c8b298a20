// Opening a workspace's datastore by name: the one way `canal datastores`, `canal datasets` and
// (later) a run reach one.
import { join } from "node:path";
import { CONFIG_FILE, type WorkspaceConfig } from "../config.js";
import { StoreError } from "../errors.js";
import { datastoreKinds } from "./kinds.js";
import type { Datastore } from "./types.js";

/** What opening a datastore needs of a workspace: its config and where it is. */
export interface DatastoreHost {
  root: string;
  configPath?: string;
  config: WorkspaceConfig;
}

/** The names of the workspace's datastores, sorted, `workspace` first. */
export function datastoreNames(host: DatastoreHost): string[] {
  return Object.keys(host.config.datastores).sort((a, b) =>
    a === "workspace" ? -1 : b === "workspace" ? 1 : a.localeCompare(b),
  );
}

export function unknownDatastore(host: DatastoreHost, name: string): StoreError {
  const names = datastoreNames(host);
  const file = host.configPath ?? join(host.root, CONFIG_FILE);
  return new StoreError(
    "CANAL_STORE_DATASTORE_UNKNOWN",
    `no datastore ${JSON.stringify(name)} in this workspace; the datastores are ${names.join(", ") || "none"} ` +
      `(define more under "datastores" in ${file}; \`canal datastores\` lists them)`,
  );
}

/** Opens datastore `name` of the workspace: an unknown name is an error listing those there are. */
export async function openDatastore(host: DatastoreHost, name: string): Promise<Datastore> {
  const entry = Object.hasOwn(host.config.datastores, name) ? host.config.datastores[name] : undefined;
  if (!entry) throw unknownDatastore(host, name);
  const kind = datastoreKinds[entry.settings.kind];
  if (!kind) throw unknownDatastore(host, name);
  const context = {
    workspace: host.config.workspace,
    root: host.root,
    configFile: host.configPath ?? join(host.root, CONFIG_FILE),
  };
  return kind.open(name, entry.settings, context, entry.field);
}

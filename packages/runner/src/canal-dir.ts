import { dirname, resolve } from "node:path";
import type { Workspace } from "@canal/store";

/** The workspace's own directory for Canal's files (beside the metadata database). */
export function canalDir(workspace: Workspace): string {
  return dirname(resolve(workspace.root, workspace.config.store.path));
}

import type { Workspace } from "@canal/store";

/**
 * The workspace's own folder for Canal's local files (run leases, the gc lock, staged parameter
 * files): a setting of the workspace (`folders.state`), not wherever its database lives.
 */
export function canalDir(workspace: Workspace): string {
  return workspace.config.folders.state;
}

import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { errorCode } from "./blob-io.js";
import { StoreError } from "./errors.js";

/**
 * Creates the folder `path` that the setting `setting` names (and its missing parents), or says at
 * once why it cannot be. Node's recursive mkdir never returns for some paths (under /proc it
 * retries the same ENOENT forever) and reports a file in the way as a bare EEXIST, so the
 * folders are made one at a time, from the deepest one that exists.
 */
export function ensureFolder(path: string, setting: string, configFile: string): void {
  const missing: string[] = [];
  let at = path;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (error) {
      const code = errorCode(error);
      if ((code !== "ENOENT" && code !== "ENOTDIR") || dirname(at) === at)
        throw cannotCreate(path, at, error, setting, configFile);
      missing.push(at);
      at = dirname(at);
      continue;
    }
    if (!isDirectory) {
      const what =
        at === path ? `${path} is a file, not a folder` : `${at}, on the way to ${path}, is a file`;
      throw new StoreError(
        "CANAL_STORE_PATH_INVALID",
        `\`${setting}\` in ${configFile}: ${what}; point \`${setting}\` somewhere else, or move the file away`,
      );
    }
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Another process made it first: what matters is that it exists now.
      if (errorCode(error) === "EEXIST" && statSync(folder).isDirectory()) continue;
      throw cannotCreate(path, folder, error, setting, configFile);
    }
  }
}

function cannotCreate(
  path: string,
  at: string,
  error: unknown,
  setting: string,
  configFile: string,
): StoreError {
  const inner = at === path ? "" : ` (making ${at} failed)`;
  return new StoreError(
    "CANAL_STORE_PATH_INVALID",
    `\`${setting}\` in ${configFile}: cannot create the folder ${path}${inner}: ${(error as Error).message}; ` +
      `point \`${setting}\` at a folder this user can write`,
  );
}

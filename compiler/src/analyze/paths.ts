import { statSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import type { Node } from "ts-morph";
import type { Reporter } from "./report.js";
import { relativePath } from "./report.js";

export interface CheckedPath {
  absolute: string;
  directory: boolean;
}

/**
 * Resolves a path written in user code relative to the file that declares it, and checks that it
 * exists and stays inside the project root: the compiled artifact ships what it names, so
 * anything outside the project would make the artifact depend on the machine that built it.
 *
 * @param subject what names the path, for messages: "step `prepare` option `source`".
 */
export function checkPath(
  reporter: Reporter,
  written: string,
  node: Node,
  subject: string,
  expect: "file" | "directory" | "any" = "any",
): CheckedPath | undefined {
  const file = node.getSourceFile().getFilePath();
  const absolute = resolve(dirname(file), written);
  const fromRoot = relative(reporter.projectRoot, absolute);
  const relativeTo = basename(file);
  if (fromRoot.startsWith("..") || isAbsolute(fromRoot)) {
    reporter.error(
      "CANAL1017",
      node,
      `${subject} names \`${written}\`, which is outside the project root ${reporter.projectRoot}`,
      "move it inside the project (the directory holding package-lock.json or package.json) so the compiled artifact can ship it",
    );
    return undefined;
  }
  const shown = relativePath(reporter.projectRoot, absolute) || ".";
  let stats: ReturnType<typeof statSync> | undefined;
  try {
    stats = statSync(absolute);
  } catch {
    stats = undefined;
  }
  const wrongKind =
    stats && ((expect === "file" && !stats.isFile()) || (expect === "directory" && !stats.isDirectory()));
  if (!stats || wrongKind) {
    const missing = wrongKind ? `is not a ${expect}` : "does not exist";
    reporter.error(
      "CANAL1012",
      node,
      `${subject} names \`${written}\` (${shown} in the project), which ${missing}`,
      `create the ${expect === "any" ? "file or directory" : expect}, or fix the path: it is relative to ${relativeTo}`,
    );
    return undefined;
  }
  reporter.reads?.path(absolute, stats.isDirectory());
  reporter.pathsRead.add(absolute);
  return { absolute, directory: stats.isDirectory() };
}

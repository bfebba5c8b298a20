// Paths inside a datastore: "/"-separated, relative to its root, never leaving it. A pattern is a
// glob over such paths, matched by one regular expression; what comes before its first wildcard is
// where listing starts.
import { StoreError } from "../errors.js";

/** A path that would leave datastore `datastore`'s root: an absolute path or a `..` part. */
export function pathEscape(
  datastore: string,
  path: string,
  why: string,
  fix = "name a path inside it, relative to its root, with no `..` part",
): StoreError {
  return new StoreError(
    "CANAL_STORE_DATASTORE_PATH_ESCAPE",
    `the path ${JSON.stringify(path)} leaves datastore ${datastore} (${why}); ${fix}`,
  );
}

/** What to do about a symbolic link that points out of a local datastore. */
export const LINK_FIX =
  "a datastore's files stay inside its folder: remove the link, copy the file in, or define a datastore where it lies";

/**
 * `path` as a datastore path ("a/b.csv", or "" for the root): backslashes refused, "." parts and
 * repeated or trailing "/" dropped, an absolute path or a ".." part an error naming path and datastore.
 */
export function datastorePath(datastore: string, path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) throw pathEscape(datastore, path, "it is absolute");
  if (path.includes("\\")) throw pathEscape(datastore, path, "it holds a backslash; separate parts with /");
  if (path.includes("\0")) throw pathEscape(datastore, path, "it holds a NUL byte");
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) throw pathEscape(datastore, path, "it has a `..` part");
  return parts.join("/");
}

const GLOB_CHARS = /[*?[{]/;

/** Whether `pattern` has a wildcard (otherwise it names a file or a folder). */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** The folder a pattern's matches all lie under: its parts before the first wildcard. */
export function globBase(pattern: string): string {
  const parts = pattern.split("/");
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  if (!isGlob(pattern)) return pattern;
  return fixed.join("/");
}

const escapeRegExp = (text: string) => text.replace(/[.+^$()|\\\]}]/g, "\\$&");

/**
 * A glob as a regular expression over a whole path: `*` any run of characters but "/", `?` one,
 * `**` as a whole part any number of parts (none included), `{a,b}` either, `[abc]`/`[!abc]` a set.
 */
export function globRegExp(pattern: string): RegExp {
  let out = "";
  let i = 0;
  let braces = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      const starts = i === 0 || pattern[i - 1] === "/";
      const ends = i + 2 === pattern.length || pattern[i + 2] === "/";
      if (starts && ends) {
        // "**/" matches no part or any parts; a final "**" anything below.
        if (i + 2 === pattern.length) out += ".*";
        else out += "(?:[^/]+/)*";
        i += 3;
        continue;
      }
      out += "[^/]*";
      i += 2;
      continue;
    }
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) out += "\\[";
      else {
        let set = pattern.slice(i + 1, close);
        if (set.startsWith("!")) set = `^${set.slice(1)}`;
        out += `[${set.replace(/\\/g, "\\\\")}]`;
        i = close + 1;
        continue;
      }
    } else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else out += escapeRegExp(c);
    i++;
  }
  return new RegExp(`^${out}$`);
}

/**
 * What `pattern` matches among paths under `base`: a glob by its expression; a plain path the file
 * of that path, or every file under the folder of that path.
 */
export function matcher(pattern: string): (path: string) => boolean {
  if (pattern === "") return () => true;
  if (isGlob(pattern)) {
    const re = globRegExp(pattern);
    return (path) => re.test(path);
  }
  return (path) => path === pattern || path.startsWith(`${pattern}/`);
}

// The vocabulary of the compile cache's reads, apart from the TypeScript program that makes them
// (read-log.ts), so that checking them (compile-cache.ts) loads no TypeScript.

/** One read, as the compile saw it: a later compile that sees the same answer to each reads alike. */
export type Read =
  /** A regular file and the sha256 of the bytes read. */
  | { kind: "file"; path: string; sha256: string }
  /** Whether a path was a file and whether it was a directory (both false: not there). */
  | { kind: "exists"; path: string; file: boolean; directory: boolean }
  /** A directory's entries: names, "/"-suffixed for directories, "?"-suffixed for neither; null: unreadable. */
  | { kind: "list"; path: string; entries: string[] | null }
  /** Where a path really is (null: it could not be resolved). */
  | { kind: "real"; path: string; real: string | null };

/** A listing in the form `Read` keeps: sorted names with their kinds, links taken as what they point to. */
export function listingOf(entries: Array<{ name: string; isFile: boolean; isDirectory: boolean }>): string[] {
  return entries
    .map((e) => `${e.name}${e.isDirectory ? "/" : e.isFile ? "" : "?"}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

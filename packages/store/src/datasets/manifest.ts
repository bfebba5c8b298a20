// A dataset version's identity: one sha256 over its manifest (each file's path, digest and size,
// sorted by path) and, for a table, its format and columns. Fields are framed (a length before
// each), never joined with a separator a path could contain, so two manifests hash alike only
// when they are the same. Where the files were found (datastore, pattern), who registered them and
// the description are not content: the same files found again are the same version.
import { createHash } from "node:crypto";
import type { DatasetFile, DatasetKind, DatasetTable } from "../types.js";

const MAGIC = "canal-dataset-v1";

function frame(hash: ReturnType<typeof createHash>, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length);
  hash.update(bytes);
}

/**
 * The order of a version's paths: by their UTF-8 bytes, which is the order of their code points, as
 * SQLite (BINARY), PostgreSQL (`COLLATE "C"`) and an S3 listing sort them. JavaScript's `<` compares
 * UTF-16 code units, which puts a character above U+FFFF (a surrogate pair) before U+E000–U+FFFF.
 * Paths are whole characters (a store refuses a lone surrogate, which has no UTF-8 form).
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (D800–DFFF) above E000–FFFF, keeping each range's own order.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** `files` sorted by path (`comparePaths`), each path once. */
export function sortFiles(files: DatasetFile[]): DatasetFile[] {
  return [...files].sort((a, b) => comparePaths(a.path, b.path));
}

/** The digest that identifies a version with these files (sorted) and, for a table, this table. */
export function datasetDigest(kind: DatasetKind, files: DatasetFile[], table?: DatasetTable): string {
  const hash = createHash("sha256");
  frame(hash, MAGIC);
  frame(hash, kind);
  frame(hash, String(files.length));
  for (const file of files) {
    frame(hash, file.path);
    frame(hash, file.digest);
    frame(hash, String(file.size));
  }
  if (table) {
    frame(hash, table.format);
    frame(hash, String(table.schema.columns.length));
    for (const column of table.schema.columns) {
      frame(hash, column.name);
      frame(hash, column.type);
      frame(hash, column.nullable ? "nullable" : "required");
    }
  }
  return hash.digest("hex");
}

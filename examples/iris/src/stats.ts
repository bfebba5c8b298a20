import { readFile } from "node:fs/promises";

/** Parses a small CSV with a header row (no quoted fields: the iris files have none). */
export function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...rows] = text.trim().split(/\r?\n/);
  const columns = (header ?? "").split(",");
  return rows.map((row) => {
    const cells = row.split(",");
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ""]));
  });
}

export async function readCsv(path: string): Promise<Array<Record<string, string>>> {
  return parseCsv(await readFile(path, "utf8"));
}

/** Rows per value of `column`. */
export function countBy(rows: Array<Record<string, string>>, column: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const key = row[column] ?? "";
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

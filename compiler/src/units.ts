// The grammars of durations and memory sizes in step options. Kept apart from the analysis (no
// TypeScript here), so a command such as \`canal gc --older-than 30d\` parses them without loading
// the compiler.

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const memoryUnits: Record<string, number> = {
  "": 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** "30m" -> 1_800_000; numbers are milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  return match ? Number(match[1]) * (durationUnits[match[2] as string] as number) : undefined;
}

/** "8Gi" -> 8 * 2^30; numbers are bytes. */
export function parseMemory(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * (memoryUnits[match[2] ?? ""] as number)) : undefined;
}

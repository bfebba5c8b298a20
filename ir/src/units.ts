// The grammars of durations and memory sizes: a step's `timeout`, `retries.backoff` and
// `resources.memory`, a target's `memory` in canal.config.json and `canal gc --older-than 30d`.
// One parser, so that a size the compiler accepted is the size a target is compared with.

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

/** A memory size as text; a schema that validates one (canal.config.json) uses this pattern. */
export const MEMORY_PATTERN = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;

/** How a duration is written, for messages: what follows "expected". */
export const DURATION_FORM = 'milliseconds, or a string like "90s", "30m", "1h", "2d"';
/** How a memory size is written, for messages: what follows "expected". */
export const MEMORY_FORM = 'bytes, or a string like "512Mi", "8Gi", "1G"';

/**
 * "30m" -> 1_800_000; numbers are milliseconds. Undefined for anything else.
 *
 * @example
 * ```ts
 * parseDuration("1h"); // 3_600_000
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  return match ? Number(match[1]) * (durationUnits[match[2] as string] as number) : undefined;
}

/**
 * "8Gi" -> 8 * 2^30, "1.5G" -> 1.5e9; numbers are bytes. Undefined for anything else.
 *
 * @example
 * ```ts
 * parseMemory("512Mi"); // 536_870_912
 * ```
 */
export function parseMemory(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = MEMORY_PATTERN.exec(value.trim());
  return match ? Math.round(Number(match[1]) * (memoryUnits[match[2] ?? ""] as number)) : undefined;
}

/** Bytes as a person writes a memory size: "256Gi", "1.5Gi", "512Mi"; what `parseMemory` reads back. */
export function formatMemory(bytes: number): string {
  const units: [string, number][] = [
    ["Ti", 1024 ** 4],
    ["Gi", 1024 ** 3],
    ["Mi", 1024 ** 2],
    ["Ki", 1024],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return `${bytes}`;
}

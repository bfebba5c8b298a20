import type { CacheKeyChange, StoredValue } from "@canal/store";

/**
 * Where the artifacts of one run came from, by digest: the step outputs that produced each
 * ("prepare.prepped", "train[1].metrics") and the artifact parameters that gave one ("parameter
 * `raw`"). `canal why` names with it the upstream output behind an input that changed.
 */
export class Producers {
  private readonly byDigest = new Map<string, string[]>();

  add(digest: string, name: string): void {
    const names = this.byDigest.get(digest) ?? [];
    if (!names.includes(name)) names.push(name);
    this.byDigest.set(digest, names);
  }

  /** Records the artifact outputs of one step instance (`train[1]`). */
  addOutputs(stepKey: string, outputs: Record<string, StoredValue>): void {
    for (const [name, value] of Object.entries(outputs)) {
      if ("digest" in value) this.add(value.digest, `\`${stepKey}.${name}\``);
      if ("digests" in value)
        for (const [i, digest] of value.digests.entries()) this.add(digest, `\`${stepKey}.${name}[${i}]\``);
    }
  }

  /** Records the run's artifact parameters (stored as `{ digest }`). */
  addParameters(parameters: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(parameters)) {
      const digest = (value as { digest?: unknown } | null)?.digest;
      if (typeof digest === "string") this.add(digest, `parameter \`${name}\``);
    }
  }

  /**
   * "`prepare.prepped`", "`a.out` or `b.out`" (the same bytes), or undefined when nothing of the
   * run made it. `step`: the upstream step the input is bound to, whose outputs are named first
   * (another step may have produced the same bytes).
   */
  of(digest: string, step?: string): string | undefined {
    const names = this.byDigest.get(digest) ?? [];
    const bound = step ? names.filter((n) => n.startsWith(`\`${step}.`) || n.startsWith(`\`${step}[`)) : [];
    const chosen = bound.length ? bound : names;
    return chosen.length ? chosen.join(" or ") : undefined;
  }
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;
const LIST = /^\[((?:sha256:[0-9a-f]{64})(?:,sha256:[0-9a-f]{64})*)?\]$/;
const short = (described: string) => described.replace(/^sha256:([0-9a-f]{12})[0-9a-f]{52}$/, "sha256:$1");

/** One element of a fan-in input that differs from the last run's. */
export interface ChangedElement {
  index: number;
  /** The upstream output (or parameter) that gave the element in this run; absent when unknown. */
  from?: string;
  before?: string;
  after?: string;
}

/** What `canal why` says of an input whose described value changed. */
export interface UpstreamChange {
  /** For an artifact input: the upstream output (or parameter) that gave it in this run. */
  from?: string;
  /** For a fan-in input: the elements that differ, and how many there were and are. */
  elements?: ChangedElement[];
  countBefore?: number;
  countAfter?: number;
}

/**
 * Which upstream output made an input change: for an artifact, the output that produced its new
 * content; for a fan-in (a list of artifacts), each element that differs, with the output behind
 * it. Undefined for a value input (a parameter, a literal), which the change itself says.
 * `boundTo`: the step the input is bound to in the IR, if any.
 */
export function upstreamOf(
  change: Extract<CacheKeyChange, { field: "input" }>,
  producers: Producers,
  boundTo?: string,
): UpstreamChange | undefined {
  const after = change.after ?? "";
  const single = DIGEST.exec(after);
  if (single) {
    const from = producers.of(single[1] as string, boundTo);
    return from ? { from } : {};
  }
  const list = LIST.exec(after);
  if (!list) return undefined;
  const digests = (text: string | undefined) =>
    LIST.exec(text ?? "")?.[1]
      ?.split(",")
      .map((d) => d.slice("sha256:".length)) ?? [];
  const now = digests(after);
  const was = change.before === undefined ? [] : digests(change.before);
  const elements: ChangedElement[] = [];
  for (let index = 0; index < Math.max(now.length, was.length); index++) {
    if (now[index] === was[index]) continue;
    const element: ChangedElement = { index };
    const digest = now[index];
    const from = digest === undefined ? undefined : producers.of(digest, boundTo);
    if (from) element.from = from;
    if (was[index] !== undefined) element.before = `sha256:${was[index]}`;
    if (digest !== undefined) element.after = `sha256:${digest}`;
    elements.push(element);
  }
  return { elements, countBefore: was.length, countAfter: now.length };
}

/** The line `canal why` prints for an input change, naming the upstream output(s) behind it. */
export function describeInputChange(
  change: Extract<CacheKeyChange, { field: "input" }>,
  upstream: UpstreamChange | undefined,
): string | undefined {
  if (!upstream || change.before === undefined || change.after === undefined) return undefined;
  const what = `input \`${change.name}\``;
  if (!upstream.elements) {
    const from = upstream.from ? ` (from ${upstream.from}, whose content changed)` : "";
    return `${what} changed${from}: ${short(change.before)} -> ${short(change.after)}`;
  }
  const parts = upstream.elements.map((e) => {
    const how =
      e.before === undefined
        ? `added ${short(e.after ?? "")}`
        : e.after === undefined
          ? `removed (was ${short(e.before)})`
          : `${short(e.before)} -> ${short(e.after)}`;
    return `element ${e.index}${e.from ? ` from ${e.from}` : ""}: ${how}`;
  });
  const count =
    upstream.countBefore !== upstream.countAfter
      ? `, ${upstream.countAfter} element${upstream.countAfter === 1 ? "" : "s"} instead of ${upstream.countBefore}`
      : `, ${parts.length} of its ${upstream.countAfter} elements`;
  return `${what} (a fan-in) changed${count}: ${parts.join("; ")}`;
}

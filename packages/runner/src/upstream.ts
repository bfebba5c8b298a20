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

/** An artifact as a cache key describes it: `sha256:<digest>`, and ` as "<file name>"` for a named file. */
interface Described {
  digest: string;
  name?: string;
}

const ARTIFACT = /sha256:([0-9a-f]{64})(?: as ("(?:[^"\\]|\\.)*"))?/y;

function readArtifactAt(text: string, at: number): { value: Described; end: number } | undefined {
  ARTIFACT.lastIndex = at;
  const match = ARTIFACT.exec(text);
  if (!match) return undefined;
  const value: Described = { digest: match[1] as string };
  if (match[2] !== undefined) value.name = JSON.parse(match[2]) as string;
  return { value, end: ARTIFACT.lastIndex };
}

/** One artifact's description, or undefined when `text` is not one (a value input's JSON). */
function parseArtifact(text: string): Described | undefined {
  const read = readArtifactAt(text, 0);
  return read && read.end === text.length ? read.value : undefined;
}

/** A fan-in's description (`[a,b,…]`, each an artifact), or undefined when `text` is not one. */
function parseList(text: string): Described[] | undefined {
  if (!text.startsWith("[") || !text.endsWith("]")) return undefined;
  const items: Described[] = [];
  let at = 1;
  while (at < text.length - 1) {
    const read = readArtifactAt(text, at);
    if (!read) return undefined;
    items.push(read.value);
    at = read.end;
    if (at < text.length - 1) {
      if (text[at] !== ",") return undefined;
      at++;
    }
  }
  return items;
}

const shortDigest = (digest: string) => `sha256:${digest.slice(0, 12)}`;

/** Two descriptions side by side: digests shortened, a file name shown where it differs. */
function shortPair(before: Described, after: Described): [string, string] {
  const named = before.name !== after.name;
  const show = (d: Described) =>
    `${shortDigest(d.digest)}${named && d.name !== undefined ? ` as ${JSON.stringify(d.name)}` : ""}`;
  return [show(before), show(after)];
}

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
  const single = parseArtifact(after);
  if (single) {
    const from = producers.of(single.digest, boundTo);
    return from ? { from } : {};
  }
  const list = parseList(after);
  if (!list) return undefined;
  const now = list.map((item) => item.digest);
  const was = (change.before === undefined ? [] : (parseList(change.before) ?? [])).map(
    (item) => item.digest,
  );
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
    const before = parseArtifact(change.before);
    const after = parseArtifact(change.after);
    if (before && after && before.digest === after.digest) {
      const [was, now] = shortPair(before, after);
      return `${what} changed: ${was} -> ${now} (the same content under another file name)`;
    }
    const from = upstream.from ? ` (from ${upstream.from}, whose content changed)` : "";
    const [was, now] = before && after ? shortPair(before, after) : [change.before, change.after];
    return `${what} changed${from}: ${was} -> ${now}`;
  }
  const short = (described: string) => {
    const parsed = parseArtifact(described);
    return parsed ? shortDigest(parsed.digest) : described;
  };
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

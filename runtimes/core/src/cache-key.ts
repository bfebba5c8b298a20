import { canonicalJson, framedHash, type Step } from "@canal/ir";

/** A step input or output as the store keeps it: an artifact by digest, or a JSON value. */
export type StoredValue = { digest: string; directory: boolean } | { digests: string[] } | { json: string };

/** What a cache key is made of, kept with each cache entry so that a miss can be explained. */
export interface CacheKeyComponents {
  stepHash: string;
  codeHash: string;
  codeFiles: Array<{ path: string; sha256: string }>;
  environment: string;
  /** Input name -> "sha256:<digest>", "[sha256:…, …]" or the canonical JSON of a value. */
  inputs: Record<string, string>;
  /**
   * Environment variables the step reads (its `passEnv`, and a runtime's own): name -> a keyed
   * digest of the value ("hmac-sha256:…"), or "unset". Never a value. Absent when there are none.
   */
  variables?: Record<string, string>;
}

function describe(value: StoredValue): string {
  if ("digest" in value) return `sha256:${value.digest}`;
  if ("digests" in value) return `[${value.digests.map((d) => `sha256:${d}`).join(",")}]`;
  return value.json;
}

/**
 * The cache key of one step instance: its content hash (code, environment, interface, command),
 * and the content of each input — artifacts by digest, values (parameters, literals, fan-out
 * items) by canonical JSON; and the environment variables it reads, by keyed digest. Upstream re-runs that produce identical bytes give identical digests,
 * so everything downstream still hits the cache (early cutoff).
 */
export function cacheKey(
  step: Step,
  inputs: Record<string, StoredValue>,
  variables: Record<string, string> = {},
): { key: string; components: CacheKeyComponents } {
  const described = Object.fromEntries(
    Object.keys(inputs)
      .sort()
      .map((name) => [name, describe(inputs[name] as StoredValue)]),
  );
  const components: CacheKeyComponents = {
    stepHash: step.hash,
    codeHash: step.codeHash,
    codeFiles: step.codeFiles ?? [],
    environment: step.environment ?? "",
    inputs: described,
  };
  const fields = [step.hash, components.environment, canonicalJson(described)];
  // Only a step that reads variables has the field: every other key stays what it was.
  if (Object.keys(variables).length > 0) {
    components.variables = variables;
    fields.push(canonicalJson(variables));
  }
  const key = framedHash("canal-cache-v1", fields);
  return { key, components };
}

export function valueJson(value: unknown): StoredValue {
  return { json: canonicalJson(value ?? null) };
}

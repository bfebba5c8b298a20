import { type CacheKeyComponents, canonicalJson, framedHash, type Step, type StoredValue } from "@canal/ir";

export type { CacheKeyComponents, StoredValue } from "@canal/ir";

// A file's name reaches the step (`in/raw/wine.csv`, `{raw}`): a step that branches on the
// extension computes something else for `wine.tsv`, so the name is part of what the key covers.
const artifact = (digest: string, name: string | null | undefined) =>
  name ? `sha256:${digest} as ${JSON.stringify(name)}` : `sha256:${digest}`;

function describe(value: StoredValue): string {
  if ("digest" in value) return artifact(value.digest, value.name);
  if ("digests" in value) return `[${value.digests.map((d, i) => artifact(d, value.names?.[i])).join(",")}]`;
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

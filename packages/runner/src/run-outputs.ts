// A run's pipeline outputs, read from the store as its pipeline version's IR binds them: what
// `canal download` writes and the server's `GET /runs/ID/outputs` lists, one reading for both.
import type { MetadataStore, Run, StoredValue } from "@canal/store";

/** One output of a run to write: what it is called, where it comes from, and its stored value. */
export interface RunOutput {
  /** As the user names it: `best`, `prepare.prepped`, `train[2].model`. */
  name: string;
  value: StoredValue;
}

interface IrOutput {
  name: string;
  binding: {
    output?: { step: string; output: string };
    collect?: { step: string; output: string };
    parameter?: string;
    literalJson?: string;
    path?: string[];
  };
}

function valueAt(json: string, path: readonly string[] | undefined): StoredValue {
  if (!path?.length) return { json };
  let value: unknown = JSON.parse(json);
  for (const key of path) value = (value as Record<string, unknown> | null)?.[key];
  return { json: JSON.stringify(value ?? null) };
}

/**
 * The pipeline outputs of a run, as its pipeline version's IR binds them: to a step's output (the
 * first instance, as the orchestrator does), a fan-in over a step's instances, a parameter or a
 * literal. An output whose step did not produce it (failed, skipped) is left out.
 */
export async function pipelineOutputs(metadata: MetadataStore, run: Run): Promise<RunOutput[]> {
  const version = await metadata.getPipelineVersion(run.pipelineVersionId);
  const ir = JSON.parse(version.ir) as { outputs?: IrOutput[] };
  const steps = await metadata.listStepRuns(run.id);
  const instances = (id: string) =>
    steps.filter((s) => s.stepId === id).sort((a, b) => a.instance - b.instance);
  const outputs: RunOutput[] = [];
  for (const output of ir.outputs ?? []) {
    const { binding } = output;
    let value: StoredValue | undefined;
    if (binding.output) {
      const [first] = instances(binding.output.step);
      value = first ? (await metadata.getOutputs(first.id))[binding.output.output] : undefined;
    } else if (binding.collect) {
      const { step, output: name } = binding.collect;
      const each = await Promise.all(
        instances(step).map(async (s) => (await metadata.getOutputs(s.id))[name]),
      );
      if (each.length > 0 && each.every((v) => v !== undefined)) {
        const values = each as StoredValue[];
        value = values.every((v) => "digest" in v)
          ? { digests: values.map((v) => (v as { digest: string }).digest) }
          : { json: `[${values.map((v) => ("json" in v ? v.json : "null")).join(",")}]` };
      }
    } else if (binding.parameter !== undefined) {
      const given = run.parameters[binding.parameter];
      value =
        given && typeof given === "object" && "digest" in given
          ? (given as StoredValue)
          : { json: JSON.stringify(given ?? null) };
    } else if (binding.literalJson !== undefined) {
      value = { json: binding.literalJson };
    }
    if (value)
      outputs.push({ name: output.name, value: "json" in value ? valueAt(value.json, binding.path) : value });
  }
  return outputs;
}

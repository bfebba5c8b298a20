import { canonicalJson } from "./canonical-json.js";
import type { Input, Pipeline, Step } from "./types.js";

// A step called many times (a 10,000-step chain of one step definition) would otherwise repeat its
// code reference, interface, environment, resources and hashes in every call. On disk, calls of
// one definition share a template (Pipeline.templates) and keep only their own fields.

type CallFields = Pick<Step, "id" | "fanOut" | "conditions" | "after" | "location">;

function templateOf(step: Step): Step {
  const {
    id: _id,
    fanOut: _f,
    conditions: _c,
    after: _a,
    template: _t,
    ...shared
  } = step as Step & { template?: string };
  return {
    ...shared,
    id: "",
    inputs: step.inputs.map(({ binding: _b, ...input }) => input as Input),
  };
}

/** The compact form of a pipeline: steps sharing a definition become calls of a template. */
export function compactPipeline(pipeline: Pipeline): Pipeline {
  const groups = new Map<string, { key: string; count: number }>();
  const keys = new Map<Step, string>();
  for (const step of pipeline.steps) {
    const key = canonicalJson({ ...templateOf(step), location: undefined });
    keys.set(step, key);
    const group = groups.get(step.name);
    if (!group) groups.set(step.name, { key, count: 1 });
    else if (group.key === key) group.count++;
    else group.count = Number.NEGATIVE_INFINITY; // same name, different definitions: keep them whole
  }
  const templates = new Map<string, Step>();
  const steps = pipeline.steps.map((step): Step => {
    const group = groups.get(step.name);
    if (!group || group.count < 2 || keys.get(step) !== group.key) return step;
    let template = templates.get(step.name);
    if (!template) {
      template = templateOf(step);
      templates.set(step.name, template);
    }
    const call: CallFields & { template: string; inputs: Input[] } = {
      id: step.id,
      template: step.name,
      inputs: step.inputs.map(({ name, binding }) => ({ name, binding }) as Input),
      ...(step.fanOut ? { fanOut: step.fanOut } : {}),
      ...(step.conditions?.length ? { conditions: step.conditions } : {}),
      ...(step.after?.length ? { after: step.after } : {}),
    };
    if (step.location) {
      const { file, ...position } = step.location;
      call.location = (file === template.location?.file ? position : step.location) as Step["location"];
    }
    return call as unknown as Step;
  });
  if (templates.size === 0) return pipeline;
  return { ...pipeline, steps, templates: [...templates.values()] } as Pipeline;
}

/** Whole steps again from the compact form; a pipeline without templates is returned as it is. */
export function expandPipeline(pipeline: Pipeline & { templates?: Step[] }): Pipeline {
  const { templates, ...rest } = pipeline;
  if (!templates?.length) return rest;
  const byName = new Map(templates.map((t) => [t.name, shapeOf(t)]));
  const steps = pipeline.steps.map((call) => {
    const name = (call as Step & { template?: string }).template;
    if (!name) return call;
    const shape = byName.get(name);
    if (!shape)
      throw new Error(`step ${call.id} refers to template "${name}", which the pipeline does not have`);
    const { template, step: base, inputs } = shape;
    const step: Step = { ...base };
    step.id = call.id;
    step.fanOut = call.fanOut;
    step.conditions = call.conditions;
    step.after = call.after;
    step.inputs = inputs.map((input) => {
      const copy = { ...input };
      copy.binding = bindingOf(call.inputs, input.name) ?? input.binding;
      return copy;
    });
    if (call.location)
      step.location = { ...call.location, file: call.location.file || (template.location?.file ?? "") };
    else delete step.location;
    return step;
  });
  return { ...rest, steps };
}

/**
 * A template with every field its calls set already in place, and its inputs with their binding:
 * a call's step is a copy of it whose fields are then assigned. V8 copies an object that a literal
 * only spreads by its shape; a field added to the copy, or a second spread, changed the shape of
 * each of the 1,000 copies of a chain's step again, most of what reading its IR cost.
 */
function shapeOf(template: Step): { template: Step; step: Step; inputs: Input[] } {
  return {
    template,
    step: {
      ...template,
      id: "",
      fanOut: undefined,
      conditions: undefined,
      after: undefined,
      location: template.location,
      inputs: [],
    },
    inputs: template.inputs.map((input) => ({ ...input, binding: input.binding })),
  };
}

/** The binding a call gives its input `name` (a call has a few inputs: a scan beats a Map). */
function bindingOf(inputs: Input[], name: string): Input["binding"] | undefined {
  for (const input of inputs) if (input.name === name) return input.binding;
  return undefined;
}

import {
  type DataRef,
  didYouMean,
  fileNameProblem,
  type Parameter,
  type Pipeline,
  type Problem,
  type Type,
} from "@canal/ir";
import { z } from "zod";
import { ParameterError } from "./errors.js";

/** A zod schema for an IR type: what a run checks its parameter values against. */
export function schemaFor(type: Type): z.ZodType {
  if ("primitive" in type) {
    if (type.primitive === "NUMBER") return z.number();
    if (type.primitive === "STRING") return z.string();
    return z.boolean();
  }
  // A path, or (re-running a recorded run) an artifact already in the store.
  if ("artifact" in type) {
    return z.union([
      z.string().min(1, "expected a path"),
      z.object({
        digest: z.string().regex(/^[0-9a-f]{64}$/),
        directory: z.boolean(),
        // The file's name, as recorded: it becomes the file the step reads.
        name: z
          .string()
          .refine((name) => fileNameProblem(name) === undefined, "expected a plain file name")
          .optional(),
      }),
    ]);
  }
  if ("list" in type) return z.array(schemaFor(type.list.element));
  if ("enum" in type) {
    const values = type.enum.valuesJson.map((v) => JSON.parse(v) as string | number);
    return z.union(values.map((v) => z.literal(v)) as unknown as [z.ZodType, z.ZodType]);
  }
  return z
    .object(
      Object.fromEntries(
        type.object.fields.map((field) => {
          const schema = schemaFor(field.type);
          return [field.name, field.optional ? schema.optional() : schema];
        }),
      ),
    )
    .strict();
}

/** Whether a parameter of this type is given as text on the command line (never read as JSON). */
function takesText(type: Type): boolean {
  return (
    ("primitive" in type && type.primitive === "STRING") ||
    "artifact" in type ||
    ("enum" in type && type.enum.valuesJson.every((value) => value.startsWith('"')))
  );
}

/**
 * Parses `name=value` pairs from the command line, by each parameter's type when the pipeline is
 * known, as every command that takes `-p` does: a string, string enum or artifact parameter takes
 * the text as it is (`-p mode=123` is the string "123", `-p path=data/x.csv` a path); any other
 * type reads it as JSON (`lrs=[0.1,1]`, `deploy=true`), and text that is not JSON is left as text
 * for `resolveParameters` to report against the type. Without a pipeline (or for a name it does
 * not have), a value is JSON when it parses and text otherwise.
 */
export function parseParameterArgs(pairs: string[], pipeline?: Pipeline): Record<string, unknown> {
  const types = new Map((pipeline?.parameters ?? []).map((p) => [p.name, p.type]));
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new ParameterError([
        {
          path: pair,
          message: `parameter \`${pair}\` is not name=value`,
          hint: `write it as -p ${pair || "name"}=VALUE`,
        },
      ]);
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const type = types.get(name);
    let value: unknown = raw;
    if (!type || !takesText(type)) {
      try {
        value = JSON.parse(raw);
      } catch {}
    }
    values[name] = value;
  }
  return values;
}

/** An artifact parameter's value: a path given, the default shipped in the artifact, or a stored artifact. */
export type ArtifactParameter =
  | { path: string }
  /** A dataset shipped in the artifact; `name`: a file's name, recorded at compile time. */
  | { blob: string; directory: boolean; name?: string }
  | { digest: string; directory: boolean; name?: string }
  /** Data the workspace holds, read when the run is submitted: a registered dataset, a datastore path. */
  | { data: DataRef };

/**
 * Checks given parameter values against the pipeline's parameters and fills in defaults. Unknown,
 * missing and mistyped parameters are reported together, each naming the parameter and the fix.
 * Artifact parameters come back separately: a path given, or the default shipped in the artifact.
 */
export function resolveParameters(
  pipeline: Pipeline,
  given: Record<string, unknown>,
): { values: Record<string, unknown>; artifacts: Record<string, ArtifactParameter> } {
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  const artifacts: Record<string, ArtifactParameter> = {};
  const known = new Map(pipeline.parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      problems.push({
        path: name,
        message: `pipeline ${pipeline.name} has no parameter \`${name}\``,
        hint: `its parameters are ${[...known.keys()].join(", ") || "none"}${didYouMean(name, known.keys())}`,
      });
    }
  }
  for (const parameter of pipeline.parameters) {
    const check = (value: unknown) => check1(parameter, value, problems);
    if (parameter.name in given) {
      const value = given[parameter.name];
      if (check(value)) {
        if ("artifact" in parameter.type) {
          artifacts[parameter.name] =
            typeof value === "string" ? { path: value } : (value as { digest: string; directory: boolean });
        } else values[parameter.name] = value;
      }
    } else if (parameter.defaultArtifact) {
      const { blob, directory, name } = parameter.defaultArtifact;
      artifacts[parameter.name] = { blob, directory: Boolean(directory), ...(name ? { name } : {}) };
    } else if (parameter.defaultData) {
      artifacts[parameter.name] = { data: parameter.defaultData };
    } else if (parameter.hasDefault) {
      values[parameter.name] = JSON.parse(parameter.defaultJson ?? "null");
    } else {
      problems.push({
        path: parameter.name,
        message: `parameter \`${parameter.name}\` is required and has no default`,
        hint: `pass it with -p ${parameter.name}=VALUE`,
      });
    }
  }
  if (problems.length) {
    throw new ParameterError(
      problems,
      `pipeline ${pipeline.name} cannot run with these parameters; nothing ran:`,
    );
  }
  return { values, artifacts };
}

function check1(parameter: Parameter, value: unknown, problems: Problem[]): boolean {
  const result = schemaFor(parameter.type).safeParse(value);
  if (result.success) return true;
  const issues = result.error.issues.map((issue) => {
    const at = issue.path.length ? ` at ${issue.path.join(".")}` : "";
    return `${issue.message}${at}`;
  });
  problems.push({
    path: parameter.name,
    message: `parameter \`${parameter.name}\`: ${issues.join("; ")} (got ${JSON.stringify(value)})`,
    hint: `pass a value of its type, e.g. -p ${parameter.name}=${example(parameter.type)}`,
  });
  return false;
}

function example(type: Type): string {
  if ("primitive" in type)
    return type.primitive === "NUMBER" ? "1" : type.primitive === "STRING" ? "text" : "true";
  if ("artifact" in type) return "path/to/data";
  if ("list" in type) return `'[${example(type.list.element)}]'`;
  if ("enum" in type) return type.enum.valuesJson[0] ?? "";
  return "'{...}'";
}

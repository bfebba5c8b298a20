import type { Parameter, Pipeline, Type } from "@canal/ir";
import { didYouMean } from "@canal/ir";
import { z } from "zod";

export class ParameterError extends Error {
  readonly code = "CANAL_PARAMETER_INVALID";
}

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
      z.object({ digest: z.string().regex(/^[0-9a-f]{64}$/), directory: z.boolean() }),
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

/**
 * Parses `name=value` pairs from the command line. A value is read as JSON when it is valid JSON
 * (`lrs=[0.1,1]`, `deploy=true`), otherwise as a string (`mode=full`).
 */
export function parseParameterArgs(pairs: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new ParameterError(
        `parameter \`${pair}\` is not name=value; write it as -p ${pair || "name"}=VALUE`,
      );
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {}
    values[pair.slice(0, eq)] = value;
  }
  return values;
}

/** An artifact parameter's value: a path given, the default shipped in the artifact, or a stored artifact. */
export type ArtifactParameter =
  | { path: string }
  | { blob: string; directory: boolean }
  | { digest: string; directory: boolean };

/**
 * Checks given parameter values against the pipeline's parameters and fills in defaults. Unknown,
 * missing and mistyped parameters are reported together, each naming the parameter and the fix.
 * Artifact parameters come back separately: a path given, or the default shipped in the artifact.
 */
export function resolveParameters(
  pipeline: Pipeline,
  given: Record<string, unknown>,
): { values: Record<string, unknown>; artifacts: Record<string, ArtifactParameter> } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const artifacts: Record<string, ArtifactParameter> = {};
  const known = new Map(pipeline.parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      problems.push(
        `pipeline ${pipeline.name} has no parameter \`${name}\`; its parameters are ${[...known.keys()].join(", ") || "none"}${didYouMean(name, known.keys())}`,
      );
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
      artifacts[parameter.name] = {
        blob: parameter.defaultArtifact.blob,
        directory: Boolean(parameter.defaultArtifact.directory),
      };
    } else if (parameter.hasDefault) {
      values[parameter.name] = JSON.parse(parameter.defaultJson ?? "null");
    } else {
      problems.push(
        `parameter \`${parameter.name}\` is required and has no default; pass it with -p ${parameter.name}=VALUE`,
      );
    }
  }
  if (problems.length) throw new ParameterError(problems.join("\n"));
  return { values, artifacts };
}

function check1(parameter: Parameter, value: unknown, problems: string[]): boolean {
  const result = schemaFor(parameter.type).safeParse(value);
  if (result.success) return true;
  const issues = result.error.issues.map((issue) => {
    const at = issue.path.length ? ` at ${issue.path.join(".")}` : "";
    return `${issue.message}${at}`;
  });
  problems.push(
    `parameter \`${parameter.name}\`: ${issues.join("; ")} (got ${JSON.stringify(value)}); pass a value of its type, e.g. -p ${parameter.name}=${example(parameter.type)}`,
  );
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

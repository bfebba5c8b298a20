import {
  CommandTemplateError,
  fillCommandTemplate,
  type ParsedTemplate,
  parseCommandTemplate,
} from "@canal/ir";
import type { StepTask } from "./contract.js";

export { shellQuote } from "@canal/ir";

function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// One parse per template: a run renders the same command for every instance and attempt.
const parsedTemplates = new Map<string, ParsedTemplate>();

/**
 * A script step's command with its placeholders filled: inputs as local paths (a fan-in as several
 * words), outputs as the paths to write, values as text; each quoted for where it stands in the
 * template (@canal/ir command-template), so a value never becomes shell syntax. Throws
 * CommandTemplateError for a template the compiler would have refused.
 */
export function renderCommand(task: StepTask): string {
  const command = task.step.script?.command ?? "";
  let parsed = parsedTemplates.get(command);
  if (!parsed) {
    parsed = parseCommandTemplate(command);
    if (parsedTemplates.size > 1000) parsedTemplates.clear();
    parsedTemplates.set(command, parsed);
  }
  if (parsed.problems.length) {
    const error = new CommandTemplateError(parsed.problems);
    error.message = `step ${task.stepKey} is not run: its ${error.message}; recompile the pipeline with \`canal compile\``;
    throw error;
  }
  return fillCommandTemplate(
    command,
    (name) => {
      const input = task.inputs[name];
      if (input?.kind === "artifact") return [input.path];
      if (input?.kind === "artifacts") return input.paths;
      if (input?.kind === "value") return [valueText(input.value)];
      const output = task.outputs[name];
      if (output) return [output.path];
      // The compiler rejects unknown placeholders (CANAL1005); an optional input left out renders empty.
      return [];
    },
    parsed,
  );
}

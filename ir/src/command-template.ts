/**
 * A script step's command template, read as /bin/sh reads it, so that a `{placeholder}` is filled
 * according to where it stands: a value is always data, never shell syntax. The compiler reports
 * the template's problems as diagnostics; a runtime refuses a template with problems (a crafted IR
 * that bypassed the compiler) instead of running it.
 *
 * Quoting per context (POSIX sh, XCU 2.2):
 * - unquoted (also inside `$(…)`, which the shell parses as a command of its own): each value is one
 *   single-quoted word;
 * - inside "double quotes": `$`, `` ` ``, `"` and `\` are escaped with a backslash, the only
 *   characters that keep a meaning there;
 * - inside 'single quotes': each `'` becomes `'\''`, which ends the quotes, adds a quote, reopens.
 * A placeholder inside backquotes, `${…}`, `$((…))`, a comment or a here-document cannot be filled
 * safely (the shell rescans or ends that text by rules the value could meet) and is a problem.
 */

import { CommandTemplateError, type TemplateProblem } from "./errors.js";

/** Where a placeholder stands. */
export type PlaceholderContext = "unquoted" | "double-quoted" | "single-quoted";

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "placeholder"; name: string; context: PlaceholderContext; offset: number; length: number };

export interface ParsedTemplate {
  parts: TemplatePart[];
  problems: TemplateProblem[];
}

const NAME = /^\{([A-Za-z_$][\w$]*)\}/;

// "command": the top level or the inside of `$(…)`; "subshell": a `( … )` group in a command.
type Frame = "command" | "subshell" | "double" | "single";
type Closed = "backquotes" | "a parameter expansion" | "arithmetic";

function envHint(name: string): string {
  return `"$CANAL_PARAM_${name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}" (or CANAL_INPUT_/CANAL_OUTPUT_ for an artifact)`;
}

function atWordStart(command: string, at: number): boolean {
  return at === 0 || /[\s;&|()<>]/.test(command[at - 1] as string);
}

/** Splits `command` into text and placeholders with their quoting context, and lists its problems. */
export function parseCommandTemplate(command: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  const stack: Frame[] = ["command"];
  let text = "";
  let heredocLine = -1; // the offset of the line a here-document operator is on
  // A `case` pattern's `)` closes no `(`, so after one the frames cannot be told apart any more.
  let caseAt = -1;
  let i = 0;

  const flush = () => {
    if (text) parts.push({ kind: "text", text });
    text = "";
  };
  const top = () => stack[stack.length - 1] as Frame;
  const placeholderAt = (at: number) => NAME.exec(command.slice(at));
  const refuse = (at: number, name: string, where: string) =>
    problems.push({
      offset: at,
      length: name.length + 2,
      name,
      reason: `has the placeholder {${name}} ${where}, where a value could become shell syntax`,
      fix: `move {${name}} out of it, or read the value from the environment: ${envHint(name)}`,
    });
  // Skips a region the shell rescans or ends by its own rules, refusing any placeholder in it.
  const skipClosed = (kind: Closed, open: number, end: (at: number) => number | undefined) => {
    let at = open;
    for (; at < command.length; at++) {
      const stop = end(at);
      if (stop !== undefined) return stop;
      if (command[at] === "\\") {
        at++;
        continue;
      }
      const match = placeholderAt(at);
      if (match) refuse(at, match[1] as string, `inside ${kind}`);
    }
    problems.push({
      offset: open,
      length: 1,
      reason: `opens ${kind} that it never closes`,
      fix: "close it, or quote the character",
    });
    return command.length;
  };

  while (i < command.length) {
    const c = command[i] as string;
    const frame = top();
    const match = c === "{" ? placeholderAt(i) : null;
    const unquoted = frame === "command" || frame === "subshell";
    if (match && !(unquoted && command[i - 1] === "$")) {
      const name = match[1] as string;
      if (heredocLine >= 0 && command.lastIndexOf("\n", i) + 1 >= heredocLine) {
        refuse(i, name, "in a here-document");
      } else if (caseAt >= 0) {
        refuse(i, name, "after a `case` statement");
      } else {
        flush();
        const context = unquoted ? "unquoted" : frame === "double" ? "double-quoted" : "single-quoted";
        parts.push({ kind: "placeholder", name, context, offset: i, length: match[0].length });
      }
      i += match[0].length;
      continue;
    }
    if (frame === "single") {
      text += c;
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    // Shared by unquoted text and double quotes.
    if (c === "\\") {
      const next = command[i + 1];
      if (next === "{" && placeholderAt(i + 1)) {
        const name = (placeholderAt(i + 1) as RegExpExecArray)[1] as string;
        refuse(i + 1, name, "right after a backslash");
        i += 1 + name.length + 2;
        continue;
      }
      text += c + (next ?? "");
      i += 2;
      continue;
    }
    if (c === "`") {
      const end = skipClosed("backquotes", i + 1, (at) => (command[at] === "`" ? at + 1 : undefined));
      text += command.slice(i, end);
      i = end;
      continue;
    }
    if (c === "$" && command.startsWith("$((", i)) {
      let depth = 0;
      const end = skipClosed("arithmetic", i + 3, (at) => {
        if (command[at] === "(") depth++;
        else if (command[at] === ")") {
          if (depth > 0) depth--;
          else if (command[at + 1] === ")") return at + 2;
        }
        return undefined;
      });
      text += command.slice(i, end);
      i = end;
      continue;
    }
    if (c === "$" && command[i + 1] === "{") {
      const end = skipClosed("a parameter expansion", i + 2, (at) =>
        command[at] === "}" ? at + 1 : undefined,
      );
      text += command.slice(i, end);
      i = end;
      continue;
    }
    if (c === "$" && command[i + 1] === "(") {
      stack.push("command");
      text += "$(";
      i += 2;
      continue;
    }
    if (frame === "double") {
      if (c === '"') stack.pop();
      text += c;
      i++;
      continue;
    }
    // Unquoted (top level, or the command inside `$(…)`).
    if (c === "'") stack.push("single");
    else if (c === '"') stack.push("double");
    else if (c === "(") stack.push("subshell");
    else if (c === ")" && stack.length > 1) stack.pop();
    else if (
      c === "c" &&
      command.startsWith("case", i) &&
      /\s/.test(command[i + 4] ?? "") &&
      atWordStart(command, i)
    )
      caseAt = i;
    else if (c === "<" && command[i + 1] === "<") {
      heredocLine = command.indexOf("\n", i) + 1 || command.length;
      // A placeholder as the delimiter would let a value decide where the document ends.
      const delimiter = /^<<-?[ \t]*/.exec(command.slice(i))?.[0] ?? "<<";
      const named = placeholderAt(i + delimiter.length);
      if (named) refuse(i + delimiter.length, named[1] as string, "as a here-document's delimiter");
      text += command.slice(i, i + delimiter.length + (named ? named[0].length : 0));
      i += delimiter.length + (named ? named[0].length : 0);
      continue;
    } else if (c === "#" && atWordStart(command, i)) {
      const end = command.indexOf("\n", i) < 0 ? command.length : command.indexOf("\n", i);
      for (let at = i; at < end; at++) {
        const inComment = placeholderAt(at);
        if (inComment)
          refuse(at, inComment[1] as string, "in a comment (a newline in the value would end it)");
      }
      text += command.slice(i, end);
      i = end;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  if (stack.length > 1) {
    const what =
      top() === "single" ? "a single quote" : top() === "double" ? "a double quote" : "a parenthesis";
    problems.push({
      offset: command.length,
      length: 0,
      reason: `opens ${what} that it never closes`,
      fix: "close it, or escape the character with a backslash",
    });
  }
  return { parts, problems };
}

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function quoteIn(context: PlaceholderContext, words: string[]): string {
  switch (context) {
    case "unquoted":
      return words.map(shellQuote).join(" ");
    case "double-quoted":
      return words.join(" ").replace(/[$`"\\]/g, "\\$&");
    case "single-quoted":
      return words.join(" ").replace(/'/g, `'\\''`);
  }
}

/**
 * Fills `command`'s placeholders: `words(name)` gives a placeholder's words (a fan-in several, an
 * absent optional input none), or undefined to leave the placeholder as it is written. Throws
 * CommandTemplateError for a template with problems: it is never run.
 */
export function fillCommandTemplate(
  command: string,
  words: (name: string) => readonly string[] | undefined,
  parsed: ParsedTemplate = parseCommandTemplate(command),
): string {
  if (parsed.problems.length) throw new CommandTemplateError(parsed.problems);
  let out = "";
  for (const part of parsed.parts) {
    if (part.kind === "text") {
      out += part.text;
      continue;
    }
    const filled = words(part.name);
    out += filled === undefined ? `{${part.name}}` : quoteIn(part.context, [...filled]);
  }
  return out;
}

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fillCommandTemplate, parseCommandTemplate } from "./command-template.js";
import { CommandTemplateError } from "./errors.js";

const dir = mkdtempSync(join(tmpdir(), "canal-template-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sentinel = join(dir, "pwned");

// Each value would create the sentinel file if it ever became shell syntax in some context.
const HOSTILE = [
  `$(touch ${sentinel})`,
  `\`touch ${sentinel}\``,
  `; touch ${sentinel}`,
  `' ; touch ${sentinel} ; '`,
  `" ; touch ${sentinel} ; "`,
  `\\" ; touch ${sentinel} ; \\"`,
  `'"$(touch ${sentinel})"'`,
  `\ntouch ${sentinel}\n`,
  `a$IFS;touch$IFS${sentinel}`,
  `*`,
  `-n`,
  "",
  `\\`,
  `$HOME \${HOME}`,
  `} {x} { `,
];

// Templates that print the value once, in each quoting context; `%s|` marks where it ends.
const TEMPLATES: Array<[string, string]> = [
  ["unquoted", "printf '%s|' {msg}"],
  ["double quotes", "printf '%s|' \"{msg}\""],
  ["double quotes with text", "printf '%s|' \"name: {msg}!\""],
  ["single quotes", "printf '%s|' '{msg}'"],
  ["single quotes with text", "printf '%s|' 'name: {msg}!'"],
  ["inside $( )", "printf '%s|' \"$(printf '%s' {msg})\""],
  ["double quotes inside $( ) inside double quotes", "printf '%s|' \"$(printf '%s' \"{msg}\")\""],
  ["a subshell inside $( )", "printf '%s|' \"$( (printf '%s' {msg}) )\""],
  ["glued to an option", "printf '%s|' --msg={msg}"],
];

function run(command: string): string {
  return execFileSync("/bin/sh", ["-c", command], { encoding: "utf8" });
}

describe("command templates", () => {
  for (const [context, template] of TEMPLATES) {
    it(`fill ${context} with every hostile value as data`, () => {
      for (const value of HOSTILE) {
        const command = fillCommandTemplate(template, (name) => (name === "msg" ? [value] : undefined));
        const printed = run(command);
        expect(existsSync(sentinel), `${JSON.stringify(value)} ran as shell in ${context}`).toBe(false);
        const shown = context.endsWith("with text")
          ? `name: ${value}!`
          : context === "glued to an option"
            ? `--msg=${value}`
            : value;
        // $( ) drops trailing newlines, as the shell does for every command substitution.
        expect(printed).toBe(`${context.includes("$( )") ? shown.replace(/\n+$/, "") : shown}|`);
      }
    });
  }

  it("fill a fan-in list as several words unquoted and one text in quotes", () => {
    const words = ["a b", "$(x)", "c'd"];
    expect(run(fillCommandTemplate("printf '%s|' {xs}", () => words))).toBe("a b|$(x)|c'd|");
    expect(run(fillCommandTemplate("printf '%s|' \"{xs}\"", () => words))).toBe("a b $(x) c'd|");
  });

  it("leave parameter expansions and literal braces alone", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a JavaScript template
    const parsed = parseCommandTemplate("echo ${HOME} {a,b} '{print}' {msg}");
    expect(
      parsed.parts.filter((p) => p.kind === "placeholder").map((p) => p.kind === "placeholder" && p.name),
    ).toEqual(["print", "msg"]);
    expect(parsed.problems).toEqual([]);
  });

  it.each([
    ["backquotes", "echo `cat {msg}`", "inside backquotes"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a JavaScript template
    ["a parameter expansion", "echo ${X:-{msg}}", "inside a parameter expansion"],
    ["arithmetic", "echo $(( {n} + 1 ))", "inside arithmetic"],
    ["a comment", "echo hi # {msg}", "in a comment"],
    ["a here-document", "cat <<EOF\n{msg}\nEOF", "in a here-document"],
    ["a here-document's delimiter", "cat <<- {msg}\nx\n", "as a here-document's delimiter"],
    ["a case statement", "case x in a) echo {msg};; esac", "after a `case` statement"],
    ["a backslash", "echo \\{msg}", "right after a backslash"],
  ])("refuse a placeholder in %s, naming it and the fix", (_what, template, where) => {
    const { problems } = parseCommandTemplate(template);
    expect(problems[0]).toMatchObject({
      reason: expect.stringContaining(where),
      fix: expect.stringContaining("CANAL_"),
    });
    expect(() => fillCommandTemplate(template, () => ["x"])).toThrow(CommandTemplateError);
  });

  it("refuse an unclosed quote", () => {
    expect(parseCommandTemplate("echo 'abc {msg}").problems[0]?.reason).toContain("never closes");
    expect(parseCommandTemplate('echo "abc').problems[0]?.reason).toContain("double quote");
  });

  it("a placeholder in a here-document's own line is fine", () => {
    expect(parseCommandTemplate("cat > {out} <<EOF\nhello\nEOF").problems).toEqual([]);
  });
});

import { isAbsolute, relative, resolve } from "node:path";
import { PathEscapeError } from "./errors.js";

/**
 * The rules for names in an IR. The compiler applies them to what it writes and every loader to
 * what it reads, so a name that reaches a runtime is one the compiler could have produced: names
 * become file names (a step's work folder, an input's or an output's file, a cached environment),
 * so none may be empty, hold a separator or NUL, be `.` or `..`, or be long enough to break a path.
 */
export const NAME_MAX_LENGTH = 128;

// A TypeScript identifier's letters (the declared names of steps, inputs and parameters) plus the
// `.` and `-` of the `name` option and of repeated calls (`train-2`). No separator, no leading dot.
const NAME = /^[\p{L}_$](?:[\p{L}\p{M}\p{N}\p{Pc}_$.-]|\u200c|\u200d)*$/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DIGEST = /^[0-9a-f]{64}$/;

/** What is wrong with `value` as a name in an IR, or undefined when it is a valid one. */
export function nameProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return "is empty";
  if (value.length > NAME_MAX_LENGTH) return `is ${value.length} characters long, over ${NAME_MAX_LENGTH}`;
  if (!NAME.test(value))
    return "may hold only letters, digits, '_', '$', '.' and '-', and must start with a letter, '_' or '$'";
  return undefined;
}

// A file's name is kept as the user's file system had it ("2024 wine.csv", "données.csv"), so it is
// not held to the identifier rule: only what could make it more than one plain name in one folder,
// or break a path or a terminal, is refused.
const FILE_NAME_MAX_BYTES = 255;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const FILE_NAME_REFUSED = /[/\\\u0000-\u001f\u007f]/;

/**
 * What is wrong with `value` as the name of a file artifact (a dataset's `wine.csv`, the file a step
 * wrote), or undefined when it is a valid one. A step sees its input under this name, in a folder of
 * its own, so it must be one plain file name: not empty, `.` or `..`, no separator, NUL or control
 * character, at most 255 bytes.
 */
export function fileNameProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return "is empty";
  if (value === "." || value === "..") return `is \`${value}\`, which names a folder, not a file`;
  if (FILE_NAME_REFUSED.test(value)) return "holds a path separator or a control character";
  const bytes = Buffer.byteLength(value);
  if (bytes > FILE_NAME_MAX_BYTES) return `is ${bytes} bytes long, over ${FILE_NAME_MAX_BYTES}`;
  return undefined;
}

/**
 * What is wrong with `value` as a project-relative path in an IR (`SourceInfo.files`), or
 * undefined when it is one: '/'-separated segments, none empty, `.` or `..`, no backslash, NUL or
 * control character, not absolute. Such a path names a place below the project root, on any machine.
 */
export function relativePathProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return "is empty";
  if (value.length > 4096) return `is ${value.length} characters long, over 4096`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\\\u0000-\u001f]/.test(value)) return "holds a backslash or a control character";
  if (value.startsWith("/")) return "is absolute; it must be relative to the project root";
  if (value.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
    return "has an empty, `.` or `..` segment";
  return undefined;
}

/** What is wrong with `value` as an environment variable name, or undefined when it is valid. */
export function envNameProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !ENV_NAME.test(value) || value.length > NAME_MAX_LENGTH)
    return "must be letters, digits and '_', not starting with a digit";
  return undefined;
}

/** Whether `value` is a sha256 digest as the IR writes it (64 lowercase hex digits). */
export function isDigest(value: unknown): value is string {
  return typeof value === "string" && DIGEST.test(value);
}

// What a terminal acts on, or what changes how the rest of a line reads: the C0 controls and DEL,
// the C1 controls (U+009B is a one-character CSI to many terminals), the line and paragraph
// separators, and the bidirectional overrides and isolates, which reorder what follows them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` safe to print inside a line: every character a terminal would act on is written as its
 * escape (`\n`, `\u001b`), the rest as it is. For stored text shown in a sentence, where quoting
 * would be noise (a store's path, a step's error); a name takes {@link shownName}.
 */
export function printableText(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A name as shown in an error or to a terminal: quoted as JSON, every control character escaped
 * (those JSON leaves raw too, see {@link printableText}), cut short when very long.
 */
export function shownName(value: unknown): string {
  const text = printableText(JSON.stringify(String(value)));
  return text.length > 60 ? `${text.slice(0, 48)}…" (${String(value).length} characters)` : text;
}

/**
 * `root` joined with `segments`, refusing any result that is not strictly below `root`: each
 * segment must be one plain file name (no separator, no NUL, not `.` or `..`). Every path built
 * from a name in an IR goes through here, so a crafted name cannot reach outside its folder even
 * where a loader missed it.
 */
export function pathInside(root: string, ...segments: string[]): string {
  const base = resolve(root);
  for (const segment of segments) {
    if (
      typeof segment !== "string" ||
      segment === "" ||
      segment === "." ||
      segment === ".." ||
      /[/\\\0]/.test(segment)
    )
      throw new PathEscapeError(base, segments.map(shownName));
  }
  const path = resolve(base, ...segments);
  const rel = relative(base, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel))
    throw new PathEscapeError(base, segments.map(shownName));
  return path;
}

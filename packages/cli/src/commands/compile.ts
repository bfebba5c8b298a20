import { relative } from "node:path";
import { parseArgs } from "node:util";
import { formatBytes, type Io, UsageError } from "../io.js";

export const compileHelp = `Usage: canal compile <entry.ts>... [--out DIR] [--check] [--json]

Compiles the @pipeline(s) in the entry files into self-contained artifacts, one directory per
pipeline under DIR (default: canal-out/ at the project root), holding pipeline.pb (the IR),
pipeline.json (the same, readable) and blobs/ (code bundles, script snapshots, datasets).

  --out DIR   where artifacts are written
  --json      print the result as JSON (pipelines and diagnostics)
  --check     type-check, validate and hash, write nothing (for CI and editors; --dry-run too)

Exit status: 0 compiled (or checked) without errors, 1 with errors, 2 usage.
`;

export async function compileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      json: { type: "boolean" },
      check: { type: "boolean" },
      "dry-run": { type: "boolean" },
    },
  });
  if (positionals.length === 0)
    throw new UsageError("canal compile needs an entry file, e.g. `canal compile pipeline.ts`");
  const check = Boolean(values.check || values["dry-run"]);
  const { compile, formatDiagnostic, hasErrors } = await import("@canal/compiler");
  const result = await compile({
    entries: positionals,
    cwd: io.cwd,
    ...(values.out ? { outDir: values.out } : {}),
    dryRun: check,
  });
  const failed = hasErrors(result);
  if (values.json) {
    io.stdout(
      `${JSON.stringify(
        {
          ok: !failed,
          pipelines: result.pipelines.map(({ pipeline, dir, bytes }) => ({
            name: pipeline.name,
            hash: pipeline.hash,
            steps: pipeline.steps.length,
            dir: dir ?? null,
            blobBytes: bytes,
          })),
          diagnostics: result.diagnostics,
        },
        null,
        2,
      )}\n`,
    );
    return failed ? 1 : 0;
  }
  for (const diagnostic of result.diagnostics)
    io.stderr(`${formatDiagnostic(diagnostic, result.projectRoot)}\n\n`);
  if (failed) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    io.stderr(`canal compile: ${errors} error${errors === 1 ? "" : "s"}; nothing written\n`);
    return 1;
  }
  for (const { pipeline, dir, bytes } of result.pipelines) {
    const where = dir ? ` -> ${relative(io.cwd, dir) || "."}` : ", nothing written";
    io.stdout(
      `${check ? "checked" : "compiled"} ${pipeline.name}: ${pipeline.steps.length} steps, hash ${pipeline.hash.slice(0, 12)}, ${formatBytes(bytes)} of code and data${where}\n`,
    );
  }
  return 0;
}

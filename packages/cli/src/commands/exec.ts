import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { execStep } from "@canal/runner";
import { LocalRuntime } from "@canal/runtime-local";
import { type Io, UsageError } from "../io.js";

export const execHelp = `Usage: canal exec <artifact> --step STEP [--index N | --item VALUE] --data DIR [-p name=value]...

Runs one step instance of a compiled artifact on its own, with no workspace: what the containers of
\`canal export\` run. Inputs are read from, and outputs written to, the run directory DIR that every
step of the run shares: DIR/<instance>/outputs/<output>, with DIR/<instance>/done written last.

  --step STEP              the step id
  --index N                which iteration of the step's fan-out
  --item VALUE             or the iteration's item (the first iteration with it)
  --data DIR               the run directory
  -p, --param name=value   a parameter value (as text, read by the parameter's type)
  --cache DIR              where environments are built (default DIR/.cache)

Exit status: 0 succeeded, 1 failed.
`;

export async function execCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      step: { type: "string" },
      index: { type: "string" },
      item: { type: "string" },
      data: { type: "string" },
      cache: { type: "string" },
      param: { type: "string", short: "p", multiple: true },
    },
  });
  const [artifact] = positionals;
  if (!artifact || !values.step || !values.data) {
    throw new UsageError(
      "canal exec needs an artifact, --step and --data, e.g. `canal exec art --step train --data run`",
    );
  }
  const index = values.index === undefined ? undefined : Number(values.index);
  if (index !== undefined && !(Number.isInteger(index) && index >= 0)) {
    throw new UsageError(`--index takes a whole number, not ${values.index}`);
  }
  const parameters: Record<string, string> = {};
  for (const pair of values.param ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`parameter \`${pair}\` is not name=value`);
    parameters[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const dataDir = resolve(io.cwd, values.data);
  const runtime = new LocalRuntime({
    cacheDir: values.cache ? resolve(io.cwd, values.cache) : join(dataDir, ".cache"),
    maxParallel: 1,
  });
  const controller = new AbortController();
  const stop = () => controller.abort("canceled");
  process.on("SIGTERM", stop);
  try {
    const result = await execStep({
      artifactDir: resolve(io.cwd, artifact),
      step: values.step,
      ...(index !== undefined ? { index } : {}),
      ...(values.item !== undefined ? { item: values.item } : {}),
      dataDir,
      parameters,
      runtime,
      hooks: {
        signal: controller.signal,
        log: (stream, text) => (stream === "stdout" ? io.stdout(text) : io.stderr(text)),
        started: () => {},
      },
    });
    if (result.status === "succeeded") return 0;
    io.stderr(`canal exec: ${result.status === "canceled" ? "canceled" : result.error}\n`);
    return 1;
  } finally {
    process.off("SIGTERM", stop);
    await runtime.close();
  }
}

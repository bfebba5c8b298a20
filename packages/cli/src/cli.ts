import { cacheCommand, cacheHelp } from "./commands/cache.js";
import { compileCommand, compileHelp } from "./commands/compile.js";
import { execCommand, execHelp } from "./commands/exec.js";
import { exportCommand, exportHelp } from "./commands/export.js";
import { gcCommand, gcHelp } from "./commands/gc.js";
import { inspectCommand, inspectHelp } from "./commands/inspect.js";
import { logsCommand, logsHelp } from "./commands/logs.js";
import {
  cancelCommand,
  cancelHelp,
  initCommand,
  initHelp,
  rerunCommand,
  rerunHelp,
  whyCommand,
  whyHelp,
} from "./commands/manage.js";
import { runCommand, runHelp } from "./commands/run.js";
import { runsCommand, runsHelp } from "./commands/runs.js";
import { type Io, UsageError } from "./io.js";
import { Reported } from "./workspace.js";

const commands: Record<string, { run: (args: string[], io: Io) => Promise<number>; help: string }> = {
  compile: { run: compileCommand, help: compileHelp },
  inspect: { run: inspectCommand, help: inspectHelp },
  init: { run: initCommand, help: initHelp },
  run: { run: runCommand, help: runHelp },
  runs: { run: runsCommand, help: runsHelp },
  logs: { run: logsCommand, help: logsHelp },
  cancel: { run: cancelCommand, help: cancelHelp },
  why: { run: whyCommand, help: whyHelp },
  rerun: { run: rerunCommand, help: rerunHelp },
  cache: { run: cacheCommand, help: cacheHelp },
  gc: { run: gcCommand, help: gcHelp },
  export: { run: exportCommand, help: exportHelp },
  exec: { run: execCommand, help: execHelp },
};

export const mainHelp = `Usage: canal <command> [options]

Commands:
  init [DIR]           set up a project: package.json, tsconfig.json, a starter pipeline
  compile <entry.ts>   compile pipelines into self-contained, content-hashed artifacts
  inspect <artifact>   show a compiled artifact's steps, edges, types and hashes
  run <entry|artifact> run a pipeline here, reusing every unchanged step (-p name=value)
  runs [show RUN]      list runs, or show one with its steps, outputs and metrics
  logs RUN [STEP] [-f] print (or follow) the steps' output
  cancel RUN           cancel a running run
  why RUN STEP         explain why a step ran instead of reusing the cache
  rerun RUN [--from S] run again, forcing S and what depends on it
  cache ls|explain|invalidate  list, explain or invalidate cache entries (by step, run or key)
  gc [--dry-run]       delete what no kept run or cache entry needs (--keep-last, --older-than)
  export <artifact>    write an artifact as Kubernetes Jobs or an Argo Workflow (--to)
  exec <artifact>      run one step on its own in a shared run directory (what exports run)

Run \`canal <command> --help\` for a command's options.
`;

/**
 * Node's own wording for a mistyped option ends with a hint ("place it at the end of the command
 * after '--'") that suggests passing the option as an argument, which no command accepts: the
 * mistake is named instead, and the command's help printed below lists what it takes.
 */
function usageMessage(error: Error): string {
  const code = (error as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined)
    return `unknown option \`${quoted}\`; the options it takes are below`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && quoted !== undefined)
    return `unexpected argument \`${quoted}\``;
  return error.message;
}

/** Runs the CLI; returns the exit status (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout(mainHelp);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`canal: unknown command \`${name}\`\n\n${mainHelp}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof Reported) return error.status;
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`canal ${name}: ${usageMessage(error as Error)}\n\n${command.help}`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    io.stderr(`canal ${name}: ${typeof code === "string" ? `${code}: ` : ""}${(error as Error).message}\n`);
    return 1;
  }
}

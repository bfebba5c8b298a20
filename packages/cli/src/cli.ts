import { errorJson, errorText, UsageError } from "./errors.js";
import { type Io, Reported } from "./io.js";
import type { suggestion as Suggestion } from "./suggest.js";

/** "; did you mean …?": its module is loaded only once a name was not found (`canal --help` never loads it). */
const suggestion: typeof Suggestion = async (...args) => (await import("./suggest.js")).suggestion(...args);

/** What a command module gives: the command and its help text. */
interface Command {
  run: (args: string[], io: Io) => Promise<number>;
  help: string;
}

/**
 * The commands, each loaded when it is named: a command pulls in only what it uses (no compiler
 * for `canal runs`, no Docker client unless a docker target runs), so `canal --help` starts at once.
 * Adding a command is one line here and one in `mainHelp`.
 */
const commands: Record<string, () => Promise<Command>> = {
  compile: () =>
    import("./commands/compile.js").then((m) => ({ run: m.compileCommand, help: m.compileHelp })),
  inspect: () =>
    import("./commands/inspect.js").then((m) => ({ run: m.inspectCommand, help: m.inspectHelp })),
  init: () => import("./commands/init.js").then((m) => ({ run: m.initCommand, help: m.initHelp })),
  run: () => import("./commands/run.js").then((m) => ({ run: m.runCommand, help: m.runHelp })),
  runs: () => import("./commands/runs.js").then((m) => ({ run: m.runsCommand, help: m.runsHelp })),
  logs: () => import("./commands/logs.js").then((m) => ({ run: m.logsCommand, help: m.logsHelp })),
  wait: () => import("./commands/wait.js").then((m) => ({ run: m.waitCommand, help: m.waitHelp })),
  download: () =>
    import("./commands/download.js").then((m) => ({ run: m.downloadCommand, help: m.downloadHelp })),
  cancel: () => import("./commands/manage.js").then((m) => ({ run: m.cancelCommand, help: m.cancelHelp })),
  why: () => import("./commands/manage.js").then((m) => ({ run: m.whyCommand, help: m.whyHelp })),
  rerun: () => import("./commands/manage.js").then((m) => ({ run: m.rerunCommand, help: m.rerunHelp })),
  cache: () => import("./commands/cache.js").then((m) => ({ run: m.cacheCommand, help: m.cacheHelp })),
  gc: () => import("./commands/gc.js").then((m) => ({ run: m.gcCommand, help: m.gcHelp })),
  export: () => import("./commands/export.js").then((m) => ({ run: m.exportCommand, help: m.exportHelp })),
  exec: () => import("./commands/exec.js").then((m) => ({ run: m.execCommand, help: m.execHelp })),
  workspace: () =>
    import("./commands/workspace.js").then((m) => ({ run: m.workspaceCommand, help: m.workspaceHelp })),
  targets: () =>
    import("./commands/targets.js").then((m) => ({ run: m.targetsCommand, help: m.targetsHelp })),
  datastores: () =>
    import("./commands/datastores.js").then((m) => ({ run: m.datastoresCommand, help: m.datastoresHelp })),
  datasets: () =>
    import("./commands/datasets.js").then((m) => ({ run: m.datasetsCommand, help: m.datasetsHelp })),
  publish: () =>
    import("./commands/publish.js").then((m) => ({ run: m.publishCommand, help: m.publishHelp })),
  endpoints: () =>
    import("./commands/publish.js").then((m) => ({ run: m.endpointsCommand, help: m.endpointsHelp })),
  serve: () => import("./commands/serve.js").then((m) => ({ run: m.serveCommand, help: m.serveHelp })),
  ui: () => import("./commands/serve.js").then((m) => ({ run: m.uiCommand, help: m.uiHelp })),
  tokens: () => import("./commands/tokens.js").then((m) => ({ run: m.tokensCommand, help: m.tokensHelp })),
  schedules: () =>
    import("./commands/schedules.js").then((m) => ({ run: m.schedulesCommand, help: m.schedulesHelp })),
};

export const mainHelp = `Usage: canal <command> [options]

Commands:
  init [DIR]           set up a project: package.json, tsconfig.json, a starter pipeline
  compile <entry.ts>   compile pipelines into self-contained, content-hashed artifacts
  inspect <artifact>   show a compiled artifact's steps, edges, types and hashes
  run <entry|artifact> run a pipeline here, reusing every unchanged step (-p name=value, --detach)
  runs [show RUN]      list runs, or show one with its steps, outputs and metrics
  logs RUN [STEP] [-f] print (or follow) the steps' output
  download RUN [OUT]   write a run's outputs out of the store, verified (--to DIR)
  wait RUN             follow a run until it ends; exit with its status (0 succeeded)
  cancel RUN           cancel a running run
  why RUN STEP         explain why a step ran instead of reusing the cache
  rerun RUN [--from S] run again, forcing S and what depends on it
  cache ls|explain|invalidate  list, explain or invalidate cache entries (by step, run or key)
  gc [--dry-run]       delete what no kept run or cache entry needs (--keep-last, --older-than)
  export <artifact>    write an artifact as Kubernetes Jobs or an Argo Workflow (--to)
  exec <artifact>      run one step on its own in a shared run directory (what exports run)
  targets [NAME]       list the compute targets; --check connects and reports what each offers
  workspace push --to CONFIG  copy runs, versions, cache, blobs and datasets into a team workspace
  datastores [ls NAME[:PATH]]  list the datastores and check each is reachable, or list files of one
  datasets [register|show|download]  register versioned datasets from a datastore, list, show, download them
  publish <artifact> --name N  publish a pipeline as a new version of endpoint N (--default)
  endpoints            list the published endpoints and their versions
  serve [--port N]     serve the web UI and the HTTP API (runs, logs, outputs, endpoints) on 127.0.0.1
  ui [--port N]        serve as \`serve\` does and print (and open) a one-time sign-in link to the UI
  tokens [create|revoke]  make (--role viewer|launcher|admin), list and revoke API tokens
  schedules [create|show|edit|pause|resume|delete]  run an endpoint on a cron (--cron, --tz) or on data changes (--on-change)

Run \`canal <command> --help\` for a command's options.
`;

/** The options a command's help names (`--target`, `-p`): what a mistyped option is compared with. */
function optionsIn(help: string): string[] {
  return [...new Set(help.match(/(?<![\w-])--?[a-zA-Z][\w-]*/g) ?? [])];
}

/**
 * Node's own wording for a mistyped option ends with a hint ("place it at the end of the command
 * after '--'") that suggests passing the option as an argument, which no command accepts: the
 * mistake is named instead, with the option meant when one is close, and the command's help
 * printed below lists what it takes.
 */
async function usageMessage(error: Error, help: string): Promise<string> {
  const code = (error as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined) {
    const option = quoted.split("=")[0] as string;
    const hint = await suggestion(option, optionsIn(help), (name) => name);
    return `unknown option ${option}${hint || "; the options it takes are below"}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted !== undefined)
    return `option ${quoted.split(" ")[0]} needs a value (${quoted})`;
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
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    io.stderr(
      `canal: unknown command \`${name}\`${await suggestion(name, Object.keys(commands))}\n\n${mainHelp}`,
    );
    return 2;
  }
  const command = await load();
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof Reported) return error.status;
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`canal ${name}: ${await usageMessage(error as Error, command.help)}\n\n${command.help}`);
      return 2;
    }
    // With --json, stdout carries the failure as data too, for the script reading it.
    if (args.includes("--json")) io.stdout(`${JSON.stringify(errorJson(error))}\n`);
    io.stderr(errorText(name, error));
    return 1;
  }
}

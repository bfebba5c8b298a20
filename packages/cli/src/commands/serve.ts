// `canal serve`: the workspace's HTTP API (@canal/server), its runs started by driver processes
// as `canal run --detach` starts them, canceled and rerun through the runner's functions.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import { DURATION_FORM, parseDuration, readArtifact } from "@canal/ir";
import {
  ApiError,
  DEFAULT_PORT,
  isLoopback,
  type Launcher,
  SignIns,
  startServer,
  TOKEN_ROLES,
} from "@canal/server";
import { openWorkspace, type TokenRole, type Workspace } from "@canal/store";
import { type Io, UsageError } from "../io.js";
import { runtimes } from "../runtimes.js";
import { DriverStartError, startDriver } from "./detach.js";
import { driverCheck } from "./runs.js";

export const serveHelp = `Usage: canal serve [--port N] [--host ADDR] [--tls-cert FILE --tls-key FILE] [--no-scheduler] [--data-poll D]

Serves the workspace's web UI at / and its HTTP API under /api/v1 (docs/server.md): runs, their steps, logs, metrics and
outputs, run events (Server-Sent Events), pipelines, experiments and published endpoints. Every
route but GET /api/v1/health needs a token: \`canal tokens create --role viewer\` makes one. The
OpenAPI document is at /api/v1/openapi.json. Stops on Ctrl-C or SIGTERM; runs it started go on.

  --port N          the port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR       the address to listen on (default 127.0.0.1: this machine only). Any other
                    address serves the network: use TLS there (tokens travel with each request)
  --tls-cert FILE   serve HTTPS with this certificate (PEM), with --tls-key
  --tls-key FILE    the certificate's private key (PEM)
  --no-scheduler    do not run the workspace's schedules and data triggers (\`canal schedules\`) here
  --data-poll D     how often a data trigger lists its datastore path (default 10s)
`;

function packageVersion(): string {
  try {
    const manifest = new URL("../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/** A parameter as `canal run -p` reads it back by its type: text as it is, anything else as JSON. */
function parameterArg(name: string, value: unknown): string {
  return `--param=${name}=${typeof value === "string" ? value : JSON.stringify(value)}`;
}

/** Driver processes, as `canal run --detach` and (for reruns) `canal rerun` run them. */
function driverLauncher(workspace: Workspace, cwd: string): Launcher {
  const started = async (command: "run" | "rerun", args: string[], startedBy: string) => {
    try {
      return (await startDriver({ workspace, command, args, cwd, startedBy })).run.id;
    } catch (error) {
      if (!(error instanceof DriverStartError)) throw error;
      throw new ApiError("CANAL_API_RUN_NOT_STARTED", `the run could not start: ${error.message}`);
    }
  };
  return {
    start: (request) => {
      // Checked already: the artifact is read only to be sure it is one before a process starts.
      readArtifact(request.artifactDir);
      const args = [
        request.artifactDir,
        ...Object.entries(request.parameters).map(([name, value]) => parameterArg(name, value)),
        ...(request.experiment !== undefined ? [`--experiment=${request.experiment}`] : []),
      ];
      return started("run", args, request.startedBy);
    },
    rerun: (request) =>
      started(
        "rerun",
        [request.runId, ...(request.from !== undefined ? [`--from=${request.from}`] : [])],
        request.startedBy,
      ),
  };
}

export const uiHelp = `Usage: canal ui [--port N] [--role viewer|launcher|admin] [--no-open] [--host ADDR] [--tls-cert FILE --tls-key FILE]

Serves the workspace as \`canal serve\` does, with its web UI at /, and prints a sign-in link
(http://127.0.0.1:PORT/signin#CODE) that it also opens in a browser when xdg-open is there. The
link signs one browser in, once, within five minutes; run \`canal ui\` again for another. Stops on
Ctrl-C or SIGTERM; runs it started go on.

  --port N          the port (default ${DEFAULT_PORT}; 0 picks a free one)
  --role ROLE       what the signed-in browser may do (default launcher: read, start, cancel, rerun)
  --no-open         print the link only
  --host ADDR       the address to listen on (default 127.0.0.1: this machine only)
  --tls-cert FILE   serve HTTPS with this certificate (PEM), with --tls-key
  --tls-key FILE    the certificate's private key (PEM)
`;

const serveOptions = {
  port: { type: "string" },
  host: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "no-scheduler": { type: "boolean" },
  "data-poll": { type: "string" },
} as const;

export async function serveCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: serveOptions });
  if (positionals.length) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
  return serve(values, io);
}

export async function uiCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...serveOptions, role: { type: "string" }, "no-open": { type: "boolean" } },
  });
  if (positionals.length) throw new UsageError(`unexpected argument \`${positionals[0]}\``);
  const role = (values.role ?? "launcher") as TokenRole;
  if (!TOKEN_ROLES.includes(role))
    throw new UsageError(`--role takes one of ${TOKEN_ROLES.join(", ")}, not ${values.role}`);
  const signIns = new SignIns();
  return serve(
    values,
    io,
    (url) => {
      const link = `${url}/signin#${signIns.issueCode(role, `ui:${userName()}`)}`;
      io.stdout(`canal ui: sign in (once, within 5 minutes) at ${link}\n`);
      if (!values["no-open"]) openInBrowser(link);
    },
    signIns,
  );
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return "user";
  }
}

/** Opens `link` with xdg-open when it is on PATH; never fails (the link is printed anyway). */
function openInBrowser(link: string): void {
  const found = (process.env.PATH ?? "")
    .split(delimiter)
    .some((dir) => dir !== "" && existsSync(join(dir, "xdg-open")));
  if (!found) return;
  try {
    const child = spawn("xdg-open", [link], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // The link is printed: a browser that cannot be opened is no failure.
  }
}

async function serve(
  values: {
    port?: string;
    host?: string;
    "tls-cert"?: string;
    "tls-key"?: string;
    "no-scheduler"?: boolean;
    "data-poll"?: string;
  },
  io: Io,
  listening?: (url: string) => void,
  signIns?: SignIns,
): Promise<number> {
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port takes a port number 0…65535, not ${values.port}`);
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"]))
    throw new UsageError("--tls-cert and --tls-key go together: give both to serve HTTPS");
  const dataPollMs = values["data-poll"] === undefined ? undefined : parseDuration(values["data-poll"]);
  if (dataPollMs === undefined && values["data-poll"] !== undefined)
    throw new UsageError(`--data-poll takes ${DURATION_FORM}, not ${values["data-poll"]}`);
  const host = values.host ?? "127.0.0.1";
  const tls =
    values["tls-cert"] && values["tls-key"]
      ? { certFile: values["tls-cert"], keyFile: values["tls-key"] }
      : undefined;
  if (!isLoopback(host) && !tls)
    io.stderr(
      `canal serve: warning: listening on ${host} without TLS: other machines can connect, and every token they send crosses the network in clear text; serve HTTPS with --tls-cert FILE --tls-key FILE, or keep the default 127.0.0.1 behind a TLS proxy\n`,
    );
  const workspace = await openWorkspace(io.cwd);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      workspace,
      launcher: driverLauncher(workspace, io.cwd),
      runtimes,
      liveState: await driverCheck(),
      host,
      port,
      ...(tls ? { tls } : {}),
      version: packageVersion(),
      ...(signIns ? { signIns } : {}),
      secureCookies: Boolean(tls),
      scheduler: values["no-scheduler"] ? false : { ...(dataPollMs !== undefined ? { dataPollMs } : {}) },
      log: (line) => io.stderr(`canal serve: ${line}\n`),
    });
  } catch (error) {
    await workspace.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new UsageError(
        `port ${port} on ${host} is in use; pick another with --port N (0 picks a free one)`,
      );
    throw error;
  }
  io.stdout(
    `canal serve: listening on ${server.url} (UI ${server.url}/, API ${server.url}/api/v1, OpenAPI ${server.url}/api/v1/openapi.json)${values["no-scheduler"] ? "; schedules are not run here (--no-scheduler)" : ""}\n`,
  );
  listening?.(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  io.stderr("canal serve: stopping\n");
  await server.close();
  await workspace.close();
  return 0;
}

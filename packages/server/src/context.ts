import type { LiveStateOptions, RuntimeRegistry } from "@canal/runner";
import type { Workspace } from "@canal/store";
import type { Layouts } from "./layouts.js";
import type { SignIns } from "./signin.js";

/** A run to start in the background: the artifact, checked parameters and experiment. */
export interface StartRequest {
  artifactDir: string;
  /** Checked against the pipeline's parameters (`resolveParameters`); defaults not filled in. */
  parameters: Record<string, unknown>;
  experiment?: string;
  /** Who asks: the token's name or id, kept as the run's `startedBy`. */
  startedBy: string;
}

/**
 * How the server starts runs: each in a driver process of its own (as `canal run --detach` does),
 * so a run outlives a restart of the server and is canceled through the store like any run. The
 * CLI gives its own; resolves with the run id once the driver has recorded the run.
 */
export interface Launcher {
  start(request: StartRequest): Promise<string>;
  /** `canal rerun RUN [--from STEP]` in the background: `planRerun` + `rerunFrom`, in the driver. */
  rerun(request: { runId: string; from?: string; startedBy: string }): Promise<string>;
}

export interface ServerOptions {
  workspace: Workspace;
  launcher: Launcher;
  /** The runtimes `cancelRun` ends a gone driver's leftovers with. */
  runtimes: RuntimeRegistry;
  /** How a driver's liveness is judged (`processStartedAt` spots a driver gone on this machine at once). */
  liveState?: LiveStateOptions;
  /** Largest request body accepted (413 beyond). Default 1 MiB. */
  bodyLimitBytes?: number;
  /** One line per request (method, path, status, token id, ms): never a token or a header. */
  log?: (line: string) => void;
  /** How often the store is read for a run's event streams (once per run, for all of them). Default 250 ms. */
  pollMs?: number;
  /** Canal's version, as `/health` answers. */
  version?: string;
  /** The web UI's one-time codes and sessions (`canal ui` issues a code). Default: a new, empty one. */
  signIns?: SignIns;
  /** Session cookies marked `Secure` (the server speaks HTTPS). */
  secureCookies?: boolean;
  /**
   * Where pipeline versions' graphs are laid out for the web UI (a worker thread, its layouts kept).
   * Default: a new one, its worker started at the first layout asked for; `startServer` starts and
   * warms one as the server starts.
   */
  layouts?: Layouts;
  /** The built web UI's folder (index.html, app.js…); false serves none. Default: the package's ui-dist/. */
  uiDir?: string | false;
}

/** An S3 server started for tests: Ceph's RADOS Gateway on loopback, as ../shared/RECIPES.md shows. */
export interface Rgw {
  /** The scratch directory everything lives in (configuration, logs, PID files). */
  root: string;
  /** `http://127.0.0.1:PORT`; use path-style addressing. */
  endpoint: string;
  region: string;
  /** The one S3 user's keys: random per start. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Whether the packages had to be installed, how long that took, and how long the start took. */
  timings: { installed: boolean; installMs: number; startMs: number };
  /** Stops the gateway alone (by its PID): the endpoint goes away, the objects stay. */
  stopGateway(): Promise<void>;
  /** Starts the gateway again after `stopGateway`; resolves once it answers. */
  startGateway(): Promise<void>;
  /** Stops the gateway's process (SIGSTOP): requests wait unanswered until {@link resumeGateway}. */
  pauseGateway(): void;
  /** Lets a paused gateway go on (SIGCONT): the requests it held are answered. */
  resumeGateway(): void;
  /** Stops every daemon by its PID and removes the scratch directory. */
  stop(): Promise<void>;
}

/**
 * Installs Ceph's packages if missing and starts a RADOS Gateway in a scratch directory, on
 * loopback ports of its own, with one S3 user. Fails loudly, with the reason, when it cannot.
 */
export function startRgw(options?: {
  /** How many bytes of objects the in-memory OSD may hold (a hard cap); default 4 GiB. */
  memoryBytes?: number;
}): Promise<Rgw>;

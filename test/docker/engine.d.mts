/** The image tests and the docker benchmark run steps in: an empty root that borrows the host's /usr. */
export const HOST_IMAGE: string;
/** Every container they start gets the host's /usr, read-only. */
export const HOST_BINDS: string[];

/** A dockerd of its own: its own data, exec root and unix socket, and no networking. */
export interface Engine {
  root: string;
  socket: string;
  /** Runs the docker CLI against this engine. */
  cli(args: string[]): string;
  /** Kills the daemon and starts it again on the same socket and data. */
  restart(): Promise<void>;
  kill(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Installs docker.io when missing, starts a dockerd of its own in a scratch directory (never the
 * host's socket, never its networking: no iptables, no forwarding, no bridge) and imports
 * HOST_IMAGE. Fails loudly, with the reason, when any of that is impossible here.
 */
export function startEngine(): Promise<Engine>;

// A PostgreSQL store's watch on cancel requests: LISTEN on CANCEL_CHANNEL, on one connection of
// the handle's own (outside the pool), for every run it watches, read again after a reconnect.
import type { Client } from "pg";
import type { CancelRequest, RunControl } from "../types.js";
import { CANCEL_CHANNEL } from "./run-control.js";

/** The runs one store handle watches for cancel requests, and the connection it listens on. */
export class CancelWatch {
  private listening: { client: Client; ready: Promise<void> } | undefined;
  /** Per watched run, its listeners; each is called once (a request read again after a reconnect is not news). */
  private readonly watchers = new Map<string, Map<(request: CancelRequest) => void, { heard: boolean }>>();
  private closed = false;

  constructor(
    /** Makes a client outside the pool, for LISTEN. */
    private readonly connect: () => Client,
    private readonly workspaceId: number,
    /** The control records of some runs of the workspace (readRunControl). */
    private readonly readControl: (runIds: string[]) => Promise<RunControl[]>,
  ) {}

  /**
   * LISTEN on one connection of this handle's own (outside the pool) for every run it watches.
   * Once LISTEN is in effect it reads the run's control record, and when that connection drops (a
   * server restart) it connects again and reads every watched run's, so that a request made before
   * it listened, or while it was away, is not missed. Each listener is called once.
   */
  watch(runId: string, listener: (request: CancelRequest) => void): () => void {
    let listeners = this.watchers.get(runId);
    if (!listeners) {
      listeners = new Map();
      this.watchers.set(runId, listeners);
    }
    listeners.set(listener, { heard: false });
    this.listen();
    // A request recorded before LISTEN took effect is read instead of heard.
    this.catchUp([runId]);
    return () => {
      const watching = this.watchers.get(runId);
      watching?.delete(listener);
      if (watching?.size === 0) this.watchers.delete(runId);
      if (this.watchers.size === 0) this.unlisten();
    };
  }

  private deliver(runId: string, request: CancelRequest): void {
    for (const [listener, state] of [...(this.watchers.get(runId) ?? [])]) {
      if (state.heard) continue;
      state.heard = true;
      listener(request);
    }
  }

  private listen(): void {
    if (this.listening || this.closed) return;
    const client = this.connect();
    const ready = (async () => {
      client.on("notification", (message) => {
        if (message.channel !== CANCEL_CHANNEL || !message.payload) return;
        let note: { workspace?: number; runId?: string; request?: CancelRequest };
        try {
          note = JSON.parse(message.payload);
        } catch {
          return;
        }
        if (note.workspace !== this.workspaceId || !note.runId || !note.request) return;
        this.deliver(note.runId, note.request);
      });
      client.on("error", () => this.relisten(client));
      client.on("end", () => this.relisten(client));
      await client.connect();
      await client.query(`LISTEN ${CANCEL_CHANNEL}`);
    })();
    ready.catch(() => this.relisten(client));
    this.listening = { client, ready };
  }

  private relisten(client: Client): void {
    if (this.listening?.client !== client) return;
    this.listening = undefined;
    client.end().catch(() => {});
    if (this.closed || this.watchers.size === 0) return;
    setTimeout(() => {
      if (this.closed || this.watchers.size === 0 || this.listening) return;
      this.listen();
      // What was recorded while no one listened.
      this.catchUp([...this.watchers.keys()]);
    }, 500).unref();
  }

  /** Once LISTEN is in effect: delivers the cancel requests already recorded for `runIds`. */
  private catchUp(runIds: string[]): void {
    const listening = this.listening;
    if (!listening) return;
    listening.ready
      .then(() => this.readControl(runIds))
      .then((controls) => {
        for (const control of controls) if (control.cancel) this.deliver(control.runId, control.cancel);
      })
      .catch(() => {});
  }

  private unlisten(): void {
    const listening = this.listening;
    this.listening = undefined;
    if (listening) void listening.ready.finally(() => listening.client.end()).catch(() => {});
  }

  /** Stops listening for good. */
  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
    const listening = this.listening;
    this.listening = undefined;
    if (listening) await listening.client.end().catch(() => {});
  }
}

// `canal serve`'s listening half: the app on a port, over HTTP or (with a certificate) HTTPS, and
// a stop that lets requests in flight end. An event stream is ended by closing its connection.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import type { ServerOptions } from "./context.js";
import { Layouts } from "./layouts.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";

export interface ListenOptions extends ServerOptions {
  /** Default 127.0.0.1: only this machine can connect. */
  host?: string;
  /** Default 8790; 0 picks a free port. */
  port?: number;
  tls?: { certFile: string; keyFile: string };
  /**
   * The scheduler of the workspace's schedules and data triggers, run with the server (its
   * settings), or false for none (`canal serve --no-scheduler`). Default: run it.
   */
  scheduler?: Pick<SchedulerOptions, "pollMs" | "dataPollMs" | "clock"> | false;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8790;

/** Whether `host` is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startServer(options: ListenOptions): Promise<RunningServer> {
  // ELK's code is compiled in the layout worker while nobody waits: the first run page opened
  // finds it ready.
  const layouts = options.layouts ?? new Layouts();
  const warming = options.layouts ? undefined : layouts.warm().catch(() => undefined);
  const app = createApp({ ...options, layouts });
  const host = options.host ?? DEFAULT_HOST;
  const tls = options.tls
    ? { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }
    : undefined;
  const server = await new Promise<Server>((resolve, reject) => {
    const made = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port: options.port ?? DEFAULT_PORT,
        ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
      },
      () => resolve(made as Server),
    ) as Server;
    made.once("error", reject);
  }).catch(async (error: unknown) => {
    // A port taken leaves no layout worker behind.
    if (warming) await layouts.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const scheduler =
    options.scheduler === false
      ? undefined
      : new Scheduler({
          workspace: options.workspace,
          launcher: options.launcher,
          ...(options.scheduler ?? {}),
          ...(options.log ? { log: options.log } : {}),
        });
  scheduler?.start();
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${tls ? "https" : "http"}://${shownHost}:${port}`,
    port,
    close: async () => {
      // A run being started for a tick is started (and its tick recorded) before the store closes.
      await scheduler?.stop();
      if (warming) await layouts.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams stay open until their run ends: they are ended now.
        server.closeAllConnections?.();
      });
    },
  };
}

// HTTPS with a certificate of its own (made here with openssl), and a stop that ends open event
// streams instead of waiting for their runs.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeRegistry } from "@canal/runner";
import { initWorkspace, openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Launcher } from "./context.js";
import { isLoopback, startServer } from "./listen.js";
import { createToken } from "./tokens.js";

let dir: string;
let workspace: Workspace;
const launcher: Launcher = {
  start: () => Promise.reject(new Error("no run is started in these tests")),
  rerun: () => Promise.reject(new Error("no run is started in these tests")),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "canal-tls-"));
  initWorkspace(dir, "tls");
  workspace = await openWorkspace(dir);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
      .concat(["-addext", "subjectAltName=IP:127.0.0.1"])
      .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
    { stdio: "ignore" },
  );
});

afterAll(async () => {
  await workspace?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (answer) => {
      let body = "";
      answer.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("listening", () => {
  it("serves HTTPS with --tls-cert and --tls-key", async () => {
    const server = await startServer({
      workspace,
      launcher,
      runtimes: new RuntimeRegistry(),
      port: 0,
      tls: { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") },
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await get(`${server.url}/api/v1/health`, readFileSync(join(dir, "cert.pem")));
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ ok: true });
    } finally {
      await server.close();
    }
  });

  it("ends open event streams when it stops, instead of waiting for their runs", async () => {
    const version = await workspace.metadata.registerPipelineVersion({ pipeline: "p", hash: "h", ir: "{}" });
    const run = await workspace.metadata.createRun({
      pipelineVersionId: version.id,
      runtime: "local",
      status: "running",
    });
    const { secret } = await createToken(workspace.metadata, { role: "viewer" });
    const server = await startServer({ workspace, launcher, runtimes: new RuntimeRegistry(), port: 0 });
    const answer = await fetch(`${server.url}/api/v1/runs/${run.id}/events`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("event: run");
    const ended = (async () => {
      try {
        for (;;) if ((await reader.read()).done) return "ended";
      } catch {
        return "ended"; // the connection was closed under it
      }
    })();
    // Without ending the stream's connection, close() would wait for the run (here: forever).
    await server.close();
    expect(await ended).toBe("ended");
  });

  it("tells loopback addresses from the rest", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "example.com"])
      expect(isLoopback(host), host).toBe(false);
  });
});

// `canal targets --check` against a real dockerd: what the engine offers, and what stops steps.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canal } from "../canal.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

describe("canal targets --check on a Docker engine", () => {
  let engine: Engine;
  let dir: string;

  beforeAll(async () => {
    engine = await startEngine();
    dir = mkdtempSync(join(tmpdir(), "canal-docker-targets-"));
    const targets = {
      box: { kind: "docker", socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS },
      bare: {
        kind: "docker",
        socket: engine.socket,
        image: "canal/missing:1",
        binds: ["/no/such/folder:/data"],
      },
      wired: { kind: "docker", socket: engine.socket, image: HOST_IMAGE, network: "lab" },
    };
    writeFileSync(join(dir, "canal.config.json"), JSON.stringify({ targets }));
  });
  afterAll(async () => {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the engine's version and its images, and that steps can run", async () => {
    const result = await canal(["targets", "box", "--check"], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const version = engine.cli(["version", "--format", "{{.Server.Version}}"]).trim();
    expect(result.stdout).toMatch(
      new RegExp(
        `^ {2}engine: Docker ${version.replace(/[.+*?()[\]\\^$|{}]/g, "\\$&")} \\(API [\\d.]+, linux/\\w+\\)$`,
        "m",
      ),
    );
    expect(result.stdout).toMatch(new RegExp(`^ {2}images:\\n(?: {4}.*\\n)*? {4}${HOST_IMAGE}\\n`, "m"));
    expect(result.stdout).toMatch(/^ {2}container runtimes:\n {4}\S+/m);
    expect(result.stdout).toContain("  ok: steps can run here\n");
    const [json] = JSON.parse((await canal(["targets", "box", "--check", "--json"], dir)).stdout);
    expect(json.check).toMatchObject({ ok: true, problems: [], offers: { socket: engine.socket } });
    expect(json.check.offers.images).toContain(HOST_IMAGE);
  });

  it("names an image the engine lacks, a bind with no host folder and a network it does not have", async () => {
    const result = await canal(["targets", "--check", "--json"], dir);
    expect(result.status).toBe(1);
    const byName = Object.fromEntries(
      (JSON.parse(result.stdout) as Array<{ name: string; check: { problems: string[] } }>).map((t) => [
        t.name,
        t,
      ]),
    );
    expect(byName.bare?.check.problems).toEqual([
      "the image canal/missing:1 is not on the engine (steps whose environment names no image run in it, and env.python/env.node images are built from it), and Canal never pulls one; build or import it there (docs/targets.md shows how), or set `targets.bare.image` to one the engine has",
      "`targets.bare.binds`: /no/such/folder does not exist on this machine; create it or remove the bind",
    ]);
    expect(byName.wired?.check.problems).toEqual([
      expect.stringMatching(
        /^`targets\.wired\.network`: the engine has no network lab; its networks are .*\bnone\b/,
      ),
    ]);
  });
});

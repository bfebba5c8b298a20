import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { compile } from "@canal/compiler";
import { readArtifact } from "@canal/ir";
import { runPipeline } from "@canal/runner";
import type { RunEvent, Runtime } from "@canal/runtime-core";
import { DockerRuntime } from "@canal/runtime-docker";
import { LocalRuntime } from "@canal/runtime-local";
import { openWorkspace, type Workspace } from "@canal/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerIris } from "../canal.js";
import { copyIris } from "../helpers.js";
import { type Engine, HOST_BINDS, HOST_IMAGE, startEngine } from "./engine.mjs";

/** The flagship's Python steps need scikit-learn and pandas from the host's /usr. */
function missingPython(): string | undefined {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import sklearn, pandas, venv"], { stdio: "pipe" });
    return undefined;
  } catch {
    return "/usr/bin/python3 cannot import sklearn and pandas (apt-get install python3-sklearn python3-pandas python3-venv)";
  }
}

const missing = missingPython();

describe.skipIf(missing)(
  `the flagship example on docker and local${missing ? ` [skipped: ${missing}]` : ""}`,
  () => {
    let engine: Engine;
    let project: string;
    let artifactDir: string;
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      engine = await startEngine();
      project = copyIris();
      const result = await compile({ entries: [join(project, "pipeline.ts")], outDir: join(project, "out") });
      expect(result.diagnostics).toEqual([]);
      artifactDir = result.pipelines[0]?.dir as string;
    });
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await engine?.stop();
      rmSync(project, { recursive: true, force: true });
    });

    /** A copy of the flagship, a workspace of its own, with its raw data registered as a user does. */
    async function workspace(): Promise<Workspace> {
      const dir = copyIris();
      await registerIris(dir);
      const opened = await openWorkspace(dir);
      cleanups.push(async () => {
        await opened.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return opened;
    }
    const local = (ws: Workspace) => new LocalRuntime({ cacheDir: join(ws.root, "runtime-cache") });
    // Neither local steps nor containers get this process's environment (the environment rule), so
    // a variable such as OPENBLAS_CORETYPE, which changes the trained weights' last bits, reaches
    // neither: both compute alike.
    const docker = () => new DockerRuntime({ socket: engine.socket, image: HOST_IMAGE, binds: HOST_BINDS });

    async function run(ws: Workspace, runtime: Runtime) {
      const events: RunEvent[] = [];
      try {
        const { run, summary } = await runPipeline({
          workspace: ws,
          artifactDir,
          runtime,
          onEvent: (event) => void events.push(event),
        });
        const failures = events.flatMap((e) => (e.type === "step-failed" ? [`${e.key}: ${e.error}`] : []));
        expect(run.status, failures.join("\n")).toBe("succeeded");
        return summary;
      } finally {
        await runtime.close();
      }
    }

    it("gives the same output digests from one artifact on both, and each reuses the other's cache", async () => {
      const onLocal = await workspace();
      const onDocker = await workspace();
      const localRun = await run(onLocal, local(onLocal));
      const dockerRun = await run(onDocker, docker());
      expect(Object.values(dockerRun.steps).every((s) => s === "succeeded")).toBe(true);
      expect(Object.keys(dockerRun.outputs).length).toBeGreaterThan(0);
      expect(dockerRun.outputs).toEqual(localRun.outputs);

      // The cache key is the step's content and inputs, not where it ran.
      const dockerAfterLocal = await run(onLocal, docker());
      expect(
        Object.values(dockerAfterLocal.steps).every((s) => s === "cached"),
        JSON.stringify(dockerAfterLocal.steps),
      ).toBe(true);
      const localAfterDocker = await run(onDocker, local(onDocker));
      expect(
        Object.values(localAfterDocker.steps).every((s) => s === "cached"),
        JSON.stringify(localAfterDocker.steps),
      ).toBe(true);
      expect(localAfterDocker.outputs).toEqual(localRun.outputs);

      // Each Python or Node environment became one image, made once from the base image.
      const environments = (readArtifact(artifactDir).pipeline.environments ?? []).filter(
        (e) => e.kind === "PYTHON" || e.kind === "NODE",
      );
      const images = engine.cli(["images", "--format", "{{.Tag}}", "canal-env"]).trim().split("\n");
      expect(images.sort()).toEqual(environments.map((e) => e.id.slice(0, 16)).sort());
    }, 120_000);
  },
);

import { transform } from "esbuild";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// Node 20 cannot parse decorators and Vite's own transform keeps stage-3 decorators as they are, so
// TypeScript files that use them are lowered by esbuild first, as `canal compile` bundles do.
const lowerDecorators: Plugin = {
  name: "canal-lower-decorators",
  enforce: "pre",
  async transform(code, id) {
    if (!/\.[cm]?tsx?$/.test(id) || id.includes("/node_modules/") || !/^\s*@\w/m.test(code)) return null;
    const result = await transform(code, {
      loader: "ts",
      target: "node20",
      format: "esm",
      sourcemap: true,
      sourcefile: id,
    });
    return { code: result.code, map: result.map };
  },
};

const ignored = ["**/node_modules/**", "**/dist/**", "**/fixtures/**"];

/**
 * The test files that start processes (step runs, a shell, Python, `npm pack`) or services (Docker,
 * Slurm): the `integration` project. Every other test file is in `unit`, which needs no root, no
 * service and no process beyond the Node running it. A file goes here by what it does, not by its
 * folder: `test/slurm/staging.test.ts` only writes files, so it is a unit test.
 */
const integration = [
  // Real services.
  "test/bytes/**/*.test.ts",
  // Chromium driving the web UI of `canal ui`.
  "test/browser/**/*.test.ts",
  "test/docker/**/*.test.ts",
  "test/slurm/{env-rule,script-steps,secrets,slurm,targets-check}.test.ts",
  // The blob store's, the metadata store's and the datastores' suites on S3 and PostgreSQL
  // (datastore-s3.test.ts: the RADOS Gateway).
  "test/conformance/*-{s3,postgres}.test.ts",
  "test/postgres/**/*.test.ts",
  "test/faults/**/*.test.ts",
  "test/team/**/*.test.ts",
  // `canal run` and its kin, which run steps as processes; packing and installing the packages.
  "test/cli/{bundle,cancel,cli,compile-check,download,experiments,rerun-stored-artifact,startup,usage,why}.test.ts",
  "test/conformance/local.test.ts",
  "test/contract/**/*.test.ts",
  "test/export/exec-jobs.test.ts",
  "test/install/**/*.test.ts",
  "test/run/**/*.test.ts",
  "test/server/**/*.test.ts",
  "test/soundness/**/*.test.ts",
  "test/targets/**/*.test.ts",
  // Unit folders whose tests spawn processes: a shell, Python, a process holding a lock, workers.
  "ir/src/command-template.test.ts",
  "packages/runner/src/gc-lock.test.ts",
  "packages/server/src/listen.test.ts",
  "packages/store/src/processes.test.ts",
  "runtimes/core/src/python-env.test.ts",
  "runtimes/local/src/{launcher,leftovers}.test.ts",
  "runtimes/slurm/src/batch-script.test.ts",
];

// Workspace packages resolve to their TypeScript sources under test (the "canal-source" export
// condition), so tests never run against a stale dist/. Both projects extend this config: they
// share its plugins, conditions and timeouts. `vitest run` runs both; `--project unit` one.
export default defineConfig({
  plugins: [lowerDecorators],
  resolve: { conditions: ["canal-source"] },
  ssr: { resolve: { conditions: ["canal-source"], externalConditions: ["canal-source"] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/temp-root.ts"],
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["**/*.test.ts"], exclude: [...ignored, ...integration] },
      },
      { extends: true, test: { name: "integration", include: integration, exclude: ignored } },
    ],
  },
});

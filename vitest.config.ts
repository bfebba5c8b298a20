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

// Workspace packages resolve to their TypeScript sources under test (the "canal-source" export
// condition), so tests never run against a stale dist/.
export default defineConfig({
  plugins: [lowerDecorators],
  resolve: { conditions: ["canal-source"] },
  ssr: { resolve: { conditions: ["canal-source"], externalConditions: ["canal-source"] } },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/fixtures/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

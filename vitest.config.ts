import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources under test (the "canal-source" export
// condition), so tests never run against a stale dist/.
export default defineConfig({
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

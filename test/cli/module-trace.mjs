// Preloaded with `node --import` by startup.test.ts: writes every module the process loads to the
// file named by CANAL_MODULE_TRACE, one per line. ES modules are seen by a load hook (which runs
// for every module imported, CommonJS ones included); modules that CommonJS code require()s are
// read from the CommonJS cache when the process exits, and the built-in modules (`node:…`, which
// the bundle require()s) from the process's list of what it loaded.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const out = process.env.CANAL_MODULE_TRACE;
if (out) {
  register("./module-trace-hooks.mjs", import.meta.url, { data: { out } });
  const cache = createRequire(import.meta.url).cache;
  process.on("exit", () => {
    const builtins = process.moduleLoadList
      .filter((entry) => entry.startsWith("NativeModule ") && !entry.startsWith("NativeModule internal/"))
      .map((entry) => `node:${entry.slice("NativeModule ".length)}`);
    appendFileSync(out, [...Object.keys(cache), ...builtins].map((file) => `${file}\n`).join(""));
  });
}

// `npm run bench`: every benchmark, one after the other.
await import("./compile-bench.mjs");

// `npm run bench`: every benchmark, one after the other.
await (await import("./compile-bench.mjs")).main();

// `npm run bench`: every benchmark, one after the other.
await (await import("./startup-bench.mjs")).main();
await (await import("./compile-bench.mjs")).main();
await (await import("./run-bench.mjs")).main();
await (await import("./docker-bench.mjs")).main();
await (await import("./slurm-bench.mjs")).main();
await (await import("./s3-bench.mjs")).main();

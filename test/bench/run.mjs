// `npm run bench`: every benchmark, one after the other. `npm run bench -- --large`: the
// 100,000-step benchmark alone (minutes).
if (process.argv.includes("--large")) {
  await (await import("./large-bench.mjs")).main();
} else {
  await (await import("./startup-bench.mjs")).main();
  await (await import("./compile-bench.mjs")).main();
  await (await import("./run-bench.mjs")).main();
  await (await import("./docker-bench.mjs")).main();
  await (await import("./slurm-bench.mjs")).main();
  await (await import("./s3-bench.mjs")).main();
  await (await import("./team-bench.mjs")).main();
  await (await import("./pg-statements-bench.mjs")).main();
  await (await import("./data-bench.mjs")).main();
  await (await import("./mount-bench.mjs")).main();
  await (await import("./server-bench.mjs")).main();
  await (await import("./ui-bench.mjs")).main();
}

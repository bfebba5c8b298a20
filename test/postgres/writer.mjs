// One writer process for the many-processes case: opens the workspace at argv[2] with the built
// store (`npm test` builds it first), writes versions, log chunks and a cache entry, and prints
// what it got as JSON.
const [root, stepRunId, who] = process.argv.slice(2);
const { openWorkspace } = await import(new URL("../../packages/store/dist/index.js", import.meta.url).href);
const ws = await openWorkspace(root);
const versions = [];
const seqs = [];
for (let i = 0; i < 10; i++) {
  versions.push(
    (await ws.metadata.registerPipelineVersion({ pipeline: "procs", hash: `${who}-${i}`, ir: "{}" })).version,
  );
  seqs.push(await ws.metadata.appendLog(Number(stepRunId), 1, "stdout", `${who}.${i}\n`));
}
const won = await ws.metadata.putCacheEntry({
  key: "process-key",
  outputs: { who: { json: JSON.stringify(who) } },
  components: { stepHash: "s", codeHash: "c", codeFiles: [], environment: "e", inputs: {} },
  stepRunId: Number(stepRunId),
});
await ws.close();
process.stdout.write(JSON.stringify({ versions, seqs, won }));

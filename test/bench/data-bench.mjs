// Dataset benchmark: registering from a local datastore, side by side with `sha256sum` over the
// same files in the same run. Two shapes: many small files (10,000 × 4 KiB; CANAL_BENCH_DATA_FILES)
// registered by `canal datasets register` as a user runs it (a fresh process: start-up, listing,
// hashing, the store's write), against `sha256sum` over them in batches as `xargs` gives them;
// and one large file (1 GiB; CANAL_BENCH_DATA_MIB) hashed by the local datastore against
// `sha256sum FILE`. Each new registration is a new dataset name, so every round hashes and records
// everything. Bars: over 5,000 files/s for the small files; the large file within 1.2x of
// sha256sum. Median of CANAL_BENCH_DATA_ROUNDS (3); prints a table for people and one
// `BENCH {json}` line per shape for scripts.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repo } from "./generate.mjs";

const FILES = Number(process.env.CANAL_BENCH_DATA_FILES ?? 10_000);
const MIB = Number(process.env.CANAL_BENCH_DATA_MIB ?? 1024);
const ROUNDS = Number(process.env.CANAL_BENCH_DATA_ROUNDS ?? 3);
const FILES_BAR = 5000;
const RATIO_BAR = 1.2;
const canal = join(repo, "packages/cli/dist/main.js");
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value, digits = 1) => Number(value.toFixed(digits));

function timed(command, args, cwd) {
  const t0 = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

export async function main() {
  const root = mkdtempSync(join(tmpdir(), "canal-data-bench-"));
  try {
    const { LocalDatastore } = await import(join(repo, "packages/store/dist/index.js"));
    writeFileSync(
      join(root, "canal.config.json"),
      JSON.stringify({
        workspace: "bench",
        datastores: { raw: { kind: "local", path: "many" }, big: { kind: "local", path: "big" } },
      }),
    );

    // Many small files, 100 to a folder.
    const paths = [];
    for (let i = 0; i < FILES; i++) {
      const folder = join(root, "many", `d${String(i % 100).padStart(3, "0")}`);
      if (i < 100) mkdirSync(folder, { recursive: true });
      const path = join(folder, `f${i}.bin`);
      writeFileSync(path, randomBytes(4096));
      paths.push(path);
    }
    const list = join(root, "files.txt");
    writeFileSync(list, `${paths.join("\0")}\0`);
    const small = { canal: [], sha256sum: [], hashMs: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const bare = timed("sh", ["-c", `xargs -0 sha256sum < ${list} > /dev/null`], root);
      small.sha256sum.push(bare.ms);
      const run = timed(
        process.execPath,
        [canal, "datasets", "register", `many-${r}`, "--from", "raw", "--json"],
        root,
      );
      const out = JSON.parse(run.stdout);
      if (out.version.fileCount !== FILES)
        throw new Error(`registered ${out.version.fileCount} files, not ${FILES}`);
      small.canal.push(run.ms);
      small.hashMs.push(out.timings.hashMs);
    }
    const canalMs = median(small.canal);
    const bareMs = median(small.sha256sum);
    const filesPerSecond = Math.round(FILES / (canalMs / 1000));
    console.log(`\nregister ${FILES} × 4 KiB files from a local datastore (median of ${ROUNDS}):`);
    console.log(
      `  canal datasets register   ${round(canalMs)} ms  (${filesPerSecond} files/s; hashing ${median(small.hashMs)} ms)`,
    );
    console.log(
      `  xargs sha256sum           ${round(bareMs)} ms  (${Math.round(FILES / (bareMs / 1000))} files/s)`,
    );
    console.log(`  bar: over ${FILES_BAR} files/s: ${filesPerSecond > FILES_BAR ? "met" : "NOT MET"}`);
    console.log(
      `BENCH ${JSON.stringify({ bench: "dataset-register-small-files", files: FILES, fileBytes: 4096, canalMs: round(canalMs), sha256sumMs: round(bareMs), filesPerSecond, bar: FILES_BAR, met: filesPerSecond > FILES_BAR })}`,
    );

    // One large file, written in 8 MiB chunks of random bytes.
    mkdirSync(join(root, "big"));
    const bigPath = join(root, "big", "one.bin");
    const fd = openSync(bigPath, "w");
    const chunk = randomBytes(8 * 1024 * 1024);
    for (let written = 0; written < MIB * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    const datastore = new LocalDatastore("big", join(root, "big"), "datastores.big.path");
    const large = { canal: [], sha256sum: [] };
    for (let r = 0; r < ROUNDS; r++) {
      large.sha256sum.push(timed("sha256sum", [bigPath], root).ms);
      const t0 = performance.now();
      await datastore.digest("one.bin");
      large.canal.push(performance.now() - t0);
    }
    const ratio = median(large.canal) / median(large.sha256sum);
    console.log(`\nhash one ${MIB} MiB file (median of ${ROUNDS}):`);
    console.log(`  local datastore digest    ${round(median(large.canal))} ms`);
    console.log(`  sha256sum                 ${round(median(large.sha256sum))} ms`);
    console.log(
      `  ratio ${ratio.toFixed(2)}x (bar ${RATIO_BAR}x): ${ratio <= RATIO_BAR ? "within" : "OVER"}`,
    );
    console.log(
      `BENCH ${JSON.stringify({ bench: "dataset-hash-large-file", mib: MIB, canalMs: round(median(large.canal)), sha256sumMs: round(median(large.sha256sum)), ratio: round(ratio, 3), bar: RATIO_BAR, met: ratio <= RATIO_BAR })}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();

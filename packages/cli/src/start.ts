import { runCli } from "./cli.js";
import { processIo } from "./io.js";

// The entry of the CLI's bundle (scripts/bundle-cli.mjs), which dist/main.js runs when it is up
// to date: what main.js does with the modules themselves. No top-level await: the bundle is a
// CommonJS script.
void runCli(process.argv.slice(2), processIo()).then((status) => {
  process.exitCode = status;
});

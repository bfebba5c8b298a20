import { runCli } from "./cli.js";
import { processIo } from "./io.js";

// The entry of the CLI's bundle (scripts/bundle-cli.mjs), which dist/main.js loads when it is
// up to date: the same as main.js does with the modules themselves.
process.exitCode = await runCli(process.argv.slice(2), processIo());

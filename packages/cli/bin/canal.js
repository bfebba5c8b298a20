#!/usr/bin/env node
// The `canal` command. A committed file rather than dist/main.js itself: npm links a package's bin
// when it installs it, which in a clone of the repository is before anything is built, and a link
// to a file that does not exist yet is never made.
const main = new URL("../dist/main.js", import.meta.url);
try {
  await import(main.href);
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(main.pathname)) throw error;
  process.stderr.write(
    "canal: the CLI is not built (no packages/cli/dist/main.js); run `npm run build` at the repository root\n",
  );
  process.exitCode = 1;
}

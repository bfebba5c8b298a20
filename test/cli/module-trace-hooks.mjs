// The loader half of module-trace.mjs (loader hooks run on their own thread).
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let out;

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, next) {
  appendFileSync(out, `${url.startsWith("file:") ? fileURLToPath(url) : url}\n`);
  return next(url, context);
}

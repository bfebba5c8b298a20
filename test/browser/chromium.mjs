// Debian's Chromium, driven by playwright-core (which never downloads a browser): installed with
// apt when it is missing, launched headless as ../shared/RECIPES.md says. Plain JavaScript so the
// benchmarks use it too.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { installDebianPackages } from "../services/debian.mjs";

export const CHROMIUM = "/usr/lib/chromium/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A headless Chromium; close it with `browser.close()`. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) installDebianPackages(["chromium"], ["chromium"]);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Where screenshots go: $CANAL_TEST_ARTIFACTS, else test/browser/screenshots (ignored by git). */
export function screenshotDir() {
  const dir = process.env.CANAL_TEST_ARTIFACTS
    ? join(process.env.CANAL_TEST_ARTIFACTS, "browser")
    : join(import.meta.dirname, "screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Installs what Canal needs when it is missing: the system packages of the local runtime (once),
// and the workspace's npm dependencies when node_modules is missing or older than the lockfile,
// so that `npm test` works in a fresh clone (CI) as well as after `npm run setup`.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

execFileSync("bash", ["scripts/system-deps.sh"], { stdio: "inherit" });

const installed = "node_modules/.package-lock.json";
const stale = !existsSync(installed) || statSync("package-lock.json").mtimeMs > statSync(installed).mtimeMs;
if (stale) {
  console.log("canal: installing npm dependencies (npm ci)");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { stdio: "inherit" });
}

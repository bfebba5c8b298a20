// A package's `prepack`: builds it (and the packages it references) with `tsc -b`, then removes
// what an earlier build left in dist/ for a source file that is gone, so a tarball holds the
// compiled form of today's sources only. Run from the package's folder, as npm runs `prepack`.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";

execFileSync("tsc", ["-b"], { stdio: "inherit", shell: process.platform === "win32" });

const outputs = /(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/;
function prune(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const stem = relative("dist", path).replace(outputs, "");
    if (stem === relative("dist", path)) continue;
    if (!existsSync(join("src", `${stem}.ts`))) rmSync(path);
  }
}
prune("dist");

// `npm run pack [DEST]`: packs every published package of the workspace (those not marked
// private) into DEST (default canal-packages/), each built by its `prepack`, and prints the
// tarballs' paths, one a line. `npm install DEST/*.tgz` in another project installs Canal from them.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const dest = resolve(process.argv[2] ?? join(root, "canal-packages"));
const manifest = (dir) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));

const workspaces = manifest(".").workspaces.flatMap((pattern) =>
  pattern.endsWith("/*")
    ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
    : [pattern],
);
const published = workspaces.filter(
  (dir) => existsSync(join(root, dir, "package.json")) && !manifest(dir).private,
);

mkdirSync(dest, { recursive: true });
const packed = JSON.parse(
  execFileSync(
    "npm",
    ["pack", "--json", "--pack-destination", dest, ...published.flatMap((dir) => ["--workspace", dir])],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 },
  ),
);
for (const { filename } of packed) console.log(join(dest, filename));

// The blob store conformance suite on the embedded default: a local folder of blobs, opened as a
// workspace opens it: by the config's `artifacts.kind`, from the store registry.
import { chmodSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace, type Workspace } from "@canal/store";
import { blobStoreConformance } from "./blob-store.js";

blobStoreConformance("local", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-blobs-"));
  const root = join(dir, "blobs");
  const file = (digest: string) => join(root, "sha256", digest.slice(0, 2), digest.slice(2));
  writeFileSync(
    join(dir, "canal.config.json"),
    JSON.stringify({ workspace: "w", artifacts: { kind: "local", path: "blobs" } }),
  );
  const opened: Workspace[] = [];
  return {
    async open() {
      const workspace = await openWorkspace(dir);
      opened.push(workspace);
      return workspace.blobs;
    },
    damage(digest, how) {
      const path = file(digest);
      if (how === "delete") return rmSync(path);
      chmodSync(path, 0o644); // stored blobs are read-only
      if (how === "truncate") return truncateSync(path, 2);
      const bytes = readFileSync(path);
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
    },
    async close() {
      for (const workspace of opened) await workspace.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// The blob store conformance suite on the embedded default: a local folder of blobs.
import { chmodSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalBlobStore } from "@canal/store";
import { blobStoreConformance } from "./blob-store.js";

blobStoreConformance("local", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-blobs-"));
  const root = join(dir, "blobs");
  const file = (digest: string) => join(root, "sha256", digest.slice(0, 2), digest.slice(2));
  return {
    open: () => new LocalBlobStore(root),
    damage(digest, how) {
      const path = file(digest);
      if (how === "delete") return rmSync(path);
      chmodSync(path, 0o644); // stored blobs are read-only
      if (how === "truncate") return truncateSync(path, 2);
      const bytes = readFileSync(path);
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
});

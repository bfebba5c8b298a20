// The metadata store conformance suite on the embedded default: SQLite in a fresh folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteMetadataStore } from "@canal/store";
import { metadataStoreConformance } from "./metadata-store.js";

metadataStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-store-"));
  const path = join(dir, "canal.db");
  return {
    open: (workspace) => SqliteMetadataStore.open(path, { workspace, location: dir }),
    location: dir,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
});

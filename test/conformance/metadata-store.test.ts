// The metadata store conformance suite on the embedded default: SQLite in a fresh folder, opened
// as a workspace opens it: by the config's `store.kind`, from the store registry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace } from "@canal/store";
import { metadataStoreConformance } from "./metadata-store.js";

metadataStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-store-"));
  return {
    // One workspace folder per workspace name, all pointing at one database file.
    async open(workspace) {
      const root = join(dir, workspace);
      mkdirSync(root, { recursive: true });
      const config = { workspace, store: { kind: "sqlite", path: "../canal.db" } };
      writeFileSync(join(root, "canal.config.json"), JSON.stringify(config));
      return (await openWorkspace(root)).metadata;
    },
    location: join(dir, "team"),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
});

// The datastore conformance suite on the `local` kind: a fresh folder per test, opened as a
// workspace opens a datastore: by name, from the config.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findWorkspace, openDatastore } from "@canal/store";
import { datastoreConformance } from "./datastore.js";

datastoreConformance("local", () => {
  const dir = mkdtempSync(join(tmpdir(), "canal-datastore-"));
  return {
    async make(files) {
      const root = mkdtempSync(join(dir, "ws-"));
      for (const [path, bytes] of Object.entries(files)) {
        mkdirSync(dirname(join(root, "data", path)), { recursive: true });
        writeFileSync(join(root, "data", path), bytes);
      }
      mkdirSync(join(root, "data"), { recursive: true });
      const config = { workspace: "w", datastores: { raw: { kind: "local", path: "data" } } };
      writeFileSync(join(root, "canal.config.json"), JSON.stringify(config));
      return openDatastore(findWorkspace(root), "raw");
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
});

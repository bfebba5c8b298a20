// File names survive on the local runtime: see file-names-cases.ts.
import { describe, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectFileNamesSurvive, FILE_NAMES_FIXTURE } from "./file-names-cases.js";

describe("a file input keeps its name on the local runtime", () => {
  it("in a script's placeholder and environment, a TypeScript step's path, a pass-through and a fan-in", async () => {
    await expectFileNamesSurvive(makeProject({ from: FILE_NAMES_FIXTURE }), []);
  });
});

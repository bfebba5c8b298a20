// A parameter value is data in every quoting context of a script step's command: a value that would
// run a command if it became shell syntax prints verbatim instead, on the local runtime.
import { describe, it } from "vitest";
import { makeProject } from "../helpers.js";
import { expectValuesStayData, INJECTION_FIXTURE } from "./injection-cases.js";

describe("a value in a script step's command stays data", () => {
  it("in every quoting context, for every metacharacter, through canal run -p", async () => {
    await expectValuesStayData(makeProject({ from: INJECTION_FIXTURE }), []);
  });
});

import { newRunId } from "@canal/store";
import { afterEach, describe, expect, it } from "vitest";
import { detachedRunId } from "./detach.js";

const DRIVER_ENV = "CANAL_DRIVER_RUN_ID";
afterEach(() => {
  delete process.env[DRIVER_ENV];
});

describe("a detached run's driver", () => {
  it("takes the run id it was started for, as the store makes them, once", () => {
    const id = newRunId();
    process.env[DRIVER_ENV] = id;
    expect(detachedRunId()).toBe(id);
    expect(detachedRunId()).toBeUndefined();
  });

  it("takes no value that is not a run id", () => {
    for (const value of ["run-20261207-012330-ab1", "run-20261207-012330-ab12cd345", "../x", ""]) {
      process.env[DRIVER_ENV] = value;
      expect(detachedRunId()).toBeUndefined();
    }
  });
});

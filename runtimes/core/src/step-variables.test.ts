import type { Step } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { cacheKey } from "./cache-key.js";
import { stepEnvironment } from "./step-environment.js";
import {
  baseEnvironment,
  declaredValues,
  processVariables,
  variableComponents,
  variableDigest,
} from "./step-variables.js";

const step = (passEnv?: string[]): Step =>
  ({
    id: "s",
    name: "s",
    kind: "SCRIPT",
    inputs: [],
    outputs: [],
    codeHash: "c",
    hash: "h",
    ...(passEnv ? { passEnv } : {}),
  }) as Step;

describe("the environment rule", () => {
  it("starts every step from the passed-through variables and the fixed locale only", () => {
    const base = baseEnvironment({
      PATH: "/bin",
      HOME: "/home/u",
      LANG: "de_DE.UTF-8",
      LC_ALL: "de_DE.UTF-8",
      PYTHONPATH: "/mine",
      NODE_OPTIONS: "--require x",
      AWS_SECRET_ACCESS_KEY: "s3cr3t",
    });
    expect(base).toEqual({ PATH: "/bin", HOME: "/home/u", LANG: "C.UTF-8" });
  });

  it("gives a step the values of the variables it declares that are set, and no others", () => {
    const from = { SEED: "7", TOKEN: "t", OTHER: "o" };
    expect(declaredValues(step(["SEED", "MISSING"]), from)).toEqual({ SEED: "7" });
    expect(declaredValues(step(), from)).toEqual({});
    const env = stepEnvironment({
      runId: "r",
      stepKey: "s",
      attempt: 1,
      artifactDir: "/a",
      step: step(["SEED"]),
      environment: undefined,
      inputs: {},
      outputs: {},
      workDir: "/w",
      metricsFile: "/w/m",
      variables: { SEED: "7" },
    });
    expect(env.SEED).toBe("7");
    expect(env.OTHER).toBeUndefined();
  });
});

describe("declared variables in the cache key", () => {
  const secret = Buffer.alloc(32, 1);
  const variables = (values: Record<string, string | undefined>) => ({
    values,
    digest: (name: string, value: string) => variableDigest(secret, name, value),
  });

  it("keys on each declared value by a keyed digest, and on whether it is set", () => {
    const s = step(["SEED"]);
    const one = variableComponents(s, variables({ SEED: "1" }));
    const two = variableComponents(s, variables({ SEED: "2" }));
    const unset = variableComponents(s, variables({}));
    expect(unset).toEqual({ SEED: "unset" });
    expect(one.SEED).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const keys = [one, two, unset, variableComponents(s, variables({ SEED: "" }))].map(
      (v) => cacheKey(s, {}, v).key,
    );
    expect(new Set(keys).size).toBe(4);
    expect(cacheKey(s, {}, one).components.variables).toEqual(one);
  });

  it("leaves the key of a step that reads no variable as it was", () => {
    const s = step();
    expect(variableComponents(s, variables({ SEED: "1" }))).toEqual({});
    expect(cacheKey(s, {}, {})).toEqual(cacheKey(s, {}));
    expect(cacheKey(s, {}).components.variables).toBeUndefined();
  });

  it("keys every step on a runtime's own variables", () => {
    const s = step();
    const a = variableComponents(s, variables({}), { OMP_NUM_THREADS: "1" });
    const b = variableComponents(s, variables({}), { OMP_NUM_THREADS: "2" });
    expect(cacheKey(s, {}, a).key).not.toBe(cacheKey(s, {}, b).key);
  });

  it("digests under the secret: another secret, or a name/value split, gives another digest", () => {
    expect(variableDigest(secret, "A", "B")).not.toBe(variableDigest(Buffer.alloc(32, 2), "A", "B"));
    expect(variableDigest(secret, "AB", "C")).not.toBe(variableDigest(secret, "A", "BC"));
    expect(variableDigest(secret, "A", "s3cr3t")).not.toContain("s3cr3t");
    const mine = processVariables();
    expect(mine.digest("A", "1")).not.toBe(processVariables().digest("A", "1"));
  });
});

import { problemText } from "@canal/ir";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { s3Backend } from "./backend.js";
import { s3Failure, scrub } from "./client.js";

const problems = (artifacts: Record<string, unknown>): string[] => {
  try {
    parseConfig({ artifacts: { kind: "s3", ...artifacts } }, "/w/canal.config.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(problemText);
    throw error;
  }
  return [];
};

describe("s3 settings", () => {
  it("accepts a bucket with a prefix and ends the prefix with /", () => {
    expect(problems({ bucket: "team-artifacts", prefix: "canal/iris" })).toEqual([]);
    const parsed = s3Backend.schema.parse({ kind: "s3", bucket: "team-artifacts", prefix: "canal/iris" });
    expect(s3Backend.resolve(parsed, "/w")).toMatchObject({ prefix: "canal/iris/" });
    expect(s3Backend.resolve(s3Backend.schema.parse({ kind: "s3", bucket: "b-1" }), "/w")).toMatchObject({
      prefix: "",
    });
  });

  it("takes inlineBytes from 0 to 1 MiB, and keeps it out of the workspace datastore's settings", () => {
    for (const inlineBytes of [0, 16384, 1048576])
      expect(problems({ bucket: "b-1", inlineBytes })).toEqual([]);
    for (const inlineBytes of [-1, 1.5, 1048577, "16k"])
      expect(problems({ bucket: "b-1", inlineBytes })).toEqual([
        expect.stringMatching(/^`artifacts.inlineBytes`: .*(must be|expected)/),
      ]);
    const parsed = s3Backend.schema.parse({ kind: "s3", bucket: "b-1", prefix: "p", inlineBytes: 100 });
    const datastore = s3Backend.datastore?.(s3Backend.resolve(parsed, "/w"));
    expect(datastore).toEqual({ kind: "s3", bucket: "b-1", prefix: "p/datastore/" });
    const config = parseConfig(
      { artifacts: { kind: "s3", bucket: "b-1", inlineBytes: 100 } },
      "/w/canal.config.json",
    );
    expect(config.artifacts).toMatchObject({ inlineBytes: 100 });
  });

  it("says what inlineBytes allows (0 to turn it off, up to 1 MiB) for a negative or fractional one", () => {
    expect(problems({ bucket: "b-1", inlineBytes: -1 })).toEqual([
      "`artifacts.inlineBytes`: must be 0 (every blob an object of its own) or more, up to 1048576 (1 MiB), got number -1; fix the value",
    ]);
    expect(problems({ bucket: "b-1", inlineBytes: 1.5 })).toEqual([
      expect.stringMatching(
        /^`artifacts.inlineBytes`: must be a whole number of bytes from 0 \(every blob an object of its own\) to 1048576 \(1 MiB\), got number 1.5; fix the value/,
      ),
    ]);
    // A bound the schema gives no words of its own is still said in the formatter's.
    expect(problems({ bucket: "b-1", endpoint: "http://s3", inlineBytes: 2 * 1024 * 1024 })).toEqual([
      expect.stringContaining("must be at most 1048576 (1 MiB)"),
    ]);
  });

  it("names a misspelt key and the keys there are", () => {
    expect(problems({ bucket: "b-1", secretKey: "x" })).toEqual([
      expect.stringMatching(
        /^`artifacts.secretKey`: unknown key; remove it \(the keys of `artifacts` are kind, bucket, prefix, endpoint/,
      ),
    ]);
  });

  it("refuses a bucket name, a prefix or a variable name S3 or a shell would not take", () => {
    expect(problems({ bucket: "Team_Bucket" })).toEqual([
      expect.stringContaining("`artifacts.bucket`: must be an S3 bucket name"),
    ]);
    expect(problems({ bucket: "b-1", prefix: "/abs" })).toEqual([
      expect.stringContaining("`artifacts.prefix`"),
    ]);
    expect(problems({ bucket: "b-1", prefix: "a/../b" })).toEqual([
      expect.stringContaining("`artifacts.prefix`"),
    ]);
    expect(problems({ bucket: "b-1", endpoint: "ftp://x" })).toEqual([
      expect.stringContaining("`artifacts.endpoint`"),
    ]);
    expect(problems({ bucket: "b-1", accessKeyIdEnv: "$(rm -rf /)", secretAccessKeyEnv: "S" })).toEqual([
      expect.stringContaining("`artifacts.accessKeyIdEnv`: must be the name of an environment variable"),
    ]);
    expect(problems({ bucket: "b-1" })).toEqual([]);
    expect(problems({})).toEqual(["`artifacts.bucket`: is required; add it"]);
  });

  it("wants the two key variables together", () => {
    expect(problems({ bucket: "b-1", accessKeyIdEnv: "K" })).toEqual([
      expect.stringMatching(/^`artifacts.secretAccessKeyEnv`: is required with its pair/),
    ]);
    expect(problems({ bucket: "b-1", accessKeyIdEnv: "K", secretAccessKeyEnv: "S" })).toEqual([]);
  });

  it("never repeats a key written where its variable's name goes, of either type", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const found = [
      ...problems({ bucket: "b-1", accessKeyIdEnv: "K", secretAccessKeyEnv: secret }),
      ...problems({ bucket: "b-1", accessKeyIdEnv: "K", secretAccessKeyEnv: 4242424242 }),
      ...problems({
        bucket: "b-1",
        accessKeyIdEnv: "K",
        secretAccessKeyEnv: "S",
        sessionTokenEnv: `${secret}=`,
      }),
    ];
    expect(found).toEqual([
      expect.stringMatching(
        /^`artifacts.secretAccessKeyEnv`: must be the name of an environment variable .*, got a string/,
      ),
      expect.stringMatching(/^`artifacts.secretAccessKeyEnv`: expected a string, got a number/),
      expect.stringMatching(
        /^`artifacts.sessionTokenEnv`: must be the name of an environment variable .*, got a string/,
      ),
    ]);
    for (const problem of found) {
      expect(problem).not.toContain("EXAMPLEKEY");
      expect(problem).not.toContain("4242424242");
    }
    // Elsewhere the value is repeated, so the user sees what to fix.
    expect(problems({ bucket: "b-1", endpoint: "ftp://x" })).toEqual([
      expect.stringContaining('got "ftp://x"'),
    ]);
  });
});

describe("s3 failures", () => {
  const place = {
    bucket: "b-1",
    prefix: "",
    endpoint: "http://127.0.0.1:9",
    configFile: "/w/canal.config.json",
    credentialSource: "the variables K and S",
    secrets: ["sekret-value"],
    field: "artifacts",
    what: "the artifact store",
  };

  it("never carries a secret, whatever the server said", () => {
    const answer = Object.assign(new Error("The request signature sekret-value does not match"), {
      name: "SomethingOdd",
      $metadata: { httpStatusCode: 500 },
    });
    const error = s3Failure(answer, "reading sha256:ab", place);
    expect(error.code).toBe("CANAL_STORE_REMOTE_FAILED");
    expect(error.message).not.toContain("sekret-value");
    expect(error.message).toContain("***");
  });

  it("masks a long secret anywhere and a very short one only as a word of its own", () => {
    expect(scrub("cannot reach the artifact store with key a (a.b)", ["a"])).toBe(
      "cannot reach the artifact store with key *** (***.b)",
    );
    expect(scrub("id=K1;secret=xK1sekret-valuey", ["K1", "sekret-value"])).toBe("id=***;secret=xK1***y");
    // The longer first: a short secret inside a long one leaves none of the long one showing.
    expect(scrub("token abcdefgh-ijkl", ["ijkl", "abcdefgh-ijkl"])).toBe("token ***");
    expect(scrub("pattern a+b? here", ["a+b?"])).toBe("pattern *** here");
  });

  it("says a refusal for a skewed clock is the clock's, not the credentials'", () => {
    const answer = Object.assign(new Error("skewed"), {
      name: "RequestTimeTooSkewed",
      $metadata: { httpStatusCode: 403 },
    });
    const error = s3Failure(answer, "storing sha256:ab", place);
    expect(error.code).toBe("CANAL_STORE_ACCESS_DENIED");
    expect(error.message).toContain("this machine's clock is too far from the server's");
    expect(error.message).not.toContain("set credentials");
  });

  it("says access is denied and where the credentials came from", () => {
    const answer = Object.assign(new Error("denied"), {
      name: "InvalidAccessKeyId",
      $metadata: { httpStatusCode: 403 },
    });
    expect(s3Failure(answer, "opening the artifact store", place)).toMatchObject({
      code: "CANAL_STORE_ACCESS_DENIED",
      message: expect.stringContaining("the credentials come from the variables K and S"),
    });
  });
});

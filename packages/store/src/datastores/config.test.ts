import { describe, expect, it } from "vitest";
import { parseConfig, resolveConfig } from "../config.js";

const problems = (datastores: unknown): string[] => {
  try {
    parseConfig({ datastores }, "/w/canal.config.json");
    return [];
  } catch (error) {
    return ((error as { problems?: Array<{ path: string; message: string }> }).problems ?? []).map(
      (p) => p.message,
    );
  }
};

describe("datastores in canal.config.json", () => {
  it("take local folders and S3 prefixes, resolved, with the workspace's own added", () => {
    const file = parseConfig(
      {
        datastores: {
          raw: { kind: "local", path: "data/raw" },
          lake: {
            kind: "s3",
            bucket: "team-lake",
            prefix: "ml",
            endpoint: "http://127.0.0.1:9000",
            accessKeyIdEnv: "K",
            secretAccessKeyEnv: "S",
          },
        },
      },
      "/w/canal.config.json",
    );
    const { datastores } = resolveConfig(file, "/w");
    expect(datastores).toEqual({
      workspace: {
        field: "artifacts",
        settings: { kind: "local", path: "/w/.canal/blobs/datastore", create: true },
      },
      raw: { field: "datastores.raw", settings: { kind: "local", path: "/w/data/raw" } },
      lake: {
        field: "datastores.lake",
        settings: expect.objectContaining({
          kind: "s3",
          bucket: "team-lake",
          prefix: "ml/",
          accessKeyIdEnv: "K",
        }),
      },
    });
  });

  it("make the workspace datastore a prefix of an S3 artifact location", () => {
    const { datastores } = resolveConfig({ artifacts: { kind: "s3", bucket: "b-1", prefix: "team" } }, "/w");
    expect(datastores.workspace?.settings).toMatchObject({
      kind: "s3",
      bucket: "b-1",
      prefix: "team/datastore/",
    });
  });

  it("name each mistake by its key", () => {
    expect(problems({ raw: { kind: "ftp", path: "x" } })).toEqual([
      expect.stringMatching(/^`datastores.raw.kind`: must be one of "local", "s3", got "ftp"/),
    ]);
    expect(problems({ raw: { kind: "local" } })).toEqual(["`datastores.raw.path`: is required"]);
    expect(problems({ raw: { kind: "local", path: "x", bucket: "b" } })).toEqual([
      expect.stringContaining("`datastores.raw.bucket`: unknown key"),
    ]);
    expect(problems({ lake: { kind: "s3", bucket: "b", accessKeyIdEnv: "K" } })).toEqual([
      expect.stringMatching(/^`datastores.lake.bucket`: must be an S3 bucket name/),
      expect.stringMatching(/^`datastores.lake.secretAccessKeyEnv`: is required with its pair/),
    ]);
    expect(problems({ workspace: { kind: "local", path: "x" } })).toEqual([
      expect.stringMatching(/^`datastores.workspace`: is the workspace's own datastore/),
    ]);
    expect(problems({ "1bad": { kind: "local", path: "x" } })).toEqual([
      expect.stringContaining("a datastore's name must start with a letter"),
    ]);
  });
});

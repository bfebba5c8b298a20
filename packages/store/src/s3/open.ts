// Opening an S3 blob store: from a workspace's settings (the bucket checked at once, this
// machine's journal of what it found intact, the metadata store's table of small blobs), or where
// a step runs, from the place its task names.
import { join } from "node:path";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import type { BlobPlace } from "@canal/ir/run-types";
import type { StoreContext } from "../backends.js";
import { sha256 } from "../blob-io.js";
import { INLINE_BYTES, type S3Settings } from "./backend.js";
import { S3BlobStore } from "./blob-store.js";
import { connect, s3Failure } from "./client.js";
import { InlineBlobs, tableFailure } from "./inline-blobs.js";

/** Opens the bucket `settings` name, checking at once that it can be reached and read. */
export async function openS3BlobStore(settings: S3Settings, context: StoreContext): Promise<S3BlobStore> {
  const { client, place, shared, lean } = connect(settings, context);
  try {
    await client.send(new HeadBucketCommand({ Bucket: place.bucket }));
  } catch (error) {
    client.destroy();
    throw s3Failure(error, "opening the artifact store", place);
  }
  const bucketName = sha256(Buffer.from(`${place.endpoint}\n${place.bucket}\n${place.prefix}`)).slice(0, 32);
  // What this machine found intact in this bucket and prefix, kept across processes.
  const journal =
    context.cacheFolder === undefined ? undefined : join(context.cacheFolder, "s3-verified", bucketName);
  // The rows of this workspace in this bucket and prefix, by a name that holds nothing from the
  // settings: a workspace's records (and so its gc) name only its own blobs.
  const namespace = sha256(
    Buffer.from(`${place.endpoint}\n${place.bucket}\n${place.prefix}\n${context.workspace}`),
  ).slice(0, 32);
  const inlineBytes = settings.inlineBytes ?? INLINE_BYTES;
  const inline =
    context.smallBlobs && inlineBytes > 0
      ? new InlineBlobs(context.smallBlobs(namespace), inlineBytes, (error, doing) =>
          tableFailure(error, doing, place),
        )
      : undefined;
  return new S3BlobStore(client, place, journal, shared, lean, inline);
}

/**
 * The bucket `place` names, opened where a step runs (its container, its job) with the step's own
 * credentials: the standard AWS variables of its environment. Nothing is kept across processes.
 */
export function openStepBlobStore(place: BlobPlace): S3BlobStore {
  const {
    client,
    place: where,
    lean,
  } = connect(
    {
      kind: "s3",
      bucket: place.bucket,
      prefix: place.prefix,
      ...(place.endpoint !== undefined ? { endpoint: place.endpoint } : {}),
      ...(place.region !== undefined ? { region: place.region } : {}),
      ...(place.forcePathStyle !== undefined ? { forcePathStyle: place.forcePathStyle } : {}),
    },
    { workspace: "", root: "/", configFile: "the workspace's canal.config.json" },
  );
  return new S3BlobStore(client, where, undefined, undefined, lean);
}

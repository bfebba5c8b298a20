// A bucket on the test gateway for one test file: the gateway's one user's keys put into this
// process's environment under the names a workspace config reads them from, an admin client, and
// the `artifacts`/datastore config that points at the bucket. What every S3 test set up by hand.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";

/** An S3 client with the gateway's keys: path-style, checksums only where S3 requires them (RGW). */
export function adminClient(rgw) {
  return new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: rgw.credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function testBucket(rgw, { bucket, keyEnv, secretEnv }) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  process.env[keyEnv] = rgw.credentials.accessKeyId;
  process.env[secretEnv] = rgw.credentials.secretAccessKey;
  const admin = adminClient(rgw);
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    admin,
    bucket,
    config: (extra = {}) => ({
      kind: "s3",
      bucket,
      endpoint: rgw.endpoint,
      accessKeyIdEnv: keyEnv,
      secretAccessKeyEnv: secretEnv,
      ...extra,
    }),
    async damage(key, how) {
      if (how === "delete") {
        await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        return;
      }
      const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array()));
      const damaged = how === "truncate" ? bytes.subarray(0, 2) : bytes;
      if (how === "flip") damaged[0] = (damaged[0] ?? 0) ^ 0xff;
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: damaged }));
    },
    env: () => ({ [keyEnv]: rgw.credentials.accessKeyId, [secretEnv]: rgw.credentials.secretAccessKey }),
    release() {
      admin.destroy();
      delete process.env[keyEnv];
      delete process.env[secretEnv];
    },
  };
}

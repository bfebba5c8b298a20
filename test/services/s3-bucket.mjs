// A bucket on the test gateway for one test file: the gateway's one user's keys put into this
// process's environment under the names a workspace config reads them from, an admin client, and
// the `artifacts`/datastore config that points at the bucket. What every S3 test set up by hand.
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

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
    env: () => ({ [keyEnv]: rgw.credentials.accessKeyId, [secretEnv]: rgw.credentials.secretAccessKey }),
    release() {
      admin.destroy();
      delete process.env[keyEnv];
      delete process.env[secretEnv];
    },
  };
}

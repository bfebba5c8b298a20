// The S3 blob store as a step opens it where it runs (`@canal/store/step-blobs`): only the S3 code,
// so that a step's container loads neither SQLite nor PostgreSQL to fetch its inputs.
export type { S3BlobStore } from "./blob-store.js";
export { openStepBlobStore } from "./open.js";

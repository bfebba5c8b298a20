import { ApiError } from "./errors.js";

/** Where a page of runs ended: opaque to clients (base64url JSON), a keyset for the store. */
export interface RunCursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");
}

export function decodeCursor(text: string): RunCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown[];
    if (typeof createdAt === "number" && typeof id === "string") return { createdAt, id };
  } catch {}
  throw new ApiError(
    "CANAL_API_INVALID_REQUEST",
    "query `cursor` is not a cursor this server gave; pass the `next` of the previous page as it is",
  );
}

import { createHash } from "node:crypto";
import protobuf from "protobufjs";
import { irType } from "./schema.js";

/**
 * Canonical encoding for hashing. Protobuf bytes are not canonical (field and map order, default
 * values, unknown fields), so hashes are taken over this framing instead: fields in field-number
 * order, proto3 defaults left out, every value tagged and length-prefixed, map entries sorted by
 * key, numbers written as their shortest round-trip decimal text. Two objects that protobuf
 * considers equal encode to the same bytes; no two different objects do.
 */
export interface CanonicalOptions {
  /** Leave a field out of the encoding (e.g. source locations, the hash itself). */
  exclude?: (typeName: string, fieldName: string) => boolean;
}

class Writer {
  private chunks: Buffer[] = [];
  private length = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  varint(value: number): void {
    const bytes: number[] = [];
    let v = value;
    do {
      let byte = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0);
    this.push(Buffer.from(bytes));
  }
  tagged(tag: string, body: Buffer): void {
    this.push(Buffer.from(tag, "ascii"));
    this.varint(body.length);
    this.push(body);
  }
  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (field.repeated) return (value as unknown[]).length === 0;
  if (field.map) return Object.keys(value as object).length === 0;
  if (field.resolvedType instanceof protobuf.Type) return false;
  if (field.resolvedType instanceof protobuf.Enum) {
    return value === 0 || value === field.resolvedType.valuesById[0];
  }
  return value === "" || value === 0 || value === false;
}

function scalar(field: protobuf.Field, value: unknown, options: CanonicalOptions): Buffer {
  const w = new Writer();
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    w.tagged("m", encodeMessage(resolved, value as Record<string, unknown>, options));
  } else if (resolved instanceof protobuf.Enum) {
    const name = typeof value === "number" ? resolved.valuesById[value] : String(value);
    w.tagged("e", Buffer.from(name ?? String(value), "utf8"));
  } else if (typeof value === "string") {
    w.tagged("s", Buffer.from(value, "utf8"));
  } else if (typeof value === "boolean") {
    w.tagged("b", Buffer.from(value ? "1" : "0"));
  } else if (typeof value === "number") {
    w.tagged("n", Buffer.from(Object.is(value, -0) ? "0" : String(value), "ascii"));
  } else if (value instanceof Uint8Array) {
    w.tagged("y", Buffer.from(value));
  } else {
    throw new TypeError(`cannot encode ${typeof value} in field ${field.fullName}`);
  }
  return w.finish();
}

function encodeMessage(
  type: protobuf.Type,
  value: Record<string, unknown>,
  options: CanonicalOptions,
): Buffer {
  type.resolveAll();
  const w = new Writer();
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    if (options.exclude?.(type.name, field.name)) continue;
    const v = value[field.name];
    if (isDefault(field, v)) continue;
    w.varint(field.id);
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      const body = new Writer();
      body.varint(entries.length);
      for (const [key, entry] of entries) {
        body.tagged("s", Buffer.from(key, "utf8"));
        body.push(scalar(field, entry, options));
      }
      w.tagged("M", body.finish());
    } else if (field.repeated) {
      const items = v as unknown[];
      const body = new Writer();
      body.varint(items.length);
      for (const item of items) body.push(scalar(field, item, options));
      w.tagged("r", body.finish());
    } else {
      w.push(scalar(field, v, options));
    }
  }
  return w.finish();
}

/** Canonical bytes of a message of pipeline.proto given as a plain object. */
export function canonicalBytes(typeName: string, value: object, options: CanonicalOptions = {}): Buffer {
  const type = irType(typeName);
  const head = Buffer.from(`canal.ir.v1.${typeName}\0`, "utf8");
  return Buffer.concat([head, encodeMessage(type, value as Record<string, unknown>, options)]);
}

/** SHA-256 (hex) of the canonical bytes of a message. */
export function canonicalHash(typeName: string, value: object, options: CanonicalOptions = {}): string {
  return createHash("sha256")
    .update(canonicalBytes(typeName, value, options))
    .digest("hex");
}

/**
 * SHA-256 over framed fields: each field is length-prefixed, so ("ab","c") and ("a","bc") differ.
 * For hashes that are not IR messages (code graphs, snapshots).
 */
export function framedHash(domain: string, fields: Array<string | Uint8Array>): string {
  // The frames are laid out in one buffer and hashed at once: it is computed for every step of
  // every run (cache keys), and each update of a hash is a call into native code.
  const parts = [domain, ...fields].map((field) =>
    typeof field === "string" ? Buffer.from(field, "utf8") : field,
  );
  const framed = Buffer.allocUnsafe(parts.reduce((sum, part) => sum + 8 + part.length, 0));
  let at = 0;
  for (const part of parts) {
    // A 64-bit big-endian length: the high word is 0 below 4 GiB.
    framed.writeUInt32BE(Math.floor(part.length / 2 ** 32), at);
    framed.writeUInt32BE(part.length % 2 ** 32, at + 4);
    framed.set(part, at + 8);
    at += 8 + part.length;
  }
  return createHash("sha256").update(framed).digest("hex");
}

export { canonicalJson } from "./canonical-json.js";

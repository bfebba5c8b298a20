import { hash } from "node:crypto";
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

/**
 * One growing buffer for a whole encoding. A tagged value's length prefix is written once its body
 * is: the body is moved up by the prefix's size (a few bytes, once per nesting level). A hash of a
 * 1,000-step pipeline is taken once per step and once for the whole pipeline every time an artifact
 * is read, so this costs one allocation per encoding instead of several per field.
 */
class Writer {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value;
    do {
      let byte = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) byte |= 0x80;
      this.buf[this.length++] = byte;
    } while (v > 0);
  }

  /** Starts a tagged value: its one-letter tag now, its length prefix at `end`. */
  begin(tag: string): number {
    this.ensure(1);
    this.buf[this.length++] = tag.charCodeAt(0);
    return this.length;
  }

  /** Ends the tagged value begun at `start`: puts the body's length in front of it. */
  end(start: number): void {
    const bodyLength = this.length - start;
    let size = 1;
    for (let v = Math.floor(bodyLength / 128); v > 0; v = Math.floor(v / 128)) size++;
    this.ensure(size);
    this.buf.copyWithin(start + size, start, this.length);
    let at = start;
    let v = bodyLength;
    do {
      let byte = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) byte |= 0x80;
      this.buf[at++] = byte;
    } while (v > 0);
    this.length = start + size + bodyLength;
  }

  text(value: string, encoding: "utf8" | "ascii"): void {
    this.ensure(encoding === "ascii" ? value.length : Buffer.byteLength(value, "utf8"));
    this.length += this.buf.write(value, this.length, encoding);
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
  }

  tagged(tag: string, value: string, encoding: "utf8" | "ascii" = "utf8"): void {
    const start = this.begin(tag);
    this.text(value, encoding);
    this.end(start);
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
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

function scalar(w: Writer, field: protobuf.Field, value: unknown, options: CanonicalOptions): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    const start = w.begin("m");
    encodeMessage(w, resolved, value as Record<string, unknown>, options);
    w.end(start);
  } else if (resolved instanceof protobuf.Enum) {
    const name = typeof value === "number" ? resolved.valuesById[value] : String(value);
    w.tagged("e", name ?? String(value));
  } else if (typeof value === "string") {
    w.tagged("s", value);
  } else if (typeof value === "boolean") {
    w.tagged("b", value ? "1" : "0");
  } else if (typeof value === "number") {
    w.tagged("n", Object.is(value, -0) ? "0" : String(value), "ascii");
  } else if (value instanceof Uint8Array) {
    const start = w.begin("y");
    w.bytes(value);
    w.end(start);
  } else {
    throw new TypeError(`cannot encode ${typeof value} in field ${field.fullName}`);
  }
}

/** Each message type's fields in field-number order, resolved once. */
const fieldOrder = new WeakMap<protobuf.Type, protobuf.Field[]>();

function fieldsOf(type: protobuf.Type): protobuf.Field[] {
  let fields = fieldOrder.get(type);
  if (!fields) {
    type.resolveAll();
    fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    fieldOrder.set(type, fields);
  }
  return fields;
}

function encodeMessage(
  w: Writer,
  type: protobuf.Type,
  value: Record<string, unknown>,
  options: CanonicalOptions,
): void {
  for (const field of fieldsOf(type)) {
    if (options.exclude?.(type.name, field.name)) continue;
    const v = value[field.name];
    if (isDefault(field, v)) continue;
    w.varint(field.id);
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      const start = w.begin("M");
      w.varint(entries.length);
      for (const [key, entry] of entries) {
        w.tagged("s", key);
        scalar(w, field, entry, options);
      }
      w.end(start);
    } else if (field.repeated) {
      const items = v as unknown[];
      const start = w.begin("r");
      w.varint(items.length);
      for (const item of items) scalar(w, field, item, options);
      w.end(start);
    } else {
      scalar(w, field, v, options);
    }
  }
}

/** Canonical bytes of a message of pipeline.proto given as a plain object. */
export function canonicalBytes(typeName: string, value: object, options: CanonicalOptions = {}): Buffer {
  const type = irType(typeName);
  const w = new Writer();
  w.text(`canal.ir.v1.${typeName}\0`, "utf8");
  encodeMessage(w, type, value as Record<string, unknown>, options);
  return w.finish();
}

/** SHA-256 (hex) of the canonical bytes of a message. */
export function canonicalHash(typeName: string, value: object, options: CanonicalOptions = {}): string {
  return hash("sha256", canonicalBytes(typeName, value, options), "hex");
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
  // One call: a Hash object of its own costs more than hashing the few hundred bytes of a key.
  return hash("sha256", framed, "hex");
}

export { canonicalJson } from "./canonical-json.js";

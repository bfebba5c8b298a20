import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { StepClaimHolder } from "@canal/ir";
import type { StoredValue } from "../cache-key.js";
import type { RunEvent } from "../events.js";
import type { Blobs, CacheIndex } from "../orchestrate-options.js";
import type { StepClaims } from "../single-flight.js";

type Blob = { kind: "file"; bytes: Buffer } | { kind: "directory"; files: Map<string, Buffer> };

/**
 * Content-addressed bytes held in memory: the orchestrator's {@link Blobs} for tests. A digest is
 * the SHA-256 of a file's bytes, or of a directory's sorted (path, bytes) pairs; `damage` and
 * `lose` stand for a store whose bytes rotted or went missing.
 */
export class MemoryBlobs implements Blobs {
  private readonly blobs = new Map<string, Blob>();
  private readonly damaged = new Set<string>();
  /** Digests materialised, in order. */
  readonly materialized: string[] = [];
  /** False: a store that reads a file it is asked to move and leaves it there, as S3's does. */
  movesFiles = true;

  async putFile(path: string, options?: { move?: boolean }): Promise<string> {
    const bytes = readFileSync(path);
    const digest = createHash("sha256").update(bytes).digest("hex");
    this.blobs.set(digest, { kind: "file", bytes });
    if (options?.move && this.movesFiles) rmSync(path);
    return digest;
  }

  async putDirectory(path: string, options?: { move?: boolean }): Promise<string> {
    const files = new Map<string, Buffer>();
    const walk = (dir: string, prefix: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : 1,
      )) {
        const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(join(dir, entry.name), relative);
        else files.set(relative, readFileSync(join(dir, entry.name)));
      }
    };
    walk(path, "");
    const hash = createHash("sha256").update("directory\0");
    for (const [relative, bytes] of files) hash.update(`${relative}\0${bytes.length}\0`).update(bytes);
    const digest = hash.digest("hex");
    this.blobs.set(digest, { kind: "directory", files });
    if (options?.move) rmSync(path, { recursive: true, force: true });
    return digest;
  }

  /** Stores bytes as a file blob, as a step's output would be. */
  putBytes(text: string | Buffer): string {
    const bytes = Buffer.from(text);
    const digest = createHash("sha256").update(bytes).digest("hex");
    this.blobs.set(digest, { kind: "file", bytes });
    return digest;
  }

  /** A file blob's text, or a directory's files by relative path. */
  read(digest: string): string | Record<string, string> | undefined {
    const blob = this.blobs.get(digest);
    if (!blob) return undefined;
    if (blob.kind === "file") return blob.bytes.toString();
    return Object.fromEntries([...blob.files].map(([path, bytes]) => [path, bytes.toString()]));
  }

  damage(digest: string): void {
    this.damaged.add(digest);
  }

  lose(digest: string): void {
    this.blobs.delete(digest);
  }

  async verify(digest: string): Promise<"ok" | "missing" | "corrupt"> {
    if (!this.blobs.has(digest)) return "missing";
    return this.damaged.has(digest) ? "corrupt" : "ok";
  }

  async materialize(digest: string, destination: string): Promise<void> {
    const blob = this.blobs.get(digest);
    if (!blob) throw new Error(`blob ${digest} is not in the store`);
    this.materialized.push(digest);
    if (blob.kind === "file") {
      mkdirSync(dirname(destination), { recursive: true });
      writeFileSync(destination, blob.bytes);
      return;
    }
    mkdirSync(destination, { recursive: true });
    for (const [relative, bytes] of blob.files) {
      mkdirSync(dirname(join(destination, relative)), { recursive: true });
      writeFileSync(join(destination, relative), bytes);
    }
  }
}

/** A cache index in memory: cache key -> the outputs of the instance that produced them. */
export class MemoryCache implements CacheIndex {
  readonly entries = new Map<string, Record<string, StoredValue>>();
  readonly invalidated: string[] = [];

  async lookup(key: string): Promise<Record<string, StoredValue> | undefined> {
    return this.entries.get(key);
  }

  /** Keeps what a reusable instance produced, as the store does on its `step-succeeded` event. */
  record(event: RunEvent): void {
    if (event.type === "step-succeeded" && event.reusable) this.entries.set(event.cacheKey, event.outputs);
  }

  async invalidate(key: string): Promise<void> {
    this.invalidated.push(key);
    this.entries.delete(key);
  }
}

/**
 * Claims on cache keys in memory, shared by the runs of a test as a store shares them between
 * drivers (single-flight): `for(runId)` is one run's {@link StepClaims}. A claim lasts until it is
 * released or `expire`d (its driver died): time plays no part, so tests are deterministic.
 */
export class MemoryClaims {
  private readonly held = new Map<string, { holder: StepClaimHolder; expired: boolean }>();
  /** Every claim and release, in order: `claim run-1 KEY won`, `release run-1 KEY`. */
  readonly calls: string[] = [];

  for(runId: string, host = "test-host", pid = 1): StepClaims {
    return {
      claim: async (key) => {
        const now = this.held.get(key);
        if (now && !now.expired) {
          this.calls.push(`claim ${runId} ${key} lost`);
          return { won: false, holder: { ...now.holder } };
        }
        this.held.set(key, {
          holder: { runId, host, pid, claimedAt: Date.now(), expiresInMs: 60_000 },
          expired: false,
        });
        this.calls.push(`claim ${runId} ${key} won`);
        return { won: true };
      },
      release: async (key) => {
        this.calls.push(`release ${runId} ${key}`);
        if (this.held.get(key)?.holder.runId === runId) this.held.delete(key);
      },
    };
  }

  /** The holder's driver stopped renewing the claim: the next claimer takes it over. */
  expire(key: string): void {
    const now = this.held.get(key);
    if (now) now.expired = true;
  }

  /** Who holds `key`, if anyone (expired or not). */
  holder(key: string): StepClaimHolder | undefined {
    return this.held.get(key)?.holder;
  }

  /** The keys claimed and not released. */
  get keys(): string[] {
    return [...this.held.keys()];
  }
}

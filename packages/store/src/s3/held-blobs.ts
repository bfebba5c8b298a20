// Blob bytes an S3 store holds in memory: the small puts still on their way to the bucket
// (`deferSync`), and the latest small puts and verified downloads, kept to materialize from.

// A file up to this size put with `deferSync` is sent in the background, while the bytes of all
// such puts not acknowledged yet stay under DEFERRED_BYTES; beyond it a put waits for its own request.
export const DEFER_MAX = 1024 * 1024;
const DEFERRED_BYTES = 64 * 1024 * 1024;
// The bytes of recent small puts and downloads, each hashed to its digest, kept to materialize
// from: a chain's next step reads what the last wrote, a fan-out's every step the same input.
const RECENT_BYTES = 16 * 1024 * 1024;

/**
 * Puts sent in the background, by digest: durable once flush() returns, which the recorder waits
 * for before it writes a record that names them.
 */
export class DeferredPuts {
  private readonly inFlight = new Map<string, Promise<void>>();
  private bytes = 0;
  /**
   * The first deferred put that failed: every later flush throws it, since a record naming that
   * blob may be waiting for one to pass.
   */
  private failure: unknown;

  /** `store`: the put itself, which fails in Canal's words. */
  constructor(private readonly store: (digest: string, bytes: Buffer) => Promise<void>) {}

  /** Whether a put of `size` bytes may go in the background now. */
  fits(size: number): boolean {
    return size <= DEFER_MAX && this.bytes + size <= DEFERRED_BYTES;
  }

  /** Sends `bytes` as blob `digest` in the background, unless a put of it is on its way. */
  defer(digest: string, bytes: Buffer): void {
    if (this.inFlight.has(digest)) return;
    this.bytes += bytes.byteLength;
    const sent = this.store(digest, bytes).then(
      () => {},
      (error) => {
        this.failure ??= error;
      },
    );
    this.inFlight.set(digest, sent);
    void sent.finally(() => {
      this.inFlight.delete(digest);
      this.bytes -= bytes.byteLength;
    });
  }

  /** Waits for a deferred put of `digest`, if any, so that what follows finds the object. */
  async sent(digest: string): Promise<void> {
    await this.inFlight.get(digest);
  }

  /** Waits for every put deferred so far, whether it succeeded or not. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight.values());
  }

  /** Waits for every put deferred so far, and throws the first that ever failed. */
  async flush(): Promise<void> {
    await this.settled();
    if (this.failure) throw this.failure;
  }
}

/** The bytes of the latest small blobs, oldest first, each already hashed to its digest. */
export class RecentBlobs {
  private readonly held = new Map<string, Buffer>();
  private bytes = 0;

  get(digest: string): Buffer | undefined {
    return this.held.get(digest);
  }

  forget(digest: string): void {
    const old = this.held.get(digest);
    if (!old) return;
    this.held.delete(digest);
    this.bytes -= old.byteLength;
  }

  keep(digest: string, bytes: Buffer): void {
    if (bytes.byteLength > RECENT_BYTES) return;
    const old = this.held.get(digest);
    if (old) {
      this.held.delete(digest);
      this.bytes -= old.byteLength;
    }
    this.held.set(digest, bytes);
    this.bytes += bytes.byteLength;
    for (const [oldest, kept] of this.held) {
      if (this.bytes <= RECENT_BYTES) break;
      this.held.delete(oldest);
      this.bytes -= kept.byteLength;
    }
  }
}

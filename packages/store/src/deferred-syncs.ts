/** Syncs to disk started without being waited for (a blob stored with `deferSync`), until a flush. */
export class DeferredSyncs {
  private readonly syncs = new Set<Promise<void>>();
  private syncFailure: unknown;

  /** Starts `sync`; a failure is kept for the next flush. */
  later(sync: () => Promise<void>): void {
    const pending: Promise<void> = sync()
      .catch((error) => {
        this.syncFailure ??= error;
      })
      .finally(() => this.syncs.delete(pending));
    this.syncs.add(pending);
  }

  /** Waits until every sync started so far is done; throws if one failed since the last flush. */
  async flush(): Promise<void> {
    while (this.syncs.size > 0) await Promise.all(this.syncs);
    const failure = this.syncFailure;
    this.syncFailure = undefined;
    if (failure) throw failure;
  }
}

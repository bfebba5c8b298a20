// Many objects' size and ETag from a few listings instead of one HEAD each (issue #11). A cached
// run checks every output it takes from the cache; on S3 each check was a HEAD, and the AWS SDK
// spends about 1 ms of CPU on a request: 1,000 cached steps, a second. A ListObjectsV2 page gives
// the same facts (key, size, ETag) for up to 1,000 keys, in key order, for the price of ~25 HEADs.

/** What a listing says of one object: what a HEAD of it says. */
export interface ListedObject {
  size: number;
  etag?: string;
}

/** One page of the keys after `startAfter`, in order, and whether more follow it. */
export interface ListPage {
  objects: { key: string; size: number; etag?: string }[];
  truncated: boolean;
}

/** Lists up to `maxKeys` keys after `startAfter` (exclusive; "": from the first) under the prefix. */
export type ListKeys = (startAfter: string, maxKeys: number) => Promise<ListPage>;

export interface ListingOptions {
  /** Keys asked for per page. */
  pageKeys?: number;
  /** What a page costs, in HEADs (the SDK's CPU for one request plus the parsing of its keys). */
  pageCost?: number;
  /** How long a page answers for the objects it listed, in ms from when it was requested. */
  freshMs?: number;
  now?: () => number;
}

// A page of 1,000 keys cost 13 ms of the client's CPU against 0.4–0.9 ms for a HEAD, measured on
// the tests' gateway: about 25 HEADs.
const PAGE_KEYS = 1000;
const PAGE_COST = 25;
// A listing is what the bucket held when it was requested (S3 lists strongly consistently: every
// write acknowledged before the request is in it). An object another machine deletes or replaces
// later is seen by a check for up to this long as it was: the same kind of race as a HEAD followed
// by a read, whose bytes are verified against their digest all the same. A cached run of 1,000
// steps asks its checks within about a second. A server whose listings lag its writes (Ceph's RGW
// lists from a bucket index that a write updates beside the object; a multi-site zone trails the
// others) costs a HEAD for an object written but not listed yet, since only "there, with the ETag
// the journal expects" is taken from a listing; one that still lists a removed or replaced object
// as it was is the race above.
const FRESH_MS = 5000;

interface Range {
  /** The page's keys are after this one (exclusive)... */
  after: string;
  /** ...up to this one (inclusive); undefined: to the end of the prefix. */
  through: string | undefined;
  requestedAt: number;
  objects: Map<string, ListedObject>;
}

interface Waiting {
  key: string;
  resolve: (found: ListedObject | undefined) => void;
}

/**
 * Answers "is this object there, with which ETag" for many keys at once from listings, under a
 * budget: the pages listed never cost more than the lookups asked so far would have cost as HEADs,
 * so a run of a few checks in a bucket of millions of objects lists at most a page or so, and every
 * lookup a page does not answer is left to a HEAD.
 *
 * A lookup is answered only with an object a listing found, requested at most `freshMs` before,
 * and never for a key this process wrote since it started (`forget`): anything else (an object not
 * listed, a stale page, a failed listing) resolves to undefined, and the caller asks with a HEAD.
 * So a listing can only say what a HEAD would have said a moment earlier; "missing" is always a
 * HEAD's answer.
 */
export class ObjectListing {
  private readonly ranges: Range[] = [];
  private waiting: Waiting[] = [];
  private readonly written = new Set<string>();
  /** Lookups asked, and the HEADs' worth of pages listed for them. */
  private asked = 0;
  private spent = 0;
  private scheduled = false;
  private listing = false;
  /** Set when a listing failed (no permission to list, say): from then on every lookup is a HEAD's. */
  private disabled = false;
  private readonly pageKeys: number;
  private readonly pageCost: number;
  private readonly freshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly list: ListKeys,
    options: ListingOptions = {},
  ) {
    this.pageKeys = options.pageKeys ?? PAGE_KEYS;
    this.pageCost = options.pageCost ?? PAGE_COST;
    this.freshMs = options.freshMs ?? FRESH_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** The object at `key` as a fresh listing found it, or undefined: ask a HEAD. */
  lookup(key: string): Promise<ListedObject | undefined> {
    this.asked++;
    if (this.disabled || this.written.has(key)) return Promise.resolve(undefined);
    const range = this.rangeOf(key);
    if (range) return Promise.resolve(range.objects.get(key));
    return new Promise((resolve) => {
      this.waiting.push({ key, resolve });
      this.schedule();
    });
  }

  /** This process writes (or removes) `key`: no listing answers for it any more, whenever it was made. */
  forget(key: string): void {
    this.written.add(key);
  }

  /** The fresh page whose span holds `key`, expired pages dropped on the way. */
  private rangeOf(key: string): Range | undefined {
    const oldest = this.now() - this.freshMs;
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const range = this.ranges[i] as Range;
      if (range.requestedAt < oldest) {
        this.ranges.splice(i, 1);
        continue;
      }
      if (key > range.after && (range.through === undefined || key <= range.through)) return range;
    }
    return undefined;
  }

  /** Lists once this turn's lookups are all asked, so that they share the pages. */
  private schedule(): void {
    if (this.scheduled || this.listing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  /** Lists from the first waiting key while the budget allows; what no page answers goes to a HEAD. */
  private async drain(): Promise<void> {
    this.listing = true;
    try {
      for (;;) {
        this.answerCovered();
        if (this.waiting.length === 0) return;
        if (this.disabled || this.asked - this.spent < this.pageCost) break;
        let first = (this.waiting[0] as Waiting).key;
        for (const { key } of this.waiting) if (key < first) first = key;
        // With nothing listed yet, from the first key: a run asks for its blobs at random places
        // of the key space, and a bucket of a page or two is then read whole. Otherwise from
        // `first` less its last character, which sorts just before it: between the two lie only
        // the keys that differ from `first` in that last character (a few more on the page).
        const after = this.ranges.length === 0 ? "" : first.slice(0, -1);
        this.spent += this.pageCost;
        const requestedAt = this.now();
        let page: ListPage;
        try {
          page = await this.list(after, this.pageKeys);
        } catch {
          this.disabled = true;
          break;
        }
        const last = page.objects.at(-1)?.key;
        if (page.truncated && (last === undefined || last <= after)) {
          // A server that says more follow but gives nothing past `after` would list forever.
          this.disabled = true;
          break;
        }
        const objects = new Map<string, ListedObject>();
        for (const { key, size, etag } of page.objects)
          objects.set(key, etag === undefined ? { size } : { size, etag });
        this.ranges.push({ after, through: page.truncated ? last : undefined, requestedAt, objects });
      }
      for (const waiting of this.waiting) waiting.resolve(undefined);
      this.waiting = [];
    } finally {
      this.listing = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }

  /** Resolves the lookups a fresh page now answers (a key this process wrote meanwhile: a HEAD's). */
  private answerCovered(): void {
    this.waiting = this.waiting.filter((waiting) => {
      if (this.written.has(waiting.key)) {
        waiting.resolve(undefined);
        return false;
      }
      const range = this.rangeOf(waiting.key);
      if (!range) return true;
      waiting.resolve(range.objects.get(waiting.key));
      return false;
    });
  }
}

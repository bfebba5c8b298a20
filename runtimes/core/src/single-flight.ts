// Single-flight (docs/run-control.md): runs that share a store and need the same step instance
// (the same cache key) at the same time execute it once. Before executing a step on a cache miss,
// a run claims the key; a run that loses waits for the holder's result, polling the cache with a
// growing pause, and executes the step itself when the claim goes without a result (the holder
// failed or was canceled, or its driver died and the claim expired).
import type { StepClaimHolder, StepClaimResult } from "@canal/ir";
import type { CachedOrClaim } from "@canal/store";
import type { StoredValue } from "./cache-key.js";

/** Claims on cache keys, shared by every run on one store; bound to one run. */
export interface StepClaims {
  /** One store statement: the claim, or who holds it (maybe this run, for another instance). */
  claim(key: string): Promise<StepClaimResult>;
  /**
   * Lets go of this run's claim once what the step ended with is recorded: a waiter then finds its
   * cache entry, or no entry and no claim.
   */
  release(key: string): Promise<void> | void;
  /**
   * The cache entry under `key`, or where there is none the claim, in one store statement
   * (`lookupOrClaimStep`): what a step likely to miss asks first. A hit takes no claim.
   */
  lookupOrClaim?(key: string): Promise<CachedOrClaim>;
}

/** How a waiting run polls: the first pause, and the longest one (each doubles the last). */
export interface FlightTiming {
  firstMs: number;
  maxMs: number;
}

export const FLIGHT_TIMING: FlightTiming = { firstMs: 50, maxMs: 1000 };

export interface FlightOptions {
  claims: StepClaims;
  key: string;
  /**
   * The cache's outputs under the key, when every blob they name is there; given `entry` (read
   * already, by lookupOrClaim), its blobs are checked instead of the entry being read again.
   */
  lookup(entry?: Record<string, StoredValue>): Promise<Record<string, StoredValue> | undefined>;
  /** The run's cancel signal: a waiting run stops waiting. */
  signal: AbortSignal;
  /** Called when the run starts waiting for a holder, and again for each new one. */
  waiting?(holder: StepClaimHolder): void | Promise<void>;
  timing?: FlightTiming;
  /** The first claim, when it was sent already (see {@link lookupWithClaim}); undefined: it failed. */
  first?: Promise<StepClaimResult | undefined>;
}

export type Flight =
  /** Execute the step. `claimed`: this run holds the claim (release it at the end). */
  | { kind: "execute"; claimed: boolean; after?: StepClaimHolder }
  /** The holder's result arrived: reuse it. */
  | { kind: "cached"; outputs: Record<string, StoredValue>; waitedFor: StepClaimHolder }
  | { kind: "canceled" };

/** Resolves after `ms`, or false at once when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", aborted);
      resolve(ok);
    };
    const aborted = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", aborted);
  });
}

/**
 * After a cache miss: claims the key, or waits for whoever holds it. One store statement when the
 * claim is won at once (the single-user case). A store that cannot be asked (the claim failed)
 * does not stop the run: it executes the step as it would without single-flight.
 */
export async function singleFlight(options: FlightOptions): Promise<Flight> {
  const { claims, key, signal } = options;
  const timing = options.timing ?? FLIGHT_TIMING;
  const claim = () => claimOrNothing(claims, key);
  const first = await (options.first ?? claim());
  if (!first) return { kind: "execute", claimed: false };
  if (first.won) return { kind: "execute", claimed: true };
  let holder = first.holder;
  await options.waiting?.(holder);
  let delay = timing.firstMs;
  for (;;) {
    // Never past the claim's expiry by much: a dead holder's step is taken over soon after.
    const wait = Math.min(delay, Math.max(timing.firstMs, holder.expiresInMs));
    if (!(await pause(wait, signal))) return { kind: "canceled" };
    delay = Math.min(timing.maxMs, delay * 2);
    const outputs = await options.lookup();
    if (outputs) return { kind: "cached", outputs, waitedFor: holder };
    const next = await claim();
    if (!next) return { kind: "execute", claimed: false, after: holder };
    if (next.won) {
      // The holder may have recorded its result and let go between the lookup and the claim.
      const late = await options.lookup();
      if (late) {
        await claims.release(key);
        return { kind: "cached", outputs: late, waitedFor: holder };
      }
      return { kind: "execute", claimed: true, after: holder };
    }
    const changed = next.holder.runId !== holder.runId;
    holder = next.holder;
    if (changed) await options.waiting?.(holder);
  }
}

/** The claim on `key`, or undefined when the store could not be asked. */
async function claimOrNothing(claims: StepClaims, key: string): Promise<StepClaimResult | undefined> {
  try {
    return await claims.claim(key);
  } catch {
    return undefined;
  }
}

/**
 * The cache lookup and the claim at once, for a step that is likely to miss (the one before it
 * missed, or its probe did): one round trip before it starts instead of two. Where the claims can
 * (`lookupOrClaim`), one store statement that claims only on a miss; else the two sent together,
 * on a store whose pool sends them on two connections, a claim won beside a hit let go. A hit is
 * served as a lookup's hit; a miss goes on as {@link singleFlight} with the claim's answer. A lookup
 * that fails lets a claim won go before the error is passed on. Sound as the lookup then the claim
 * is: a claim won before the lookup read means any holder before it let go, after its entry was
 * written, so the lookup finds that entry.
 */
export async function lookupWithClaim(
  options: FlightOptions,
): Promise<Flight | { kind: "hit"; outputs: Record<string, StoredValue> }> {
  const { claims, key } = options;
  if (claims.lookupOrClaim) return lookupOrClaim(options, claims.lookupOrClaim.bind(claims));
  const claiming = claimOrNothing(claims, key);
  const letGo = async () => {
    if ((await claiming)?.won) void Promise.resolve(claims.release(key)).catch(() => {});
  };
  let outputs: Record<string, StoredValue> | undefined;
  try {
    outputs = await options.lookup();
  } catch (error) {
    await letGo();
    throw error;
  }
  if (outputs) {
    await letGo();
    return { kind: "hit", outputs };
  }
  return singleFlight({ ...options, first: claiming });
}

/**
 * What a step asks once it is to run unless the cache has it: `cold`, it is likely to miss and
 * was not looked up yet, else its lookup just missed. Where the claims can, the claim goes with a
 * fresh look in one statement either way, so a holder that recorded its entry and let go after
 * that lookup is found, not run again; else a cold step sends its lookup and claim together and
 * a looked-up one claims.
 */
export function claimAfterMiss(
  options: FlightOptions,
  cold: boolean,
): Promise<Flight | { kind: "hit"; outputs: Record<string, StoredValue> }> {
  return cold || options.claims.lookupOrClaim ? lookupWithClaim(options) : singleFlight(options);
}

/**
 * {@link lookupWithClaim} in one statement. An entry whose blobs turn out damaged (dropped by the
 * lookup) is a miss: the claim is asked then, as after any miss. When the statement fails, the
 * lookup is asked alone (a read, made again while the store is away) and a miss runs unclaimed, as
 * when a claim cannot be made: the claim may have been taken before the answer was lost.
 */
async function lookupOrClaim(
  options: FlightOptions,
  ask: (key: string) => Promise<CachedOrClaim>,
): Promise<Flight | { kind: "hit"; outputs: Record<string, StoredValue> }> {
  let answer: CachedOrClaim;
  try {
    answer = await ask(options.key);
  } catch {
    const outputs = await options.lookup();
    return outputs ? { kind: "hit", outputs } : { kind: "execute", claimed: false };
  }
  if ("claim" in answer) return singleFlight({ ...options, first: Promise.resolve(answer.claim) });
  const outputs = await options.lookup(answer.cached);
  return outputs ? { kind: "hit", outputs } : singleFlight(options);
}

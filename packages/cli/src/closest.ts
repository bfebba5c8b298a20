import { closestNames } from "@canal/ir";

/**
 * The candidate a mistyped `name` most likely meant (a typo, a swapped pair of letters, a name cut
 * short), by the one "did you mean" rule of `@canal/ir`; none when nothing is that close.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  return closestNames(name, candidates)[0];
}

/**
 * "Did you mean" for a mistyped name: the known names closest to what was given. One helper for
 * every place a name is looked up (commands, options, steps, outputs, parameters), so they all
 * suggest alike.
 */

/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = [];
  for (let i = 0; i <= s.length; i++) rows.push([i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 0; j <= t.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= s.length; i++) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[s.length] as number[])[t.length] as number;
}

/**
 * The known names close enough to `given` to be what was meant, closest first (ties in the order
 * given). Close enough: a third of the name's letters wrong at most (at least one), or `given` is
 * the start of a longer name.
 */
export function closestNames(given: string, known: Iterable<string>): string[] {
  const limit = Math.max(1, Math.floor(given.length / 3));
  const scored: Array<{ name: string; distance: number }> = [];
  for (const name of new Set(known)) {
    if (name === given) continue;
    const distance = editDistance(given, name);
    const prefix = given.length >= 2 && name.toLowerCase().startsWith(given.toLowerCase());
    // A name cut short ranks just after the names within reach.
    if (distance <= limit) scored.push({ name, distance });
    else if (prefix) scored.push({ name, distance: limit + 0.5 });
  }
  scored.sort((a, b) => a.distance - b.distance);
  const best = scored[0]?.distance;
  return scored.filter((s) => s.distance === best).map((s) => s.name);
}

/**
 * `"; did you mean `target`?"` for a message that names an unknown `given`, or "" when nothing
 * known is close. `quote` writes a name as the message shows it (default: in backquotes).
 *
 * @example
 * ```ts
 * `unknown option --targt${didYouMean("--targt", ["--target", "--profile"], (n) => n)}`
 * // "unknown option --targt; did you mean --target?"
 * ```
 */
export function didYouMean(
  given: string,
  known: Iterable<string>,
  quote: (name: string) => string = (name) => `\`${name}\``,
): string {
  const close = closestNames(given, known).slice(0, 3);
  if (close.length === 0) return "";
  return `; did you mean ${close.map(quote).join(" or ")}?`;
}

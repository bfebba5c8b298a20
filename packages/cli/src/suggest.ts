/**
 * "; did you mean `train`?" for a name that was not found, or "". The helper lives in @canal/ir
 * (the compiler and the runtimes suggest with it too); it is loaded only when a name was not
 * found, so commands that never miss one do not load the IR.
 */
export async function suggestion(
  given: string,
  known: Iterable<string>,
  quote?: (name: string) => string,
): Promise<string> {
  const { didYouMean } = await import("@canal/ir");
  return didYouMean(given, known, quote);
}

/** A step name as a user gives it ("train[2]") without its fan-out index. */
export const stepIdOf = (name: string): string => name.replace(/\[\d+\]$/, "");

/** This compiler's version, recorded in every artifact. */
export const COMPILER_VERSION = "0.1.0";
/** The oldest runtime that can execute what this compiler writes. */
export const MIN_RUNTIME_VERSION = "0.1.0";

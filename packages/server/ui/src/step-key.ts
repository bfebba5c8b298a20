// The key of a step instance, in a module of its own: it reads no browser global, so the chart's
// data (chart-data.ts, unit-tested outside a browser) and the pages share one definition.

/** The key of a step instance, as the CLI writes it: `train[2]`, or `prepare`. */
export const stepKey = (s: { stepId: string; instance: number }) =>
  s.instance >= 0 ? `${s.stepId}[${s.instance}]` : s.stepId;

// The columns of the iris tables: what the raw data holds, and what scoring adds. Canal checks a
// table against them when it arrives, and the compiler checks that each step gets the columns it
// declares (docs/tables.md).
import { z } from "zod";

/** One measured flower. */
export const IrisRow = z.object({
  sepal_length: z.number(),
  sepal_width: z.number(),
  petal_length: z.number(),
  petal_width: z.number(),
  species: z.string(),
});

/** A flower with the species the chosen model predicts for it. */
export const Prediction = IrisRow.extend({ predicted: z.string() });

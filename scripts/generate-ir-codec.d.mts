/** The path of ir/src/pipeline.generated.ts. */
export const generatedPath: string;
/** The text of pipeline.generated.ts for the .proto as it is now. */
export function generateIrCodec(): Promise<string>;

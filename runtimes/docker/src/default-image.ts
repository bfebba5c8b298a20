/** The image used when neither the target nor the environment names one. */
export const DEFAULT_IMAGE = "canal-base:latest";

/**
 * Environments: where a step's code runs. A runtime builds each distinct environment once (a
 * virtualenv, an image) and caches it by the environment's content hash.
 *
 * Declare them as module-level constants with literal arguments: `canal compile` reads them
 * statically and hashes them (a requirements file's contents included).
 */
export interface EnvironmentVariables {
  [name: string]: string;
}

export interface PythonEnvironmentOptions {
  /** Python version, e.g. "3.11". Default: the runtime's interpreter. */
  version?: string;
  /** A pip requirements file, relative to the pipeline's source file. */
  requirements?: string;
  /** Extra pip requirement specifiers, e.g. ["scikit-learn>=1.2"]. */
  packages?: string[];
  variables?: EnvironmentVariables;
}

export interface NodeEnvironmentOptions {
  /** Node.js major version, e.g. "20". Default: the runtime's node. */
  version?: string;
  variables?: EnvironmentVariables;
}

export interface ImageEnvironmentOptions {
  variables?: EnvironmentVariables;
}

export type Environment =
  | ({ readonly kind: "python" } & Readonly<PythonEnvironmentOptions>)
  | ({ readonly kind: "node" } & Readonly<NodeEnvironmentOptions>)
  | ({ readonly kind: "image"; readonly image: string } & Readonly<ImageEnvironmentOptions>);

export const env = {
  /** A Python environment (AzureML `Environment.from_pip_requirements`). */
  python(options: PythonEnvironmentOptions = {}): Environment {
    return Object.freeze({ kind: "python" as const, ...options });
  },
  /** A Node.js environment: the default for TypeScript steps. */
  node(options: NodeEnvironmentOptions = {}): Environment {
    return Object.freeze({ kind: "node" as const, ...options });
  },
  /** A container image, e.g. "python:3.12-slim", used as it is. */
  image(image: string, options: ImageEnvironmentOptions = {}): Environment {
    return Object.freeze({ kind: "image" as const, image, ...options });
  },
};

// What `canal serve` keeps: API tokens and the endpoints of published pipelines.

/** What a token of `canal serve` may do: read; also start, cancel and rerun runs; also manage. */
export type TokenRole = "viewer" | "launcher" | "admin";

/** An API token as listed: never its secret, which only its creator saw once. */
export interface ApiToken {
  /** `tok-` and 12 hex digits: what `canal tokens revoke` takes. */
  id: string;
  role: TokenRole;
  /** A launcher token scoped to one endpoint starts runs of that endpoint only. */
  endpoint?: string;
  /** A label for people (`--name`). */
  name?: string;
  createdBy?: string;
  createdAt: number;
  revokedAt?: number;
}

export interface NewApiToken {
  id: string;
  /** sha256 hex of the secret: the store never holds the secret itself. */
  hash: string;
  role: TokenRole;
  endpoint?: string;
  name?: string;
  createdBy?: string;
  createdAt?: number;
}

/** One published version of an endpoint: a pipeline version behind a name (AzureML PipelineEndpoint). */
export interface EndpointVersion {
  /** 1, 2, 3… per endpoint, in the order they were published. */
  version: number;
  pipelineVersionId: number;
  pipeline: string;
  pipelineVersion: number;
  pipelineHash: string;
  publishedBy?: string;
  publishedAt: number;
}

export interface Endpoint {
  name: string;
  /** The version a request that names none runs. */
  defaultVersion: number;
  createdAt: number;
  /** Oldest first. */
  versions: EndpointVersion[];
}

export interface NewEndpointVersion {
  endpoint: string;
  pipelineVersionId: number;
  /** Make it the default version; the first version of an endpoint always is. */
  makeDefault?: boolean;
  publishedBy?: string;
  publishedAt?: number;
}

/** Published endpoints and the tokens of `canal serve`: records of the workspace, like runs. */
export interface ServiceRecords {
  /** Adds a version to endpoint `endpoint` (created when new); returns the endpoint as it now is. */
  publishEndpoint(version: NewEndpointVersion): Promise<Endpoint>;
  /** Every endpoint with its versions, by name: one read. */
  listEndpoints(): Promise<Endpoint[]>;
  getEndpoint(name: string): Promise<Endpoint | undefined>;
  /** Makes `version` the default of endpoint `name`; undefined when it has no such version. */
  setDefaultVersion(name: string, version: number): Promise<Endpoint | undefined>;
  createToken(token: NewApiToken): Promise<ApiToken>;
  /** Every token, revoked ones too, oldest first. */
  listTokens(): Promise<ApiToken[]>;
  /** The token whose secret hashes to `hash`, unless it is revoked. */
  findToken(hash: string): Promise<ApiToken | undefined>;
  /** Revokes it (idempotent); undefined when there is no such token. */
  revokeToken(id: string): Promise<ApiToken | undefined>;
}

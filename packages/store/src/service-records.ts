// Endpoints and API tokens (docs/server.md), as SQL both backends run: statements written with `?`
// placeholders, which the PostgreSQL side numbers ($1, $2…). A few rows per workspace, read whole.
import { StoreError } from "./errors.js";
import type {
  ApiToken,
  Endpoint,
  EndpointVersion,
  NewApiToken,
  NewEndpointVersion,
  ServiceRecords,
  TokenRole,
} from "./types.js";

/**
 * Runs one statement and returns its rows (none for a write). PostgreSQL sends each text as a named
 * prepared statement, parsed and planned once per connection; `built` marks a text made from which
 * fields a call gives (a SET list of any of a schedule's columns), of which there could be hundreds:
 * those are sent unnamed.
 */
export type Sql = <T>(sql: string, params?: unknown[], built?: boolean) => Promise<T[]>;

export interface ServiceBackend {
  workspaceId: number;
  /** How errors name the workspace. */
  location: string;
  /** Reads outside a unit. */
  read: Sql;
  /** What locks a selected row until the unit ends (" FOR UPDATE"); SQLite's units hold the write lock anyway. */
  lockRow?: string;
  /** Runs `work` as one transaction. */
  unit<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
}

interface EndpointRow {
  name: string;
  default_version: number;
  created_at: number;
  version: number | null;
  pipeline_version_id: number | null;
  pipeline: string | null;
  pipeline_version: number | null;
  pipeline_hash: string | null;
  published_by: string | null;
  published_at: number | null;
}

interface TokenRow {
  id: string;
  role: TokenRole;
  endpoint: string | null;
  name: string | null;
  created_by: string | null;
  created_at: number;
  revoked_at: number | null;
}

const ENDPOINT_SELECT = `SELECT e.name, e.default_version, e.created_at, ev.version, ev.pipeline_version_id,
    p.name AS pipeline, pv.version AS pipeline_version, pv.hash AS pipeline_hash, ev.published_by, ev.published_at
  FROM endpoints e
  LEFT JOIN endpoint_versions ev ON ev.endpoint_id = e.id
  LEFT JOIN pipeline_versions pv ON pv.id = ev.pipeline_version_id
  LEFT JOIN pipelines p ON p.id = pv.pipeline_id
  WHERE e.workspace_id = ?`;

const TOKEN_SELECT =
  "SELECT id, role, endpoint, name, created_by, created_at, revoked_at FROM api_tokens WHERE workspace_id = ?";

function toEndpoints(rows: EndpointRow[]): Endpoint[] {
  const endpoints = new Map<string, Endpoint>();
  for (const row of rows) {
    let endpoint = endpoints.get(row.name);
    if (!endpoint) {
      endpoint = {
        name: row.name,
        defaultVersion: row.default_version,
        createdAt: row.created_at,
        versions: [],
      };
      endpoints.set(row.name, endpoint);
    }
    if (row.version === null) continue;
    const version: EndpointVersion = {
      version: row.version,
      pipelineVersionId: row.pipeline_version_id as number,
      pipeline: row.pipeline as string,
      pipelineVersion: row.pipeline_version as number,
      pipelineHash: row.pipeline_hash as string,
      publishedAt: row.published_at as number,
      ...(row.published_by ? { publishedBy: row.published_by } : {}),
    };
    endpoint.versions.push(version);
  }
  return [...endpoints.values()];
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    role: row.role,
    createdAt: row.created_at,
    ...(row.endpoint ? { endpoint: row.endpoint } : {}),
    ...(row.name ? { name: row.name } : {}),
    ...(row.created_by ? { createdBy: row.created_by } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}

/** `ServiceRecords` over a backend's statements. */
export class ServiceStore implements ServiceRecords {
  constructor(private readonly backend: ServiceBackend) {}

  async publishEndpoint(version: NewEndpointVersion): Promise<Endpoint> {
    const { workspaceId } = this.backend;
    const at = version.publishedAt ?? Date.now();
    await this.backend.unit(async (sql) => {
      const known = await sql<{ id: number }>(
        `SELECT pv.id FROM pipeline_versions pv JOIN pipelines p ON p.id = pv.pipeline_id
         WHERE pv.id = ? AND p.workspace_id = ?`,
        [version.pipelineVersionId, workspaceId],
      );
      if (known.length === 0)
        throw new StoreError(
          "CANAL_STORE_PIPELINE_VERSION_NOT_FOUND",
          `no pipeline version #${version.pipelineVersionId} in workspace ${this.backend.location}; register it first`,
        );
      await sql(
        `INSERT INTO endpoints (workspace_id, name, default_version, created_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (workspace_id, name) DO NOTHING`,
        [workspaceId, version.endpoint, at],
      );
      // The endpoint's row, locked (PostgreSQL) so that concurrent publishers number in turn.
      const [endpoint] = await sql<{ id: number }>(
        `SELECT id FROM endpoints WHERE workspace_id = ? AND name = ?${this.backend.lockRow ?? ""}`,
        [workspaceId, version.endpoint],
      );
      const { id } = endpoint as { id: number };
      const [last] = await sql<{ next: number }>(
        "SELECT coalesce(max(version), 0) + 1 AS next FROM endpoint_versions WHERE endpoint_id = ?",
        [id],
      );
      const next = Number((last as { next: number }).next);
      await sql(
        `INSERT INTO endpoint_versions (endpoint_id, version, pipeline_version_id, published_by, published_at)
         VALUES (?, ?, ?, ?, ?)`,
        [id, next, version.pipelineVersionId, version.publishedBy ?? null, at],
      );
      if (version.makeDefault || next === 1)
        await sql("UPDATE endpoints SET default_version = ? WHERE id = ?", [next, id]);
    });
    return (await this.getEndpoint(version.endpoint)) as Endpoint;
  }

  async listEndpoints(): Promise<Endpoint[]> {
    const rows = await this.backend.read<EndpointRow>(`${ENDPOINT_SELECT} ORDER BY e.name, ev.version`, [
      this.backend.workspaceId,
    ]);
    return toEndpoints(rows);
  }

  async getEndpoint(name: string): Promise<Endpoint | undefined> {
    const rows = await this.backend.read<EndpointRow>(
      `${ENDPOINT_SELECT} AND e.name = ? ORDER BY ev.version`,
      [this.backend.workspaceId, name],
    );
    return toEndpoints(rows)[0];
  }

  async setDefaultVersion(name: string, version: number): Promise<Endpoint | undefined> {
    const endpoint = await this.getEndpoint(name);
    if (!endpoint?.versions.some((v) => v.version === version)) return undefined;
    await this.backend.unit((sql) =>
      sql("UPDATE endpoints SET default_version = ? WHERE workspace_id = ? AND name = ?", [
        version,
        this.backend.workspaceId,
        name,
      ]),
    );
    return this.getEndpoint(name);
  }

  async createToken(token: NewApiToken): Promise<ApiToken> {
    await this.backend.unit((sql) =>
      sql(
        `INSERT INTO api_tokens (id, workspace_id, hash, role, endpoint, name, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          token.id,
          this.backend.workspaceId,
          token.hash,
          token.role,
          token.endpoint ?? null,
          token.name ?? null,
          token.createdBy ?? null,
          token.createdAt ?? Date.now(),
        ],
      ),
    );
    const [row] = await this.backend.read<TokenRow>(`${TOKEN_SELECT} AND id = ?`, [
      this.backend.workspaceId,
      token.id,
    ]);
    return toToken(row as TokenRow);
  }

  async listTokens(): Promise<ApiToken[]> {
    const rows = await this.backend.read<TokenRow>(`${TOKEN_SELECT} ORDER BY created_at, id`, [
      this.backend.workspaceId,
    ]);
    return rows.map(toToken);
  }

  async findToken(hash: string): Promise<ApiToken | undefined> {
    const [row] = await this.backend.read<TokenRow>(`${TOKEN_SELECT} AND hash = ? AND revoked_at IS NULL`, [
      this.backend.workspaceId,
      hash,
    ]);
    return row ? toToken(row) : undefined;
  }

  async revokeToken(id: string): Promise<ApiToken | undefined> {
    await this.backend.unit((sql) =>
      sql("UPDATE api_tokens SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL", [
        Date.now(),
        this.backend.workspaceId,
        id,
      ]),
    );
    const [row] = await this.backend.read<TokenRow>(`${TOKEN_SELECT} AND id = ?`, [
      this.backend.workspaceId,
      id,
    ]);
    return row ? toToken(row) : undefined;
  }
}

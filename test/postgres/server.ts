// The tests' PostgreSQL server lives in test/services/postgres.mjs, where benchmarks (plain Node)
// can import it too.
export type { PostgresServer } from "../services/postgres.mjs";
export { startPostgres } from "../services/postgres.mjs";

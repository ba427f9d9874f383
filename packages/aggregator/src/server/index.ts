/**
 * @pinhole/aggregator/server: the HTTP server around the release engine (Node only: Fastify,
 * SQLite). `startServer` is what `pinhole-aggregator serve` runs.
 */
export { type ServeOptions, type RunningServer, DEFAULTS, startServer, deployPlan } from './serve.js';
export { type Storage, type StoredPlan, type StoredRound, type RoundStatus, type ReportRow, type CommitOutcome, type ReleaseSummary } from './storage.js';
export { openSqliteStorage } from './sqlite.js';
export { type Problem, type ProblemCode, STATUS_OF, TRANSPORT_CODES, PROBLEM_TYPE } from './problem.js';
export { API_VERSION, MSGPACK_TYPES, registeredRoutes } from './app.js';
export { negotiate } from './release-routes.js';
export { RELEASE_CSV_COLUMNS, releaseCsv } from './csv.js';
export { MIN_TOKEN_LENGTH } from './access.js';

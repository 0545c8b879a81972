-- Retention: indexes that let the retention pass find what is past its horizon without reading
-- whole tables, and one row per background job that a single process at a time may run (its lease)
-- with the report of its last run. Times are unix seconds (identity_sessions: epoch milliseconds).
-- Building an index here holds back writers to its table while it is built: on a large database,
-- build them first with CREATE INDEX CONCURRENTLY under these names (docs/operations.md), and these
-- statements find them there.
CREATE INDEX IF NOT EXISTS messages_expiring ON messages (expires_at) WHERE payload IS NOT NULL;
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE INDEX IF NOT EXISTS identity_sessions_expire ON identity_sessions (expire_at);

CREATE TABLE IF NOT EXISTS ops_runs (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    report TEXT NOT NULL DEFAULT '{}'
);

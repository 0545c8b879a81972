-- Retention: indexes that let the retention pass find what is past its horizon without reading
-- whole tables, and one row per background job that a single process at a time may run (its lease)
-- with the report of its last run. Times are unix seconds (identity_sessions: epoch milliseconds).
-- Payloads still held, by when they expire: the index shrinks as payloads are expunged.
CREATE INDEX IF NOT EXISTS messages_expiring ON messages (expires_at) WHERE payload IS NOT NULL;
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE INDEX IF NOT EXISTS identity_sessions_expire ON identity_sessions (expire_at);

CREATE TABLE IF NOT EXISTS ops_runs (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    report TEXT NOT NULL DEFAULT '{}'
);

-- Server-side sessions, so that signing out, logging out and expire-all end them at once, and the
-- counters of failed password checks that every sign-in path shares. Credentials are stored only as
-- their SHA-256. Times are unix seconds.
CREATE TABLE dashboard_sessions (
    token_sha256 TEXT PRIMARY KEY,
    who TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL
);
CREATE INDEX dashboard_sessions_who ON dashboard_sessions (who);

CREATE TABLE portal_sessions (
    token_sha256 TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    session_id TEXT,
    read_only INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL
);
CREATE INDEX portal_sessions_app ON portal_sessions (app_id, created_at);

-- One row per counted key: a client address, an account at an address, sign-ups from an address.
CREATE TABLE auth_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start REAL NOT NULL,
    locked_until REAL
);
CREATE INDEX auth_failures_window ON auth_failures (window_start);

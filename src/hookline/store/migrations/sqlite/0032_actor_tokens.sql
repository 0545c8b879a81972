-- Impersonation (Backend API actor_tokens): the tokens, stored as SHA-256, and the actor of each
-- session one of them opened. Times are epoch milliseconds.
CREATE TABLE identity_actor_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    expire_at BIGINT NOT NULL,
    session_max_seconds INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE identity_session_actors (
    session_id TEXT PRIMARY KEY REFERENCES identity_sessions(id) ON DELETE CASCADE,
    actor TEXT NOT NULL
);

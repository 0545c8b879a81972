-- Relay channels (`hookline listen`, smee-client) and issued API tokens. Both tokens are stored only
-- as their SHA-256, so a leaked database leaks no usable token. Times are unix seconds.
CREATE TABLE relay_channels (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at DOUBLE PRECISION NOT NULL,
    last_used_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX relay_channels_last_used ON relay_channels (last_used_at);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    revoked_at DOUBLE PRECISION
);

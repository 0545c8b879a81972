-- JWT templates (Backend API jwt_templates): named claim sets that sessions.create_token_from_template
-- signs with the instance key. Times are epoch milliseconds.
CREATE TABLE identity_jwt_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    claims TEXT NOT NULL,
    lifetime INTEGER NOT NULL,
    allowed_clock_skew INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

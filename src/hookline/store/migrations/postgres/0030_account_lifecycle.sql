-- Account lifecycle: one-time codes (email verification, password reset, a sign-in waiting for its
-- second factor) and each user's second factors. Codes and tokens are stored only as SHA-256; the
-- TOTP secret is sealed with the store's encryption key. Times are epoch milliseconds.
CREATE TABLE identity_codes (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    email_address_id TEXT,
    code_sha256 TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}',
    expire_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX identity_codes_user ON identity_codes (user_id, purpose, created_at);

CREATE TABLE identity_mfa (
    user_id TEXT PRIMARY KEY REFERENCES identity_users(id) ON DELETE CASCADE,
    totp_secret TEXT,
    totp_verified INTEGER NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    backup_codes TEXT NOT NULL DEFAULT '[]',
    enabled_at BIGINT,
    disabled_at BIGINT,
    updated_at BIGINT NOT NULL
);

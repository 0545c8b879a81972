-- OAuth applications (Clerk's "OAuth applications"): hookline as an OAuth 2.0 / OpenID Connect provider.
-- Times are epoch milliseconds; client secrets, codes and tokens are stored only as their SHA-256.
CREATE TABLE oauth_applications (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    client_secret_sha256 TEXT,
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    scopes TEXT NOT NULL,
    consent_screen_enabled INTEGER NOT NULL,
    pkce_required INTEGER NOT NULL,
    public INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX oauth_applications_created ON oauth_applications (created_at, id);

-- One row per authorization code; used_at is set by the one exchange that wins.
CREATE TABLE oauth_codes (
    code_sha256 TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES oauth_applications(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    redirect_uri TEXT,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oauth_codes_nonce ON oauth_codes (application_id, nonce);

-- Access and refresh tokens; grant_id ties together every token descended from one authorization,
-- so that revoking one (or replaying a code or a rotated refresh token) revokes them all.
CREATE TABLE oauth_tokens (
    id TEXT PRIMARY KEY,
    access_token_sha256 TEXT NOT NULL UNIQUE,
    refresh_token_sha256 TEXT UNIQUE,
    application_id TEXT NOT NULL REFERENCES oauth_applications(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    grant_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    refresh_expires_at BIGINT,
    refreshed_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);

-- What a user has agreed to let an application have (the consent screen is shown once per scope set).
CREATE TABLE oauth_consents (
    application_id TEXT NOT NULL REFERENCES oauth_applications(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

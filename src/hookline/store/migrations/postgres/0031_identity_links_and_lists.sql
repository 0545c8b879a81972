-- The Backend API's allowlist and blocklist of sign-up identifiers, redirect URLs, invitations and
-- sign-in tokens. Invitation and sign-in-token secrets are stored only as SHA-256. Times are epoch ms.
CREATE TABLE identity_identifier_rules (
    id TEXT PRIMARY KEY,
    list TEXT NOT NULL,
    identifier TEXT NOT NULL,
    identifier_type TEXT NOT NULL,
    invitation_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (list, identifier)
);

CREATE TABLE identity_redirect_urls (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE identity_invitations (
    id TEXT PRIMARY KEY,
    email_address TEXT NOT NULL,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    redirect_url TEXT,
    status TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_invitations_email ON identity_invitations (email_address, status);

CREATE TABLE identity_sign_in_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    expire_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_sign_in_tokens_user ON identity_sign_in_tokens (user_id, created_at);

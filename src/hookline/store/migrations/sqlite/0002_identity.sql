-- Identity: users, their email addresses and sessions. Times are epoch milliseconds (BIGINT, as Clerk
-- sends them; PostgreSQL's INTEGER is 32-bit). Secrets are stored only as hashes.
CREATE TABLE identity_users (
    id TEXT PRIMARY KEY,
    external_id TEXT,
    username TEXT UNIQUE,
    first_name TEXT,
    last_name TEXT,
    locale TEXT,
    primary_email_address_id TEXT,
    password_hash TEXT,
    password_last_updated_at BIGINT,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    unsafe_metadata TEXT NOT NULL DEFAULT '{}',
    banned INTEGER NOT NULL DEFAULT 0,
    locked INTEGER NOT NULL DEFAULT 0,
    lockout_until BIGINT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    delete_self_enabled INTEGER NOT NULL DEFAULT 1,
    create_organization_enabled INTEGER NOT NULL DEFAULT 1,
    legal_accepted_at BIGINT,
    last_sign_in_at BIGINT,
    last_active_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_users_created ON identity_users (created_at, id);
CREATE INDEX identity_users_external ON identity_users (external_id);

CREATE TABLE identity_email_addresses (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    email_address TEXT NOT NULL UNIQUE,
    verification_status TEXT NOT NULL,
    verification_strategy TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_email_addresses_user ON identity_email_addresses (user_id, created_at);

CREATE TABLE identity_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    client_ip TEXT,
    user_agent TEXT,
    last_active_at BIGINT NOT NULL,
    expire_at BIGINT NOT NULL,
    abandon_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_sessions_user ON identity_sessions (user_id, created_at);

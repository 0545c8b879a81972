-- Organizations (Backend API organizations, organization_memberships, organization_invitations,
-- organization_roles, organization_permissions, organization_domains) and each session's active
-- organization. Rows go with their organization, user or session when it is deleted. Times are epoch
-- milliseconds; metadata is JSON text.
CREATE TABLE identity_organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    max_allowed_memberships INTEGER NOT NULL DEFAULT 0,
    admin_delete_enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    logo_digest TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_organizations_created ON identity_organizations (created_at, id);

CREATE TABLE identity_organization_logos (
    organization_id TEXT PRIMARY KEY REFERENCES identity_organizations(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL
);

CREATE TABLE identity_organization_permissions (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE identity_organization_roles (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    is_creator_eligible INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE identity_organization_role_permissions (
    role_id TEXT NOT NULL REFERENCES identity_organization_roles(id) ON DELETE CASCADE,
    permission_id TEXT NOT NULL REFERENCES identity_organization_permissions(id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);

CREATE TABLE identity_organization_memberships (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES identity_organizations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX identity_organization_memberships_user ON identity_organization_memberships (user_id, created_at);

CREATE TABLE identity_organization_invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES identity_organizations(id) ON DELETE CASCADE,
    email_address TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    inviter_id TEXT,
    user_id TEXT,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    redirect_url TEXT,
    token_sha256 TEXT UNIQUE,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_organization_invitations_org ON identity_organization_invitations (organization_id, created_at);
CREATE INDEX identity_organization_invitations_email ON identity_organization_invitations (email_address, status);

CREATE TABLE identity_organization_domains (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES identity_organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE,
    enrollment_mode TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    affiliation_email_address TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_organization_domains_org ON identity_organization_domains (organization_id, created_at);

CREATE TABLE identity_session_organizations (
    session_id TEXT PRIMARY KEY REFERENCES identity_sessions(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES identity_organizations(id) ON DELETE CASCADE
);

-- Clerk's system permissions and its two default roles: an admin has every system permission, a member may read
-- the members list.
INSERT INTO identity_organization_permissions (id, key, name, description, type, created_at, updated_at) VALUES
    ('perm_sys_profile_manage', 'org:sys_profile:manage', 'Manage organization', 'Permission to manage an organization.', 'system', 0, 0),
    ('perm_sys_profile_delete', 'org:sys_profile:delete', 'Delete organization', 'Permission to delete an organization.', 'system', 0, 0),
    ('perm_sys_memberships_read', 'org:sys_memberships:read', 'Read members', 'Permission to read the members of an organization.', 'system', 0, 0),
    ('perm_sys_memberships_manage', 'org:sys_memberships:manage', 'Manage members', 'Permission to manage the members of an organization.', 'system', 0, 0),
    ('perm_sys_domains_read', 'org:sys_domains:read', 'Read domains', 'Permission to read the domains of an organization.', 'system', 0, 0),
    ('perm_sys_domains_manage', 'org:sys_domains:manage', 'Manage domains', 'Permission to manage the domains of an organization.', 'system', 0, 0);
INSERT INTO identity_organization_roles (id, key, name, description, is_creator_eligible, created_at, updated_at) VALUES
    ('role_admin', 'org:admin', 'Admin', 'Role with elevated permissions in the organization.', 1, 0, 0),
    ('role_member', 'org:member', 'Member', 'Role with non-elevated permissions in the organization.', 0, 0, 0);
INSERT INTO identity_organization_role_permissions (role_id, permission_id) VALUES
    ('role_admin', 'perm_sys_profile_manage'),
    ('role_admin', 'perm_sys_profile_delete'),
    ('role_admin', 'perm_sys_memberships_read'),
    ('role_admin', 'perm_sys_memberships_manage'),
    ('role_admin', 'perm_sys_domains_read'),
    ('role_admin', 'perm_sys_domains_manage'),
    ('role_member', 'perm_sys_memberships_read');

-- The organization an OAuth grant acts for (the user's active organization at consent, when the client
-- asked for the user:org:read scope); its codes and tokens carry it.
ALTER TABLE oauth_codes ADD COLUMN organization_id TEXT;
ALTER TABLE oauth_tokens ADD COLUMN organization_id TEXT;

-- What an app-portal token may do (Svix's capabilities, a JSON list; NULL on older rows: all, or
-- ViewBase alone when read_only) and the feature flags whose event types it may see (a JSON list;
-- NULL: none, so only event types without a flag).
ALTER TABLE portal_sessions ADD COLUMN capabilities TEXT;
ALTER TABLE portal_sessions ADD COLUMN feature_flags TEXT;

-- Svix's endpoint version (at least 1; 1 when not set), stored and answered as svix-server does.
ALTER TABLE endpoints ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

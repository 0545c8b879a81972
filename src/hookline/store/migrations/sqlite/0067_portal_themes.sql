-- The portal's look per application, as the operator set it (name, logo URL, primary colour, light or
-- dark, font); a link's own theme parameters win over it.
CREATE TABLE portal_themes (
    app_id TEXT PRIMARY KEY,
    theme TEXT NOT NULL,
    updated_at REAL NOT NULL
);

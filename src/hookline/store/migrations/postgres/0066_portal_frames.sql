-- Page keys of the app portal: a portal opened in a browser carries one of these in its URLs instead
-- of a cookie (a cross-site iframe sends no cookie). Each is a random value whose SHA-256 is kept,
-- tied to the portal token it was made from, so logout and expire-all of that token end it too.
CREATE TABLE portal_frames (
    key_sha256 TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    theme TEXT -- the look the link asked for (JSON: name, logo, colour, mode, font); NULL: the application's
);
CREATE INDEX portal_frames_expiry ON portal_frames (expires_at);

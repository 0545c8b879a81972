-- Profile images (Backend API users.set_profile_image): one per user, kept in the database and served
-- by hookline itself. Removed with their user by the store (no foreign key: a user's deletion stays
-- one statement per table). Times are epoch milliseconds.
CREATE TABLE identity_profile_images (
    user_id TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- users.set_password_compromised: when the password was marked compromised (NULL: it is not); a
-- sign-in with it is refused until the password is reset
ALTER TABLE identity_users ADD COLUMN password_compromised_at BIGINT;

-- Columns that hold another row's id now sort and compare like the ids they hold (COLLATE "C").
-- A comparison of a "C" id with a column of the database's default collation is made in "C", and an
-- index of the default collation cannot serve it: the accept look-up read every endpoint, and every
-- signing secret once per endpoint, instead of the application's few; message filters that look for
-- a message's dispatches read the whole dispatch table per message. Only the indexes on these columns
-- are rebuilt (the tables are not rewritten), under a lock that holds their writers back meanwhile.
ALTER TABLE endpoints ALTER COLUMN app_id TYPE TEXT COLLATE "C";
ALTER TABLE endpoint_secrets ALTER COLUMN endpoint_id TYPE TEXT COLLATE "C";
ALTER TABLE messages ALTER COLUMN app_id TYPE TEXT COLLATE "C";
ALTER TABLE dispatches ALTER COLUMN msg_id TYPE TEXT COLLATE "C", ALTER COLUMN endpoint_id TYPE TEXT COLLATE "C",
    ALTER COLUMN app_id TYPE TEXT COLLATE "C";
ALTER TABLE attempts ALTER COLUMN msg_id TYPE TEXT COLLATE "C", ALTER COLUMN endpoint_id TYPE TEXT COLLATE "C",
    ALTER COLUMN app_id TYPE TEXT COLLATE "C";
ALTER TABLE identity_users ALTER COLUMN primary_email_address_id TYPE TEXT COLLATE "C";
ALTER TABLE identity_email_addresses ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE identity_sessions ALTER COLUMN user_id TYPE TEXT COLLATE "C";

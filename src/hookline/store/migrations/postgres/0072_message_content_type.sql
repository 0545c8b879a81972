-- A message sent with Svix's raw payload (transformationsParams.rawPayload) is delivered byte for byte,
-- with the Content-Type its sender gave; NULL for every other message (application/json).
ALTER TABLE messages ADD COLUMN content_type TEXT;

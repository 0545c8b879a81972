-- The response headers of each attempt (a JSON object, at most 50, values cut at 1 KiB, no Set-Cookie),
-- for the dashboard's attempt page; NULL on attempts made before they were kept.
ALTER TABLE attempts ADD COLUMN response_headers TEXT;

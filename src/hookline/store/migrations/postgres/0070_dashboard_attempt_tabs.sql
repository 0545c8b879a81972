-- The endpoint page's "succeeded" and "failed" tabs (and their counts) read an endpoint's attempts of one
-- status, newest first: without this index a rare status would scan all of a busy endpoint's attempts.
CREATE INDEX IF NOT EXISTS attempts_endpoint_status ON attempts (endpoint_id, status, id);

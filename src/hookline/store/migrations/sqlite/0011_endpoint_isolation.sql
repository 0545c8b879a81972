-- Endpoints are isolated from each other in delivery (see docs/delivery.md, "Noisy neighbours"):
-- max_in_flight caps an endpoint's deliveries under way at once (NULL: the server's default), and
-- the breaker_* columns hold its circuit breaker: consecutive unreachable tries, since when and until
-- when it fails fast, and whether a probe is out ('open', 'probing'; NULL when closed).
ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER;
ALTER TABLE endpoints ADD COLUMN breaker_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN breaker_state TEXT;
ALTER TABLE endpoints ADD COLUMN breaker_opened_at REAL;
ALTER TABLE endpoints ADD COLUMN breaker_until REAL;
-- The fair claim walks the endpoints with work and takes each one's earliest due deliveries.
CREATE INDEX dispatches_endpoint_due ON dispatches (endpoint_id, next_attempt_at) WHERE status IN (1, 3);

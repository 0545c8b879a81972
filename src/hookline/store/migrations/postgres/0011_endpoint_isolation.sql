-- Endpoints are isolated from each other in delivery (see docs/delivery.md, "Noisy neighbours"):
-- max_in_flight caps an endpoint's deliveries under way at once (NULL: the server's default), and
-- the breaker_* columns hold its circuit breaker: consecutive unreachable tries, since when and until
-- when it fails fast, and whether a probe is out ('open', 'probing'; NULL when closed).
-- claim_xact is the transaction that last claimed for the endpoint: a claim whose snapshot predates
-- it skips the endpoint, so its count of deliveries in flight is never stale (store/claiming.py).
-- All columns start empty and are ignored by processes of the previous version.
ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER;
ALTER TABLE endpoints ADD COLUMN breaker_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN breaker_state TEXT;
ALTER TABLE endpoints ADD COLUMN breaker_opened_at DOUBLE PRECISION;
ALTER TABLE endpoints ADD COLUMN breaker_until DOUBLE PRECISION;
ALTER TABLE endpoints ADD COLUMN claim_xact xid8;
-- The fair claim walks the endpoints with work and takes each one's earliest due deliveries.
CREATE INDEX dispatches_endpoint_due ON dispatches (endpoint_id, next_attempt_at) WHERE status IN (1, 3);

-- An endpoint's cap is part of what accepting plans with (pg_targets): changing it moves the version.
CREATE OR REPLACE FUNCTION hookline_endpoints_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE applications SET config_version = hookline_next_config_version(config_version)
        WHERE id IN (SELECT app_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE applications SET config_version = hookline_next_config_version(config_version)
        WHERE id IN (SELECT app_id FROM old_rows);
    ELSE
        UPDATE applications SET config_version = hookline_next_config_version(config_version) WHERE id IN (
            SELECT unnest(ARRAY[o.app_id, n.app_id]) FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (n.app_id, n.uid, n.url, n.disabled, n.throttle_rate, n.event_types, n.channels, n.headers,
                   n.max_in_flight)
                  IS DISTINCT FROM
                  (o.app_id, o.uid, o.url, o.disabled, o.throttle_rate, o.event_types, o.channels, o.headers,
                   o.max_in_flight));
    END IF;
    RETURN NULL;
END
$fn$;

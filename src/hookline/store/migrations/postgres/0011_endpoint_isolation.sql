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
-- The update trigger becomes a row trigger whose WHEN compares the configuration columns: the
-- statement trigger of 0007 built transition tables for every UPDATE of endpoints, and the claim
-- (stamping the endpoints it claims for), the breaker and the health columns update endpoints
-- all the time; measured, 25 ms of a 70 ms claim for 500 endpoints. A row trigger with WHEN costs a
-- comparison per row and runs only for a real configuration change.
CREATE FUNCTION hookline_endpoint_row_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    UPDATE applications SET config_version = hookline_next_config_version(config_version)
    WHERE id IN (OLD.app_id, NEW.app_id);
    RETURN NULL;
END
$fn$;

DROP TRIGGER endpoints_config_update ON endpoints;
CREATE TRIGGER endpoints_config_update AFTER UPDATE ON endpoints FOR EACH ROW
    WHEN ((NEW.app_id, NEW.uid, NEW.url, NEW.disabled, NEW.throttle_rate, NEW.event_types, NEW.channels,
           NEW.headers, NEW.max_in_flight)
          IS DISTINCT FROM
          (OLD.app_id, OLD.uid, OLD.url, OLD.disabled, OLD.throttle_rate, OLD.event_types, OLD.channels,
           OLD.headers, OLD.max_in_flight))
    EXECUTE FUNCTION hookline_endpoint_row_changed();

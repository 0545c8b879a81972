-- Configuration versions come from the clock (microseconds since the epoch, or one more than the last
-- where the clock has not moved on) instead of counting up from 0. A restore, or a failover to a
-- replica without the latest commits, turns versions back; counted ones would then be given again,
-- to other configurations, and an API process that kept the first configuration under that number
-- would go on planning batches with it. The versions of existing rows stay until their next change.
CREATE FUNCTION hookline_next_config_version(version BIGINT) RETURNS BIGINT LANGUAGE sql VOLATILE AS $fn$
    SELECT greatest(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
$fn$;

CREATE OR REPLACE FUNCTION hookline_application_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    IF (NEW.uid, NEW.throttle_rate) IS DISTINCT FROM (OLD.uid, OLD.throttle_rate) THEN
        NEW.config_version := hookline_next_config_version(OLD.config_version);
    END IF;
    RETURN NEW;
END
$fn$;

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
            WHERE (n.app_id, n.uid, n.url, n.disabled, n.throttle_rate, n.event_types, n.channels, n.headers)
                  IS DISTINCT FROM
                  (o.app_id, o.uid, o.url, o.disabled, o.throttle_rate, o.event_types, o.channels, o.headers));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION hookline_secrets_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE applications SET config_version = hookline_next_config_version(config_version)
        WHERE id IN (SELECT e.app_id FROM endpoints e WHERE e.id IN (SELECT endpoint_id FROM new_rows));
    ELSE
        UPDATE applications SET config_version = hookline_next_config_version(config_version)
        WHERE id IN (SELECT e.app_id FROM endpoints e WHERE e.id IN (SELECT endpoint_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$fn$;

-- Each application carries a configuration version, raised in the same transaction as any change to
-- what accepting a message reads of it: its uid or throttleRate, its endpoints (not their health
-- columns or send slots) and their signing secrets. An API process keeps what it looked up for an
-- application and checks the version inside the statement that stores a batch, so a batch costs
-- one round trip instead of two, and a change made through any process (of this version or the
-- previous one: the triggers do the raising) is seen by the next batch.
ALTER TABLE applications ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION hookline_application_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    IF (NEW.uid, NEW.throttle_rate) IS DISTINCT FROM (OLD.uid, OLD.throttle_rate) THEN
        NEW.config_version := OLD.config_version + 1;
    END IF;
    RETURN NEW;
END
$fn$;

CREATE TRIGGER applications_config BEFORE UPDATE ON applications
    FOR EACH ROW EXECUTE FUNCTION hookline_application_changed();

-- statement triggers over the changed rows (one per kind of change: transition tables allow no more)
CREATE FUNCTION hookline_endpoints_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE applications SET config_version = config_version + 1 WHERE id IN (SELECT app_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE applications SET config_version = config_version + 1 WHERE id IN (SELECT app_id FROM old_rows);
    ELSE
        UPDATE applications SET config_version = config_version + 1 WHERE id IN (
            SELECT unnest(ARRAY[o.app_id, n.app_id]) FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (n.app_id, n.uid, n.url, n.disabled, n.throttle_rate, n.event_types, n.channels, n.headers)
                  IS DISTINCT FROM
                  (o.app_id, o.uid, o.url, o.disabled, o.throttle_rate, o.event_types, o.channels, o.headers));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER endpoints_config_insert AFTER INSERT ON endpoints REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hookline_endpoints_changed();
CREATE TRIGGER endpoints_config_update AFTER UPDATE ON endpoints
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hookline_endpoints_changed();
CREATE TRIGGER endpoints_config_delete AFTER DELETE ON endpoints REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hookline_endpoints_changed();

CREATE FUNCTION hookline_secrets_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE applications SET config_version = config_version + 1
        WHERE id IN (SELECT e.app_id FROM endpoints e WHERE e.id IN (SELECT endpoint_id FROM new_rows));
    ELSE
        UPDATE applications SET config_version = config_version + 1
        WHERE id IN (SELECT e.app_id FROM endpoints e WHERE e.id IN (SELECT endpoint_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER endpoint_secrets_config_insert AFTER INSERT ON endpoint_secrets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hookline_secrets_changed();
CREATE TRIGGER endpoint_secrets_config_update AFTER UPDATE ON endpoint_secrets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hookline_secrets_changed();
CREATE TRIGGER endpoint_secrets_config_delete AFTER DELETE ON endpoint_secrets REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hookline_secrets_changed();

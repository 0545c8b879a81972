-- An endpoint's throttleRate holds across every worker process: its next free send slot is kept
-- with the endpoint (reserved by one UPDATE), and a delivery sent back to wait for a slot far off
-- keeps that slot in its dispatch, whichever worker claims it next. Both columns start empty and
-- are ignored by processes of the previous version, so this runs beside them.
ALTER TABLE endpoints ADD COLUMN next_send_at DOUBLE PRECISION;
ALTER TABLE dispatches ADD COLUMN send_slot DOUBLE PRECISION;

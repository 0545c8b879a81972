-- An endpoint's throttleRate holds across every worker process (see PostgreSQL's 0006).
ALTER TABLE endpoints ADD COLUMN next_send_at REAL;
ALTER TABLE dispatches ADD COLUMN send_slot REAL;

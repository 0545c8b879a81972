-- Processes seen recently: every API and worker process writes its row every few seconds
-- (last_seen, unix seconds) and removes it when it stops; rows of processes that stopped without
-- saying so are deleted once they have not been seen for a while.
CREATE TABLE IF NOT EXISTS processes (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    version TEXT NOT NULL,
    started_at REAL NOT NULL,
    last_seen REAL NOT NULL
);

-- Traces (OpenTelemetry, when configured): the W3C traceparent of the span that accepted a message,
-- so that the spans sending its deliveries, in any process, continue the API request's trace.
-- Written only while traces are on; deleted by retention with the messages' horizon.
CREATE TABLE IF NOT EXISTS message_traces (
    msg_id TEXT PRIMARY KEY,
    traceparent TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS message_traces_created ON message_traces (created_at);

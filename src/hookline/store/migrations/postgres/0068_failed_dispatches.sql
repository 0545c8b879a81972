-- Failed deliveries per endpoint by message id (a KSUID, so by time): what "recover failed since"
-- retries, and what its preview counts. Only failed rows are in it, so accepting and delivering
-- messages (pending, then success) never write to it.
CREATE INDEX dispatches_failed ON dispatches (endpoint_id, msg_id) WHERE status = 2;

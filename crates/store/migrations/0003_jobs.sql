-- The job queue: a job is enqueued in the same transaction as the change that needs it, claimed by
-- one worker at a time (a lease that expires if the worker dies), retried with backoff, and kept
-- with its error once it has failed for good.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    failed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (failed_at, run_at);

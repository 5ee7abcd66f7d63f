-- Recurring jobs ("every day at 07:00"): the last slot each one was enqueued for. A worker enqueues
-- a slot's job only if it moves `last_slot` forward, in the transaction that enqueues it, so a slot
-- runs once however many workers are running.

CREATE TABLE recurring_jobs (
    name TEXT PRIMARY KEY,
    last_slot BIGINT NOT NULL,
    enqueued_at BIGINT NOT NULL
);

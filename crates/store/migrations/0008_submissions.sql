-- Returns: one submission per (collection, organisation, period), its answers as one JSON document
-- normalised by the engine, and the files attached to it. Its state and revision change only by
-- conditional updates (`WHERE revision = …`): of two saves from the same revision, one wins and the
-- other is told. What changed is kept as typed events in audit_events (subject `submission:ID`).

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    answers TEXT NOT NULL,
    -- Section ids people have marked complete (JSON list).
    completed_sections TEXT NOT NULL,
    -- Warnings confirmed, by key, each with its reason, who and when (JSON object).
    confirmations TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (collection_slug, organisation_id, period)
);
CREATE INDEX submissions_organisation ON submissions (organisation_id, collection_slug);
CREATE INDEX submissions_updated ON submissions (updated_at);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    object_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at BIGINT NOT NULL,
    -- Set when the file was replaced or removed; the object is kept for the history.
    removed_at BIGINT
);
CREATE INDEX attachments_submission ON attachments (submission_id, question);

-- Answers to POSTs sent with an Idempotency-Key: a repeat gets the first answer again.
CREATE TABLE idempotency_keys (
    actor TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor, idem_key)
);

-- Record logs and bulk uploads. An upload is a file kept in object storage and checked by a job;
-- the records of a log are one row each, entered on the web or stored from an upload. Only new
-- tables (expand only): the previous release keeps working beside them.

-- A file uploaded for a log (its records) or for one table of a return (its rows). Its state
-- changes only by conditional updates, so two workers finishing it at once store it once.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    -- For a table of a return: the return and the table's id.
    submission_id TEXT REFERENCES submissions (id) ON DELETE CASCADE,
    table_id TEXT,
    file_name TEXT NOT NULL,
    object_key TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- queued | checking | failed | confirm | storing | stored | same_file
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    rows_read BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    warning_count BIGINT NOT NULL,
    stored_count BIGINT NOT NULL,
    -- Why the whole file was refused, or what went wrong, in words for the person.
    message TEXT,
    -- The items kept (DESIGN §4), errors then warnings (JSON list).
    items TEXT NOT NULL,
    -- The file marked up with its problems, once made.
    annotated_key TEXT,
    -- The reason given when its warnings were confirmed in bulk; who and when.
    confirmed_reason TEXT,
    confirmed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- The earlier upload of the same file, for `same_file`.
    same_as TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX uploads_list ON uploads (organisation_id, collection_slug, created_at);
CREATE INDEX uploads_same_file ON uploads (collection_slug, organisation_id, sha256);

-- One record of a log. `record_key` is the definition's `record_key` answers joined (NULL until
-- they are all given): duplicates are found by it. Deleting is soft: the state becomes `deleted`.
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    record_key TEXT,
    -- in_progress | completed | deleted
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    answers TEXT NOT NULL,
    -- Warnings confirmed, by key, each with its reason, who and when (JSON object).
    confirmations TEXT NOT NULL,
    upload_id TEXT REFERENCES uploads (id) ON DELETE SET NULL,
    -- The record's row in the upload's file: with upload_id, stored at most once.
    upload_row BIGINT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX records_list ON records (organisation_id, collection_slug, period, state, updated_at);
CREATE INDEX records_key ON records (collection_slug, organisation_id, record_key);
CREATE UNIQUE INDEX records_from_upload ON records (upload_id, upload_row);

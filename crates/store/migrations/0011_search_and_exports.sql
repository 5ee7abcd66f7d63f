-- Search pages go by key within a collection: each order a search page offers has an index, so
-- that any page is one index range (DESIGN §9: a page over 1,000,000 records in ≤ 100 ms).
CREATE INDEX records_by_updated ON records (collection_slug, updated_at, id);
CREATE INDEX records_by_period ON records (collection_slug, period, id);
CREATE INDEX records_by_state ON records (collection_slug, state);
CREATE INDEX submissions_by_updated ON submissions (collection_slug, updated_at, id);
CREATE INDEX submissions_by_period ON submissions (collection_slug, period, id);
-- Exports read a collection's rows in batches by id (`id > last`): one index range per batch,
-- whatever the planner knows of the table.
CREATE INDEX records_by_id ON records (collection_slug, id);
CREATE INDEX submissions_by_id ON submissions (collection_slug, id);
-- By reference (a record's key), those without one last: the same expression as the search's
-- order, so that it is an index range too.
CREATE INDEX records_by_reference ON records (collection_slug, (COALESCE(record_key, '􏿿')), id);
CREATE INDEX submissions_by_reference ON submissions (collection_slug, (COALESCE(reference, '􏿿')), id);

-- An export run as a job: who asked (only they may download it), what they asked for (the
-- search's filters and the format, JSON), how far it is, and the file it wrote until it expires.
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    requested_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    format TEXT NOT NULL,
    request TEXT NOT NULL,
    -- queued | running | ready | failed | expired
    state TEXT NOT NULL,
    rows_total BIGINT,
    rows_done BIGINT NOT NULL DEFAULT 0,
    file_key TEXT,
    file_name TEXT,
    content_type TEXT,
    size BIGINT,
    sha256 TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX exports_requested_by ON exports (requested_by, created_at);
CREATE INDEX exports_expiry ON exports (state, expires_at);

-- A collection's nightly feed to a data warehouse: a format and an object-storage prefix, a full
-- export or the changes since the last run, and what the last run wrote.
CREATE TABLE scheduled_exports (
    id TEXT PRIMARY KEY,
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    format TEXT NOT NULL,
    prefix TEXT NOT NULL,
    -- full | changes
    mode TEXT NOT NULL,
    -- Changes since this time (ms) go in the next run of a `changes` feed.
    changes_since BIGINT,
    last_run_at BIGINT,
    last_manifest_key TEXT,
    last_error TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (collection_slug, format, prefix)
);

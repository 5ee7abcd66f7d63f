-- Collections: each published version of a definition, kept as written and never changed, and the
-- organisations assigned to each collection.

CREATE TABLE collections (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    latest_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE collection_versions (
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    -- The definition exactly as published (YAML or JSON text).
    source TEXT NOT NULL,
    published_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (collection_slug, version)
);

CREATE TABLE assignments (
    collection_slug TEXT NOT NULL REFERENCES collections (slug) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (collection_slug, organisation_id)
);
CREATE INDEX assignments_organisation ON assignments (organisation_id);

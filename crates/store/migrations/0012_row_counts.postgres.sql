-- Counts of submissions and records by collection, version, organisation, period and state, kept
-- up to date by triggers on every insert, delete and change of those columns: a search page's
-- counts per state are then a sum over a few rows instead of a scan of every row it selects
-- (DESIGN §9: a page over 1,000,000 records in ≤ 100 ms). Searches that filter on what this does
-- not hold (free text, changed since) still count their rows. No foreign keys: the delete trigger
-- of a row whose organisation's deletion cascades to it must still be able to write its count.
CREATE TABLE row_counts (
    -- records | submissions
    subject TEXT NOT NULL,
    collection_slug TEXT NOT NULL,
    version BIGINT NOT NULL,
    organisation_id TEXT NOT NULL,
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (subject, collection_slug, version, organisation_id, period, state)
);
-- No row may be written between the counting below and the triggers that count from then on
-- (a running release keeps writing while a new one migrates): writes wait for this migration.
LOCK TABLE records, submissions IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO row_counts (subject, collection_slug, version, organisation_id, period, state, n)
SELECT 'records', collection_slug, version, organisation_id, period, state, COUNT(*)
FROM records GROUP BY collection_slug, version, organisation_id, period, state;
INSERT INTO row_counts (subject, collection_slug, version, organisation_id, period, state, n)
SELECT 'submissions', collection_slug, version, organisation_id, period, state, COUNT(*)
FROM submissions GROUP BY collection_slug, version, organisation_id, period, state;

-- Each change adds its rows' counts by group in one statement, the groups in key order: two
-- transactions that move rows between the same groups then lock their counts in the same order
-- and wait for each other instead of deadlocking. Inserts and deletes are counted per statement
-- (an upload of 100,000 records is one upsert of its few groups); a change of a counted column
-- per row, and only when one of them changed.
CREATE FUNCTION row_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO row_counts (subject, collection_slug, version, organisation_id, period, state, n)
        SELECT TG_TABLE_NAME, collection_slug, version, organisation_id, period, state, COUNT(*)
        FROM new_rows GROUP BY collection_slug, version, organisation_id, period, state
        ORDER BY collection_slug, version, organisation_id, period, state
        ON CONFLICT (subject, collection_slug, version, organisation_id, period, state)
        DO UPDATE SET n = row_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO row_counts (subject, collection_slug, version, organisation_id, period, state, n)
        SELECT TG_TABLE_NAME, collection_slug, version, organisation_id, period, state, -COUNT(*)
        FROM old_rows GROUP BY collection_slug, version, organisation_id, period, state
        ORDER BY collection_slug, version, organisation_id, period, state
        ON CONFLICT (subject, collection_slug, version, organisation_id, period, state)
        DO UPDATE SET n = row_counts.n + EXCLUDED.n;
    ELSE
        INSERT INTO row_counts (subject, collection_slug, version, organisation_id, period, state, n)
        SELECT TG_TABLE_NAME, c, v, o, p, s, d FROM (VALUES
            (OLD.collection_slug, OLD.version, OLD.organisation_id, OLD.period, OLD.state, -1),
            (NEW.collection_slug, NEW.version, NEW.organisation_id, NEW.period, NEW.state, 1)
        ) AS delta (c, v, o, p, s, d)
        ORDER BY c, v, o, p, s
        ON CONFLICT (subject, collection_slug, version, organisation_id, period, state)
        DO UPDATE SET n = row_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_counted_in AFTER INSERT ON records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER records_counted_out AFTER DELETE ON records
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER records_recounted AFTER UPDATE OF collection_slug, version, organisation_id, period, state ON records
    FOR EACH ROW WHEN (OLD.collection_slug IS DISTINCT FROM NEW.collection_slug OR OLD.version IS DISTINCT FROM NEW.version
        OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id OR OLD.period IS DISTINCT FROM NEW.period
        OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER submissions_counted_in AFTER INSERT ON submissions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER submissions_counted_out AFTER DELETE ON submissions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER submissions_recounted AFTER UPDATE OF collection_slug, version, organisation_id, period, state ON submissions
    FOR EACH ROW WHEN (OLD.collection_slug IS DISTINCT FROM NEW.collection_slug OR OLD.version IS DISTINCT FROM NEW.version
        OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id OR OLD.period IS DISTINCT FROM NEW.period
        OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION row_counts_add();

-- The rest of a return's life: sign-offs in order, submission with a reference people can quote,
-- reviewers' comments by section, and reminders sent once per organisation, collection, period and
-- kind. Columns are added with defaults (expand only): the previous release keeps working on them.

-- Sign-offs given since the return last changed, in step order (JSON list); cleared by any change.
ALTER TABLE submissions ADD COLUMN sign_offs TEXT NOT NULL DEFAULT '[]';
-- The reviewer's comments by section id when the return was sent back (JSON object).
ALTER TABLE submissions ADD COLUMN review_comments TEXT NOT NULL DEFAULT '{}';
-- Set when first submitted, kept when it comes back and is submitted again.
ALTER TABLE submissions ADD COLUMN reference TEXT;
ALTER TABLE submissions ADD COLUMN submitted_at BIGINT;
CREATE UNIQUE INDEX submissions_reference ON submissions (reference);
CREATE INDEX submissions_state ON submissions (state, collection_slug, period);

-- A reminder or overdue notice claimed for sending: the primary key makes it once, however many
-- workers run the reminders job at the same time or however often it repeats.
CREATE TABLE reminders_sent (
    collection_slug TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    period TEXT NOT NULL,
    -- `14d`, `3d`…: days before the due date; `overdue`: the notice after it.
    kind TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (collection_slug, organisation_id, period, kind)
);

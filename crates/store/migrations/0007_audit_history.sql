-- The history of one thing (an organisation, a person, an invitation, a collection, later a
-- submission), newest first, read by its subject.

CREATE INDEX audit_events_subject_at ON audit_events (subject, at);

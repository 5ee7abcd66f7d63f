-- An invitation's state as one column with a revision, changed only by conditional updates
-- (`WHERE state = … AND revision = …`): of two changes at once, exactly one wins. Expiry is a
-- matter of time, not a stored state.

ALTER TABLE invitations ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE invitations ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE invitations SET state = CASE
    WHEN accepted_at IS NOT NULL THEN 'accepted'
    WHEN revoked_at IS NOT NULL THEN 'withdrawn'
    ELSE 'pending' END;
CREATE INDEX invitations_email_state ON invitations (email, state);

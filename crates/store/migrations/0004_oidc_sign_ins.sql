-- Sign-ins through an OpenID Connect provider that have started and not yet come back: the state
-- that names one, and the nonce and PKCE verifier that prove the answer is the one asked for. Kept
-- in the database (not a cookie) so that any instance can finish a sign-in another one started.

CREATE TABLE oidc_sign_ins (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    -- Where to go once signed in (a path on this service).
    return_to TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_sign_ins_expiry ON oidc_sign_ins (expires_at);

//! Sign-in through an OpenID Connect provider (Microsoft Entra ID, or any other): the
//! authorisation code flow with PKCE, a nonce and a state, through the `openidconnect` crate. The
//! provider's settings are discovered on first use and kept for an hour. Its HTTP calls go through
//! reqwest, never following redirects.

use std::time::{Duration, Instant};

use formwork_service::ServiceError;
use formwork_service::accounts::ProviderClaims;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::RwLock;

/// How formwork is registered with the provider.
#[derive(Clone)]
pub struct OidcConfig {
    /// The issuer URL, e.g. `https://login.microsoftonline.com/{tenant}/v2.0`.
    pub issuer: String,
    /// The client (application) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The callback registered with the provider: `{BASE_URL}/sign-in/oidc/callback`.
    pub redirect_url: String,
    /// Treat the provider's `email` claim as verified even without `email_verified` (Entra ID does
    /// not send it; only for a provider whose administrators control people's addresses).
    pub assume_email_verified: bool,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_url", &self.redirect_url)
            .field("assume_email_verified", &self.assume_email_verified)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpError(String);

/// The provider, as formwork talks to it.
pub(crate) struct Client {
    config: OidcConfig,
    http: reqwest::Client,
    metadata: RwLock<Option<(CoreProviderMetadata, Instant)>>,
}

/// A sign-in to send the person off with: where to, and what to remember until they return.
pub(crate) struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The identity provider could not be used; the error middleware logs why, once.
fn unavailable(what: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("{what}: {e}").into())
}

impl Client {
    pub fn new(config: OidcConfig) -> Client {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Client { config, http, metadata: RwLock::new(None) }
    }

    async fn send(
        http: reqwest::Client,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let response = http
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError(e.to_string()))?;
        let mut builder = http_response(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let bytes = response.bytes().await.map_err(|e| HttpError(e.to_string()))?;
        builder.body(bytes.to_vec()).map_err(|e| HttpError(e.to_string()))
    }

    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        ServiceError,
    > {
        let fresh = |found: &Option<(CoreProviderMetadata, Instant)>| {
            found.as_ref().filter(|(_, at)| at.elapsed() < Duration::from_secs(3600)).map(|(m, _)| m.clone())
        };
        let cached = fresh(&*self.metadata.read().await);
        let metadata = match cached {
            Some(metadata) => metadata,
            None => {
                let issuer = IssuerUrl::new(self.config.issuer.clone())
                    .map_err(|e| unavailable("OIDC_ISSUER is not a URL", e))?;
                let http = self.http.clone();
                let call = move |request| Client::send(http.clone(), request);
                let metadata = CoreProviderMetadata::discover_async(issuer, &call)
                    .await
                    .map_err(|e| unavailable("the identity provider could not be reached", e))?;
                *self.metadata.write().await = Some((metadata.clone(), Instant::now()));
                metadata
            }
        };
        let redirect = RedirectUrl::new(self.config.redirect_url.clone())
            .map_err(|e| unavailable("BASE_URL is not a URL", e))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Begin a sign-in: the provider's address to send the person to, with a fresh state, nonce
    /// and PKCE challenge.
    pub async fn start(&self) -> Result<Started, ServiceError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finish a sign-in: exchange the code, verify the ID token (signature, issuer, audience,
    /// expiry, nonce) and read who it names.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<ProviderClaims, ServiceError> {
        let client = self.client().await?;
        let http = self.http.clone();
        let call = move |request| Client::send(http.clone(), request);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| unavailable("the identity provider has no token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&call)
            .await
            .map_err(|e| {
                tracing::warn!(error = ?e, "the identity provider refused the sign-in code");
                ServiceError::Forbidden(
                    "Your identity provider did not confirm the sign-in. Try signing in again".into(),
                )
            })?;
        let refused = |e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, "an ID token failed verification");
            ServiceError::Forbidden(
                "The answer from your identity provider could not be verified. Try signing in again".into(),
            )
        };
        let id_token = response.id_token().ok_or_else(|| refused(&"no ID token in the token response"))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_string()))
            .map_err(|e| refused(&e))?;
        let mut found = ProviderClaims {
            issuer: self.config.issuer.clone(),
            subject: claims.subject().as_str().to_string(),
            email: claims.email().map(|e| e.as_str().to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
        };
        // Many providers put the email address only in the UserInfo answer, not the ID token.
        if found.email.is_none() {
            let request = client
                .user_info(response.access_token().clone(), Some(claims.subject().clone()))
                .map_err(|e| refused(&e))?;
            let http = self.http.clone();
            let call = move |request| Client::send(http.clone(), request);
            let info: openidconnect::core::CoreUserInfoClaims =
                request.request_async(&call).await.map_err(|e| refused(&e))?;
            found.email = info.email().map(|e| e.as_str().to_string());
            found.email_verified = info.email_verified().unwrap_or(false);
            found.name =
                found.name.or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()));
        }
        found.email_verified |= self.config.assume_email_verified;
        Ok(found)
    }
}

fn http_response(status: reqwest::StatusCode) -> openidconnect::http::response::Builder {
    openidconnect::http::Response::builder().status(status.as_u16())
}

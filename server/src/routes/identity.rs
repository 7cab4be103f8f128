//! Customers' identity tokens: read from `Authorization: Bearer`, checked against the secret the
//! interface app signs with. A token that is present but not valid is refused, never ignored.

use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use privacy_shared::identity::{self, IdentityClaims};
use privacy_shared::problem::ProblemKind;
use privacy_shared::{CustomerNumber, SiteId, SubjectId};
use sha2::Sha256;

use crate::problem::ApiError;
use crate::settings::Secret;

/// The key identity tokens are checked with (`None` refuses every token), and whether this
/// development server signs tokens for a demo login.
pub struct IdentityKey {
    secret: Option<Secret>,
    dev_tokens: bool,
}

/// How long a development token lives, as a real interface app's short-lived tokens.
const DEV_TOKEN_MINUTES: i64 = 15;

impl IdentityKey {
    pub fn new(secret: Option<Secret>, dev_tokens: bool) -> Self {
        Self { secret, dev_tokens }
    }

    /// A token for `customer`, signed as the interface app signs them, when this server was
    /// configured for development (`[identity] dev_tokens = true`); `None` otherwise. With a
    /// `site`, the token is for that site only.
    pub fn dev_token(
        &self,
        customer: CustomerNumber,
        email: privacy_shared::EmailAddress,
        site: Option<SiteId>,
        now: time::OffsetDateTime,
    ) -> Option<(String, time::OffsetDateTime)> {
        let secret = self.secret.as_ref().filter(|_| self.dev_tokens)?;
        let expires_at = now + time::Duration::minutes(DEV_TOKEN_MINUTES);
        let claims = IdentityClaims {
            customer,
            email,
            exp: expires_at.unix_timestamp(),
            aud: site.map(|s| s.as_str().to_owned()),
        };
        Some((identity::sign(&claims, secret.expose()), expires_at))
    }

    /// The claims of the request's bearer token: `None` without a token, an error for a token
    /// that is malformed, forged or expired.
    pub fn claims(&self, request: &HttpRequest) -> Result<Option<IdentityClaims>, ApiError> {
        let Some(header) = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
        else {
            return Ok(None);
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::detail(
                    ProblemKind::InvalidCredentials,
                    "expected `Authorization: Bearer <token>`",
                )
            })?;
        let secret = self.secret.as_ref().ok_or_else(|| {
            ApiError::detail(
                ProblemKind::InvalidCredentials,
                "this server is not configured to accept identity tokens",
            )
        })?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        identity::verify(token, secret.expose(), now)
            .map(Some)
            .map_err(|e| ApiError::detail(ProblemKind::InvalidCredentials, e.to_string()))
    }

    /// Like [`Self::claims`], but a token is required.
    pub fn require(&self, request: &HttpRequest) -> Result<IdentityClaims, ApiError> {
        self.claims(request)?.ok_or_else(|| {
            ApiError::detail(
                ProblemKind::InvalidCredentials,
                "an identity token is required",
            )
        })
    }

    /// The pseudonymous subject id of a customer's server-side choices: stable, and without the
    /// secret not linkable to the customer number.
    pub fn customer_subject(&self, customer: &CustomerNumber) -> SubjectId {
        let key = self.secret.as_ref().map_or(&[][..], Secret::expose);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        mac.update(b"subject:");
        mac.update(customer.as_ref().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        SubjectId::from_random_bytes(bytes)
    }
}

/// Refuses a token issued for another site than `site`, the one the request is about.
pub fn audience(claims: &IdentityClaims, site: SiteId) -> Result<(), ApiError> {
    if claims.allows_site(site) {
        Ok(())
    } else {
        Err(ApiError::detail(
            ProblemKind::InvalidCredentials,
            format!("the identity token is not for {site}"),
        ))
    }
}

/// `POST /api/v1/dev/identity-token`: the demo interface page's login. A 404 unless this server
/// was configured for development, so production never signs a token for anyone.
pub async fn dev_token(
    request: HttpRequest,
    payload: actix_web::web::Payload,
    identity: actix_web::web::Data<IdentityKey>,
) -> Result<actix_web::HttpResponse, ApiError> {
    if !identity.dev_tokens {
        return Err(ApiError::new(ProblemKind::NotFound));
    }
    let body: privacy_shared::wire::DevTokenRequest = super::body::json(&request, payload).await?;
    let (token, expires_at) = identity
        .dev_token(
            body.customer,
            body.email,
            body.site,
            time::OffsetDateTime::now_utc(),
        )
        .ok_or_else(|| {
            ApiError::detail(
                ProblemKind::NotFound,
                "development tokens need an identity secret",
            )
        })?;
    Ok(actix_web::HttpResponse::Ok().json(privacy_shared::wire::DevToken { token, expires_at }))
}

//! Customers' identity tokens on requests: read from `Authorization: Bearer` and verified
//! ([`crate::identity`]) for the site the request is about. A token that is present but not
//! valid is refused with a 401 problem, never ignored.

use actix_web::HttpRequest;
use privacy_shared::identity::IdentityClaims;
use privacy_shared::problem::ProblemKind;
use privacy_shared::{CustomerNumber, SiteId};

use crate::identity::{Signer, Verifier};
use crate::problem::ApiError;

/// How tokens are checked (`None` refuses every token), and the signer of development tokens
/// for a demo login (`None` outside development).
pub struct IdentityKey {
    verifier: Option<Verifier>,
    dev_signer: Option<Signer>,
    /// Every site of the group this server serves, as configured at start.
    group: Vec<SiteId>,
}

/// How long a development token lives, as a real interface app's short-lived tokens.
const DEV_TOKEN_MINUTES: i64 = 15;

impl IdentityKey {
    pub fn new(verifier: Option<Verifier>, dev_signer: Option<Signer>) -> Self {
        let group = privacy_shared::site::all()
            .iter()
            .filter_map(|site| site.id.parse().ok())
            .collect();
        Self {
            verifier,
            dev_signer,
            group,
        }
    }

    /// The claims of the request's bearer token for `site`: `None` without a token, a 401 for a
    /// token that is malformed, forged, expired, from another issuer or for another site.
    pub fn claims(
        &self,
        request: &HttpRequest,
        site: SiteId,
    ) -> Result<Option<IdentityClaims>, ApiError> {
        self.claims_for(request, &[site])
    }

    /// Like [`Self::claims`] for a request about no one site: the token may be for any site of
    /// the group.
    pub fn require_for_group(&self, request: &HttpRequest) -> Result<IdentityClaims, ApiError> {
        self.claims_for(request, &self.group)?.ok_or_else(required)
    }

    fn claims_for(
        &self,
        request: &HttpRequest,
        sites: &[SiteId],
    ) -> Result<Option<IdentityClaims>, ApiError> {
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
        let verifier = self.verifier.as_ref().ok_or_else(|| {
            ApiError::detail(
                ProblemKind::InvalidCredentials,
                "this server is not configured to accept identity tokens",
            )
        })?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        verifier
            .verify(token, sites, now)
            .map(Some)
            .map_err(|e| ApiError::detail(ProblemKind::InvalidCredentials, e.to_string()))
    }

    /// Like [`Self::claims`], but a token is required.
    pub fn require(&self, request: &HttpRequest, site: SiteId) -> Result<IdentityClaims, ApiError> {
        self.claims(request, site)?.ok_or_else(required)
    }
}

fn required() -> ApiError {
    ApiError::detail(
        ProblemKind::InvalidCredentials,
        "an identity token is required",
    )
}

/// `POST /api/v1/dev/identity-token`: the demo interface page's login. A 404 unless this server
/// was configured for development, so production never signs a token for anyone.
pub async fn dev_token(
    request: HttpRequest,
    payload: actix_web::web::Payload,
    identity: actix_web::web::Data<IdentityKey>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let signer = identity
        .dev_signer
        .as_ref()
        .ok_or_else(|| ApiError::new(ProblemKind::NotFound))?;
    let body: privacy_shared::wire::DevTokenRequest = super::body::json(&request, payload).await?;
    // Without a site, a token for every site of the group, as a group-wide login would sign.
    let sites = match body.site {
        Some(site) => vec![site],
        None => identity.group.clone(),
    };
    let now = time::OffsetDateTime::now_utc();
    let token = sign_dev(signer, body.customer, body.email, &sites, now)?;
    Ok(
        actix_web::HttpResponse::Ok().json(privacy_shared::wire::DevToken {
            token,
            expires_at: now + time::Duration::minutes(DEV_TOKEN_MINUTES),
        }),
    )
}

fn sign_dev(
    signer: &Signer,
    customer: CustomerNumber,
    email: privacy_shared::EmailAddress,
    sites: &[SiteId],
    now: time::OffsetDateTime,
) -> Result<String, ApiError> {
    signer
        .sign(
            customer,
            email,
            sites,
            now.unix_timestamp(),
            DEV_TOKEN_MINUTES * 60,
        )
        .map_err(|e| {
            tracing::error!(error = %e, "signing a development token failed");
            ApiError::new(ProblemKind::Internal)
        })
}

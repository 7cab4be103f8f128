//! The identity token the interface app gives the widget for a logged-in customer: a short-lived
//! claim of customer number and e-mail address, signed with HMAC-SHA256 under a secret the
//! interface app and the privacy server share. The widget only passes it on; it never signs.
//!
//! Format: `v1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(secret, "v1." + payload))>`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{CustomerNumber, EmailAddress};

/// The longest lifetime a token may claim: the interface app issues them per page view, for
/// minutes; a page open longer asks for a fresh one (`virtio-privacy:identity-expired`).
pub const MAX_LIFETIME_SECONDS: i64 = 60 * 60;

const PREFIX: &str = "v1.";

/// What a valid token says about the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityClaims {
    pub customer: CustomerNumber,
    pub email: EmailAddress,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// The audience: the id of the site the token was issued for. A token with one is refused
    /// on any other site, so a token handed to one site's scripts opens nothing elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

impl IdentityClaims {
    /// Whether the token may be used on `site`: its audience, or any site without one.
    pub fn allows_site(&self, site: crate::SiteId) -> bool {
        self.aud.as_deref().is_none_or(|aud| aud == site.as_str())
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is not valid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token claims a lifetime longer than allowed")]
    TooLongLived,
}

fn mac(secret: &[u8], signed: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(signed.as_bytes());
    mac
}

/// Signs `claims` (what the interface app does).
pub fn sign(claims: &IdentityClaims, secret: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signed = format!("{PREFIX}{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &signed).finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// Checks a token's signature and expiry at `now` (Unix seconds) and returns its claims.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<IdentityClaims, TokenError> {
    let rest = token
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(TokenError::Malformed)?;
    let (payload, signature) = rest.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    mac(secret, &format!("{PREFIX}{payload}"))
        .verify_slice(&signature)
        .map_err(|_| TokenError::Signature)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let claims: IdentityClaims =
        serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    if claims.exp - now > MAX_LIFETIME_SECONDS {
        return Err(TokenError::TooLongLived);
    }
    Ok(claims)
}

/// The customer a token names, read without checking it (the widget holds no secret): only to
/// tell whether a fresh token is for the same customer as an expired one, never to trust it.
pub fn unverified_customer(token: &str) -> Option<CustomerNumber> {
    let (payload, _) = token.trim().strip_prefix(PREFIX)?.split_once('.')?;
    let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<IdentityClaims>(&json)
        .ok()
        .map(|claims| claims.customer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> IdentityClaims {
        IdentityClaims {
            customer: CustomerNumber::parse("C-1001").unwrap(),
            email: EmailAddress::parse("klant@example.nl").unwrap(),
            exp,
            aud: None,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign(&claims(1_000 + 600), b"secret");
        assert_eq!(verify(&token, b"secret", 1_000), Ok(claims(1_600)));
        assert_eq!(verify(&token, b"secret", 1_600), Err(TokenError::Expired));
    }

    #[test]
    fn forged_altered_and_long_lived_tokens_are_refused() {
        let token = sign(&claims(1_600), b"secret");
        assert_eq!(
            verify(&token, b"other secret", 1_000),
            Err(TokenError::Signature)
        );
        let forged_payload =
            URL_SAFE_NO_PAD.encode(br#"{"customer":"C-2","email":"x@y.nl","exp":1600}"#);
        let signature = token.rsplit('.').next().unwrap();
        assert_eq!(
            verify(
                &format!("v1.{forged_payload}.{signature}"),
                b"secret",
                1_000
            ),
            Err(TokenError::Signature)
        );
        assert_eq!(
            verify("garbage", b"secret", 1_000),
            Err(TokenError::Malformed)
        );
        let long = sign(&claims(1_000 + MAX_LIFETIME_SECONDS + 1), b"secret");
        assert_eq!(
            verify(&long, b"secret", 1_000),
            Err(TokenError::TooLongLived)
        );
    }
}

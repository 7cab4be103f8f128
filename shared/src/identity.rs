//! The identity token the interface app gives the widget for a logged-in customer: a JSON Web
//! Token (RFC 7519) the interface app signs, by default with a private key the privacy server
//! never holds (EdDSA or ES256; HS256 with a shared secret as an option). The server verifies it
//! (`privacy_server::identity`); the widget only passes it on and reads, without trusting it,
//! which customer it names.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{CustomerNumber, EmailAddress, SiteId};

/// The longest lifetime (`exp - iat`) a token may claim: the interface app issues them per page
/// view, for minutes; a page open longer asks for a fresh one (`virtio-privacy:identity-expired`).
pub const MAX_LIFETIME_SECONDS: i64 = 60 * 60;

/// The claims of a customer's token. Claims beyond these (`jti`, `nbf`, …) are allowed and
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityClaims {
    /// The customer number.
    pub sub: CustomerNumber,
    /// The account's e-mail address, where requests filed in the customer's name are confirmed.
    pub email: EmailAddress,
    /// The site ids the token is for: one, or several of the group's sites.
    pub aud: Audience,
    /// Who signed it: the interface app's configured issuer.
    pub iss: String,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
}

/// A token's `aud`: one site id or a list of them (RFC 7519 §4.1.3 allows both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// The audience of a token for the sites with ids `sites`: a single site as a string, as
    /// most libraries write it.
    pub fn of<S: fmt::Display>(sites: &[S]) -> Self {
        match sites {
            [site] => Self::One(site.to_string()),
            _ => Self::Many(sites.iter().map(ToString::to_string).collect()),
        }
    }

    /// Whether the token may be used on `site`.
    pub fn allows(&self, site: SiteId) -> bool {
        match self {
            Self::One(aud) => aud == site.as_str(),
            Self::Many(auds) => auds.iter().any(|aud| aud == site.as_str()),
        }
    }
}

/// The customer a token names, read without checking it (the widget holds no key): only to tell
/// whether a fresh token is for the same customer as an expired one, never to trust it.
pub fn unverified_customer(token: &str) -> Option<CustomerNumber> {
    #[derive(Deserialize)]
    struct Subject {
        sub: CustomerNumber,
    }
    let mut parts = token.trim().split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<Subject>(&json)
        .ok()
        .map(|claims| claims.sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_is_read_from_the_payload_of_any_jwt() {
        // Signed by `jose` (Node.js) with EdDSA; the signature is not checked here.
        let token = "eyJhbGciOiJFZERTQSJ9.eyJlbWFpbCI6ImFAYi5ubCIsInN1YiI6IkMtMTAwMSIsImF1ZCI6ImludGVyZmFjZSIsImlzcyI6Imh0dHBzOi8vbWlqbi52aXJ0aW8ubmwiLCJpYXQiOjE3OTYwMTc5NjAsImV4cCI6MTc5NjAxODU2MH0.e6wEnnLT4tuB7lEPGbhKwDACHgy93i-WXjl9NFIFbYwub3DUSuHywCDrGdDPQ-JdZJ-d4eb5gQ74Ic8PpL57AA";
        assert_eq!(
            unverified_customer(token),
            Some(CustomerNumber::parse("C-1001").unwrap())
        );
        assert_eq!(unverified_customer("garbage"), None);
        assert_eq!(unverified_customer("a.bm90IGpzb24.c"), None);
    }

    #[test]
    fn an_audience_of_one_or_many_sites_allows_exactly_those() {
        let interface: SiteId = "interface".parse().unwrap();
        let virtio: SiteId = "virtio-nl".parse().unwrap();
        let one = Audience::of(&[interface]);
        assert_eq!(serde_json::to_string(&one).unwrap(), "\"interface\"");
        assert!(one.allows(interface) && !one.allows(virtio));
        let both: Audience = serde_json::from_str(r#"["interface","virtio-nl"]"#).unwrap();
        assert!(both.allows(interface) && both.allows(virtio));
    }
}

//! Customers' identity tokens: JSON Web Tokens (RFC 7519) the interface app signs and this server
//! verifies with `jsonwebtoken`.
//!
//! - The algorithm is configured, never read from the token: a token whose header names another
//!   (`none`, or HS256 signed with the public key as its secret) is refused before its signature
//!   is looked at.
//! - EdDSA (Ed25519) or ES256 by default: the interface app holds the private key and this server
//!   only the public key, so nobody here can sign a customer's token. HS256 with a shared secret
//!   of at least [`MIN_SECRET_BYTES`] is the option for apps that cannot hold a key pair.
//! - Required claims: `sub` (customer number), `email`, `aud` (the site or sites), `iss` (the
//!   configured issuer), `iat` and `exp`, at most [`MAX_LIFETIME_SECONDS`] apart; clocks may
//!   differ by [`CLOCK_SKEW_SECONDS`].

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use privacy_shared::identity::{Audience, IdentityClaims, MAX_LIFETIME_SECONDS};
use privacy_shared::{CustomerNumber, EmailAddress, SiteId};
use serde::Deserialize;

use crate::settings::Secret;

/// How far the interface app's clock may be from this server's, in seconds.
pub const CLOCK_SKEW_SECONDS: i64 = 30;

/// The shortest HS256 secret accepted: the hash's full 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

/// The algorithms a deployment can choose, named as in a JWT header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
pub enum Algorithm {
    /// Ed25519 signatures: a private key at the interface app, the public key here.
    #[default]
    #[serde(rename = "EdDSA")]
    #[value(name = "EdDSA")]
    EdDsa,
    /// ECDSA on P-256 with SHA-256: a private key at the interface app, the public key here.
    #[serde(rename = "ES256")]
    #[value(name = "ES256")]
    Es256,
    /// HMAC-SHA256 under a secret both sides hold.
    #[serde(rename = "HS256")]
    #[value(name = "HS256")]
    Hs256,
}

impl Algorithm {
    fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::Hs256 => jsonwebtoken::Algorithm::HS256,
        }
    }

    /// Whether the key this server holds is a public key (PEM) rather than a shared secret.
    pub fn is_asymmetric(self) -> bool {
        self != Self::Hs256
    }
}

/// How the interface app's tokens are checked: the configuration of `[identity]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    pub algorithm: Algorithm,
    /// The public key in PEM (`-----BEGIN PUBLIC KEY-----`) for EdDSA and ES256; the shared
    /// secret for HS256.
    pub key: Secret,
    /// The `iss` every token must carry, such as `https://mijn.virtio.nl`.
    pub issuer: String,
}

/// Why a token was refused: the `detail` of the 401 problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the identity token is not a JWT with the claims sub, email, aud, iss, iat and exp")]
    Malformed,
    #[error("the identity token is not signed with the configured algorithm")]
    Algorithm,
    #[error("the identity token's signature is not valid")]
    Signature,
    #[error("the identity token has expired")]
    Expired,
    #[error("the identity token was issued in the future")]
    NotYetValid,
    #[error("the identity token claims a lifetime longer than allowed")]
    TooLongLived,
    #[error("the identity token is not from the configured issuer")]
    Issuer,
    #[error("the identity token is not for this site")]
    Audience,
}

/// Checks tokens against the configured algorithm, key and issuer.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithms", &self.validation.algorithms)
            .field("issuer", &self.validation.iss)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `config`; an error names what is wrong with the key.
    pub fn new(config: &IdentityConfig) -> anyhow::Result<Self> {
        let key = match config.algorithm {
            Algorithm::EdDsa => DecodingKey::from_ed_pem(config.key.expose()),
            Algorithm::Es256 => DecodingKey::from_ec_pem(config.key.expose()),
            Algorithm::Hs256 => {
                anyhow::ensure!(
                    config.key.expose().len() >= MIN_SECRET_BYTES,
                    "the HS256 identity secret is shorter than {MIN_SECRET_BYTES} bytes"
                );
                Ok(DecodingKey::from_secret(config.key.expose()))
            }
        }
        .map_err(|e| {
            anyhow::anyhow!(
                "the identity public key is not a PEM public key for {:?} ({e})",
                config.algorithm.jwt()
            )
        })?;
        anyhow::ensure!(
            !config.issuer.trim().is_empty(),
            "the identity issuer is empty: set the `iss` the interface app signs with"
        );
        let mut validation = Validation::new(config.algorithm.jwt());
        validation.set_required_spec_claims(&["sub", "aud", "iss", "exp"]);
        validation.set_issuer(&[&config.issuer]);
        validation.leeway = CLOCK_SKEW_SECONDS.unsigned_abs();
        // The audience depends on the request's site: checked in `verify`.
        validation.validate_aud = false;
        Ok(Self { key, validation })
    }

    /// The claims of `token` when it is valid at `now` (Unix seconds) for one of `sites`.
    pub fn verify(
        &self,
        token: &str,
        sites: &[SiteId],
        now: i64,
    ) -> Result<IdentityClaims, TokenError> {
        let claims =
            jsonwebtoken::decode::<IdentityClaims>(token.trim(), &self.key, &self.validation)
                .map_err(|e| match e.kind() {
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        TokenError::Algorithm
                    }
                    ErrorKind::InvalidSignature => TokenError::Signature,
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                    ErrorKind::InvalidIssuer => TokenError::Issuer,
                    // A header naming an algorithm this library does not know (`none`) fails to parse.
                    ErrorKind::Json(_) if header_names_another_algorithm(token) => {
                        TokenError::Algorithm
                    }
                    _ => TokenError::Malformed,
                })?
                .claims;
        // `jsonwebtoken` checks `exp` against its own clock; the lifetime and `iat` are ours.
        if claims.exp + CLOCK_SKEW_SECONDS <= now {
            return Err(TokenError::Expired);
        }
        if claims.iat > now + CLOCK_SKEW_SECONDS {
            return Err(TokenError::NotYetValid);
        }
        if claims.exp - claims.iat > MAX_LIFETIME_SECONDS {
            return Err(TokenError::TooLongLived);
        }
        if !sites.iter().any(|site| claims.aud.allows(*site)) {
            return Err(TokenError::Audience);
        }
        Ok(claims)
    }
}

/// Whether the token's header parses as JSON with an `alg` other than one `jsonwebtoken` knows.
fn header_names_another_algorithm(token: &str) -> bool {
    use base64::Engine as _;
    #[derive(Deserialize)]
    struct Named {
        alg: String,
    }
    let header = token.trim().split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|json| serde_json::from_slice::<Named>(&json).ok())
        .is_some_and(|named| named.alg.parse::<jsonwebtoken::Algorithm>().is_err())
}

/// Signs tokens as the interface app does: for `privacy-server token sign`, the development
/// login of the demo interface page, and the tests.
pub struct Signer {
    key: EncodingKey,
    header: Header,
    issuer: String,
}

impl Signer {
    /// A signer with `key`: the private key in PEM (PKCS#8, `-----BEGIN PRIVATE KEY-----`) for
    /// EdDSA and ES256, the shared secret for HS256.
    pub fn new(algorithm: Algorithm, key: &[u8], issuer: &str) -> anyhow::Result<Self> {
        let key = match algorithm {
            Algorithm::EdDsa => EncodingKey::from_ed_pem(key),
            Algorithm::Es256 => EncodingKey::from_ec_pem(key),
            Algorithm::Hs256 => Ok(EncodingKey::from_secret(key)),
        }
        .map_err(|e| {
            anyhow::anyhow!(
                "the signing key is not a PKCS#8 PEM private key for {:?} ({e})",
                algorithm.jwt()
            )
        })?;
        Ok(Self {
            key,
            header: Header::new(algorithm.jwt()),
            issuer: issuer.to_owned(),
        })
    }

    /// A token for `customer` on the sites with ids `sites`, issued at `now` (Unix seconds),
    /// valid for `lifetime` seconds.
    pub fn sign<S: std::fmt::Display>(
        &self,
        customer: CustomerNumber,
        email: EmailAddress,
        sites: &[S],
        now: i64,
        lifetime: i64,
    ) -> anyhow::Result<String> {
        self.sign_claims(&IdentityClaims {
            sub: customer,
            email,
            aud: Audience::of(sites),
            iss: self.issuer.clone(),
            iat: now,
            exp: now + lifetime,
        })
    }

    /// A token with exactly `claims`, for tests of what is refused.
    pub fn sign_claims(&self, claims: &IdentityClaims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&self.header, claims, &self.key)?)
    }
}

/// The published key pair of `config/dev.toml`: the demo interface page and the tests sign with
/// it. Anyone can read the private key, so a production start refuses the public one.
pub mod development {
    use super::{Algorithm, IdentityConfig, Signer};
    use crate::settings::Secret;

    pub const PUBLIC_KEY: &str = include_str!("../../config/dev-identity.pub.pem");
    pub const PRIVATE_KEY: &str = include_str!("../../config/dev-identity.pem");
    /// The `iss` of `config/dev.toml`.
    pub const ISSUER: &str = "http://127.0.0.1:8080/interface/";

    /// Verification with the development key.
    pub fn config() -> IdentityConfig {
        IdentityConfig {
            algorithm: Algorithm::EdDsa,
            key: Secret::new(PUBLIC_KEY),
            issuer: ISSUER.into(),
        }
    }

    /// The development signer, as the demo interface page's login signs.
    pub fn signer() -> anyhow::Result<Signer> {
        Signer::new(Algorithm::EdDsa, PRIVATE_KEY.as_bytes(), ISSUER)
    }

    /// The private key, as `[identity] dev_private_key` hands it to the server.
    pub fn private_key() -> Secret {
        Secret::new(PRIVATE_KEY)
    }

    /// A development token for `customer` on every site of the group, valid for `lifetime`
    /// seconds from now (negative: expired). For the tests, which name valid customers.
    #[doc(hidden)]
    pub fn token(customer: &str, lifetime: i64) -> anyhow::Result<String> {
        let sites: Vec<&str> = privacy_shared::site::all().iter().map(|s| s.id).collect();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (iat, exp) = if lifetime < 0 {
            (now + lifetime - 600, now + lifetime)
        } else {
            (now, now + lifetime)
        };
        signer()?.sign_claims(&privacy_shared::identity::IdentityClaims {
            sub: privacy_shared::CustomerNumber::parse(customer)?,
            email: privacy_shared::EmailAddress::parse("klant@example.nl")?,
            aud: privacy_shared::identity::Audience::of(&sites),
            iss: ISSUER.into(),
            iat,
            exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ISSUER: &str = development::ISSUER;

    fn dev_keys() -> (Vec<u8>, Secret) {
        (
            development::PRIVATE_KEY.as_bytes().to_vec(),
            Secret::new(development::PUBLIC_KEY),
        )
    }

    fn pair() -> (Signer, Verifier) {
        (
            development::signer().unwrap(),
            Verifier::new(&development::config()).unwrap(),
        )
    }

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    fn site(id: &str) -> SiteId {
        privacy_shared::site::install_repo_catalogue_for_tests();
        id.parse().unwrap()
    }

    fn claims(iat: i64, exp: i64) -> IdentityClaims {
        IdentityClaims {
            sub: CustomerNumber::parse("C-1001").unwrap(),
            email: EmailAddress::parse("klant@example.nl").unwrap(),
            aud: Audience::of(&[site("interface")]),
            iss: ISSUER.into(),
            iat,
            exp,
        }
    }

    #[test]
    fn a_token_verifies_for_its_sites_only_and_within_its_lifetime() {
        let (signer, verifier) = pair();
        let now = now();
        let token = signer.sign_claims(&claims(now, now + 600)).unwrap();
        assert_eq!(
            verifier.verify(&token, &[site("interface")], now),
            Ok(claims(now, now + 600))
        );
        assert_eq!(
            verifier.verify(&token, &[site("virtio-nl")], now),
            Err(TokenError::Audience)
        );
        let expired = signer.sign_claims(&claims(now - 700, now - 100)).unwrap();
        assert_eq!(
            verifier.verify(&expired, &[site("interface")], now),
            Err(TokenError::Expired)
        );
        let long = signer
            .sign_claims(&claims(now, now + MAX_LIFETIME_SECONDS + 1))
            .unwrap();
        assert_eq!(
            verifier.verify(&long, &[site("interface")], now),
            Err(TokenError::TooLongLived)
        );
        let future = signer.sign_claims(&claims(now + 120, now + 600)).unwrap();
        assert_eq!(
            verifier.verify(&future, &[site("interface")], now),
            Err(TokenError::NotYetValid)
        );
        let other_issuer = Signer::new(Algorithm::EdDsa, &dev_keys().0, "https://evil.example")
            .unwrap()
            .sign(
                CustomerNumber::parse("C-1001").unwrap(),
                EmailAddress::parse("klant@example.nl").unwrap(),
                &[site("interface")],
                now,
                600,
            )
            .unwrap();
        assert_eq!(
            verifier.verify(&other_issuer, &[site("interface")], now),
            Err(TokenError::Issuer)
        );
    }

    #[test]
    fn the_algorithm_is_the_configured_one_never_the_tokens() {
        let (signer, verifier) = pair();
        let now = now();
        let token = signer.sign_claims(&claims(now, now + 600)).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        // `alg: none` with no signature.
        let none = format!("{}.{payload}.", encode(r#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(
            verifier.verify(&none, &[site("interface")], now),
            Err(TokenError::Algorithm)
        );
        // The classic swap: HS256 keyed with the public key everyone can read.
        let public = dev_keys().1;
        let swapped = Signer::new(Algorithm::Hs256, public.expose(), ISSUER)
            .unwrap()
            .sign_claims(&claims(now, now + 600))
            .unwrap();
        assert_eq!(
            verifier.verify(&swapped, &[site("interface")], now),
            Err(TokenError::Algorithm)
        );
    }

    #[test]
    fn short_secrets_and_keys_of_another_kind_are_refused_at_start() {
        let short = Verifier::new(&IdentityConfig {
            algorithm: Algorithm::Hs256,
            key: Secret::new("31 bytes, one short of enough.."),
            issuer: ISSUER.into(),
        })
        .unwrap_err();
        assert!(
            short.to_string().contains("shorter than 32 bytes"),
            "{short}"
        );
        let wrong_kind = Verifier::new(&IdentityConfig {
            algorithm: Algorithm::Es256,
            key: dev_keys().1,
            issuer: ISSUER.into(),
        })
        .unwrap_err();
        assert!(wrong_kind.to_string().contains("ES256"), "{wrong_kind}");
    }

    proptest! {
        /// Any change to a signed token's bytes is refused: no edit makes another valid token.
        #[test]
        fn no_altered_token_verifies(index in 0usize..400, byte in 0u8..128) {
            let (signer, verifier) = pair();
            let now = now();
            let token = signer.sign_claims(&claims(now, now + 600)).unwrap();
            let mut bytes = token.clone().into_bytes();
            let index = index % bytes.len();
            prop_assume!(bytes[index] != byte);
            bytes[index] = byte;
            let altered = String::from_utf8_lossy(&bytes).into_owned();
            // Base64 padding bits: a few edits of the last character decode to the same bytes.
            let same = verifier.verify(&altered, &[site("interface")], now).ok()
                == Some(claims(now, now + 600));
            prop_assert!(verifier.verify(&altered, &[site("interface")], now).is_err() || same);
        }
    }
}

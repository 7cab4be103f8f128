//! Encryption at rest for the files of rights-request answers: XChaCha20-Poly1305 under a key from
//! the configuration (or a key file beside the database), a fresh random nonce per file, and the
//! file's id as associated data, so a ciphertext copied onto another row does not open.

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use privacy_shared::SubjectId;
use sha2::Sha256;
use std::path::Path;
use uuid::Uuid;

/// HMAC-SHA256 of `parts` under the 32-byte `key`. HMAC pads a key shorter than the hash's
/// 64-byte block with zeros; padded here, the key has the one length that needs no check.
fn keyed_digest(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A sealed file: the nonce and the ciphertext with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// The ciphertext does not open under this key and id: it was altered, moved or sealed with
/// another key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored file does not decrypt: it was altered or sealed with another key")]
pub struct OpenError;

/// The server's own key: it seals and opens attachments, and keys the pseudonyms of customers'
/// server-side choices.
#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
    /// HMAC-SHA256(key, "customer subject"): a key of its own for the pseudonyms, so that
    /// neither use of the key can be turned against the other.
    subject_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(***)")
    }
}

impl Vault {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            subject_key: keyed_digest(key, &[b"virtio-privacy customer subject v1"]),
        }
    }

    /// The pseudonymous subject id of a customer's server-side choices: stable for as long as
    /// the key, and without the key not linkable to the customer number.
    pub fn customer_subject(&self, customer: &privacy_shared::CustomerNumber) -> SubjectId {
        let digest = keyed_digest(&self.subject_key, &[customer.as_ref().as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        SubjectId::from_random_bytes(bytes)
    }

    /// A vault with a random key, for tests and throwaway servers.
    pub fn random() -> anyhow::Result<Self> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(Self::new(&key))
    }

    /// The key from its base64 form (32 bytes).
    pub fn from_base64(key: &[u8]) -> anyhow::Result<Self> {
        let bytes = STANDARD
            .decode(key.trim_ascii())
            .context("the attachment key is not base64")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the attachment key must be 32 bytes"))?;
        Ok(Self::new(&key))
    }

    /// The key in the file at `path`, created with a random key (readable by the owner only)
    /// when there is none.
    pub fn from_key_file(path: &Path) -> anyhow::Result<Self> {
        if let Ok(text) = std::fs::read(path) {
            return Self::from_base64(&text).with_context(|| format!("reading {}", path.display()));
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("creating the attachment key file {}", path.display()))?;
        std::io::Write::write_all(&mut file, STANDARD.encode(key).as_bytes())?;
        file.sync_all()?;
        Ok(Self::new(&key))
    }

    pub fn seal(&self, id: Uuid, plaintext: &[u8]) -> anyhow::Result<Sealed> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    pub fn open(&self, id: Uuid, sealed: &Sealed) -> Result<Vec<u8>, OpenError> {
        if sealed.nonce.len() != 24 {
            return Err(OpenError);
        }
        self.cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: id.as_bytes(),
                },
            )
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_file_opens_only_with_its_key_and_its_id() -> anyhow::Result<()> {
        let vault = Vault::random()?;
        let id = Uuid::new_v4();
        let sealed = vault.seal(id, b"consent history")?;
        assert!(
            !sealed.ciphertext.windows(7).any(|w| w == b"consent"),
            "the plaintext is not visible"
        );
        assert_eq!(vault.open(id, &sealed)?, b"consent history");
        assert_eq!(vault.open(Uuid::new_v4(), &sealed), Err(OpenError));
        assert_eq!(Vault::random()?.open(id, &sealed), Err(OpenError));
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert_eq!(vault.open(id, &altered), Err(OpenError));
        Ok(())
    }

    #[test]
    fn the_padded_key_is_hmac_of_the_key_itself() {
        let key = [7u8; 32];
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(b"one");
        mac.update(b"two");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(keyed_digest(&key, &[b"one", b"two"]), expected);
    }

    #[test]
    fn a_customers_subject_is_stable_per_key_and_distinct_per_customer() -> anyhow::Result<()> {
        let customer = |n: &str| privacy_shared::CustomerNumber::parse(n).unwrap();
        let key = [7u8; 32];
        let vault = Vault::new(&key);
        assert_eq!(
            vault.customer_subject(&customer("C-1001")),
            Vault::new(&key).customer_subject(&customer("C-1001"))
        );
        assert_ne!(
            vault.customer_subject(&customer("C-1001")),
            vault.customer_subject(&customer("C-1002"))
        );
        assert_ne!(
            vault.customer_subject(&customer("C-1001")),
            Vault::random()?.customer_subject(&customer("C-1001"))
        );
        Ok(())
    }

    #[test]
    fn the_key_file_is_created_once_and_then_reused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("attachments.key");
        let first = Vault::from_key_file(&path)?;
        let id = Uuid::new_v4();
        let sealed = first.seal(id, b"x")?;
        let again = Vault::from_key_file(&path)?;
        assert_eq!(again.open(id, &sealed)?, b"x");
        assert!(
            Vault::from_base64(b"c2hvcnQ=").is_err(),
            "a short key is refused"
        );
        Ok(())
    }
}

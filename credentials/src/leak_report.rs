//! Leak reports (issue 22 §2): what a secret scanner sends when it finds a Keyward secret in
//! public code, and how its sender is verified before anything is acted on.
//!
//! - GitHub's secret-scanning partner program: a JSON array of `{token, type, url, source}`,
//!   signed with ECDSA P-256 / SHA-256 over the raw body; the signature (base64 of the ASN.1
//!   DER signature) and the key's id come in `Github-Public-Key-Signature` and
//!   `Github-Public-Key-Identifier`; the keys are those GitHub publishes
//!   (`{"public_keys":[{"key_identifier","key","is_current"}]}`, the key a PEM SubjectPublicKeyInfo).
//! - Any other scanner (GitLab's revocation callback through a relay, an internal scanner): the
//!   same array, its body signed with HMAC-SHA256 under a shared key, sent as
//!   `Keyward-Signature: sha256=<hex>`.
//!
//! Invariant: [`verify_github`] and [`verify_hmac`] accept a body only with a signature that
//! holds under a configured key; nothing here looks at a body's tokens before that.

use aws_lc_rs::{hmac, signature};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;

/// Largest report body accepted (GitHub batches; a megabyte holds thousands of tokens).
pub const MAX_BODY: usize = 1024 * 1024;
/// Most tokens in one report.
pub const MAX_TOKENS: usize = 1000;

/// Why a report is refused; each is answered without any effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the report is not signed (missing {0} header)")]
    Unsigned(&'static str),
    #[error("the report names a key Keyward does not know ({0})")]
    UnknownKey(String),
    #[error("the report's signature does not verify")]
    BadSignature,
    #[error("the report is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the report is not a JSON array of {{token, type, url, source}}: {0}")]
    Malformed(String),
    #[error("the report holds more than {MAX_TOKENS} tokens")]
    TooMany,
}

/// One public key GitHub signs reports with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub key_identifier: String,
    /// SubjectPublicKeyInfo DER (an EC P-256 key).
    pub spki_der: Vec<u8>,
}

/// The keys of GitHub's published key list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubKeys(pub Vec<PublicKey>);

#[derive(Deserialize)]
struct KeyList {
    public_keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
struct KeyEntry {
    key_identifier: String,
    key: String,
}

impl GithubKeys {
    /// Parses GitHub's key list (`GET https://api.github.com/meta/public_keys/secret_scanning`).
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        let list: KeyList = serde_json::from_slice(json)
            .map_err(|e| format!("not GitHub's public key list: {e}"))?;
        let mut keys = Vec::new();
        for entry in list.public_keys {
            let block = pem::parse(entry.key.trim())
                .map_err(|e| format!("key {}: not a PEM public key: {e}", entry.key_identifier))?;
            if block.tag() != "PUBLIC KEY" {
                return Err(format!(
                    "key {}: a PEM PUBLIC KEY is expected, not {}",
                    entry.key_identifier,
                    block.tag()
                ));
            }
            keys.push(PublicKey {
                key_identifier: entry.key_identifier,
                spki_der: block.contents().to_vec(),
            });
        }
        if keys.is_empty() {
            return Err("the key list holds no key".into());
        }
        Ok(GithubKeys(keys))
    }
}

/// Verifies a GitHub report: the named key, then its ECDSA P-256 signature over the raw body.
pub fn verify_github(
    keys: &GithubKeys,
    key_identifier: Option<&str>,
    signature_b64: Option<&str>,
    body: &[u8],
) -> Result<(), ReportError> {
    let id = key_identifier.ok_or(ReportError::Unsigned("Github-Public-Key-Identifier"))?;
    let sig = signature_b64.ok_or(ReportError::Unsigned("Github-Public-Key-Signature"))?;
    if body.len() > MAX_BODY {
        return Err(ReportError::TooLarge);
    }
    let key = keys
        .0
        .iter()
        .find(|k| k.key_identifier == id)
        .ok_or_else(|| ReportError::UnknownKey(id.chars().take(100).collect()))?;
    let sig = STANDARD
        .decode(sig.trim())
        .map_err(|_| ReportError::BadSignature)?;
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &key.spki_der)
        .verify(body, &sig)
        .map_err(|_| ReportError::BadSignature)
}

/// The `Keyward-Signature` value of a body under a shared key: `sha256=<hex>`.
pub fn hmac_signature(key: &[u8], body: &[u8]) -> String {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), body);
    format!("sha256={}", hex(tag.as_ref()))
}

/// Verifies a generic report's `Keyward-Signature: sha256=<hex>` in constant time.
pub fn verify_hmac(key: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), ReportError> {
    let header = header.ok_or(ReportError::Unsigned("Keyward-Signature"))?;
    if body.len() > MAX_BODY {
        return Err(ReportError::TooLarge);
    }
    let tag = header
        .trim()
        .strip_prefix("sha256=")
        .and_then(unhex)
        .ok_or(ReportError::BadSignature)?;
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), body, &tag)
        .map_err(|_| ReportError::BadSignature)
}

/// One token a report names.
#[derive(Clone, Deserialize)]
pub struct ReportedToken {
    pub token: String,
    #[serde(rename = "type", default)]
    pub token_type: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub source: String,
}

impl std::fmt::Debug for ReportedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportedToken")
            .field("token", &"[redacted]")
            .field("type", &self.token_type)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

/// Parses a verified report's body.
pub fn parse(body: &[u8]) -> Result<Vec<ReportedToken>, ReportError> {
    let tokens: Vec<ReportedToken> =
        serde_json::from_slice(body).map_err(|e| ReportError::Malformed(e.to_string()))?;
    if tokens.len() > MAX_TOKENS {
        return Err(ReportError::TooMany);
    }
    Ok(tokens)
}

/// Hex SHA-256 of a token: how an answer names a token without repeating it (GitHub's
/// `token_hash`).
pub fn token_hash(token: &str) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    /// A P-256 key pair and GitHub's key list for its public key.
    fn github_key(id: &str) -> (EcdsaKeyPair, Vec<u8>) {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
                .unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let spki = pair.public_key().as_der().unwrap();
        let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki.as_ref().to_vec()));
        let list = serde_json::json!({
            "public_keys": [{ "key_identifier": id, "key": pem, "is_current": true }]
        });
        (pair, serde_json::to_vec(&list).unwrap())
    }

    fn sign(pair: &EcdsaKeyPair, body: &[u8]) -> String {
        STANDARD.encode(pair.sign(&SystemRandom::new(), body).unwrap().as_ref())
    }

    #[test]
    fn github_signatures() {
        let (pair, list) = github_key("k1");
        let keys = GithubKeys::parse(&list).unwrap();
        let body = br#"[{"token":"kw_x","type":"keyward_client_secret","url":"https://github.com/o/r/blob/1/a","source":"content"}]"#;
        let sig = sign(&pair, body);
        assert_eq!(verify_github(&keys, Some("k1"), Some(&sig), body), Ok(()));
        // The body changed by one byte, another key's id, no headers, garbage.
        let mut other = body.to_vec();
        other[3] = b'T';
        assert_eq!(
            verify_github(&keys, Some("k1"), Some(&sig), &other),
            Err(ReportError::BadSignature)
        );
        assert_eq!(
            verify_github(&keys, Some("k2"), Some(&sig), body),
            Err(ReportError::UnknownKey("k2".into()))
        );
        assert!(matches!(
            verify_github(&keys, None, Some(&sig), body),
            Err(ReportError::Unsigned(_))
        ));
        assert!(matches!(
            verify_github(&keys, Some("k1"), None, body),
            Err(ReportError::Unsigned(_))
        ));
        assert_eq!(
            verify_github(&keys, Some("k1"), Some("!!"), body),
            Err(ReportError::BadSignature)
        );
        // Signed by a key Keyward does not hold, under a known id.
        let (stranger, _) = github_key("k1");
        assert_eq!(
            verify_github(&keys, Some("k1"), Some(&sign(&stranger, body)), body),
            Err(ReportError::BadSignature)
        );
        let big = vec![b' '; MAX_BODY + 1];
        assert_eq!(
            verify_github(&keys, Some("k1"), Some(&sig), &big),
            Err(ReportError::TooLarge)
        );
    }

    #[test]
    fn key_lists() {
        assert!(GithubKeys::parse(b"{}").is_err());
        assert!(GithubKeys::parse(br#"{"public_keys":[]}"#).is_err());
        assert!(GithubKeys::parse(
            br#"{"public_keys":[{"key_identifier":"a","key":"not pem","is_current":true}]}"#
        )
        .is_err());
    }

    #[test]
    fn hmac_signatures() {
        let key = b"a shared key of at least 32 characters";
        let body = br#"[{"token":"t","type":"x","url":"u","source":"s"}]"#;
        let sig = hmac_signature(key, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert_eq!(verify_hmac(key, Some(&sig), body), Ok(()));
        assert_eq!(
            verify_hmac(b"another key", Some(&sig), body),
            Err(ReportError::BadSignature)
        );
        assert_eq!(
            verify_hmac(key, Some("sha256=zz"), body),
            Err(ReportError::BadSignature)
        );
        assert!(matches!(
            verify_hmac(key, None, body),
            Err(ReportError::Unsigned(_))
        ));
    }

    #[test]
    fn reports() {
        let tokens =
            parse(br#"[{"token":"kw_1","type":"t","url":"u","source":"content"}]"#).unwrap();
        assert_eq!(tokens[0].token, "kw_1");
        assert!(!format!("{:?}", tokens[0]).contains("kw_1"));
        assert!(matches!(parse(b"{}"), Err(ReportError::Malformed(_))));
        assert!(matches!(
            parse(b"[{\"type\":1}]"),
            Err(ReportError::Malformed(_))
        ));
        let many = format!("[{}]", vec![r#"{"token":"t"}"#; MAX_TOKENS + 1].join(","));
        assert_eq!(parse(many.as_bytes()).unwrap_err(), ReportError::TooMany);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

//! JWK and JWKS (RFC 7517/7518, RFC 8037): uploads (strict: every key must be usable) and JWKS
//! fetched from a client's jwks_uri (lenient like Keycloak: unusable keys are skipped).

use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{Map, Value};

use super::{
    accept_spki, analyse, cert, check_alg, der, quoted, which_key, x5t_s256, ImportError,
    ImportedKey, KeyFormat, MAX_UPLOAD_BYTES,
};
use crate::authenticator::client_jwt::Curve;

/// base64url, padding tolerated.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// x5c members are standard base64 (RFC 7517 §4.7), padding tolerated.
const B64STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Members that only private (or symmetric) keys have.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn malformed(what: String) -> ImportError {
    ImportError::Malformed(format!("malformed JWK: {what}"))
}

fn json(bytes: &[u8], what: &str) -> Result<Value, ImportError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    serde_json::from_slice(bytes)
        .map_err(|e| ImportError::Malformed(format!("malformed {what}: not JSON ({e})")))
}

fn string<'v>(o: &'v Map<String, Value>, name: &str) -> Result<Option<&'v str>, ImportError> {
    match o.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(format!(
            "member {} is not a string",
            quoted(name)
        ))),
    }
}

fn required<'v>(o: &'v Map<String, Value>, name: &str) -> Result<&'v str, ImportError> {
    string(o, name)?.ok_or_else(|| malformed(format!("member {} is missing", quoted(name))))
}

fn b64u(o: &Map<String, Value>, name: &str) -> Result<Vec<u8>, ImportError> {
    let s = required(o, name)?;
    let bytes = B64URL
        .decode(s)
        .map_err(|_| malformed(format!("member {} is not base64url", quoted(name))))?;
    if bytes.is_empty() {
        return Err(malformed(format!("member {} is empty", quoted(name))));
    }
    Ok(bytes)
}

/// An EC coordinate at its curve's length (shorter ones, with leading zeros dropped by some
/// writers, are padded back).
fn coordinate(o: &Map<String, Value>, name: &str, curve: Curve) -> Result<Vec<u8>, ImportError> {
    let bytes = b64u(o, name)?;
    let len = curve.coordinate_len();
    if bytes.len() > len {
        return Err(malformed(format!(
            "member {} is not a {} coordinate",
            quoted(name),
            curve.name()
        )));
    }
    let mut padded = vec![0u8; len - bytes.len()];
    padded.extend_from_slice(&bytes);
    Ok(padded)
}

fn curve(crv: &str) -> Result<Curve, ImportError> {
    match crv {
        "P-256" => Ok(Curve::P256),
        "P-384" => Ok(Curve::P384),
        "P-521" => Ok(Curve::P521),
        other => Err(ImportError::Unsupported(format!(
            "unsupported curve {}",
            quoted(other)
        ))),
    }
}

/// One JWK object to the key to keep.
fn from_object(o: &Map<String, Value>, format: KeyFormat) -> Result<ImportedKey, ImportError> {
    let kty = required(o, "kty")?;
    if kty == "oct" {
        return Err(ImportError::Symmetric);
    }
    if PRIVATE_MEMBERS.iter().any(|m| o.contains_key(*m)) {
        return Err(ImportError::PrivateKey);
    }
    if let Some(usage) = string(o, "use")? {
        if usage != "sig" {
            return Err(ImportError::NotForSignatures(usage.to_owned()));
        }
    }
    let kid = string(o, "kid")?
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let alg = string(o, "alg")?.map(str::to_owned);
    let spki = match kty {
        "RSA" => der::rsa_spki(&b64u(o, "n")?, &b64u(o, "e")?),
        "EC" => {
            let curve = curve(required(o, "crv")?)?;
            der::ec_spki(
                curve,
                &coordinate(o, "x", curve)?,
                &coordinate(o, "y", curve)?,
            )
        }
        "OKP" => match required(o, "crv")? {
            "Ed25519" => {
                let x = b64u(o, "x")?;
                if x.len() != 32 {
                    return Err(malformed("member \"x\" is not an Ed25519 key".into()));
                }
                der::ed25519_spki(&x)
            }
            other => {
                return Err(ImportError::Unsupported(format!(
                    "unsupported curve {}",
                    quoted(other)
                )))
            }
        },
        other => {
            return Err(ImportError::Unsupported(format!(
                "unsupported key type {}",
                quoted(other)
            )))
        }
    };
    let kind = accept_spki(&spki)?;
    if let Some(alg) = &alg {
        check_alg(alg, kind)?;
    }
    let certificate_der = certificate(o, &spki)?;
    Ok(ImportedKey {
        kid,
        alg,
        spki_der: spki,
        certificate_der,
        format,
        alias: None,
    })
}

/// `x5c[0]`, checked to hold the JWK's key (and to match `x5t#S256` when that is given).
fn certificate(o: &Map<String, Value>, spki: &[u8]) -> Result<Option<Vec<u8>>, ImportError> {
    let first = match o.get("x5c") {
        None => return Ok(None),
        Some(Value::Array(chain)) => match chain.first() {
            None => return Ok(None),
            Some(Value::String(s)) => s,
            Some(_) => return Err(malformed("x5c holds a non-string".into())),
        },
        Some(_) => return Err(malformed("member \"x5c\" is not an array".into())),
    };
    let der = B64STD
        .decode(first.as_bytes())
        .map_err(|_| malformed("x5c[0] is not base64".into()))?;
    let cert_spki = cert::spki(&der, false)?;
    let (ours, theirs) = (analyse(spki)?, analyse(&cert_spki)?);
    if ours.kind != theirs.kind || ours.a != theirs.a || ours.b != theirs.b {
        return Err(ImportError::CertificateMismatch);
    }
    if let Some(t) = string(o, "x5t#S256")? {
        if t.trim_end_matches('=') != x5t_s256(&der) {
            return Err(malformed(
                "x5t#S256 is not the x5c certificate's thumbprint".into(),
            ));
        }
    }
    Ok(Some(der))
}

/// A single JWK upload.
pub(super) fn import_jwk(bytes: &[u8]) -> Result<ImportedKey, ImportError> {
    match json(bytes, "JWK")? {
        Value::Object(o) => from_object(&o, KeyFormat::Jwk),
        _ => Err(malformed("not a JSON object".into())),
    }
}

fn keys_array(v: Value) -> Result<Vec<Value>, ImportError> {
    match v {
        Value::Object(mut o) => match o.remove("keys") {
            Some(Value::Array(keys)) => Ok(keys),
            _ => Err(ImportError::Malformed(
                "malformed JWKS: no \"keys\" array".into(),
            )),
        },
        _ => Err(ImportError::Malformed(
            "malformed JWKS: not a JSON object".into(),
        )),
    }
}

fn kid_of(v: &Value) -> Option<String> {
    v.get("kid").and_then(Value::as_str).map(str::to_owned)
}

/// A JWKS upload: every key must be acceptable.
pub(super) fn import_jwks(bytes: &[u8]) -> Result<Vec<ImportedKey>, ImportError> {
    let keys = keys_array(json(bytes, "JWKS")?)?;
    if keys.is_empty() {
        return Err(ImportError::NoKeys);
    }
    keys.iter()
        .enumerate()
        .map(|(i, v)| {
            let key = match v {
                Value::Object(o) => from_object(o, KeyFormat::Jwks),
                _ => Err(malformed("not a JSON object".into())),
            };
            key.map_err(|e| ImportError::InJwks {
                index: i + 1,
                kid: kid_of(v),
                error: Box::new(e),
            })
        })
        .collect()
}

/// A JWKS fetched from a client's jwks_uri, with the keys skipped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedJwks {
    pub keys: Vec<ImportedKey>,
    /// "key 2 (kid \"x\"): reason" (index counts from 1).
    pub skipped: Vec<String>,
}

/// A JWKS fetched from a client's jwks_uri: lenient like Keycloak — keys that cannot verify
/// signatures (use "enc", kty oct, unsupported kty/crv, RSA < 2048, malformed) are skipped, each
/// with a reason; duplicate kids are kept (lookup is by kid AND alg, as Keycloak does). A key
/// published with private members is skipped too: it is compromised. Fails only when the body
/// is not a JWKS JSON object (or is larger than [`MAX_UPLOAD_BYTES`]).
pub fn parse_fetched_jwks(body: &[u8]) -> Result<FetchedJwks, ImportError> {
    if body.len() > MAX_UPLOAD_BYTES {
        return Err(ImportError::TooLarge);
    }
    let keys = keys_array(json(body, "JWKS")?)?;
    let mut fetched = FetchedJwks {
        keys: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, v) in keys.iter().enumerate() {
        let key = match v {
            Value::Object(o) => from_object(o, KeyFormat::Jwks),
            _ => Err(malformed("not a JSON object".into())),
        };
        match key {
            Ok(k) => fetched.keys.push(k),
            Err(e) => {
                let reason = match e {
                    ImportError::PrivateKey => {
                        "it holds private key material (a published private key is compromised)"
                            .to_owned()
                    }
                    e => e.to_string(),
                };
                let kid = kid_of(v);
                fetched
                    .skipped
                    .push(format!("{}: {reason}", which_key(i + 1, kid.as_deref())));
            }
        }
    }
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::super::*;
    use serde_json::json;

    fn jwk_err(v: Value) -> ImportError {
        err(v.to_string().as_bytes())
    }

    fn p256() -> Value {
        serde_json::from_slice(fixture!("p256.jwk")).unwrap()
    }

    fn with(mut v: Value, extra: Value) -> Value {
        for (k, x) in extra.as_object().unwrap() {
            if x.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = x.clone();
            }
        }
        v
    }

    #[test]
    fn jwk_of_each_key_type_is_accepted() {
        type Case<'a> = (&'a [u8], &'a [u8], &'a str, Option<&'a str>);
        let cases: [Case<'_>; 5] = [
            (
                fixture!("rsa2048.jwk"),
                fixture!("rsa2048-pub.pem"),
                "rsa2048-kid",
                Some("RS256"),
            ),
            (
                fixture!("p256.jwk"),
                fixture!("p256-pub.pem"),
                "p256-kid",
                None,
            ),
            (
                fixture!("p384.jwk"),
                fixture!("p384-pub.pem"),
                "p384-kid",
                None,
            ),
            (
                fixture!("p521.jwk"),
                fixture!("p521-pub.pem"),
                "p521-kid",
                None,
            ),
            (
                fixture!("ed25519.jwk"),
                fixture!("ed25519-pub.pem"),
                "ed25519-kid",
                None,
            ),
        ];
        for (jwk, public, kid, alg) in cases {
            let k = one(jwk);
            // The SPKI built from the JWK is byte for byte what OpenSSL wrote.
            assert_eq!(k.spki_der, pem_der(public), "{kid}");
            assert_eq!(k.kid.as_deref(), Some(kid));
            assert_eq!(k.alg.as_deref(), alg);
            assert_eq!(k.format, KeyFormat::Jwk);
            assert_eq!(k.certificate_der, None);
        }
    }

    #[test]
    fn jwks_upload() {
        let keys = import(&req(fixture!("all.jwks"))).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
        assert_eq!(
            kids,
            [
                "rsa2048-kid",
                "p256-kid",
                "p384-kid",
                "p521-kid",
                "ed25519-kid"
            ]
        );
        assert!(keys.iter().all(|k| k.format == KeyFormat::Jwks));
        // One bad key refuses the upload, naming it.
        let e = err(fixture!("mixed.jwks"));
        assert_eq!(
            e.to_string(),
            "key 2 (kid \"p384-kid\"): this key is not for signatures (use \"enc\"): upload a \
             signing key"
        );
        let e = err(
            json!({"keys": [p256(), {"kty": "EC", "crv": "P-256", "x": 1}]})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(
            e.to_string(),
            "key 2: malformed JWK: member \"x\" is not a string"
        );
        assert_eq!(err(br#"{"keys": []}"#), ImportError::NoKeys);
        assert_eq!(
            err(br#"{"keys": 1}"#).to_string(),
            "malformed JWKS: no \"keys\" array"
        );
    }

    #[test]
    fn refusals_with_their_messages() {
        // Private keys, whatever the type.
        for member in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
            let e = jwk_err(with(p256(), json!({ member: "AAAA" })));
            assert_eq!(e, ImportError::PrivateKey, "{member}");
        }
        assert_eq!(
            jwk_err(with(p256(), json!({"k": "AAAA"}))).to_string(),
            "this is a private key: upload the public key"
        );
        // Symmetric keys.
        let e = jwk_err(json!({"kty": "oct", "k": "c2VjcmV0"}));
        assert_eq!(e, ImportError::Symmetric);
        assert!(e.to_string().contains("symmetric keys (kty \"oct\")"));
        // Small RSA.
        assert_eq!(
            err(fixture!("rsa1024.jwk")).to_string(),
            "RSA key of 1024 bits: at least 2048 are required"
        );
        // Unknown kty and curves.
        assert_eq!(
            jwk_err(json!({"kty": "foo"})).to_string(),
            "unsupported key type \"foo\""
        );
        assert_eq!(
            jwk_err(with(p256(), json!({"crv": "secp256k1"}))).to_string(),
            "unsupported curve \"secp256k1\""
        );
        assert_eq!(
            jwk_err(json!({"kty": "OKP", "crv": "X25519", "x": "AAAA"})).to_string(),
            "unsupported curve \"X25519\""
        );
        // Malformed members.
        assert_eq!(
            jwk_err(json!({"kty": "RSA", "n": "!!", "e": "AQAB"})).to_string(),
            "malformed JWK: member \"n\" is not base64url"
        );
        assert_eq!(
            jwk_err(json!({"kty": "RSA", "e": "AQAB"})).to_string(),
            "malformed JWK: member \"n\" is missing"
        );
        assert_eq!(
            jwk_err(json!({"kid": "x"})).to_string(),
            "malformed JWK: member \"kty\" is missing"
        );
        let long_x = with(p256(), json!({"x": URL_SAFE_NO_PAD.encode([1u8; 33])}));
        assert_eq!(
            jwk_err(long_x).to_string(),
            "malformed JWK: member \"x\" is not a P-256 coordinate"
        );
        let off_curve = with(p256(), json!({"y": URL_SAFE_NO_PAD.encode([1u8; 32])}));
        assert_eq!(
            jwk_err(off_curve).to_string(),
            "the EC point is not on P-256"
        );
        // Bad JSON.
        let e = import(&ImportRequest {
            format: Some(KeyFormat::Jwk),
            ..req(b"{\"kty\": ")
        })
        .unwrap_err();
        assert!(
            e.to_string().starts_with("malformed JWK: not JSON ("),
            "{e}"
        );
        // Encryption keys and alg that does not fit.
        assert_eq!(
            jwk_err(with(p256(), json!({"use": "enc"}))),
            ImportError::NotForSignatures("enc".into())
        );
        assert_eq!(
            jwk_err(with(p256(), json!({"alg": "RS256"}))).to_string(),
            "alg RS256 does not fit a P-256 key"
        );
        assert_eq!(
            jwk_err(with(p256(), json!({"alg": "ES384"}))).to_string(),
            "alg ES384 does not fit a P-256 key"
        );
        let rsa: Value = serde_json::from_slice(fixture!("rsa2048.jwk")).unwrap();
        assert_eq!(
            jwk_err(with(rsa.clone(), json!({"alg": "ES256"}))).to_string(),
            "alg ES256 does not fit an RSA key"
        );
        assert_eq!(
            jwk_err(with(rsa.clone(), json!({"alg": "HS256"}))).to_string(),
            "alg HS256 does not fit an RSA key"
        );
        assert!(jwk_err(with(rsa, json!({"alg": "RSA-OAEP"})))
            .to_string()
            .starts_with("unsupported alg \"RSA-OAEP\""));
        // Accepted variations: PS alg, no use, padding, short EC coordinate.
        let rsa: Value = serde_json::from_slice(fixture!("rsa2048.jwk")).unwrap();
        assert!(import(&req(with(rsa, json!({"alg": "PS512", "use": null}))
            .to_string()
            .as_bytes()))
        .is_ok());
        let padded = with(
            p256(),
            json!({"x": format!("{}=", p256()["x"].as_str().unwrap())}),
        );
        assert_eq!(
            one(padded.to_string().as_bytes()).spki_der,
            pem_der(fixture!("p256-pub.pem"))
        );
    }

    #[test]
    fn x5c_must_hold_the_same_key() {
        let cert = pem_der(fixture!("p256-cert.pem"));
        let spki = pem_der(fixture!("p256-pub.pem"));
        let jwk = public_jwk(&spki, "k", None, Some(&cert)).unwrap();
        assert_eq!(
            one(jwk.to_string().as_bytes()).certificate_der,
            Some(cert.clone())
        );
        // Another key's certificate.
        let other = pem_der(fixture!("p384-cert.pem"));
        let wrong = with(
            jwk.clone(),
            json!({"x5c": [STANDARD.encode(&other)], "x5t#S256": null}),
        );
        let e = jwk_err(wrong);
        assert_eq!(e, ImportError::CertificateMismatch);
        assert_eq!(
            e.to_string(),
            "the certificate in x5c does not hold the JWK's key"
        );
        // A thumbprint of another certificate.
        let t = with(jwk.clone(), json!({"x5t#S256": x5t_s256(&other)}));
        assert!(jwk_err(t).to_string().contains("x5t#S256"));
        // Not a certificate.
        let junk = with(jwk, json!({"x5c": ["AAAA"], "x5t#S256": null}));
        assert!(matches!(jwk_err(junk), ImportError::BadCertificate(_)));
    }

    #[test]
    fn fetched_jwks_is_lenient() {
        let f = parse_fetched_jwks(fixture!("mixed.jwks")).unwrap();
        let kids: Vec<_> = f.keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
        assert_eq!(kids, ["p256-kid", "ed25519-kid"]);
        assert_eq!(
            f.skipped,
            [
                "key 2 (kid \"p384-kid\"): this key is not for signatures (use \"enc\"): upload a signing key",
                "key 3 (kid \"hmac\"): symmetric keys (kty \"oct\") cannot verify client assertions: upload a public key",
                "key 4 (kid \"rsa1024-kid\"): RSA key of 1024 bits: at least 2048 are required",
                "key 5 (kid \"k1\"): unsupported curve \"secp256k1\"",
            ]
        );
        // Duplicate kids are kept; a published private key is skipped.
        let body = json!({"keys": [p256(), p256(), with(p256(), json!({"d": "AAAA"})), 7]});
        let f = parse_fetched_jwks(body.to_string().as_bytes()).unwrap();
        assert_eq!(f.keys.len(), 2);
        assert_eq!(f.skipped.len(), 2);
        assert!(f.skipped[0].starts_with("key 3 (kid \"p256-kid\"): it holds private key material"));
        assert_eq!(f.skipped[1], "key 4: malformed JWK: not a JSON object");
        // Only a body that is not a JWKS fails.
        assert!(parse_fetched_jwks(b"<html>").is_err());
        assert!(parse_fetched_jwks(b"[]").is_err());
        assert!(parse_fetched_jwks(br#"{"keys": {}}"#).is_err());
        assert_eq!(parse_fetched_jwks(br#"{"keys": []}"#).unwrap().keys, vec![]);
        assert_eq!(
            parse_fetched_jwks(&vec![b' '; MAX_UPLOAD_BYTES + 1]).unwrap_err(),
            ImportError::TooLarge
        );
    }
}

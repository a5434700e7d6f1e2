//! What a client presented at the token endpoint: the Authorization header and the
//! client-authentication form fields, read into one [`Presented`] (RFC 6749 §2.3, RFC 7521 §4.2).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

pub use crate::authenticator::AuthError;
use crate::secret::SecretString;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// `client_assertion_type` of a SPIFFE JWT-SVID sent as a client assertion
/// (draft-ietf-oauth-spiffe-client-auth); only `federated-jwt` clients accept it.
pub const JWT_SPIFFE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";

/// Largest `client_assertion` accepted, in bytes.
pub const MAX_ASSERTION_LEN: usize = 8 * 1024;

/// Standard base64 that accepts the padding or its absence (clients differ).
const BASIC_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The client authentication a request carried. `Debug` shows neither the secret nor the
/// assertion (a bearer credential until its jti has been used).
#[derive(Clone)]
pub enum Presented {
    /// client_secret_basic.
    Basic {
        client_id: String,
        secret: SecretString,
    },
    /// client_secret_post.
    Post {
        client_id: String,
        secret: SecretString,
    },
    /// A JWT client assertion; `client_id` is the form field, if sent; `spiffe` when the type
    /// was [`JWT_SPIFFE`] (a JWT-SVID) rather than [`JWT_BEARER`].
    Assertion {
        client_id: Option<String>,
        assertion: String,
        spiffe: bool,
    },
    /// Only a client id (a public client).
    None { client_id: String },
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::Basic { client_id, secret } => f
                .debug_struct("Basic")
                .field("client_id", client_id)
                .field("secret", secret)
                .finish(),
            Presented::Post { client_id, secret } => f
                .debug_struct("Post")
                .field("client_id", client_id)
                .field("secret", secret)
                .finish(),
            Presented::Assertion {
                client_id,
                assertion,
                spiffe,
            } => f
                .debug_struct("Assertion")
                .field("client_id", client_id)
                .field("spiffe", spiffe)
                .field("assertion", &format_args!("<{} bytes>", assertion.len()))
                .finish(),
            Presented::None { client_id } => f
                .debug_struct("None")
                .field("client_id", client_id)
                .finish(),
        }
    }
}

impl Presented {
    /// The client id the request named, if any (an assertion names its client in `sub`, see
    /// [`crate::assertion::unverified_subject`]).
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Post { client_id, .. }
            | Presented::None { client_id } => Some(client_id),
            Presented::Assertion { client_id, .. } => client_id.as_deref(),
        }
    }

    /// `client_secret_basic`, `client_secret_post`, `jwt` or `none`.
    pub fn method_name(&self) -> &'static str {
        match self {
            Presented::Basic { .. } => "client_secret_basic",
            Presented::Post { .. } => "client_secret_post",
            Presented::Assertion { .. } => "jwt",
            Presented::None { .. } => "none",
        }
    }

    /// The client id to look the client up by: the presented one or, for an assertion sent
    /// without `client_id`, the assertion's (not yet verified) `sub`.
    pub fn lookup_client_id(&self) -> Result<String, AuthError> {
        match self {
            Presented::Assertion {
                client_id: None,
                assertion,
                ..
            } => crate::assertion::unverified_subject(assertion),
            other => Ok(other.client_id().unwrap_or_default().to_owned()),
        }
    }
}

/// The client-authentication fields of a form, each seen at most once.
#[derive(Default)]
struct Fields<'a> {
    client_id: Option<&'a str>,
    client_secret: Option<&'a str>,
    client_assertion: Option<&'a str>,
    client_assertion_type: Option<&'a str>,
}

/// Reads the client authentication of a token request. `authorization` is the Authorization
/// header, `form` the decoded form fields.
pub fn presented(
    authorization: Option<&str>,
    form: &[(String, String)],
) -> Result<Presented, AuthError> {
    let mut fields = Fields::default();
    for (name, value) in form {
        let slot = match name.as_str() {
            "client_id" => &mut fields.client_id,
            "client_secret" => &mut fields.client_secret,
            "client_assertion" => &mut fields.client_assertion,
            "client_assertion_type" => &mut fields.client_assertion_type,
            _ => continue,
        };
        if slot.is_some() {
            return Err(AuthError::InvalidRequest(format!(
                "repeated parameter {name}"
            )));
        }
        *slot = Some(value.as_str());
    }
    // RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
    fn keep(v: Option<&str>) -> Option<&str> {
        v.filter(|s| !s.is_empty())
    }
    let client_id = keep(fields.client_id);
    let client_secret = keep(fields.client_secret);
    let assertion = keep(fields.client_assertion);
    let assertion_type = keep(fields.client_assertion_type);

    let basic = match authorization {
        Some(header) => Some(basic(header)?),
        None => None,
    };

    let methods = usize::from(basic.is_some())
        + usize::from(client_secret.is_some())
        + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(AuthError::InvalidRequest(
            "more than one client authentication method".into(),
        ));
    }
    if assertion_type.is_some() && assertion.is_none() {
        return Err(AuthError::InvalidRequest(
            "client_assertion_type without client_assertion".into(),
        ));
    }

    if let Some((id, secret)) = basic {
        if client_id.is_some_and(|form_id| form_id != id) {
            return Err(AuthError::ClientMismatch);
        }
        return Ok(Presented::Basic {
            client_id: id,
            secret,
        });
    }
    if let Some(secret) = client_secret {
        let Some(id) = client_id else {
            return Err(AuthError::InvalidRequest(
                "client_secret without client_id".into(),
            ));
        };
        return Ok(Presented::Post {
            client_id: id.to_owned(),
            secret: SecretString::new(secret),
        });
    }
    if let Some(assertion) = assertion {
        let spiffe = match assertion_type {
            Some(JWT_BEARER) => false,
            Some(JWT_SPIFFE) => true,
            Some(_) => {
                return Err(AuthError::InvalidRequest(
                    "unsupported client_assertion_type".into(),
                ))
            }
            None => {
                return Err(AuthError::InvalidRequest(
                    "client_assertion without client_assertion_type".into(),
                ))
            }
        };
        if assertion.len() > MAX_ASSERTION_LEN {
            return Err(AuthError::InvalidRequest(format!(
                "client_assertion is longer than {MAX_ASSERTION_LEN} bytes"
            )));
        }
        return Ok(Presented::Assertion {
            client_id: client_id.map(str::to_owned),
            assertion: assertion.to_owned(),
            spiffe,
        });
    }
    match client_id {
        Some(id) => Ok(Presented::None {
            client_id: id.to_owned(),
        }),
        None => Err(AuthError::NoCredentials),
    }
}

/// Decodes `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn basic(header: &str) -> Result<(String, SecretString), AuthError> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthError::UnsupportedScheme);
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err(AuthError::InvalidRequest("empty Basic credentials".into()));
    }
    let raw = zeroize::Zeroizing::new(
        BASIC_B64
            .decode(token)
            .map_err(|_| AuthError::InvalidRequest("Basic credentials are not base64".into()))?,
    );
    let text = std::str::from_utf8(&raw)
        .map_err(|_| AuthError::InvalidRequest("Basic credentials are not UTF-8".into()))?;
    let (id, secret) = text.split_once(':').ok_or_else(|| {
        AuthError::InvalidRequest("Basic credentials have no ':' separator".into())
    })?;
    let id = form_url_decode(id).ok_or_else(|| {
        AuthError::InvalidRequest("Basic client id is not form-url-encoded".into())
    })?;
    let secret = SecretString::new(form_url_decode(secret).ok_or_else(|| {
        AuthError::InvalidRequest("Basic client secret is not form-url-encoded".into())
    })?);
    if id.is_empty() {
        return Err(AuthError::InvalidRequest(
            "Basic credentials have an empty client id".into(),
        ));
    }
    Ok((id, secret))
}

/// application/x-www-form-urlencoded decoding of one value: `+` is a space, `%XX` a byte; the
/// result must be UTF-8. `None` on a malformed escape or invalid UTF-8.
pub fn form_url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    /// RFC 6749 §2.3.1 / Appendix B encoding of one value.
    pub(crate) fn form_url_encode(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    /// The Authorization header a client_secret_basic client sends.
    pub(crate) fn basic_header(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!(
                "{}:{}",
                form_url_encode(id),
                form_url_encode(secret)
            ))
        )
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn invalid_request(r: Result<Presented, AuthError>) -> String {
        match r {
            Err(AuthError::InvalidRequest(m)) => m,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn basic_round_trips_rfc6749_encoding() {
        for (id, secret) in [
            ("billing", "s3cr3t"),
            ("svc:reports", "a+b%c:d e/f?g=h&i"),
            ("ünïcode id", "pässwörd ✓"),
            ("id", ""),
            ("id", "::"),
        ] {
            let h = basic_header(id, secret);
            let p = presented(Some(&h), &form(&[("grant_type", "client_credentials")])).unwrap();
            match &p {
                Presented::Basic {
                    client_id,
                    secret: s,
                } => {
                    assert_eq!(client_id, id);
                    assert_eq!(s.expose(), secret);
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(p.method_name(), "client_secret_basic");
            assert_eq!(p.client_id(), Some(id));
        }
        // The id's ':' must be encoded: the first raw ':' separates id and secret.
        assert!(basic_header("a:b", "c").contains(&STANDARD.encode("a%3Ab:c")[..4]));
        let raw = format!("Basic {}", STANDARD.encode("a:b:c"));
        match presented(Some(&raw), &[]).unwrap() {
            Presented::Basic { client_id, secret } => {
                assert_eq!(client_id, "a");
                assert_eq!(secret.expose(), "b:c");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn basic_scheme_is_case_insensitive_and_padding_optional() {
        let b64 = STANDARD.encode("id:secret1");
        assert!(b64.ends_with('='));
        for h in [
            format!("basic {b64}"),
            format!("BASIC {b64}"),
            format!("Basic  {}", b64.trim_end_matches('=')),
        ] {
            assert!(matches!(
                presented(Some(&h), &[]).unwrap(),
                Presented::Basic { .. }
            ));
        }
    }

    #[test]
    fn malformed_basic_is_refused() {
        for h in [
            "Basic !!!!".to_string(),
            "Basic".to_string(),
            "Basic ".to_string(),
            format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', b'x'])),
            format!("Basic {}", STANDARD.encode("no-colon")),
            format!("Basic {}", STANDARD.encode("id:bad%zzescape")),
            format!("Basic {}", STANDARD.encode("id:trunc%4")),
            format!("Basic {}", STANDARD.encode("id:%ff%fe")),
            format!("Basic {}", STANDARD.encode(":secret")),
        ] {
            invalid_request(presented(Some(&h), &[]));
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for h in ["Bearer abc", "Digest x", "", "abc"] {
            assert_eq!(
                presented(Some(h), &form(&[("client_id", "a")])).unwrap_err(),
                AuthError::UnsupportedScheme,
                "{h}"
            );
        }
    }

    #[test]
    fn post() {
        let p = presented(
            None,
            &form(&[("client_id", "billing"), ("client_secret", "a+b %")]),
        )
        .unwrap();
        match &p {
            Presented::Post { client_id, secret } => {
                assert_eq!(client_id, "billing");
                // Form values arrive decoded: no second decoding.
                assert_eq!(secret.expose(), "a+b %");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.method_name(), "client_secret_post");
        assert!(!format!("{p:?}").contains("a+b"));
        invalid_request(presented(None, &form(&[("client_secret", "x")])));
    }

    #[test]
    fn more_than_one_method_is_refused() {
        let h = basic_header("billing", "s");
        for f in [
            form(&[("client_secret", "s")]),
            form(&[
                ("client_assertion", "a.b.c"),
                ("client_assertion_type", JWT_BEARER),
            ]),
        ] {
            assert_eq!(
                invalid_request(presented(Some(&h), &f)),
                "more than one client authentication method"
            );
        }
        assert_eq!(
            invalid_request(presented(
                None,
                &form(&[
                    ("client_id", "billing"),
                    ("client_secret", "s"),
                    ("client_assertion", "a.b.c"),
                    ("client_assertion_type", JWT_BEARER)
                ])
            )),
            "more than one client authentication method"
        );
    }

    #[test]
    fn repeated_fields_are_refused() {
        for name in [
            "client_id",
            "client_secret",
            "client_assertion",
            "client_assertion_type",
        ] {
            let m = invalid_request(presented(None, &form(&[(name, "a"), (name, "b")])));
            assert_eq!(m, format!("repeated parameter {name}"));
        }
        // Other fields are not ours to judge.
        assert!(presented(
            None,
            &form(&[("client_id", "a"), ("scope", "x"), ("scope", "y")])
        )
        .is_ok());
    }

    #[test]
    fn assertion_needs_the_jwt_bearer_type() {
        let p = presented(
            None,
            &form(&[
                ("client_assertion", "a.b.c"),
                ("client_assertion_type", JWT_BEARER),
            ]),
        )
        .unwrap();
        assert!(
            matches!(&p, Presented::Assertion { client_id: None, assertion, spiffe: false } if assertion == "a.b.c")
        );
        assert_eq!(p.method_name(), "jwt");
        assert_eq!(
            format!("{p:?}"),
            "Assertion { client_id: None, spiffe: false, assertion: <5 bytes> }"
        );
        assert_eq!(p.client_id(), None);
        // A SPIFFE JWT-SVID has its own assertion type.
        let p = presented(
            None,
            &form(&[
                ("client_assertion", "a.b.c"),
                ("client_assertion_type", JWT_SPIFFE),
            ]),
        )
        .unwrap();
        assert!(matches!(&p, Presented::Assertion { spiffe: true, .. }));
        let p = presented(
            None,
            &form(&[
                ("client_id", "billing"),
                ("client_assertion", "a.b.c"),
                ("client_assertion_type", JWT_BEARER),
            ]),
        )
        .unwrap();
        assert_eq!(p.client_id(), Some("billing"));

        invalid_request(presented(None, &form(&[("client_assertion", "a.b.c")])));
        invalid_request(presented(
            None,
            &form(&[
                ("client_assertion", "a.b.c"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                ),
            ]),
        ));
        invalid_request(presented(
            None,
            &form(&[("client_id", "a"), ("client_assertion_type", JWT_BEARER)]),
        ));
        let big = "a".repeat(MAX_ASSERTION_LEN + 1);
        invalid_request(presented(
            None,
            &form(&[
                ("client_assertion", &big),
                ("client_assertion_type", JWT_BEARER),
            ]),
        ));
    }

    #[test]
    fn basic_with_a_different_client_id_field_is_refused() {
        let h = basic_header("billing", "s");
        assert_eq!(
            presented(Some(&h), &form(&[("client_id", "other")])).unwrap_err(),
            AuthError::ClientMismatch
        );
        assert!(presented(Some(&h), &form(&[("client_id", "billing")])).is_ok());
    }

    #[test]
    fn public_client_and_nothing() {
        let p = presented(None, &form(&[("client_id", "spa")])).unwrap();
        assert!(matches!(&p, Presented::None { client_id } if client_id == "spa"));
        assert_eq!(p.method_name(), "none");
        assert_eq!(
            presented(None, &form(&[("grant_type", "client_credentials")])).unwrap_err(),
            AuthError::NoCredentials
        );
        // Empty values count as absent (RFC 6749 §3.2).
        assert_eq!(
            presented(None, &form(&[("client_id", ""), ("client_secret", "")])).unwrap_err(),
            AuthError::NoCredentials
        );
    }

    #[test]
    fn form_url_decoding() {
        assert_eq!(form_url_decode("a+b%20c%3A%3a").unwrap(), "a b c::");
        assert_eq!(form_url_decode("%C3%BC").unwrap(), "ü");
        assert!(form_url_decode("%").is_none());
        assert!(form_url_decode("%4").is_none());
        assert!(form_url_decode("%g0").is_none());
        assert!(form_url_decode("%c3").is_none());
        for s in ["", "plain", "a+b", "100%", "x:y z", "✓ ü"] {
            assert_eq!(form_url_decode(&form_url_encode(s)).unwrap(), s);
        }
    }
}

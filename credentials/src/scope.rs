//! Client scopes (Keycloak's model, in its smallest useful form): the rule for a scope's name,
//! and which scopes a token request is granted.
//!
//! A realm defines client scopes; each client has some of them as *default* scopes (always in
//! its tokens) and some as *optional* scopes (in a token only when the request asks for them).
//! A token carries the client's default scopes plus the requested optional ones. `openid` is not
//! a client scope (as in Keycloak): it is always accepted, and echoed only when asked for. Any
//! other requested scope that is not one of the client's scopes is refused as a whole with
//! `invalid_scope` (RFC 6749 §5.2), naming the scopes refused: a token never says more than the
//! operator allowed, and a client's typo is not silently dropped.

use std::collections::BTreeSet;

use crate::names::InvalidName;

/// The scope every request may ask for; not a client scope.
pub const OPENID: &str = "openid";

/// Longest client-scope name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// A client scope's name: what a client sends in `scope` and finds in its token, so a scope
/// token of RFC 6749 §3.3 (`1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E: visible ASCII except
/// `"` and `\`, no spaces), the pattern Keycloak checks too; at most 255 characters; not
/// `openid`, which every request may ask for anyway. Nothing is trimmed: a name with spaces is
/// refused, not changed.
pub fn client_scope_name(input: &str) -> Result<String, InvalidName> {
    if input.is_empty() {
        return Err(InvalidName("client scope name is required".into()));
    }
    if input.chars().count() > MAX_NAME_CHARS {
        return Err(InvalidName(format!(
            "client scope name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if let Some(c) = input.chars().find(|c| !is_nqchar(*c)) {
        let what = if c.is_whitespace() {
            "whitespace".to_string()
        } else if c.is_control() {
            format!("the control character {:?}", c.escape_unicode().to_string())
        } else {
            format!("{c:?}")
        };
        return Err(InvalidName(format!(
            "client scope name {input:?} is not a scope token (RFC 6749 §3.3): visible ASCII \
             characters only, without spaces, '\"' or '\\' (found {what})"
        )));
    }
    if input == OPENID {
        return Err(InvalidName(
            "openid is always accepted and cannot be a client scope".into(),
        ));
    }
    Ok(input.to_owned())
}

/// RFC 6749 §3.3 NQCHAR.
fn is_nqchar(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// A client's scopes by name, as the token endpoint holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientScopes {
    /// Always in the client's tokens.
    pub default: BTreeSet<String>,
    /// In a token when the request asks for them.
    pub optional: BTreeSet<String>,
}

/// Why a request's scopes were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Requested scopes that are neither `openid` nor among the client's scopes (in the order
    /// asked, without repeats).
    #[error("Invalid scopes: {}", .0.join(" "))]
    Invalid(Vec<String>),
}

/// The scopes a token request is granted: `openid` first when it was asked for, then the
/// client's default scopes and the requested optional ones, in name order, each once.
///
/// `requested` is the request's `scope` parameter (`None` when absent); scope tokens are
/// separated by spaces (any ASCII whitespace is accepted, as before). Asking for a default
/// scope is allowed and changes nothing.
pub fn grant(requested: Option<&str>, client: &ClientScopes) -> Result<Vec<String>, ScopeError> {
    let mut openid = false;
    let mut granted: BTreeSet<&str> = client.default.iter().map(String::as_str).collect();
    let mut refused: Vec<String> = Vec::new();
    for s in requested.unwrap_or("").split_ascii_whitespace() {
        if s == OPENID {
            openid = true;
        } else if client.default.contains(s) || client.optional.contains(s) {
            granted.insert(s);
        } else if !refused.iter().any(|r| r == s) {
            refused.push(s.to_owned());
        }
    }
    if !refused.is_empty() {
        return Err(ScopeError::Invalid(refused));
    }
    let mut out = Vec::with_capacity(granted.len() + 1);
    if openid {
        out.push(OPENID.to_owned());
    }
    out.extend(granted.into_iter().map(str::to_owned));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(default: &[&str], optional: &[&str]) -> ClientScopes {
        ClientScopes {
            default: default.iter().map(|s| s.to_string()).collect(),
            optional: optional.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_are_scope_tokens() {
        for good in [
            "payments",
            "payments:read",
            "api://billing/.default",
            "a",
            "!#[]~",
            &"x".repeat(255),
        ] {
            assert_eq!(client_scope_name(good).as_deref(), Ok(good), "{good}");
        }
        for (bad, says) in [
            ("", "required"),
            (" payments", "whitespace"),
            ("pay ments", "whitespace"),
            ("payments\t", "whitespace"),
            ("quote\"d", "'\"'"),
            ("back\\slash", "found '\\\\'"),
            ("nul\0", "control character"),
            ("bell\u{7}", "control character"),
            ("del\u{7f}", "control character"),
            ("ünï", "'ü'"),
            ("openid", "always accepted"),
        ] {
            let e = client_scope_name(bad).unwrap_err().0;
            assert!(e.contains(says), "{bad:?}: {e}");
        }
        let long = client_scope_name(&"x".repeat(256)).unwrap_err().0;
        assert!(long.contains("longer than 255"), "{long}");
        // Keycloak accepts a differently cased OpenID as an ordinary scope; so does Keyward.
        assert!(client_scope_name("OpenID").is_ok());
    }

    #[test]
    fn grants_defaults_and_requested_optionals() {
        let c = scopes(&["billing", "audit"], &["payments", "reports"]);
        // Nothing asked: the default scopes, in name order.
        assert_eq!(grant(None, &c).unwrap(), ["audit", "billing"]);
        assert_eq!(grant(Some(""), &c).unwrap(), ["audit", "billing"]);
        assert_eq!(grant(Some("   "), &c).unwrap(), ["audit", "billing"]);
        // An optional scope asked for joins them; openid is echoed first.
        assert_eq!(
            grant(Some("payments"), &c).unwrap(),
            ["audit", "billing", "payments"]
        );
        assert_eq!(
            grant(Some("reports openid payments"), &c).unwrap(),
            ["openid", "audit", "billing", "payments", "reports"]
        );
        // A default scope asked for, and repeats, change nothing.
        assert_eq!(
            grant(Some("billing billing openid openid"), &c).unwrap(),
            ["openid", "audit", "billing"]
        );
        // Any ASCII whitespace separates.
        assert_eq!(
            grant(Some("payments\topenid\n"), &c).unwrap(),
            ["openid", "audit", "billing", "payments"]
        );
    }

    #[test]
    fn openid_alone_for_a_client_without_scopes() {
        let none = ClientScopes::default();
        assert_eq!(grant(None, &none).unwrap(), Vec::<String>::new());
        assert_eq!(grant(Some("openid"), &none).unwrap(), ["openid"]);
    }

    #[test]
    fn unknown_or_unassigned_scopes_are_refused_by_name() {
        let c = scopes(&["billing"], &["payments"]);
        let e = grant(Some("openid payments admin"), &c).unwrap_err();
        assert_eq!(e, ScopeError::Invalid(vec!["admin".into()]));
        assert_eq!(e.to_string(), "Invalid scopes: admin");
        // Every refused scope is named once, in the order asked.
        let e = grant(Some("zeta admin zeta PAYMENTS"), &c).unwrap_err();
        assert_eq!(e.to_string(), "Invalid scopes: zeta admin PAYMENTS");
        // Scope names are case-sensitive (RFC 6749 §3.3).
        assert!(grant(Some("Billing"), &c).is_err());
        assert!(grant(Some("OPENID"), &c).is_err());
    }
}

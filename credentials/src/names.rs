//! Validation of the names operators type: realm names, client ids, usernames, display names.

/// Why a name was refused; the message is shown to the operator as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidName(pub String);

fn invalid(msg: impl Into<String>) -> InvalidName {
    InvalidName(msg.into())
}

/// A realm name as Keycloak's console allows it: 1–100 characters, letters, digits, `-`, `_` and `.`.
pub fn realm_name(input: &str) -> Result<String, InvalidName> {
    let name = input.trim();
    if name.is_empty() {
        return Err(invalid("realm name is required"));
    }
    if name.chars().count() > 100 {
        return Err(invalid("realm name is longer than 100 characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(invalid(format!(
            "realm name may only hold letters, digits, '-', '_' and '.' (found {c:?})"
        )));
    }
    if name == "." || name == ".." {
        return Err(invalid("realm name cannot be '.' or '..'"));
    }
    Ok(name.to_owned())
}

/// An OAuth client id as Keycloak accepts one: 1–255 characters, any of RFC 6749's VSCHAR
/// (visible ASCII and space: `%`, `#`, `?`, quotes, `<` …) and other printable Unicode; only
/// control characters are refused, and leading or trailing white space (a paste accident that
/// no client would send back). Every place that shows or sends an id escapes it for its
/// context (HTML by Leptos, JSON by serde, URLs by percent-encoding, Basic by RFC 6749 §2.3.1).
pub fn client_id(input: &str) -> Result<String, InvalidName> {
    if input.is_empty() || input.trim().is_empty() {
        return Err(invalid("client id is required"));
    }
    if input.chars().count() > 255 {
        return Err(invalid("client id is longer than 255 characters"));
    }
    if let Some(c) = input.chars().find(|c| c.is_control()) {
        return Err(invalid(format!(
            "client id may not hold control characters (found {c:?})"
        )));
    }
    if input.trim() != input {
        return Err(invalid("client id may not start or end with white space"));
    }
    Ok(input.to_owned())
}

/// An operator's username: 1–64 characters, lower-case letters, digits, `-`, `_`, `.` and `@`.
pub fn username(input: &str) -> Result<String, InvalidName> {
    let name = input.trim().to_lowercase();
    if name.is_empty() {
        return Err(invalid("username is required"));
    }
    if name.chars().count() > 64 {
        return Err(invalid("username is longer than 64 characters"));
    }
    if let Some(c) = name.chars().find(|c| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | '@'))
    }) {
        return Err(invalid(format!(
            "username may only hold letters, digits, '-', '_', '.' and '@' (found {c:?})"
        )));
    }
    Ok(name)
}

/// Free text such as a display name or a client name: trimmed, at most `max` characters,
/// no control characters; `required` refuses an empty value.
pub fn text(field: &str, input: &str, max: usize, required: bool) -> Result<String, InvalidName> {
    let value = input.trim();
    if required && value.is_empty() {
        return Err(invalid(format!("{field} is required")));
    }
    if value.chars().count() > max {
        return Err(invalid(format!("{field} is longer than {max} characters")));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(format!("{field} contains a control character")));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_names() {
        assert_eq!(realm_name(" demo ").unwrap(), "demo");
        assert_eq!(
            realm_name("customer.tenant_1-a").unwrap(),
            "customer.tenant_1-a"
        );
        assert!(realm_name("").unwrap_err().0.contains("required"));
        assert!(realm_name("my realm").unwrap_err().0.contains("' '"));
        assert!(realm_name("a/b").is_err());
        assert!(realm_name("a%2f").is_err());
        assert!(realm_name("..").is_err());
        assert!(realm_name("é").is_err());
        assert!(realm_name(&"a".repeat(100)).is_ok());
        assert!(realm_name(&"a".repeat(101)).unwrap_err().0.contains("100"));
    }

    #[test]
    fn client_ids() {
        assert_eq!(client_id("billing-api").unwrap(), "billing-api");
        assert!(client_id("urn:svc/orders@v2+x~y.z_").is_ok());
        assert!(client_id("").is_err());
        assert!(client_id("   ").is_err());
        // Everything RFC 6749's VSCHAR allows, as Keycloak does.
        for ok in [
            "has space",
            "quote\"'",
            "<script>",
            "100%#frag?q=1&x",
            "a\\b;c,d",
            "ключ",
        ] {
            assert_eq!(client_id(ok).unwrap(), ok);
        }
        let all_vschar: String = (0x20u8..=0x7e)
            .map(char::from)
            .collect::<String>()
            .trim()
            .to_owned();
        assert!(client_id(&all_vschar).is_ok());
        for bad in [
            "tab\there",
            "new\nline",
            "nul\0",
            "del\u{7f}",
            " lead",
            "trail ",
        ] {
            assert!(client_id(bad).is_err(), "{bad:?}");
        }
        assert!(client_id(&"c".repeat(255)).is_ok());
        assert!(client_id(&"é".repeat(255)).is_ok());
        assert!(client_id(&"c".repeat(256)).is_err());
    }

    #[test]
    fn usernames_are_lower_cased() {
        assert_eq!(
            username(" Alice@Example.com ").unwrap(),
            "alice@example.com"
        );
        assert!(username("bob smith").is_err());
        assert!(username("").is_err());
        assert!(username(&"u".repeat(65)).is_err());
    }

    #[test]
    fn free_text() {
        assert_eq!(text("name", "  Billing  ", 10, true).unwrap(), "Billing");
        assert!(text("name", "   ", 10, true)
            .unwrap_err()
            .0
            .contains("name is required"));
        assert_eq!(text("name", "", 10, false).unwrap(), "");
        assert!(text("name", "12345678901", 10, false).is_err());
        assert!(text("name", "a\u{0}b", 10, false).is_err());
        assert_eq!(
            text("name", "éééééééééé", 10, false)
                .unwrap()
                .chars()
                .count(),
            10
        );
    }
}

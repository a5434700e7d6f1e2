//! `client-secret` ("Client Id and Secret"): client_secret_basic and client_secret_post, checked
//! against the peppered verifiers of the client's active secrets.

use serde_json::json;

use super::{
    check_client, AdapterValues, AuthContext, AuthError, Authenticated, Authenticator,
    ClientAuthConfig, ClientMaterial, PLACEHOLDER_SECRET,
};
use crate::client_auth::Presented;
use crate::client_secret::SecretState;

/// Client Id and Secret.
pub struct ClientSecret;

impl Authenticator for ClientSecret {
    fn id(&self) -> &'static str {
        "client-secret"
    }

    fn display_name(&self) -> &'static str {
        "Client Id and Secret"
    }

    fn help(&self) -> &'static str {
        "The client sends its client id and secret, in an HTTP Basic Authorization header \
         (client_secret_basic) or as the client_id and client_secret form fields \
         (client_secret_post)."
    }

    fn algorithms(&self) -> &'static [&'static str] {
        &[]
    }

    fn uses_secrets(&self) -> bool {
        true
    }

    fn uses_keys(&self) -> bool {
        false
    }

    fn token_endpoint_auth_methods(&self) -> &'static [&'static str] {
        &["client_secret_basic", "client_secret_post"]
    }

    fn needs_plaintext_secret(&self) -> bool {
        false
    }

    fn authenticate(
        &self,
        presented: &Presented,
        client: &ClientAuthConfig,
        material: &ClientMaterial<'_>,
        _ctx: &AuthContext,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        check_client(self, presented, client, |p| {
            matches!(p, Presented::Basic { .. } | Presented::Post { .. })
        })?;
        let (secret, how) = match presented {
            Presented::Basic { secret, .. } => (secret, "client_secret_basic"),
            Presented::Post { secret, .. } => (secret, "client_secret_post"),
            _ => unreachable!("check_client accepted only Basic and Post"),
        };
        let pepper = material.pepper.ok_or(AuthError::NoUsableSecret(
            "the server pepper is not available",
        ))?;
        let presented_verifier = pepper.verifier(secret.expose());
        // Every stored verifier is compared, active or not, matching or not: the time taken
        // depends on the number of secrets only, not on which one matched.
        let mut matched = None;
        let mut any_active = false;
        for stored in material.secrets {
            let active =
                SecretState::at(now, stored.expires_at, stored.revoked_at) == SecretState::Active;
            let equal = presented_verifier.ct_eq(&stored.verifier);
            any_active |= active;
            if active & equal & matched.is_none() {
                matched = Some(stored);
            }
        }
        match matched {
            Some(stored) => Ok(Authenticated {
                client_id: client.client_id.clone(),
                binding: None,
                method: self.id(),
                presented: how,
                secret_id: Some(stored.id.clone()),
                kid: None,
                jti: None,
            }),
            None if !any_active => {
                Err(AuthError::NoUsableSecret("the client has no active secret"))
            }
            None => Err(AuthError::BadSecret),
        }
    }

    fn adapter_credentials(
        &self,
        _client: &ClientAuthConfig,
        values: &AdapterValues,
    ) -> serde_json::Value {
        json!({ "secret": values.secret.as_deref().unwrap_or(PLACEHOLDER_SECRET) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::testkit::{client, ctx, NOW};
    use crate::authenticator::{by_id, StoredSecret};
    use crate::client_auth::presented;
    use crate::client_auth::tests::basic_header;
    use crate::seal::Pepper;
    use crate::secret::SecretString;

    fn pepper() -> Pepper {
        Pepper::from_bytes(&[42; 32]).unwrap()
    }

    fn stored(
        p: &Pepper,
        id: &str,
        value: &str,
        expires: Option<i64>,
        revoked: Option<i64>,
    ) -> StoredSecret {
        StoredSecret {
            id: id.into(),
            verifier: p.verifier(value),
            plaintext: None,
            expires_at: expires,
            revoked_at: revoked,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run(
        p: &Presented,
        c: &ClientAuthConfig,
        secrets: &[StoredSecret],
    ) -> Result<Authenticated, AuthError> {
        let pep = pepper();
        let material = ClientMaterial {
            secrets,
            pepper: Some(&pep),
            ..ClientMaterial::default()
        };
        ClientSecret.authenticate(p, c, &material, &ctx(false), NOW)
    }

    const SPECIAL: &str = "a+b%20c:d e/f?g=h&i%";

    fn secrets() -> Vec<StoredSecret> {
        let p = pepper();
        vec![
            stored(&p, "revoked", "old-secret", None, Some(NOW - 10)),
            stored(&p, "expired", "expired-secret", Some(NOW), None),
            stored(&p, "overlap", "previous-secret", Some(NOW + 3600), None),
            stored(&p, "current", SPECIAL, None, None),
            stored(&p, "revoked-later", "future-revoked", None, Some(NOW + 1)),
        ]
    }

    #[test]
    fn basic_and_post_with_special_characters() {
        let c = client("svc:billing", "client-secret", None);
        let basic = presented(Some(&basic_header("svc:billing", SPECIAL)), &[]).unwrap();
        let a = run(&basic, &c, &secrets()).unwrap();
        assert_eq!(
            a,
            Authenticated {
                client_id: "svc:billing".into(),
                binding: None,
                method: "client-secret",
                presented: "client_secret_basic",
                secret_id: Some("current".into()),
                kid: None,
                jti: None,
            }
        );
        let post = presented(
            None,
            &form(&[("client_id", "svc:billing"), ("client_secret", SPECIAL)]),
        )
        .unwrap();
        let a = run(&post, &c, &secrets()).unwrap();
        assert_eq!(a.presented, "client_secret_post");
        assert_eq!(a.secret_id.as_deref(), Some("current"));
        // Sent without form-url-encoding, a secret is malformed or decodes to another value.
        let raw = |secret: &str| {
            format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("svc%3Abilling:{secret}")
                )
            )
        };
        assert!(matches!(
            presented(Some(&raw(SPECIAL)), &[]),
            Err(AuthError::InvalidRequest(_))
        ));
        let p = pepper();
        let plus = [stored(&p, "plus", "a+b%20c", None, None)];
        let decoded = presented(Some(&raw("a+b%20c")), &[]).unwrap();
        assert_eq!(run(&decoded, &c, &plus).unwrap_err(), AuthError::BadSecret);
        let encoded = presented(Some(&basic_header("svc:billing", "a+b%20c")), &[]).unwrap();
        assert!(run(&encoded, &c, &plus).is_ok());
    }

    #[test]
    fn secret_states() {
        let c = client("billing", "client-secret", None);
        let post = |s: &str| {
            presented(
                None,
                &form(&[("client_id", "billing"), ("client_secret", s)]),
            )
            .unwrap()
        };
        assert_eq!(
            run(&post("previous-secret"), &c, &secrets())
                .unwrap()
                .secret_id
                .as_deref(),
            Some("overlap")
        );
        assert_eq!(
            run(&post("future-revoked"), &c, &secrets())
                .unwrap()
                .secret_id
                .as_deref(),
            Some("revoked-later")
        );
        for s in [
            "old-secret",
            "expired-secret",
            "wrong",
            "A+B%20C:D E/F?G=H&I%",
        ] {
            assert_eq!(
                run(&post(s), &c, &secrets()).unwrap_err(),
                AuthError::BadSecret,
                "{s}"
            );
        }
        // An empty client_secret counts as absent: the request is a public client's.
        assert!(matches!(
            run(&post(""), &c, &secrets()),
            Err(AuthError::WrongMethod { used: "none", .. })
        ));
        let empty_basic = presented(Some(&basic_header("billing", "")), &[]).unwrap();
        assert_eq!(
            run(&empty_basic, &c, &secrets()).unwrap_err(),
            AuthError::BadSecret
        );
        let p = pepper();
        let dead = [
            stored(&p, "r", "s", None, Some(NOW)),
            stored(&p, "e", "t", Some(NOW - 1), None),
        ];
        assert!(matches!(
            run(&post("s"), &c, &dead),
            Err(AuthError::NoUsableSecret(_))
        ));
        assert!(matches!(
            run(&post("s"), &c, &[]),
            Err(AuthError::NoUsableSecret(_))
        ));
        let material = ClientMaterial {
            secrets: &dead,
            pepper: None,
            keys: &[],
            ..ClientMaterial::default()
        };
        assert!(matches!(
            ClientSecret.authenticate(&post("s"), &c, &material, &ctx(false), NOW),
            Err(AuthError::NoUsableSecret(_))
        ));
    }

    #[test]
    fn common_checks() {
        let c = client("billing", "client-secret", None);
        let basic = presented(Some(&basic_header("billing", SPECIAL)), &[]).unwrap();
        assert!(run(&basic, &c, &secrets()).is_ok());
        let mut disabled = c.clone();
        disabled.enabled = false;
        assert_eq!(
            run(&basic, &disabled, &secrets()).unwrap_err(),
            AuthError::Disabled
        );
        let mut public = c.clone();
        public.public_client = true;
        assert_eq!(
            run(&basic, &public, &secrets()).unwrap_err(),
            AuthError::PublicClient
        );
        for other in ["client-jwt", "client-secret-jwt"] {
            assert_eq!(
                run(&basic, &client("billing", other, None), &secrets()).unwrap_err(),
                AuthError::WrongMethod {
                    configured: other.into(),
                    used: "client_secret_basic"
                }
            );
        }
        assert_eq!(
            run(
                &basic,
                &client("reports", "client-secret", None),
                &secrets()
            )
            .unwrap_err(),
            AuthError::ClientMismatch
        );
        let none = Presented::None {
            client_id: "billing".into(),
        };
        assert!(matches!(
            run(&none, &c, &secrets()),
            Err(AuthError::WrongMethod { .. })
        ));
        let assertion = Presented::Assertion {
            client_id: None,
            assertion: "a.b.c".into(),
            spiffe: false,
        };
        assert!(matches!(
            run(&assertion, &c, &secrets()),
            Err(AuthError::WrongMethod { .. })
        ));
        // Both methods in one request never reach the authenticator.
        let both = presented(
            Some(&basic_header("billing", SPECIAL)),
            &form(&[("client_id", "billing"), ("client_secret", SPECIAL)]),
        );
        assert!(
            matches!(both, Err(AuthError::InvalidRequest(m)) if m == "more than one client authentication method")
        );
    }

    #[test]
    fn errors_never_show_the_secret() {
        let c = client("billing", "client-secret", None);
        let p = Presented::Post {
            client_id: "billing".into(),
            secret: SecretString::new("hunter2-abc"),
        };
        let e = run(&p, &c, &secrets()).unwrap_err();
        assert!(!e.to_string().contains("hunter2") && !format!("{e:?}").contains("hunter2"));
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn adapter_credentials_exact_json() {
        let a = by_id("client-secret").unwrap();
        let c = client("billing", "client-secret", None);
        let v = AdapterValues {
            secret: Some("s3cr3t".into()),
            ..AdapterValues::default()
        };
        assert_eq!(
            a.adapter_credentials(&c, &v).to_string(),
            r#"{"secret":"s3cr3t"}"#
        );
        assert_eq!(
            a.adapter_credentials(&c, &AdapterValues::default())
                .to_string(),
            r#"{"secret":"REPLACE WITH THE CLIENT SECRET"}"#
        );
    }
}

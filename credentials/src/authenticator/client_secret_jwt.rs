//! `client-secret-jwt` ("Signed JWT with Client Secret"): the client signs an assertion with
//! HMAC (HS256/384/512) keyed by the UTF-8 bytes of its secret; Keyward verifies it with the
//! unsealed values of the client's active secrets.

use serde_json::json;

use super::{
    check_client, AdapterValues, AuthContext, AuthError, Authenticated, Authenticator,
    ClientAuthConfig, ClientMaterial, CLIENT_SECRET_JWT_ALGS, PLACEHOLDER_SECRET,
};
use crate::assertion;
use crate::client_auth::Presented;
use crate::client_secret::{min_len_for_hmac, SecretState};

/// Signed JWT with Client Secret.
pub struct ClientSecretJwt;

impl Authenticator for ClientSecretJwt {
    fn id(&self) -> &'static str {
        "client-secret-jwt"
    }

    fn display_name(&self) -> &'static str {
        "Signed JWT with Client Secret"
    }

    fn help(&self) -> &'static str {
        "The client signs a short-lived JWT with its client secret (HMAC, HS256 unless another \
         algorithm is pinned) and sends it as client_assertion (client_assertion_type \
         jwt-bearer); the secret itself is never sent."
    }

    fn algorithms(&self) -> &'static [&'static str] {
        CLIENT_SECRET_JWT_ALGS
    }

    fn uses_secrets(&self) -> bool {
        true
    }

    fn uses_keys(&self) -> bool {
        false
    }

    fn token_endpoint_auth_methods(&self) -> &'static [&'static str] {
        &["client_secret_jwt"]
    }

    fn needs_plaintext_secret(&self) -> bool {
        true
    }

    fn authenticate(
        &self,
        presented: &Presented,
        client: &ClientAuthConfig,
        material: &ClientMaterial<'_>,
        ctx: &AuthContext,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        check_client(self, presented, client, |p| {
            matches!(p, Presented::Assertion { spiffe: false, .. })
        })?;
        let Presented::Assertion { assertion, .. } = presented else {
            unreachable!("check_client accepted only assertions")
        };
        let (secret_id, verified) = assertion::verify(
            assertion,
            CLIENT_SECRET_JWT_ALGS,
            self.id(),
            client,
            ctx,
            now,
            // The header's kid is ignored: adapters send none, and every usable secret is tried.
            |header, input, sig| {
                let min = min_len_for_hmac(Some(&header.alg));
                let mut usable = false;
                let mut matched = None;
                for stored in material.secrets {
                    if SecretState::at(now, stored.expires_at, stored.revoked_at)
                        != SecretState::Active
                    {
                        continue;
                    }
                    let Some(value) = &stored.plaintext else {
                        continue;
                    };
                    if value.expose().len() < min {
                        continue;
                    }
                    usable = true;
                    let ok =
                        assertion::verify_hmac(&header.alg, value.expose().as_bytes(), input, sig)
                            .is_ok();
                    if ok && matched.is_none() {
                        matched = Some(stored.id.clone());
                    }
                }
                match matched {
                    Some(id) => Ok(id),
                    None if !usable => Err(AuthError::NoUsableSecret(
                        "no active secret with a stored value long enough for the algorithm",
                    )),
                    None => Err(AuthError::BadSignature),
                }
            },
        )?;
        Ok(Authenticated {
            client_id: client.client_id.clone(),
            binding: None,
            method: self.id(),
            presented: "client_secret_jwt",
            secret_id: Some(secret_id),
            kid: None,
            jti: Some((verified.jti, verified.remember_until)),
        })
    }

    fn adapter_credentials(
        &self,
        client: &ClientAuthConfig,
        values: &AdapterValues,
    ) -> serde_json::Value {
        json!({ "secret-jwt": {
            "secret": values.secret.as_deref().unwrap_or(PLACEHOLDER_SECRET),
            "algorithm": client.signing_alg.as_deref().unwrap_or("HS256"),
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::testkit::*;
    use crate::authenticator::{by_id, StoredSecret};
    use crate::client_auth::{presented, JWT_BEARER};
    use crate::seal::Pepper;
    use crate::secret::SecretString;
    use serde_json::json;

    fn stored(
        id: &str,
        value: &str,
        plaintext: bool,
        expires: Option<i64>,
        revoked: Option<i64>,
    ) -> StoredSecret {
        StoredSecret {
            id: id.into(),
            verifier: Pepper::from_bytes(&[1; 32]).unwrap().verifier(value),
            plaintext: plaintext.then(|| SecretString::new(value)),
            expires_at: expires,
            revoked_at: revoked,
        }
    }

    fn present(token: &str) -> Presented {
        presented(
            None,
            &[
                ("client_assertion_type".to_string(), JWT_BEARER.to_string()),
                ("client_assertion".into(), token.into()),
            ],
        )
        .unwrap()
    }

    fn run(
        c: &ClientAuthConfig,
        secrets: &[StoredSecret],
        token: &str,
    ) -> Result<Authenticated, AuthError> {
        let material = ClientMaterial {
            secrets,
            ..ClientMaterial::default()
        };
        ClientSecretJwt.authenticate(&present(token), c, &material, &ctx(false), NOW)
    }

    fn sign(alg: &str, secret: &str, kid: Option<&str>) -> String {
        jws(
            &Signer::Hmac(secret.as_bytes().to_vec()),
            alg,
            &header(alg, kid),
            &claims("billing"),
        )
    }

    const S64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn every_hmac_algorithm_round_trips() {
        let c = client("billing", "client-secret-jwt", None);
        let secrets = [
            stored("old", "x".repeat(64).as_str(), true, None, Some(NOW - 1)),
            stored("cur", S64, true, None, None),
        ];
        for alg in CLIENT_SECRET_JWT_ALGS {
            let a =
                run(&c, &secrets, &sign(alg, S64, None)).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(a.method, "client-secret-jwt");
            assert_eq!(a.presented, "client_secret_jwt");
            assert_eq!(a.secret_id.as_deref(), Some("cur"));
            assert_eq!(a.jti.as_ref().unwrap().1, NOW + 10 + 15);
            // A kid in the header is ignored.
            assert!(run(&c, &secrets, &sign(alg, S64, Some("whatever"))).is_ok());
            // The revoked secret never verifies.
            assert!(matches!(
                run(&c, &secrets, &sign(alg, &"x".repeat(64), None)),
                Err(AuthError::BadSignature)
            ));
            let pinned = client("billing", "client-secret-jwt", Some(alg));
            assert!(run(&pinned, &secrets, &sign(alg, S64, None)).is_ok());
        }
        let pinned = client("billing", "client-secret-jwt", Some("HS512"));
        assert!(
            matches!(run(&pinned, &secrets, &sign("HS256", S64, None)), Err(AuthError::BadAssertion(m)) if m.contains("pinned"))
        );
    }

    #[test]
    fn short_secrets_never_verify() {
        let c = client("billing", "client-secret-jwt", None);
        let s32 = &S64[..32];
        let s47 = &S64[..47];
        assert!(run(
            &c,
            &[stored("a", s32, true, None, None)],
            &sign("HS256", s32, None)
        )
        .is_ok());
        let short = &S64[..31];
        assert!(matches!(
            run(
                &c,
                &[stored("a", short, true, None, None)],
                &sign("HS256", short, None)
            ),
            Err(AuthError::NoUsableSecret(_))
        ));
        assert!(matches!(
            run(
                &c,
                &[stored("a", s47, true, None, None)],
                &sign("HS384", s47, None)
            ),
            Err(AuthError::NoUsableSecret(_))
        ));
        assert!(matches!(
            run(
                &c,
                &[stored("a", s47, true, None, None)],
                &sign("HS512", s47, None)
            ),
            Err(AuthError::NoUsableSecret(_))
        ));
    }

    #[test]
    fn secrets_without_plaintext_or_inactive_never_verify() {
        let c = client("billing", "client-secret-jwt", None);
        for s in [
            stored("a", S64, false, None, None),
            stored("a", S64, true, Some(NOW), None),
            stored("a", S64, true, None, Some(NOW - 5)),
        ] {
            assert!(matches!(
                run(&c, &[s], &sign("HS256", S64, None)),
                Err(AuthError::NoUsableSecret(_))
            ));
        }
        assert!(matches!(
            run(&c, &[], &sign("HS256", S64, None)),
            Err(AuthError::NoUsableSecret(_))
        ));
        // Overlap: a secret that expires later still works.
        assert!(run(
            &c,
            &[stored("a", S64, true, Some(NOW + 1), None)],
            &sign("HS256", S64, None)
        )
        .is_ok());
    }

    #[test]
    fn asymmetric_algorithms_and_claims_are_refused() {
        let c = client("billing", "client-secret-jwt", None);
        let secrets = [stored("cur", S64, true, None, None)];
        let s = Signer::ec("ES256");
        let t = jws(&s, "ES256", &header("ES256", None), &claims("billing"));
        assert!(
            matches!(run(&c, &secrets, &t), Err(AuthError::BadAssertion(m)) if m.contains("not allowed"))
        );
        let t = jws(
            &Signer::Hmac(S64.as_bytes().to_vec()),
            "HS256",
            &header("HS256", None),
            &with(claims("billing"), json!({"exp": NOW - 60})),
        );
        assert_eq!(run(&c, &secrets, &t).unwrap_err(), AuthError::Expired);
        let t = jws(
            &Signer::Hmac(S64.as_bytes().to_vec()),
            "HS256",
            &header("HS256", None),
            &with(claims("billing"), json!({"iss": "other"})),
        );
        assert!(
            matches!(run(&c, &secrets, &t), Err(AuthError::BadAssertion(m)) if m.contains("iss"))
        );
        // Configured for client-jwt: refused before any verification.
        assert!(matches!(
            run(
                &client("billing", "client-jwt", None),
                &secrets,
                &sign("HS256", S64, None)
            ),
            Err(AuthError::WrongMethod { .. })
        ));
    }

    #[test]
    fn adapter_credentials_exact_json() {
        let a = by_id("client-secret-jwt").unwrap();
        let v = AdapterValues {
            secret: Some("s3cr3t".into()),
            ..AdapterValues::default()
        };
        assert_eq!(
            a.adapter_credentials(&client("billing", "client-secret-jwt", None), &v)
                .to_string(),
            r#"{"secret-jwt":{"secret":"s3cr3t","algorithm":"HS256"}}"#
        );
        assert_eq!(
            a.adapter_credentials(
                &client("billing", "client-secret-jwt", Some("HS512")),
                &AdapterValues::default()
            )
            .to_string(),
            r#"{"secret-jwt":{"secret":"REPLACE WITH THE CLIENT SECRET","algorithm":"HS512"}}"#
        );
    }
}

//! Signed JWT – Federated (`federated-jwt`, Keycloak 26.6's id; Entra's federated identity
//! credentials): the client stores nothing. It sends a token its own platform gave it (a
//! Kubernetes service-account token, a SPIFFE JWT-SVID, a CI job's OIDC token, another IdP's
//! token) as `client_assertion`, and Keyward verifies it with the keys of the identity provider
//! the client is bound to.
//!
//! Rules, each refused with its own reason (the caller sees only `invalid_client`):
//! - the token is a compact JWS with an asymmetric `alg` (`none` and HMAC never verify here:
//!   the provider publishes public keys only), signed by a key of the provider (by `kid`);
//! - `iss` equals the provider's issuer (a trailing `/` aside); for SPIFFE, whose JWT-SVIDs need
//!   no `iss`, `sub` is a SPIFFE ID of the provider's trust domain instead, and the request says
//!   `client_assertion_type` `…:jwt-spiffe` (and no other provider's token does);
//! - `aud` (a string or an array) holds the realm's issuer or, unless the realm is strict, its
//!   token endpoint, or, where the provider allows it, the client id;
//! - `exp` is required, not past, and at most the provider's
//!   `federatedClientAssertionMaxExpiration` ahead; `iat` and `nbf`, when present, not ahead;
//! - `jti` is required and used once, unless the provider allows reuse (Kubernetes projected
//!   tokens are presented again until they expire);
//! - one of the client's bindings to the provider holds: its exact subject equals `sub`, and its
//!   claims expression (if any) holds on the verified claims.
//!
//! Invariant: no claim decides anything before the signature has verified; the token is never
//! part of a reason (only the values of claims, cut and escaped).

use serde_json::{json, Map, Value};

use super::{
    check_client, client_jwt::candidates, AdapterValues, AuthContext, AuthError, Authenticated,
    Authenticator, ClientAuthConfig, ClientMaterial, ClientPublicKey, CLIENT_JWT_ALGS,
};
use crate::assertion::{self, collapse_slashes, numeric_date, shown, MAX_JTI_LEN, SKEW_S};
use crate::claims_expr::ClaimsExpression;
use crate::client_auth::Presented;

/// The kinds of identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Oidc,
    Kubernetes,
    Spiffe,
}

impl ProviderKind {
    /// Keycloak's `providerId`.
    pub fn parse(id: &str) -> Option<ProviderKind> {
        match id {
            "oidc" => Some(ProviderKind::Oidc),
            "kubernetes" => Some(ProviderKind::Kubernetes),
            "spiffe" => Some(ProviderKind::Spiffe),
            _ => None,
        }
    }
}

/// An identity provider as the method needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedProvider {
    pub alias: String,
    pub kind: ProviderKind,
    pub enabled: bool,
    /// `supportsClientAssertions`.
    pub supports_client_assertions: bool,
    /// oidc and kubernetes: the issuer `iss` must equal; spiffe: the trust domain.
    pub issuer: String,
    /// `supportsClientAssertionReuse`: a token may be presented again until it expires.
    pub allow_reuse: bool,
    /// `allowClientIdAsAudience`.
    pub allow_client_id_audience: bool,
    /// `federatedClientAssertionMaxExpiration`, seconds.
    pub max_exp_s: i64,
}

/// One binding of the client to the provider.
#[derive(Debug, Clone)]
pub struct FederatedBinding {
    pub label: String,
    /// The exact `sub` (Keycloak's `jwt.credential.sub`).
    pub subject: Option<String>,
    pub expression: Option<ClaimsExpression>,
}

/// What a federated-jwt client is verified with: the provider that issued the token, the keys
/// last fetched from it, and the client's bindings to it.
#[derive(Debug, Clone)]
pub struct Federation {
    pub provider: FederatedProvider,
    pub keys: Vec<ClientPublicKey>,
    pub bindings: Vec<FederatedBinding>,
}

/// Where a token says it comes from, read before any verification: only to find the provider
/// and the binding, never a basis for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub issuer: Option<String>,
    pub subject: String,
    /// The trust domain of a SPIFFE ID `sub`.
    pub trust_domain: Option<String>,
    /// Every claim, to evaluate expression-only bindings when no client id was sent (the
    /// binding that finds the client is checked again once the signature has verified).
    pub claims: Map<String, Value>,
}

fn bad(reason: impl Into<String>) -> AuthError {
    AuthError::BadAssertion(reason.into())
}

/// The trust domain of a SPIFFE ID (`spiffe://<trust domain>/<path>`, path not empty).
pub fn spiffe_trust_domain(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("spiffe://")?;
    let (domain, path) = rest.split_once('/')?;
    let ok = !domain.is_empty()
        && !path.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    ok.then_some(domain)
}

/// The `iss` and `sub` of a token (and the trust domain of a SPIFFE `sub`), unverified.
pub fn unverified_origin(token: &str) -> Result<Origin, AuthError> {
    let jws = assertion::parse(token)?;
    let claims: Map<String, Value> = serde_json::from_slice(&jws.payload)
        .map_err(|_| bad("the payload is not a JSON object"))?;
    let subject = match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad("sub is missing, the client cannot be identified")),
    };
    let issuer = match claims.get("iss") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    Ok(Origin {
        trust_domain: spiffe_trust_domain(&subject).map(str::to_owned),
        issuer,
        subject,
        claims,
    })
}

/// How a federated token was presented, as events and metrics name it: a SPIFFE JWT-SVID
/// (`jwt_spiffe`) or any other provider's token (`federated_jwt`).
pub fn presentation(spiffe: bool) -> &'static str {
    if spiffe {
        "jwt_spiffe"
    } else {
        "federated_jwt"
    }
}

/// Whether two issuers are the same, a trailing `/` aside.
pub fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The rules of the method, in the order they are checked (what the console's token tester
/// reports: the rules before the failing one passed, the ones after it were not reached).
pub const RULES: [&str; 7] = [
    "The identity provider accepts client assertions",
    "Signed by a key of the provider",
    "Issuer and subject",
    "Audience is this realm",
    "Lifetime (exp, iat, nbf)",
    "Token id (jti)",
    "A binding of the client holds",
];

/// Which of [`RULES`] an error of this method breaks.
pub fn rule_of(e: &AuthError) -> usize {
    let text = match e {
        AuthError::BadSignature | AuthError::UnknownProviderKid { .. } => return 1,
        AuthError::Expired => return 4,
        AuthError::BadAssertion(t) => t.as_str(),
        _ => return 0,
    };
    let starts = |p: &str| text.starts_with(p);
    if text.contains("disabled")
        || text.contains("supportsClientAssertions")
        || text.contains("jwt-spiffe")
        || text.contains("no identity provider")
    {
        0
    } else if starts("iss") || starts("sub is") || text.contains("SPIFFE ID") {
        2
    } else if starts("aud") {
        3
    } else if starts("exp") || starts("iat") || starts("nbf") {
        4
    } else if starts("jti") {
        5
    } else if text.contains("binding") {
        6
    } else {
        1
    }
}

/// Signed JWT – Federated.
pub struct FederatedJwt;

impl FederatedJwt {
    fn check_claims(
        &self,
        claims: &Map<String, Value>,
        fed: &Federation,
        client: &ClientAuthConfig,
        ctx: &AuthContext,
        now: i64,
    ) -> Result<(String, Option<(String, i64)>), AuthError> {
        let p = &fed.provider;
        let sub = match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            Some(_) => return Err(bad("sub is not a string")),
            None => return Err(bad("sub is missing")),
        };
        match p.kind {
            ProviderKind::Spiffe => {
                if spiffe_trust_domain(sub) != Some(p.issuer.as_str()) {
                    return Err(bad(format!(
                        "sub {} is not a SPIFFE ID of the trust domain {}",
                        shown(sub),
                        p.issuer
                    )));
                }
            }
            _ => match claims.get("iss") {
                Some(Value::String(iss)) if same_issuer(iss, &p.issuer) => {}
                Some(Value::String(iss)) => {
                    return Err(bad(format!(
                        "iss {} is not the issuer of the identity provider {} ({})",
                        shown(iss),
                        p.alias,
                        p.issuer
                    )))
                }
                Some(_) => return Err(bad("iss is not a string")),
                None => return Err(bad("iss is missing")),
            },
        }

        let auds: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            Some(_) => return Err(bad("aud is not a string or an array of strings")),
            None => return Err(bad("aud is missing")),
        };
        let accepted = |a: &str| {
            let a = collapse_slashes(a);
            a == ctx.issuer
                || (!ctx.strict_audience && a == ctx.token_endpoint)
                || (p.allow_client_id_audience && a == client.client_id)
        };
        if !auds.iter().any(|a| accepted(a)) {
            let shown_auds: Vec<String> = auds.iter().take(5).map(|a| shown(a)).collect();
            return Err(bad(format!(
                "aud [{}] names neither this realm's issuer {}{}{}",
                shown_auds.join(", "),
                ctx.issuer,
                if ctx.strict_audience {
                    " (this realm is strict)".to_string()
                } else {
                    format!(" nor its token endpoint {}", ctx.token_endpoint)
                },
                if p.allow_client_id_audience {
                    " nor the client id"
                } else {
                    ""
                }
            )));
        }

        let exp = numeric_date(claims, "exp")?.ok_or_else(|| bad("exp is missing"))?;
        if exp.saturating_add(SKEW_S) <= now {
            return Err(AuthError::Expired);
        }
        let ahead = exp.saturating_sub(now);
        if ahead > p.max_exp_s.saturating_add(SKEW_S) {
            return Err(bad(format!(
                "exp lies {ahead} s ahead, more than the {} s the identity provider {} allows (federatedClientAssertionMaxExpiration)",
                p.max_exp_s, p.alias
            )));
        }
        for name in ["iat", "nbf"] {
            if let Some(t) = numeric_date(claims, name)? {
                if t.saturating_sub(SKEW_S) > now {
                    return Err(bad(format!(
                        "{name} lies {} s in the future",
                        t.saturating_sub(now)
                    )));
                }
            }
        }

        let jti = if p.allow_reuse {
            None
        } else {
            match claims.get("jti") {
                Some(Value::String(j)) if !j.is_empty() && j.chars().count() <= MAX_JTI_LEN => {
                    Some((j.clone(), exp.saturating_add(SKEW_S)))
                }
                Some(Value::String(_)) => {
                    return Err(bad(format!("jti is empty or longer than {MAX_JTI_LEN} characters")))
                }
                Some(_) => return Err(bad("jti is not a string")),
                None => {
                    return Err(bad(format!(
                        "jti is missing, and the identity provider {} does not allow a token to be reused (supportsClientAssertionReuse)",
                        p.alias
                    )))
                }
            }
        };

        if fed.bindings.is_empty() {
            return Err(bad(format!(
                "the client has no binding to the identity provider {}",
                p.alias
            )));
        }
        let mut why = Vec::new();
        for b in &fed.bindings {
            if let Some(s) = &b.subject {
                if s != sub {
                    why.push(format!("{}: sub is not {}", b.label, shown(s)));
                    continue;
                }
            }
            if let Some(e) = &b.expression {
                if let Err(m) = e.check(claims) {
                    why.push(format!("{}: {m}", b.label));
                    continue;
                }
            }
            return Ok((b.label.clone(), jti));
        }
        Err(bad(format!(
            "sub {} matches no binding of the client ({})",
            shown(sub),
            why.join("; ")
        )))
    }
}

impl Authenticator for FederatedJwt {
    fn id(&self) -> &'static str {
        "federated-jwt"
    }

    fn display_name(&self) -> &'static str {
        "Signed JWT - Federated"
    }

    fn help(&self) -> &'static str {
        "No secret or key is stored for the client. It sends a token its own platform issued \
         (a Kubernetes service-account token, a SPIFFE JWT-SVID, a CI job's OIDC token, another \
         IdP's token) as client_assertion; Keyward verifies it with the keys of the identity \
         provider the client is bound to and matches its subject (and claims) to a binding."
    }

    fn algorithms(&self) -> &'static [&'static str] {
        CLIENT_JWT_ALGS
    }

    fn uses_secrets(&self) -> bool {
        false
    }

    fn uses_keys(&self) -> bool {
        false
    }

    fn uses_federation(&self) -> bool {
        true
    }

    fn token_endpoint_auth_methods(&self) -> &'static [&'static str] {
        &["private_key_jwt"]
    }

    fn needs_plaintext_secret(&self) -> bool {
        false
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
            matches!(p, Presented::Assertion { .. })
        })?;
        let Presented::Assertion {
            assertion, spiffe, ..
        } = presented
        else {
            unreachable!("check_client accepted only assertions")
        };
        let fed = material
            .federation
            .ok_or_else(|| bad("no identity provider of this realm issued the token"))?;
        let p = &fed.provider;
        if !p.enabled {
            return Err(bad(format!(
                "the identity provider {} is disabled",
                p.alias
            )));
        }
        if !p.supports_client_assertions {
            return Err(bad(format!(
                "the identity provider {} does not accept its tokens as client assertions (supportsClientAssertions)",
                p.alias
            )));
        }
        if *spiffe != (p.kind == ProviderKind::Spiffe) {
            return Err(bad(if *spiffe {
                format!(
                    "client_assertion_type jwt-spiffe is for SPIFFE JWT-SVIDs; {} is not a SPIFFE provider",
                    p.alias
                )
            } else {
                format!(
                    "a JWT-SVID of the SPIFFE provider {} is sent with client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-spiffe",
                    p.alias
                )
            }));
        }
        let jws = assertion::parse(assertion)?;
        assertion::check_alg(&jws.header, CLIENT_JWT_ALGS, self.id(), client)?;
        let keys = candidates(&fed.keys, &jws.header.alg, jws.header.kid.as_deref()).map_err(
            |e| match e {
                AuthError::UnknownKid(kid) => AuthError::UnknownProviderKid {
                    provider: p.alias.clone(),
                    kid,
                },
                other => other,
            },
        )?;
        let kid = keys
            .iter()
            .find(|k| {
                assertion::verify_asymmetric(
                    &jws.header.alg,
                    &k.spki_der,
                    jws.signing_input,
                    &jws.signature,
                )
                .is_ok()
            })
            .map(|k| k.kid.clone().or_else(|| jws.header.kid.clone()))
            .ok_or(AuthError::BadSignature)?;
        let claims: Map<String, Value> = serde_json::from_slice(&jws.payload)
            .map_err(|_| bad("the payload is not a JSON object"))?;
        let (binding, jti) = self.check_claims(&claims, fed, client, ctx, now)?;
        Ok(Authenticated {
            client_id: client.client_id.clone(),
            binding: Some(binding),
            method: self.id(),
            presented: presentation(*spiffe),
            secret_id: None,
            kid,
            jti,
        })
    }

    /// Keycloak's adapters have no federated credentials: the token comes from the platform.
    fn adapter_credentials(
        &self,
        _client: &ClientAuthConfig,
        _values: &AdapterValues,
    ) -> serde_json::Value {
        json!({})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::testkit::{ctx, header, jws, Signer};
    use crate::client_auth::{presented, JWT_BEARER, JWT_SPIFFE};

    const NOW: i64 = 1_800_000_000;
    const K8S: &str = "https://kubernetes.default.svc.cluster.local";

    fn provider(kind: ProviderKind) -> FederatedProvider {
        FederatedProvider {
            alias: "cluster".into(),
            kind,
            enabled: true,
            supports_client_assertions: true,
            issuer: if kind == ProviderKind::Spiffe {
                "example.org".into()
            } else {
                K8S.into()
            },
            allow_reuse: kind == ProviderKind::Kubernetes,
            allow_client_id_audience: false,
            max_exp_s: 3600,
        }
    }

    /// The provider's one signing key in these tests.
    fn signer() -> &'static Signer {
        static KEY: std::sync::OnceLock<Signer> = std::sync::OnceLock::new();
        KEY.get_or_init(|| Signer::ec("ES256"))
    }

    fn key(signer: &Signer) -> ClientPublicKey {
        ClientPublicKey {
            kid: Some("k1".into()),
            alg: None,
            spki_der: signer.spki(),
            active: true,
        }
    }

    fn binding(label: &str, subject: Option<&str>, expr: Option<&str>) -> FederatedBinding {
        FederatedBinding {
            label: label.into(),
            subject: subject.map(str::to_owned),
            expression: expr.map(|e| crate::claims_expr::parse(e).unwrap()),
        }
    }

    fn k8s_claims() -> Value {
        json!({
            "iss": K8S,
            "sub": "system:serviceaccount:billing:worker",
            "aud": ["https://sso.example.com/realms/demo", "https://kubernetes.default.svc"],
            "exp": NOW + 600,
            "iat": NOW - 10,
            "nbf": NOW - 10,
            "jti": "5c3a…",
            "kubernetes.io": {"namespace": "billing", "serviceaccount": {"name": "worker", "uid": "u1"}}
        })
    }

    fn run(fed: &Federation, claims: &Value, type_: &str) -> Result<Authenticated, AuthError> {
        let token = jws(signer(), "ES256", &header("ES256", Some("k1")), claims);
        let form = vec![
            ("client_assertion_type".to_string(), type_.to_string()),
            ("client_assertion".to_string(), token),
            ("client_id".to_string(), "billing".to_string()),
        ];
        let p = presented(None, &form).unwrap();
        let client = crate::assertion::testkit::client("billing", "federated-jwt", None);
        let material = ClientMaterial {
            federation: Some(fed),
            ..ClientMaterial::default()
        };
        FederatedJwt.authenticate(&p, &client, &material, &ctx(false), NOW)
    }

    fn fed(kind: ProviderKind, bindings: Vec<FederatedBinding>) -> Federation {
        Federation {
            provider: provider(kind),
            keys: vec![key(signer())],
            bindings,
        }
    }

    fn reason(r: Result<Authenticated, AuthError>) -> String {
        r.expect_err("must be refused").to_string()
    }

    #[test]
    fn a_kubernetes_token_with_the_bound_subject_is_accepted() {
        let f = fed(
            ProviderKind::Kubernetes,
            vec![binding(
                "ns",
                Some("system:serviceaccount:billing:worker"),
                None,
            )],
        );
        let ok = run(&f, &k8s_claims(), JWT_BEARER).unwrap();
        assert_eq!(ok.binding.as_deref(), Some("ns"));
        assert_eq!(ok.presented, "federated_jwt");
        assert_eq!(ok.jti, None, "kubernetes tokens may be reused until exp");
        assert_eq!(ok.kid.as_deref(), Some("k1"));
    }

    #[test]
    fn every_rule_refuses_with_its_reason() {
        let sub = "system:serviceaccount:billing:worker";
        let f = fed(
            ProviderKind::Kubernetes,
            vec![binding("ns", Some(sub), None)],
        );
        let with = |changes: Value| crate::assertion::testkit::with(k8s_claims(), changes);
        let cases = [
            (
                with(json!({"iss": "https://other.example"})),
                "is not the issuer",
            ),
            (with(json!({"iss": null})), "iss is missing"),
            (
                with(json!({"sub": "system:serviceaccount:billing:other"})),
                "matches no binding",
            ),
            (
                with(json!({"aud": "https://sso.example.com/realms/other"})),
                "names neither",
            ),
            (with(json!({"aud": null})), "aud is missing"),
            (with(json!({"exp": null})), "exp is missing"),
            (with(json!({"exp": NOW - 60})), "expired"),
            (with(json!({"exp": NOW + 7200})), "more than the 3600 s"),
            (with(json!({"iat": NOW + 120})), "iat lies"),
            (with(json!({"nbf": NOW + 120})), "nbf lies"),
        ];
        for (claims, want) in cases {
            let r = reason(run(&f, &claims, JWT_BEARER));
            assert!(r.contains(want), "{claims}: {r} (want {want})");
        }
        // The realm's token endpoint is an audience too; a trailing slash on iss is the same issuer.
        let ok = with(
            json!({"aud": "https://sso.example.com/realms/demo/protocol/openid-connect/token", "iss": format!("{K8S}/")}),
        );
        run(&f, &ok, JWT_BEARER).unwrap();
    }

    #[test]
    fn replay_rules_follow_the_provider() {
        let mut f = fed(
            ProviderKind::Oidc,
            vec![binding(
                "b",
                Some("system:serviceaccount:billing:worker"),
                None,
            )],
        );
        let ok = run(&f, &k8s_claims(), JWT_BEARER).unwrap();
        assert_eq!(ok.jti, Some(("5c3a…".into(), NOW + 600 + SKEW_S)));
        let no_jti = crate::assertion::testkit::with(k8s_claims(), json!({"jti": null}));
        assert!(reason(run(&f, &no_jti, JWT_BEARER)).contains("jti is missing"));
        f.provider.allow_reuse = true;
        assert_eq!(run(&f, &no_jti, JWT_BEARER).unwrap().jti, None);
    }

    #[test]
    fn signature_algorithm_and_key_rules() {
        let f = fed(
            ProviderKind::Kubernetes,
            vec![binding(
                "b",
                Some("system:serviceaccount:billing:worker"),
                None,
            )],
        );
        // Signed by another key with the same kid.
        let other = Signer::ec("ES256");
        let token = jws(&other, "ES256", &header("ES256", Some("k1")), &k8s_claims());
        let p = presented(
            None,
            &[
                ("client_assertion_type".into(), JWT_BEARER.into()),
                ("client_assertion".into(), token),
            ],
        )
        .unwrap();
        let client = crate::assertion::testkit::client("billing", "federated-jwt", None);
        let material = ClientMaterial {
            federation: Some(&f),
            ..ClientMaterial::default()
        };
        assert_eq!(
            FederatedJwt
                .authenticate(&p, &client, &material, &ctx(false), NOW)
                .unwrap_err(),
            AuthError::BadSignature
        );
        // An unknown kid asks for a refetch of the provider's keys.
        let token = jws(
            signer(),
            "ES256",
            &header("ES256", Some("k9")),
            &k8s_claims(),
        );
        let p = presented(
            None,
            &[
                ("client_assertion_type".into(), JWT_BEARER.into()),
                ("client_assertion".into(), token),
            ],
        )
        .unwrap();
        assert_eq!(
            FederatedJwt
                .authenticate(&p, &client, &material, &ctx(false), NOW)
                .unwrap_err(),
            AuthError::UnknownProviderKid {
                provider: "cluster".into(),
                kid: Some("k9".into())
            }
        );
        // HMAC with the public key as the secret (alg confusion) is refused before any key.
        let hs = format!(
            "{}.{}.c2ln",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"alg":"HS256","kid":"k1"}"#
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                k8s_claims().to_string()
            ),
        );
        let p = presented(
            None,
            &[
                ("client_assertion_type".into(), JWT_BEARER.into()),
                ("client_assertion".into(), hs),
            ],
        )
        .unwrap();
        let r = FederatedJwt
            .authenticate(&p, &client, &material, &ctx(false), NOW)
            .unwrap_err()
            .to_string();
        assert!(r.contains("alg HS256 is not allowed"), "{r}");
        // alg none is never accepted, whatever the provider.
        let b64 =
            |v: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
        let none = format!(
            "{}.{}.c2ln",
            b64(br#"{"alg":"none"}"#),
            b64(k8s_claims().to_string().as_bytes())
        );
        let p = presented(
            None,
            &[
                ("client_assertion_type".into(), JWT_BEARER.into()),
                ("client_assertion".into(), none),
            ],
        )
        .unwrap();
        let r = FederatedJwt
            .authenticate(&p, &client, &material, &ctx(false), NOW)
            .unwrap_err()
            .to_string();
        assert!(r.contains("alg none is never accepted"), "{r}");
    }

    #[test]
    fn spiffe_needs_its_assertion_type_and_trust_domain() {
        let svid = json!({
            "sub": "spiffe://example.org/ns/billing/sa/worker",
            "aud": ["https://sso.example.com/realms/demo"],
            "exp": NOW + 300,
            "iat": NOW,
            "jti": "j1"
        });
        let f = fed(
            ProviderKind::Spiffe,
            vec![binding(
                "w",
                Some("spiffe://example.org/ns/billing/sa/worker"),
                None,
            )],
        );
        let ok = run(&f, &svid, JWT_SPIFFE).unwrap();
        assert_eq!(ok.presented, "jwt_spiffe");
        assert!(reason(run(&f, &svid, JWT_BEARER)).contains("jwt-spiffe"));
        let other_domain = crate::assertion::testkit::with(
            svid.clone(),
            json!({"sub": "spiffe://evil.org/ns/billing/sa/worker"}),
        );
        assert!(reason(run(&f, &other_domain, JWT_SPIFFE))
            .contains("not a SPIFFE ID of the trust domain example.org"));
        let k = fed(
            ProviderKind::Kubernetes,
            vec![binding(
                "ns",
                Some("system:serviceaccount:billing:worker"),
                None,
            )],
        );
        assert!(reason(run(&k, &k8s_claims(), JWT_SPIFFE)).contains("not a SPIFFE provider"));
        assert_eq!(
            spiffe_trust_domain("spiffe://example.org/a"),
            Some("example.org")
        );
        assert_eq!(spiffe_trust_domain("spiffe://example.org/"), None);
        assert_eq!(spiffe_trust_domain("spiffe://Example.org/a"), None);
        assert_eq!(spiffe_trust_domain("https://example.org/a"), None);
    }

    #[test]
    fn claims_expressions_and_several_bindings() {
        let gh = json!({
            "iss": K8S,
            "sub": "repo:acme/billing:ref:refs/heads/main",
            "aud": "https://sso.example.com/realms/demo",
            "exp": NOW + 300,
            "iat": NOW,
            "jti": "run-1",
            "repository": "acme/billing",
            "job_workflow_ref": "acme/ci/.github/workflows/deploy.yml@refs/heads/main",
            "ref": "refs/heads/main"
        });
        let f = fed(ProviderKind::Oidc, vec![
            binding("old", Some("repo:acme/old:ref:refs/heads/main"), None),
            binding("deploy", None, Some("claims['sub'] matches 'repo:acme/*:ref:refs/heads/main' and claims['job_workflow_ref'] eq 'acme/ci/.github/workflows/deploy.yml@refs/heads/main'")),
        ]);
        assert_eq!(
            run(&f, &gh, JWT_BEARER).unwrap().binding.as_deref(),
            Some("deploy")
        );
        let branch = crate::assertion::testkit::with(
            gh.clone(),
            json!({"sub": "repo:acme/billing:ref:refs/heads/dev", "jti": "run-2"}),
        );
        let r = reason(run(&f, &branch, JWT_BEARER));
        assert!(
            r.contains("old: sub is not") && r.contains("deploy: claims['sub'] matches"),
            "{r}"
        );
        let none = fed(ProviderKind::Oidc, vec![]);
        assert!(reason(run(&none, &gh, JWT_BEARER)).contains("no binding"));
    }

    #[test]
    fn provider_switches_and_method_checks() {
        let b = || {
            vec![binding(
                "ns",
                Some("system:serviceaccount:billing:worker"),
                None,
            )]
        };
        let mut f = fed(ProviderKind::Kubernetes, b());
        f.provider.enabled = false;
        assert!(reason(run(&f, &k8s_claims(), JWT_BEARER)).contains("disabled"));
        let mut f = fed(ProviderKind::Kubernetes, b());
        f.provider.supports_client_assertions = false;
        assert!(reason(run(&f, &k8s_claims(), JWT_BEARER)).contains("supportsClientAssertions"));
        let mut f = fed(ProviderKind::Kubernetes, b());
        f.provider.allow_client_id_audience = true;
        let aud_id = crate::assertion::testkit::with(k8s_claims(), json!({"aud": "billing"}));
        run(&f, &aud_id, JWT_BEARER).unwrap();
        f.provider.allow_client_id_audience = false;
        assert!(reason(run(&f, &aud_id, JWT_BEARER)).contains("names neither"));
        // A secret sent to a federated client is the wrong method.
        let p = presented(
            None,
            &[
                ("client_id".into(), "billing".into()),
                ("client_secret".into(), "x".into()),
            ],
        )
        .unwrap();
        let client = crate::assertion::testkit::client("billing", "federated-jwt", None);
        assert!(matches!(
            FederatedJwt.authenticate(&p, &client, &ClientMaterial::default(), &ctx(false), NOW),
            Err(AuthError::WrongMethod { .. })
        ));
    }

    #[test]
    fn every_refusal_names_its_rule() {
        let sub = "system:serviceaccount:billing:worker";
        let f = fed(
            ProviderKind::Kubernetes,
            vec![binding("ns", Some(sub), None)],
        );
        let with = |changes: Value| crate::assertion::testkit::with(k8s_claims(), changes);
        for (claims, rule) in [
            (with(json!({"iss": "https://other.example"})), 2),
            (with(json!({"sub": null})), 2),
            (with(json!({"aud": "https://elsewhere"})), 3),
            (with(json!({"exp": NOW - 60})), 4),
            (with(json!({"exp": NOW + 7200})), 4),
            (with(json!({"nbf": NOW + 120})), 4),
            (
                with(json!({"sub": "system:serviceaccount:billing:other"})),
                6,
            ),
        ] {
            let e = run(&f, &claims, JWT_BEARER).unwrap_err();
            assert_eq!(RULES[rule_of(&e)], RULES[rule], "{e}");
        }
        let mut oidc = fed(ProviderKind::Oidc, vec![binding("ns", Some(sub), None)]);
        let e = run(&oidc, &with(json!({"jti": null})), JWT_BEARER).unwrap_err();
        assert_eq!(rule_of(&e), 5, "{e}");
        oidc.provider.enabled = false;
        let e = run(&oidc, &k8s_claims(), JWT_BEARER).unwrap_err();
        assert_eq!(rule_of(&e), 0, "{e}");
        assert_eq!(rule_of(&AuthError::BadSignature), 1);
    }

    #[test]
    fn origin_is_read_without_verification() {
        let token = jws(signer(), "ES256", &header("ES256", None), &k8s_claims());
        let o = unverified_origin(&token).unwrap();
        assert_eq!(o.issuer.as_deref(), Some(K8S));
        assert_eq!(o.subject, "system:serviceaccount:billing:worker");
        assert_eq!(o.trust_domain, None);
    }
}

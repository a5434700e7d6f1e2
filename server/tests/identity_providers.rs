//! Issue 21 §1 (groundwork): a realm's identity providers through Keycloak's Admin REST paths
//! (`/admin/realms/{realm}/identity-provider/instances`), with Keyward's kinds and config rules;
//! bad input is refused with its reason and changes nothing; viewers read, managers write;
//! every change is an admin event of resource type IDENTITY_PROVIDER.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

const LIST: &str = "/admin/realms/master/identity-provider/instances";

#[tokio::test(flavor = "multi_thread")]
async fn identity_providers_follow_keycloaks_paths_and_keywards_rules() {
    let app = app().await;
    let mut a = admin(&app).await;

    // An OIDC issuer (GitHub Actions'); a broker's clientSecret is not kept.
    let r = rest(
        &mut a,
        "POST",
        LIST,
        Some(json!({
            "alias": "github",
            "providerId": "oidc",
            "displayName": "GitHub Actions",
            "config": {"issuer": "https://token.actions.githubusercontent.com/", "clientSecret": "s3cr3t-broker"},
            "unknownField": 1
        })),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r
        .location()
        .ends_with("/admin/realms/master/identity-provider/instances/github"));
    let gh = a.get(&format!("{LIST}/github")).await.json();
    assert_eq!(gh["providerId"], "oidc");
    assert_eq!(
        gh["config"]["issuer"],
        "https://token.actions.githubusercontent.com"
    );
    assert!(gh["config"].get("clientSecret").is_none(), "{gh}");
    assert_eq!(gh["config"]["supportsClientAssertions"], "true");
    assert_eq!(gh["config"]["supportsClientAssertionReuse"], "false");
    assert_eq!(
        gh["config"]["federatedClientAssertionMaxExpiration"],
        "3600"
    );
    assert!(!contains(&db_bytes(&app), "s3cr3t-broker"));

    // Kubernetes: the in-cluster issuer by default, token reuse on.
    let r = rest(
        &mut a,
        "POST",
        LIST,
        Some(json!({"alias": "cluster", "providerId": "kubernetes"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let k = a.get(&format!("{LIST}/cluster")).await.json();
    assert_eq!(
        k["config"]["issuer"],
        "https://kubernetes.default.svc.cluster.local"
    );
    assert_eq!(k["config"]["supportsClientAssertionReuse"], "true");

    // SPIFFE.
    let r = rest(
        &mut a,
        "POST",
        LIST,
        Some(json!({"alias": "mesh", "providerId": "spiffe",
            "config": {"trustDomain": "example.org", "bundleEndpoint": "https://spire.example.org/bundle"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Refusals: each with its reason, nothing created.
    for (rep, status, says) in [
        (
            json!({"alias": "github", "providerId": "oidc", "config": {"issuer": "https://x.example"}}),
            409,
            "Identity Provider github already exists",
        ),
        (
            json!({"alias": "saml", "providerId": "saml"}),
            400,
            "providerId \\\"saml\\\" is not a kind",
        ),
        (
            json!({"alias": "no-issuer", "providerId": "oidc"}),
            400,
            "needs its issuer",
        ),
        (
            json!({"alias": "plain", "providerId": "oidc", "config": {"issuer": "http://idp.example"}}),
            400,
            "issuer",
        ),
        (
            json!({"alias": "inside", "providerId": "oidc", "config": {"issuer": "https://127.0.0.1/x"}}),
            400,
            "issuer",
        ),
        (
            json!({"alias": "sp", "providerId": "spiffe", "config": {"bundleEndpoint": "https://b.example"}}),
            400,
            "trustDomain",
        ),
        (
            json!({"alias": "sp", "providerId": "spiffe", "config": {"trustDomain": "Example.ORG", "bundleEndpoint": "https://b.example"}}),
            400,
            "lower-case",
        ),
        (
            json!({"alias": "bad alias!", "providerId": "kubernetes"}),
            400,
            "alias",
        ),
        (
            json!({"alias": "k2", "providerId": "kubernetes", "config": {"supportsClientAssertionReuse": "yes"}}),
            400,
            "must be \\\"true\\\" or \\\"false\\\"",
        ),
        (
            json!({"alias": "k3", "providerId": "kubernetes", "config": {"federatedClientAssertionMaxExpiration": "0"}}),
            400,
            "from 1 to 86400",
        ),
        (json!({"alias": "k4", "providerId": 7}), 400, ""),
    ] {
        let r = rest(&mut a, "POST", LIST, Some(rep.clone())).await;
        assert_eq!(r.status.as_u16(), status, "{rep}: {}", r.body);
        assert!(r.body.contains(says), "{rep}: {}", r.body);
    }
    let listed: Vec<String> = a
        .get(LIST)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alias"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ["cluster", "github", "mesh"]);

    // Update: enabled off; the alias cannot change; a bad value changes nothing.
    let r = rest(
        &mut a,
        "PUT",
        &format!("{LIST}/cluster"),
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let k = a.get(&format!("{LIST}/cluster")).await.json();
    assert_eq!(k["enabled"], false);
    assert_eq!(
        k["config"]["issuer"],
        "https://kubernetes.default.svc.cluster.local"
    );
    let r = rest(
        &mut a,
        "PUT",
        &format!("{LIST}/cluster"),
        Some(json!({"alias": "renamed"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = rest(
        &mut a,
        "PUT",
        &format!("{LIST}/cluster"),
        Some(json!({"config": {"federatedClientAssertionMaxExpiration": "999999"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        a.get(&format!("{LIST}/cluster")).await.json(),
        k,
        "nothing changed"
    );

    // A viewer reads and cannot write.
    let mut v = operator(&app, "watcher", "viewer").await;
    assert_eq!(v.get(LIST).await.status, StatusCode::OK);
    let r = rest(&mut v, "DELETE", &format!("{LIST}/github"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Delete; then 404 in Keycloak's JSON.
    let r = rest(&mut a, "DELETE", &format!("{LIST}/github"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = a.get(&format!("{LIST}/github")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(r.json().is_object(), "{}", r.body);

    // Every change is an admin event of type IDENTITY_PROVIDER.
    let events = a
        .get("/admin/realms/master/admin-events?resourceTypes=IDENTITY_PROVIDER")
        .await
        .json();
    let ops: Vec<(String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["operationType"].as_str().unwrap().to_string(),
                e["resourcePath"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            (
                "DELETE".to_string(),
                "identity-provider/instances/github".to_string()
            ),
            (
                "UPDATE".to_string(),
                "identity-provider/instances/cluster".to_string()
            ),
            (
                "CREATE".to_string(),
                "identity-provider/instances/mesh".to_string()
            ),
            (
                "CREATE".to_string(),
                "identity-provider/instances/cluster".to_string()
            ),
            (
                "CREATE".to_string(),
                "identity-provider/instances/github".to_string()
            ),
        ]
    );
}

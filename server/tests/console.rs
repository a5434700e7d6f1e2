//! The console through the router (`oneshot`): health, sign-in, lockout, sessions, CSRF,
//! roles, realms and clients, with bad input changing nothing.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use keyward_store::{clients, operators, realms};

#[tokio::test]
async fn health_probes_answer() {
    let app = app().await;
    let mut c = Client::new(&app);
    let live = c.get("/health/live").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["status"], "UP");
    let ready = c.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["checks"][0]["name"], "database");
    app.keyward.state.ctx.db.close().await;
    let down = c.get("/health/ready").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json()["status"], "DOWN");
}

#[tokio::test]
async fn master_realm_and_bootstrap_admin_exist_from_the_first_start() {
    let app = app().await;
    let db = &app.keyward.state.ctx.db;
    assert_eq!(
        realms::get_by_name(db, "master").await.unwrap().name,
        "master"
    );
    let admin = operators::get_by_username(db, ADMIN).await.unwrap();
    assert_eq!(admin.role, keyward_credentials::operator::Role::Admin);
    assert!(admin
        .password_hash
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(app.keyward.setup_link.is_none());
}

#[tokio::test]
async fn sign_in_starts_a_fresh_strict_http_only_session() {
    let app = app().await;
    let mut c = Client::new(&app);
    c.open().await;
    let anonymous_cookie = c.cookie.clone().expect("the sign-in page starts a session");
    let r = c.sign_in(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/console/master/clients");
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.starts_with("keyward_session="), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain http public URL: {set}");
    assert_ne!(
        c.cookie.clone().unwrap(),
        anonymous_cookie,
        "a new session id at sign-in"
    );
    let me = c.call("session_info", &[]).await.json();
    assert_eq!(me["me"]["username"], ADMIN);
    assert_eq!(me["me"]["role"], "Admin");
    let page = c.get("/console/master/clients").await;
    assert_eq!(page.status, StatusCode::OK);

    // Sign out empties the session.
    let csrf = c.csrf.clone();
    let out = c.post_form("/auth/logout", form(&[("csrf", &csrf)])).await;
    assert_eq!(out.location(), "/login?signed_out=1");
    let me = c.call("session_info", &[]).await.json();
    assert!(me["me"].is_null());
    let page = c.get("/console/master/clients").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=%2Fconsole%2Fmaster%2Fclients");
}

#[tokio::test]
async fn https_public_url_gives_secure_host_prefixed_cookies() {
    let app = app_with(|c| c.public_url = Some("https://sso.example.com".into())).await;
    let mut c = Client::new(&app);
    let page = c.get("/login").await;
    let set = page
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(set.starts_with("__Host-keyward_session="), "{set}");
    assert!(set.contains("Secure"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(!set.contains("Domain"), "{set}");
}

#[tokio::test]
async fn wrong_passwords_do_not_lock_the_account() {
    let app = app().await;
    let mut c = Client::new(&app);
    // Many more failures than the old lock allowed (from one address in oneshot: no address).
    for i in 1..=keyward_server::throttle::SIGNIN_FREE_ATTEMPTS {
        let r = c.sign_in(ADMIN, "wrong-password-123").await;
        assert_eq!(r.location(), "/login?error=invalid", "attempt {i}");
    }
    // The failing pair now waits; nothing about the account changed.
    let r = c.sign_in(ADMIN, "wrong-password-123").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let op = operators::get_by_username(&app.keyward.state.ctx.db, ADMIN)
        .await
        .unwrap();
    assert_eq!(op.session_epoch, 0);
    // An unknown user is answered exactly like a wrong password.
    let mut other = Client::new(&app);
    let r = other.sign_in("nobody", "whatever-password").await;
    assert_eq!(r.location(), "/login?error=invalid");
}

#[tokio::test]
async fn absolute_session_lifetime_is_enforced() {
    // Long enough that a signed-in call fits even on a loaded machine; then waited out,
    // counted from when the sign-in answered (the session's sign-in time is at or before it,
    // in whole seconds, so 5.1 s later it is at least 4 s old).
    let app = app_with(|c| c.session_absolute_secs = 4).await;
    let mut c = admin(&app).await;
    let signed_in = std::time::Instant::now();
    assert_eq!(c.call("list_realms", &[]).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(5100).saturating_sub(signed_in.elapsed()))
        .await;
    let r = c.call("list_realms", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("Unauthenticated"));
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = app_with(|c| c.session_idle_secs = 3).await;
    let mut c = admin(&app).await;
    assert_eq!(c.call("list_realms", &[]).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let r = c.call("list_realms", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

#[tokio::test]
async fn missing_or_wrong_csrf_tokens_are_refused_and_change_nothing() {
    let app = app().await;
    let mut c = admin(&app).await;
    let db = app.keyward.state.ctx.db.clone();

    let r = c
        .call(
            "create_realm",
            &[("csrf", ""), ("name", "nocsrf"), ("display_name", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Csrf"), "{}", r.body);
    let r = c
        .call(
            "create_realm",
            &[("csrf", "forged"), ("name", "nocsrf"), ("display_name", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .call("create_realm", &[("name", "nocsrf"), ("display_name", "")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "missing argument: {}",
        r.body
    );
    assert!(matches!(
        realms::get_by_name(&db, "nocsrf").await,
        Err(keyward_store::StoreError::NotFound)
    ));

    // The sign-in and sign-out forms need the token too.
    let mut anon = Client::new(&app);
    anon.open().await;
    let r = anon
        .post_form(
            "/auth/login",
            form(&[("username", ADMIN), ("password", ADMIN_PASSWORD)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.post_form("/auth/logout", form(&[("csrf", "nope")])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.call("list_realms", &[]).await.status,
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let app = app().await;
    let mut c = admin(&app).await;
    let csrf = c.csrf.clone();
    let req = Request::post("/api/create_realm")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::from(form(&[
            ("csrf", &csrf),
            ("name", "evil"),
            ("display_name", ""),
        ])))
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
    let req = Request::post("/api/create_realm")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(form(&[
            ("csrf", &csrf),
            ("name", "evil"),
            ("display_name", ""),
        ])))
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
    // Same origin passes.
    let req = Request::post("/api/create_realm")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .body(Body::from(form(&[
            ("csrf", &csrf),
            ("name", "good"),
            ("display_name", ""),
        ])))
        .unwrap();
    let r = c.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let db = &app.keyward.state.ctx.db;
    assert!(realms::get_by_name(db, "evil").await.is_err());
    assert!(realms::get_by_name(db, "good").await.is_ok());
}

#[tokio::test]
async fn signed_out_callers_get_401() {
    let app = app().await;
    let mut c = Client::new(&app);
    c.open().await;
    let r = c
        .call(
            "list_clients",
            &[("realm", "master"), ("search", ""), ("first", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c
        .change("create_realm", &[("name", "x"), ("display_name", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn roles_bound_what_each_operator_may_do() {
    let app = app().await;
    let db = app.keyward.state.ctx.db.clone();
    let mut viewer = operator(&app, "vera", "viewer").await;
    let mut manager = operator(&app, "manny", "manager").await;

    let r = viewer
        .call(
            "list_clients",
            &[("realm", "master"), ("search", ""), ("first", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = viewer
        .change(
            "create_client",
            &[
                ("realm", "master"),
                ("client_id", "by-viewer"),
                ("name", ""),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Forbidden"));
    let master = realms::get_by_name(&db, "master").await.unwrap();
    assert!(clients::list(&db, &master.realm_id, None, 0, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    let r = viewer
        .change(
            "create_realm",
            &[("name", "by-viewer"), ("display_name", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = manager
        .change(
            "create_client",
            &[
                ("realm", "master"),
                ("client_id", "by-manager"),
                ("name", ""),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = viewer
        .change("delete_client", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(clients::get(&db, &master.realm_id, &id).await.is_ok());

    // Operators are for admins only; realm deletion too.
    assert_eq!(
        manager.call("list_operators", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let r = manager
        .change(
            "create_operator",
            &[
                ("username", "eve"),
                ("password", "eve-password-123"),
                ("confirm", "eve-password-123"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(operators::get_by_username(&db, "eve").await.is_err());
    manager
        .change("create_realm", &[("name", "team"), ("display_name", "")])
        .await;
    assert_eq!(
        manager
            .change("delete_realm", &[("realm", "team")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(realms::get_by_name(&db, "team").await.is_ok());

    // Re-roling takes effect at once: it ends the operator's sessions, and the next sign-in
    // carries the new role.
    let mut a = admin(&app).await;
    let vera = operators::get_by_username(&db, "vera").await.unwrap();
    let r = a
        .change(
            "set_operator_role",
            &[("operator_id", &vera.operator_id), ("role", "manager")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = viewer
        .change("delete_client", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let mut vera_again = Client::new(&app);
    assert_eq!(
        vera_again
            .sign_in("vera", "operator-password-1")
            .await
            .location(),
        "/console/master/clients"
    );
    let r = vera_again
        .change("delete_client", &[("realm", "master"), ("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A disabled operator is signed out and cannot sign in.
    let manny = operators::get_by_username(&db, "manny").await.unwrap();
    let r = a
        .change(
            "set_operator_disabled",
            &[("operator_id", &manny.operator_id), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        manager.call("list_realms", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut again = Client::new(&app);
    assert_eq!(
        again
            .sign_in("manny", "operator-password-1")
            .await
            .location(),
        "/login?error=invalid"
    );
}

#[tokio::test]
async fn an_admin_cannot_demote_or_disable_itself() {
    let app = app().await;
    let mut a = admin(&app).await;
    let me = a.call("session_info", &[]).await.json()["me"]["operator_id"]
        .as_str()
        .unwrap()
        .to_string();
    let events_before = keyward_store::events::list(&app.keyward.state.ctx.db, None, 0, 100)
        .await
        .unwrap()
        .len();
    // Oneself: refused, saying another admin must do it (also when it is the last admin).
    for (name, field, value) in [
        ("set_operator_role", "role", "viewer"),
        ("set_operator_role", "role", "manager"),
        ("set_operator_disabled", "disabled", "true"),
    ] {
        let r = a
            .change(name, &[("operator_id", &me), (field, value)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{name} {value}: {}",
            r.body
        );
        assert!(r.body.contains("another admin must do it"), "{}", r.body);
    }
    let r = a
        .change(
            "set_operator_role",
            &[("operator_id", &me), ("role", "root")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        keyward_store::events::list(&app.keyward.state.ctx.db, None, 0, 100)
            .await
            .unwrap()
            .len(),
        events_before,
        "a refusal changed nothing"
    );
    assert_eq!(a.call("list_operators", &[]).await.status, StatusCode::OK);
    // Another admin may: then the first admin is a viewer, and the second the one admin left.
    let mut ada = operator(&app, "ada", "admin").await;
    let r = ada
        .change(
            "set_operator_role",
            &[("operator_id", &me), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ada
        .change(
            "set_operator_disabled",
            &[("operator_id", &me), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn operator_passwords_can_be_reset_and_end_the_operators_sessions() {
    let app = app().await;
    let db = app.keyward.state.ctx.db.clone();
    let mut olga_before = operator(&app, "olga", "viewer").await;
    assert_eq!(
        olga_before.call("list_realms", &[]).await.status,
        StatusCode::OK
    );
    let mut a = admin(&app).await;
    let olga = operators::get_by_username(&db, "olga").await.unwrap();
    let r = a
        .change(
            "reset_operator_password",
            &[
                ("operator_id", &olga.operator_id),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("at least 12"), "{}", r.body);
    let r = a
        .change(
            "reset_operator_password",
            &[
                ("operator_id", &olga.operator_id),
                ("password", "a-new-password-1"),
                ("confirm", "a-new-password-2"),
            ],
        )
        .await;
    assert!(r.body.contains("differ"), "{}", r.body);
    let r = a
        .change(
            "reset_operator_password",
            &[
                ("operator_id", &olga.operator_id),
                ("password", "a-new-password-1"),
                ("confirm", "a-new-password-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The session olga had before the reset is over.
    assert_eq!(
        olga_before.call("list_realms", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut fresh = Client::new(&app);
    assert_eq!(
        fresh.sign_in("olga", "a-new-password-1").await.location(),
        "/console/master/clients"
    );
    assert_eq!(fresh.call("list_realms", &[]).await.status, StatusCode::OK);
    let r = a
        .change(
            "create_operator",
            &[
                ("username", "olga"),
                ("password", "x-password-123"),
                ("confirm", "x-password-123"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn realms_are_validated_and_master_is_kept() {
    let app = app().await;
    let db = app.keyward.state.ctx.db.clone();
    let mut a = admin(&app).await;
    for bad in ["", "has space", "slash/y", &"r".repeat(101)] {
        let r = a
            .change("create_realm", &[("name", bad), ("display_name", "")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.body);
    }
    assert_eq!(realms::list(&db).await.unwrap().len(), 1);
    let r = a
        .change(
            "create_realm",
            &[("name", "demo"), ("display_name", "Demo realm")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["display_name"], "Demo realm");
    let r = a
        .change("create_realm", &[("name", "demo"), ("display_name", "")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = a
        .change(
            "update_realm",
            &[("realm", "demo"), ("display_name", "Renamed")],
        )
        .await;
    assert_eq!(r.json()["display_name"], "Renamed");
    let r = a
        .change("update_realm", &[("realm", "demo"), ("display_name", "  ")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a
        .change("update_realm", &[("realm", "nope"), ("display_name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a.change("delete_realm", &[("realm", "master")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("master realm cannot be deleted"),
        "{}",
        r.body
    );
    let r = a.change("delete_realm", &[("realm", "demo")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a.change("delete_realm", &[("realm", "demo")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn clients_are_validated_unique_searchable_and_versioned() {
    let app = app().await;
    let mut a = admin(&app).await;
    let create = |id: &'static str| {
        [
            ("realm", "master"),
            ("client_id", id),
            ("name", "Billing API"),
            ("description", ""),
            ("access_type", "confidential"),
        ]
    };
    let r = a.change("create_client", &create("billing")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = r.json();
    assert_eq!(c["public_client"], false, "confidential by default");
    assert_eq!(c["enabled"], true);
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.change("create_client", &create("billing")).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        a.change("create_client", &create("bad\tid")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        a.change("create_client", &create("")).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut bad_type = create("typed");
    bad_type[4] = ("access_type", "bearer-only");
    assert_eq!(
        a.change("create_client", &bad_type).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut unknown_realm = create("elsewhere");
    unknown_realm[0] = ("realm", "nope");
    assert_eq!(
        a.change("create_client", &unknown_realm).await.status,
        StatusCode::NOT_FOUND
    );

    let list = a
        .call(
            "list_clients",
            &[("realm", "master"), ("search", "BILL"), ("first", "0")],
        )
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = a
        .call(
            "list_clients",
            &[("realm", "master"), ("search", "zzz"), ("first", "0")],
        )
        .await
        .json();
    assert!(list["items"].as_array().unwrap().is_empty());

    // Two operators edit the same version: the second is told, and nothing is overwritten.
    let edit = |version: &'static str, name: &'static str| {
        vec![
            ("realm", "master"),
            ("version", version),
            ("name", name),
            ("description", "d"),
            ("access_type", "public"),
            ("enabled", "on"),
        ]
    };
    let mut first = edit("1", "First edit");
    first.push(("id", &id));
    let r = a.change("update_client", &first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    assert_eq!(r.json()["public_client"], true);
    let mut second = edit("1", "Second edit");
    second.push(("id", &id));
    let r = a.change("update_client", &second).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("changed by someone else"), "{}", r.body);
    let now = a
        .call("get_client", &[("realm", "master"), ("id", &id)])
        .await
        .json();
    assert_eq!(now["name"], "First edit");
    // Unchecked "enabled" disables the client.
    let r = a
        .change(
            "update_client",
            &[
                ("realm", "master"),
                ("id", &id),
                ("version", "2"),
                ("name", "n"),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    assert_eq!(r.json()["enabled"], false);
    let long = "x".repeat(256);
    let r = a
        .change(
            "update_client",
            &[
                ("realm", "master"),
                ("id", &id),
                ("version", "3"),
                ("name", &long),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = a
        .call("get_client", &[("realm", "master"), ("id", "no-such-id")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        a.change("delete_client", &[("realm", "master"), ("id", &id)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        a.change("delete_client", &[("realm", "master"), ("id", &id)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn console_pages_answer_404_for_unknown_realms_and_clients() {
    let app = app().await;
    let mut a = admin(&app).await;
    assert_eq!(
        a.get("/console/master/clients").await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.get("/console/nope/clients").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        a.get("/console/master/clients/nope/settings").await.status,
        StatusCode::NOT_FOUND
    );
    let r = a
        .change(
            "create_client",
            &[
                ("realm", "master"),
                ("client_id", "svc"),
                ("name", ""),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let page = a
        .get(&format!("/console/master/clients/{id}/settings"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("svc"));
    // A path with a trailing slash is sent, query and all, to the same page without it.
    for tab in ["settings", "keys"] {
        let r = a
            .get(&format!("/console/master/clients/{id}/{tab}/?x=1"))
            .await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{tab}");
        assert_eq!(
            r.headers[header::LOCATION],
            format!("/console/master/clients/{id}/{tab}?x=1").as_str()
        );
    }
    assert_eq!(
        a.get("/console/master/clients//").await.headers[header::LOCATION],
        "/console/master/clients"
    );
    assert_eq!(a.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
    // HEAD answers as GET would, without the body: the same redirects, statuses and length.
    let head = |path: &str| {
        Request::head(path)
            .body(Body::empty())
            .expect("a HEAD request")
    };
    let settings = format!("/console/master/clients/{id}/settings");
    let r = a.send(head(&settings)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "");
    // The page's whole length (render.rs's unit test checks it equals the body's). Not compared
    // with a second render: Leptos streams a resource that resolves late as a template plus a
    // script, so two renders of one page may differ in length.
    let length: usize = r.headers[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 1000, "{length}");
    let r = a.send(head(&format!("{settings}/"))).await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers[header::LOCATION], settings.as_str());
    assert_eq!(
        a.send(head("/console/nope/clients")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = Client::new(&app).send(head(&settings)).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(
        r.headers[header::LOCATION],
        format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(settings.as_bytes()).collect::<String>()
        )
    );
}

#[tokio::test]
async fn static_assets_are_served_compressed() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    let css = "body { color: black; }\n".repeat(200);
    std::fs::write(site.path().join("pkg/keyward.css"), &css).unwrap();
    let root = site.path().to_path_buf();
    let app = app_with(|c| c.site_root = root).await;
    let mut c = Client::new(&app);
    let plain = c.get("/pkg/keyward.css").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.body, css);
    let req = Request::get("/pkg/keyward.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let gz = c.send(req).await;
    assert_eq!(gz.status, StatusCode::OK);
    assert_eq!(gz.headers.get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert!(
        gz.body.len() < css.len() / 10,
        "compressed: {} bytes",
        gz.body.len()
    );
}

#[tokio::test]
async fn the_client_list_page_renders_a_full_page_with_a_next_link() {
    let app = app().await;
    let db = app.keyward.state.ctx.db.clone();
    let master = realms::get_by_name(&db, "master").await.unwrap();
    clients::seed(&db, &master.realm_id, "svc", 45, 0)
        .await
        .unwrap();
    let mut a = admin(&app).await;
    for path in [
        "/console/master/clients",
        "/console/master/clients?first=20",
        "/console/master/clients?search=svc-00004",
    ] {
        let page = a.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("svc-000040") || page.body.contains("svc-000001"),
            "{path}: {}",
            page.body
        );
    }
    let page = a.get("/console/master/clients").await;
    assert!(page.body.contains("Next ›"), "{}", page.body);
}

/// A form posted natively (without the wasm, or before it has loaded) that fails comes back to
/// its page with the error in the URL, and the page shows it; the body a `SubmitForm` posts
/// (the form's fields, then the unnamed submit button's empty pair) is read like any other.
#[tokio::test]
async fn a_form_posted_without_the_wasm_shows_its_error_on_its_page() {
    let app = app().await;
    let mut a = admin(&app).await;
    let csrf = a.csrf.clone();
    let submitted = |display_name: &str| {
        format!(
            "{}&=",
            form(&[
                ("csrf", &csrf),
                ("realm", "master"),
                ("display_name", display_name)
            ])
        )
    };
    let r = a.post_form("/api/update_realm", submitted("Main")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["display_name"], "Main");

    let message = a.post_form("/api/update_realm", submitted(" ")).await;
    assert_eq!(message.status, StatusCode::BAD_REQUEST);
    let message = message.json()["Invalid"].as_str().unwrap().to_string();
    let native = Request::post("/api/update_realm")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(
            header::REFERER,
            "http://127.0.0.1:3000/console/master/settings",
        )
        .body(Body::from(submitted(" ")))
        .unwrap();
    let r = a.send(native).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let back = r
        .location()
        .trim_start_matches("http://127.0.0.1:3000")
        .to_string();
    assert!(
        back.starts_with("/console/master/settings?") && back.contains("__err="),
        "{back}"
    );
    let page = a.get(&back).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("alert alert-danger").count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.contains(&message), "{message}: {}", page.body);
    // Nothing changed.
    let page = a.get("/console/master/settings").await;
    assert!(!page.body.contains("alert alert-danger"), "{}", page.body);
    assert_eq!(
        a.call("get_realm", &[("realm", "master")]).await.json()["display_name"],
        "Main"
    );
}

/// The arguments of `assign_client_scope` / `unassign_client_scope` in realm master.
fn scope_args<'a>(id: &'a str, scope: &'a str, kind: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("realm", "master"),
        ("id", id),
        ("scope_id", scope),
        ("kind", kind),
    ]
}

/// Client scopes in the console: viewers read the realm's scopes and a client's, managers create,
/// delete, give and take them; bad names, unknown kinds and unknown ids are refused with the
/// reason; the Client scopes page and the client's Settings tab show them.
#[tokio::test]
async fn client_scopes_by_role_in_the_console() {
    let app = app().await;
    let db = app.keyward.state.ctx.db.clone();
    let mut viewer = operator(&app, "vera", "viewer").await;
    let mut manager = operator(&app, "manny", "manager").await;
    let realm = [("realm", "master")];

    let r = viewer.call("list_client_scopes", &realm).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "[]"));
    let create = |name: &'static str| {
        [
            ("realm", "master"),
            ("name", name),
            ("description", "A scope"),
        ]
    };
    let r = viewer
        .change("create_client_scope", &create("by-viewer"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = manager
        .change("create_client_scope", &create("payments"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let payments = r.json()["id"].as_str().unwrap().to_string();
    let r = manager
        .change("create_client_scope", &create("payments"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("Client Scope payments already exists"),
        "{}",
        r.body
    );
    for bad in ["", "two words", "quote\"d", "openid"] {
        let r = manager.change("create_client_scope", &create(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.body);
    }
    // Without the CSRF token nothing is created.
    let r = manager
        .call(
            "create_client_scope",
            &[
                ("csrf", "wrong"),
                ("realm", "master"),
                ("name", "x"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = manager
        .change("create_client_scope", &create("reports"))
        .await;
    let reports = r.json()["id"].as_str().unwrap().to_string();
    let r = viewer.call("list_client_scopes", &realm).await;
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["payments", "reports"]);

    // A client's scopes.
    let id = new_client(&mut manager, "svc").await;
    let r = viewer
        .change(
            "assign_client_scope",
            &scope_args(&id, &payments, "default"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = manager
        .change("assign_client_scope", &scope_args(&id, &payments, "always"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = manager
        .change(
            "assign_client_scope",
            &scope_args(&id, "no-such-scope", "default"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for (scope, kind) in [(&payments, "default"), (&reports, "optional")] {
        let r = manager
            .change("assign_client_scope", &scope_args(&id, scope, kind))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = viewer
        .call(
            "get_client_scope_assignments",
            &[("realm", "master"), ("id", &id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["default"][0]["name"], "payments");
    assert_eq!(v["optional"][0]["name"], "reports");
    assert_eq!(v["available"], serde_json::json!([]));
    let r = viewer
        .change(
            "unassign_client_scope",
            &scope_args(&id, &reports, "optional"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The pages show them.
    let page = viewer.get("/console/master/client-scopes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("payments") && page.body.contains("reports"));
    assert!(
        !page.body.contains("Create client scope"),
        "viewers get no form"
    );
    let page = manager.get("/console/master/client-scopes").await;
    assert!(page.body.contains("Create client scope"));
    // The Settings tab renders the card; its rows load after hydration (like the client's other
    // tabs) from get_client_scope_assignments, which Playwright drives in the browser.
    let page = manager
        .get(&format!("/console/master/clients/{id}/settings"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<h2>Client scopes</h2>"),
        "{}",
        page.body
    );
    let assigned = manager
        .call(
            "get_client_scope_assignments",
            &[("realm", "master"), ("id", &id)],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    assert!(
        assigned.body.contains("payments") && assigned.body.contains("reports"),
        "{}",
        assigned.body
    );

    // Taking a scope away, and deleting one, change what the client has.
    let r = manager
        .change(
            "unassign_client_scope",
            &scope_args(&id, &reports, "optional"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = viewer
        .change(
            "delete_client_scope",
            &[("realm", "master"), ("id", &payments)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = manager
        .change(
            "delete_client_scope",
            &[("realm", "master"), ("id", &payments)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = manager
        .change(
            "delete_client_scope",
            &[("realm", "master"), ("id", &payments)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let master = realms::get_by_name(&db, "master").await.unwrap();
    assert!(keyward_store::client_scopes::of_client(&db, &id)
        .await
        .unwrap()
        .is_empty());
    let left = keyward_store::client_scopes::list(&db, &master.realm_id)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    // Every change was audited, by the manager.
    let events = keyward_store::events::search(
        &db,
        &keyward_store::events::EventFilter {
            realm_id: Some(master.realm_id.clone()),
            client_row_id: None,
            actor: Some("manny".into()),
            operations: Vec::new(),
            resource_path: None,
            from: None,
            to: None,
            ..Default::default()
        },
        0,
        100,
    )
    .await
    .unwrap();
    let paths: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.operation.as_str(), e.resource_path.as_str()))
        .collect();
    for expected in [
        ("CREATE", format!("client-scopes/{payments}")),
        ("DELETE", format!("client-scopes/{payments}")),
        (
            "CREATE",
            format!("clients/{id}/default-client-scopes/{payments}"),
        ),
        (
            "DELETE",
            format!("clients/{id}/optional-client-scopes/{reports}"),
        ),
    ] {
        assert!(
            paths.contains(&(expected.0, expected.1.as_str())),
            "{expected:?} in {paths:?}"
        );
    }
}

/// Issue 19 §3: a signed-out visitor of a console page signs in and comes back to it; a plain
/// sign-in lands in the realm last worked in; `next` never leads away from the console.
#[tokio::test]
async fn sign_in_returns_to_the_page_or_the_last_realm() {
    let app = app().await;
    let mut a = admin(&app).await;
    let r = a
        .change(
            "create_realm",
            &[("name", "payments"), ("display_name", "Payments")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Working in a realm remembers it (a cookie with the realm's name only).
    let page = a.get("/console/payments/clients").await;
    assert_eq!(page.status, StatusCode::OK);
    let set: Vec<&str> = page
        .headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("keyward_realm=payments;") && c.contains("HttpOnly")),
        "{set:?}"
    );
    assert!(a.get("/console/master/clients").await.status == StatusCode::OK);
    assert!(a.get("/console/payments/clients").await.status == StatusCode::OK);
    let jar = a.jar.clone();

    // A visitor without a session is sent to sign in, with the way back.
    let mut v = Client::new(&app);
    let r = v.get("/console/payments/clients?search=svc").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        "/login?next=%2Fconsole%2Fpayments%2Fclients%3Fsearch%3Dsvc"
    );
    v.open().await;
    let sign_in = |next: &str| {
        vec![
            ("username".to_string(), ADMIN.to_string()),
            ("password".to_string(), ADMIN_PASSWORD.to_string()),
            ("next".to_string(), next.to_string()),
        ]
    };
    let form_of = |c: &Client, next: &str| {
        let mut all = vec![("csrf".to_string(), c.csrf.clone())];
        all.extend(sign_in(next));
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(all)
            .finish()
    };
    // A wrong password keeps `next`.
    let body = form_of(&v, "/console/payments/clients?search=svc")
        .replace(ADMIN_PASSWORD, "wrong-password-1");
    let r = v.post_form("/auth/login", body).await;
    assert_eq!(
        r.location(),
        "/login?error=invalid&next=%2Fconsole%2Fpayments%2Fclients%3Fsearch%3Dsvc"
    );
    let body = form_of(&v, "/console/payments/clients?search=svc");
    let r = v.post_form("/auth/login", body).await;
    assert_eq!(r.location(), "/console/payments/clients?search=svc");

    // `next` outside the console is ignored: the last realm (from the cookie), else master.
    for next in [
        "https://evil.example/console/",
        "//evil.example/console",
        "/console//evil.example",
        "/consolex",
        "/api/delete_realm",
        "/console/\\evil",
    ] {
        for (cookies, landing) in [
            (Vec::new(), "/console/master/clients"),
            (jar.clone(), "/console/payments/clients"),
        ] {
            let mut c = Client::new(&app);
            c.jar = cookies;
            c.open().await;
            let body = form_of(&c, next);
            let r = c.post_form("/auth/login", body).await;
            assert_eq!(r.location(), landing, "{next}");
        }
    }
    // A remembered realm that no longer exists: master.
    let r = a.change("delete_realm", &[("realm", "payments")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut c = Client::new(&app);
    c.jar = jar;
    c.open().await;
    let body = form_of(&c, "");
    assert_eq!(
        c.post_form("/auth/login", body).await.location(),
        "/console/master/clients"
    );
}

/// A form the browser posts itself (no wasm: `Accept: text/html`) is answered with a redirect
/// back to its page: marked `__ok` when it worked, with Leptos' `__path`/`__err` when it did
/// not, and the page then shows the outcome. Creating a client continues on its page; deleting
/// it, on the list (both unmarked: the page is another one).
#[tokio::test]
async fn native_form_posts_come_back_to_the_page_with_their_outcome() {
    let app = app().await;
    let mut c = admin(&app).await;
    let csrf = c.csrf.clone();
    let native = |path: &str, referer: &str, fields: &[(&str, &str)]| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .body(Body::from(form(fields)))
            .unwrap()
    };
    let page = "http://127.0.0.1:3000/console/realms?x=1&__ok=/api/old";
    let r = c
        .send(native(
            "/api/create_realm",
            page,
            &[("csrf", &csrf), ("name", "native"), ("display_name", "")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(
        r.location(),
        "http://127.0.0.1:3000/console/realms?x=1&__ok=/api/create_realm"
    );
    let shown = c.get("/console/realms?__ok=/api/create_realm").await;
    assert!(shown.body.contains("Realm created."), "{}", shown.body);
    // The same name again: back with the error, which the page shows; no success mark.
    let r = c
        .send(native(
            "/api/create_realm",
            page,
            &[("csrf", &csrf), ("name", "native"), ("display_name", "")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let location = r.location().to_string();
    assert!(
        location.contains("__path=%2Fapi%2Fcreate_realm")
            || location.contains("__path=/api/create_realm"),
        "{location}"
    );
    assert!(location.contains("__err="), "{location}");
    assert!(!location.contains("__ok="), "{location}");
    let back = location.trim_start_matches("http://127.0.0.1:3000");
    let shown = c.get(back).await;
    assert!(shown.body.contains("already exists"), "{}", shown.body);
    assert!(!shown.body.contains("Realm created."), "{}", shown.body);

    // A new client's form continues on the client's page.
    let r = c
        .send(native(
            "/api/create_client",
            "http://127.0.0.1:3000/console/native/clients",
            &[
                ("csrf", &csrf),
                ("realm", "native"),
                ("client_id", "svc"),
                ("name", ""),
                ("description", ""),
                ("access_type", "confidential"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let settings = r.location().to_string();
    assert!(
        settings.starts_with("/console/native/clients/") && settings.ends_with("/settings"),
        "{settings}"
    );
    let id = settings
        .trim_start_matches("/console/native/clients/")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let shown = c.get(&settings).await;
    assert!(shown.body.contains("<h1>svc"), "{}", shown.body);
    let r = c
        .send(native(
            "/api/delete_client",
            &format!("http://127.0.0.1:3000{settings}"),
            &[("csrf", &csrf), ("realm", "native"), ("id", &id)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(r.location(), "/console/native/clients");
}

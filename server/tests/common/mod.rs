//! Test support: a Keyward built on a temporary SQLite database, and a cookie-keeping client
//! that drives its router with `oneshot`.
#![allow(dead_code)]

use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http_body_util::BodyExt;
use keyward_server::{build, Config, Keyward};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const ADMIN: &str = "admin";
/// The longest a test waits for one response (pages give up after two 10 s renders).
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);
pub const ADMIN_PASSWORD: &str = "admin-password-1234";

pub struct TestApp {
    pub keyward: Keyward,
    pub dir: tempfile::TempDir,
}

pub fn config(dir: &tempfile::TempDir) -> Config {
    let mut c = Config::for_tests("127.0.0.1:3000".parse().unwrap(), dir.path().to_path_buf());
    c.bootstrap_admin_username = Some(ADMIN.into());
    c.bootstrap_admin_password = Some(ADMIN_PASSWORD.into());
    c.metrics_token = Some(METRICS_TOKEN.into());
    c
}

/// Opens the public `/metrics` of every test server.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

pub async fn app_with(edit: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir);
    edit(&mut c);
    let keyward = build(&c).await.expect("keyward builds");
    TestApp { keyward, dir }
}

pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A browser-like client: keeps the session cookie and the CSRF token.
pub struct Client {
    pub router: Router,
    pub cookie: Option<String>,
    pub csrf: String,
    /// When set, requests go over TCP to a [`Live`] server (base URL) from a chosen local
    /// address, instead of through the router with `oneshot`.
    pub http: Option<(reqwest::Client, String)>,
    /// Other cookies the server set (`name=value`), sent back like a browser does.
    pub jar: Vec<String>,
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl Client {
    pub fn new(app: &TestApp) -> Client {
        Client {
            router: app.keyward.router.clone(),
            cookie: None,
            csrf: String::new(),
            http: None,
            jar: Vec::new(),
        }
    }

    /// A browser on `from` (a loopback address such as 127.0.0.66) talking to a live server.
    pub fn live(l: &Live, from: &str) -> Client {
        let http = http_from(from);
        Client {
            router: l.app.keyward.router.clone(),
            cookie: None,
            csrf: String::new(),
            http: Some((http, l.base.clone())),
            jar: Vec::new(),
        }
    }

    async fn send_http(&mut self, req: Request<Body>) -> Reply {
        let (http, base) = self.http.clone().unwrap();
        let (parts, body) = req.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        let mut r = http.request(parts.method, format!("{base}{}", parts.uri));
        for (k, v) in parts.headers.iter() {
            r = r.header(k, v);
        }
        let res = r.body(body).send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        self.take_cookies(&headers);
        let body = res.text().await.unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Keeps the cookies of an answer: the session cookie in `cookie` (emptied when the server
    /// clears it), the others in `jar`.
    fn take_cookies(&mut self, headers: &axum::http::HeaderMap) {
        for set in headers.get_all(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap_or_default().to_string();
            if name.ends_with("keyward_session") {
                self.cookie = (!pair.ends_with('=')).then_some(pair);
            } else {
                self.jar.retain(|c| !c.starts_with(&format!("{name}=")));
                if !pair.ends_with('=') {
                    self.jar.push(pair);
                }
            }
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        let mut req = req;
        let cookies: Vec<&str> = self
            .cookie
            .iter()
            .chain(self.jar.iter())
            .map(String::as_str)
            .collect();
        if !cookies.is_empty() {
            req.headers_mut()
                .insert(header::COOKIE, cookies.join("; ").parse().unwrap());
        }
        if self.http.is_some() {
            return self.send_http(req).await;
        }
        let what = format!("{} {}", req.method(), req.uri());
        // No request of a test may hang the suite: a stuck one fails, naming itself.
        let res = tokio::time::timeout(REQUEST_DEADLINE, self.router.clone().oneshot(req))
            .await
            .unwrap_or_else(|_| panic!("{what}: no response within {REQUEST_DEADLINE:?}"))
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        self.take_cookies(&headers);
        let body = tokio::time::timeout(REQUEST_DEADLINE, res.into_body().collect())
            .await
            .unwrap_or_else(|_| panic!("{what}: the body did not end within {REQUEST_DEADLINE:?}"))
            .unwrap()
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_form(&mut self, path: &str, body: String) -> Reply {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Loads the sign-in page (which starts a session with a CSRF token) and reads the token.
    pub async fn open(&mut self) {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        self.refresh_csrf().await;
    }

    pub async fn refresh_csrf(&mut self) {
        let info = self.call("session_info", &[]).await;
        assert_eq!(info.status, StatusCode::OK, "{}", info.body);
        self.csrf = info.json()["csrf"].as_str().unwrap().to_string();
        assert!(!self.csrf.is_empty(), "the session has a CSRF token");
    }

    pub async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        if self.csrf.is_empty() {
            self.open().await;
        }
        let csrf = self.csrf.clone();
        let r = self
            .post_form(
                "/auth/login",
                form(&[
                    ("csrf", &csrf),
                    ("username", username),
                    ("password", password),
                ]),
            )
            .await;
        if r.location() == "/console/master/clients" {
            self.refresh_csrf().await;
        }
        r
    }

    /// Calls a server function with form-encoded arguments.
    pub async fn call(&mut self, name: &str, args: &[(&str, &str)]) -> Reply {
        self.post_form(&format!("/api/{name}"), form(args)).await
    }

    /// Calls a server function, adding this session's CSRF token.
    pub async fn change(&mut self, name: &str, args: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf.clone();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(args);
        self.call(name, &all).await
    }

    /// Posts a multipart form to the server function `name` as the browser's import dialog
    /// does: this session's CSRF token, the text fields `args`, then `file` as the field `file`.
    pub async fn upload(&mut self, name: &str, args: &[(&str, &str)], file: &[u8]) -> Reply {
        let csrf = self.csrf.clone();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(args);
        let (content_type, body) = multipart(&all, Some(file));
        self.send(
            Request::post(format!("/api/{name}"))
                .header(header::CONTENT_TYPE, content_type)
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Imports the keys of `file` into the client `id` of realm master through the console.
    pub async fn import_keys(
        &mut self,
        id: &str,
        format: &str,
        file: &[u8],
        store_password: &str,
        alias: &str,
    ) -> Reply {
        let args = [
            ("realm", "master"),
            ("id", id),
            ("format", format),
            ("store_password", store_password),
            ("alias", alias),
        ];
        self.upload("import_keys", &args, file).await
    }
}

/// A `multipart/form-data` body (RFC 7578) of the text fields `fields` and, if given, a file
/// field `file`, with its content type.
pub fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "keyward-test-boundary-5b0e1c";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some(file) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// An Admin REST call with the console session (and its CSRF token).
pub async fn rest(a: &mut Client, method: &str, path: &str, body: Option<Value>) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("x-csrf-token", a.csrf.clone());
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map(|b| Body::from(b.to_string())).unwrap_or_default();
    a.send(req.body(body).unwrap()).await
}

/// The reasons of a client's recent failed authentications, newest first.
pub async fn reasons(app: &TestApp, client_row_id: &str) -> Vec<String> {
    keyward_store::auth_events::recent(&app.keyward.state.ctx.db, client_row_id, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| !e.success)
        .map(|e| format!("{}: {}", e.method, e.reason.unwrap_or_default()))
        .collect()
}

/// Signs in as the bootstrap admin.
pub async fn admin(app: &TestApp) -> Client {
    let mut c = Client::new(app);
    let r = c.sign_in(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(r.location(), "/console/master/clients", "{}", r.body);
    c
}

/// Creates an operator with `role` (as the admin) and returns a client signed in as them.
pub async fn operator(app: &TestApp, username: &str, role: &str) -> Client {
    let mut a = admin(app).await;
    let password = "operator-password-1";
    let r = a
        .change(
            "create_operator",
            &[
                ("username", username),
                ("password", password),
                ("confirm", password),
                ("role", role),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut c = Client::new(app);
    let r = c.sign_in(username, password).await;
    assert_eq!(r.location(), "/console/master/clients", "{}", r.body);
    c
}

/// Keyward served on a real port (with connect info), its public URL that port.
pub struct Live {
    pub app: TestApp,
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn live() -> Live {
    live_with(|_| {}).await
}

/// [`live`] with a configuration change (e.g. a shared PostgreSQL database).
pub async fn live_with(edit: impl FnOnce(&mut Config) + Send + 'static) -> Live {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://127.0.0.1:{}", addr.port());
    let public = base.clone();
    let app = app_with(move |c| {
        c.public_url = Some(public);
        edit(c);
    })
    .await;
    let router = app.keyward.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    Live {
        app,
        base,
        http: reqwest::Client::new(),
    }
}

impl Live {
    pub fn token_url(&self) -> String {
        format!("{}/realms/master/protocol/openid-connect/token", self.base)
    }

    pub async fn token(
        &self,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
        let mut req = self.http.post(self.token_url()).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(serde_json::Value::Null);
        (status, body, headers)
    }
}

/// A confidential client in realm master, made through the console; its row id.
pub async fn new_client(a: &mut Client, client_id: &str) -> String {
    new_client_with(a, client_id, "confidential").await
}

/// A client of realm master created through the console with `access_type` ("confidential"
/// or "public"); its row id.
pub async fn new_client_with(a: &mut Client, client_id: &str, access_type: &str) -> String {
    let r = a
        .change(
            "create_client",
            &[
                ("realm", "master"),
                ("client_id", client_id),
                ("name", ""),
                ("description", ""),
                ("access_type", access_type),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

/// A client-jwt client in realm master with one EC key (kid `k1`) imported through the console;
/// its row id and the key.
pub async fn jwt_client(a: &mut Client, client_id: &str) -> (String, EcKey) {
    let id = new_client(a, client_id).await;
    set_method(a, &id, "client-jwt", "").await;
    let key = EcKey::new();
    let r = a
        .import_keys(&id, "jwk", key.jwk("k1").as_bytes(), "", "")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (id, key)
}

/// An HTTP client whose connections come from `from` (a loopback address such as 127.0.0.66),
/// following no redirect, each request bounded by [`REQUEST_DEADLINE`].
pub fn http_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(from.parse().unwrap()))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_DEADLINE)
        .build()
        .unwrap()
}

/// Sets a client's authentication method (and pinned alg, "" for any).
pub async fn set_method(a: &mut Client, id: &str, method: &str, alg: &str) {
    let c = a
        .call("get_credentials", &[("realm", "master"), ("id", id)])
        .await
        .json();
    let r = a
        .change(
            "set_authenticator",
            &[
                ("realm", "master"),
                ("id", id),
                ("version", &c["version"].to_string()),
                ("authenticator", method),
                ("signing_alg", alg),
                ("assertion_max_exp_s", "60"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Regenerates a client's secret with this overlap; the value shown once.
pub async fn new_secret(a: &mut Client, id: &str, overlap_hours: &str) -> String {
    let r = a
        .change(
            "regenerate_secret",
            &[
                ("realm", "master"),
                ("id", id),
                ("label", "s"),
                ("overlap_hours", overlap_hours),
                ("expires_in_days", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["value"].as_str().unwrap().to_string()
}

/// An ES256 key pair whose public JWK the console can import.
pub struct EcKey {
    pair: EcdsaKeyPair,
}

impl Default for EcKey {
    fn default() -> Self {
        Self::new()
    }
}

impl EcKey {
    pub fn new() -> EcKey {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        EcKey {
            pair: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                .unwrap(),
        }
    }

    pub fn jwk(&self, kid: &str) -> String {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
        .to_string()
    }

    pub fn sign(&self, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

/// Everything the server logs in this test binary (every level), to search for secret values.
/// The first call installs the subscriber.
pub fn log() -> &'static std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    static LOG: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
        std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || LogWriter(writer.clone()))
            .init();
        buf
    })
}

struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The SQLite database file and its WAL, as bytes. The WAL is read first: a connection that
/// closes meanwhile may copy it into the database file and delete it, and the database file,
/// read after, then holds what it held.
pub fn db_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["keyward.db-wal", "keyward.db"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(name)) {
            all.extend(b);
        }
    }
    assert!(all.len() > 4096, "found the database file");
    all
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &str) -> bool {
    contains_bytes(hay, needle.as_bytes())
}

/// Whether `needle` occurs in `hay`.
pub fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A client tab as the server renders it for `c`: from the tab bar to the end of the page's
/// main element (the console's frame, with the sign-out form, left out).
pub async fn tab(c: &mut Client, path: &str) -> String {
    let r = c.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
        .split(r#"class="tabs">"#)
        .nth(1)
        .unwrap_or_else(|| panic!("no tab bar in {path}: {}", r.body))
        .split("</main>")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The first island `name` in `html` (its element, props and server-rendered content).
pub fn island<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<leptos-island data-component="{name}"#))
        .unwrap_or_else(|| panic!("no island {name} in {html}"));
    let rest = &html[start..];
    let end = rest.find("</leptos-island>").unwrap_or(rest.len());
    &rest[..end]
}

/// Runs OpenSSL; its failure fails the test with its output.
pub fn openssl(args: &[&str]) {
    let o = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (install OpenSSL 3)");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// nginx from Debian's packages in the foreground with a prefix of its own, on a free loopback
/// port; stopped on drop.
pub struct Nginx {
    child: std::process::Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its worker and exits (SIGKILL would leave the worker
        // running, orphaned, still listening).
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Nginx {
    /// Starts nginx with `server` as the body of its one `server { … }` block, given the port it
    /// must listen on; waits until it accepts connections.
    pub async fn start(server: impl FnOnce(u16) -> String) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let prefix = dir.path().display();
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n\
               fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n\
               server {{\n{}\n  }}\n}}\n",
            server(port)
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("nginx is required for this test (scripts/test installs Debian's nginx-light)");
        let mut child = std::process::Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .spawn()
            .expect("nginx starts");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Nginx {
                    child,
                    port,
                    _dir: dir,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
        panic!("nginx did not start: {log}");
    }
}

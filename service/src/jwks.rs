//! The safe JWKS fetcher: the one way Keyward reaches a client's JWKS URL (console "Fetch now",
//! and the token endpoint's refetch). https only; no loopback, private, link-local, unique-local,
//! multicast or unspecified address unless `KEYWARD_FETCH_ALLOW` permits it, checked on the
//! addresses the connection may use (the resolver hands out only permitted ones, so a DNS answer
//! cannot swap in an internal address); no redirects, no proxy; 5 s; 512 KiB.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The whole request, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest key set read.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Cache lifetime bounds for Cache-Control max-age, and the lifetime without one.
pub const MIN_MAX_AGE_S: i64 = 60;
pub const MAX_MAX_AGE_S: i64 = 86_400;
pub const DEFAULT_MAX_AGE_S: i64 = 600;
/// An unknown kid refetches at most this often per client.
pub const REFETCH_INTERVAL_S: i64 = 10;

/// Destinations an operator allowed despite the address rules (`KEYWARD_FETCH_ALLOW`, formerly `KEYWARD_JWKS_ALLOW`): networks
/// in CIDR notation (or single addresses) and host names. An allowed destination may also use
/// plain http.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList {
    nets: Vec<IpNet>,
    hosts: Vec<String>,
}

impl AllowList {
    /// Parses a comma- or whitespace-separated list: `127.0.0.1/32, 10.0.0.0/8, keys.internal`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut allow = AllowList::default();
        for item in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if let Ok(net) = item.parse::<IpNet>() {
                allow.nets.push(net);
            } else if let Ok(ip) = item.parse::<IpAddr>() {
                allow.nets.push(IpNet::from(ip));
            } else if item.contains('/') || item.contains(':') || item.starts_with('.') {
                return Err(format!(
                    "\"{item}\" is neither a network (CIDR) nor a host name"
                ));
            } else {
                allow
                    .hosts
                    .push(item.trim_end_matches('.').to_ascii_lowercase());
            }
        }
        Ok(allow)
    }

    fn permits_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    fn permits_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }
}

/// Addresses a server-side fetch must not reach by default.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 64:ff9b::/96 reaches IPv4
                || (s[0] == 0x2002) // 6to4 embeds an IPv4 address
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
                || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
                || (s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
        }
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || o[0] >= 240 // reserved
}

/// Why a fetch failed. The text is shown to operators and stored as the last error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("not a valid URL: {0}")]
    BadUrl(String),
    #[error("only https URLs are fetched: use the https address of the key set")]
    NotHttps,
    #[error("{0} is an internal address (loopback or a private network): Keyward does not fetch keys from there unless the server's administrator allowed it")]
    InternalAddress(IpAddr),
    /// A name whose every address is internal (checked before a request, and again by the
    /// resolver the HTTP client connects through).
    #[error("{host} resolves to an internal address ({ip}): Keyward does not fetch keys from there unless the server's administrator allowed it")]
    InternalName { host: String, ip: IpAddr },
    #[error("{0}")]
    Resolve(String),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("no answer within 5 s")]
    Timeout,
    #[error("redirects are not followed (HTTP {0})")]
    Redirect(u16),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("the key set is larger than 512 KiB")]
    TooLarge,
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Redirect(s) | FetchError::Status(s) => Some(*s),
            _ => None,
        }
    }
}

/// A fetched body (not yet parsed).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    /// Seconds the key set may be cached, from Cache-Control, clamped.
    pub max_age_s: i64,
}

/// Resolves names to permitted addresses only; the HTTP client connects to nothing else.
#[derive(Debug)]
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Box::new(ResolveError::Failed(format!("cannot resolve {host}: {e}"))))?
                .collect();
            let host_allowed = allow.permits_host(&host);
            let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|a| host_allowed || !is_internal(a.ip()) || allow.permits_ip(a.ip()));
            if ok.is_empty() {
                let error = match refused.first() {
                    Some(a) => ResolveError::Internal { host, ip: a.ip() },
                    None => ResolveError::Failed(format!("cannot resolve {host}: no address")),
                };
                return Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(ok.into_iter());
            Ok(addrs)
        })
    }
}

/// The guarded resolver's refusal, carried through the HTTP client's error chain.
#[derive(Debug)]
enum ResolveError {
    Failed(String),
    Internal { host: String, ip: IpAddr },
}
impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Failed(m) => f.write_str(m),
            ResolveError::Internal { host, ip } => write!(f, "{host} resolves to {ip}"),
        }
    }
}
impl std::error::Error for ResolveError {}

/// The fetcher, built once at start-up.
#[derive(Clone, Debug)]
pub struct JwksFetcher {
    allow: Arc<AllowList>,
    http: reqwest::Client,
}

impl JwksFetcher {
    pub fn new(allow: AllowList) -> Result<Self, String> {
        let allow = Arc::new(allow);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("Keyward/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .build()
            .map_err(|e| format!("cannot build the JWKS HTTP client: {e}"))?;
        Ok(JwksFetcher { allow, http })
    }

    /// Checks a URL an operator enters (scheme, host, literal address) without fetching it.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, FetchError> {
        let parsed =
            reqwest::Url::parse(url.trim()).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(FetchError::BadUrl(
                "credentials in the URL are not allowed".into(),
            ));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => Host::Name(d.to_owned()),
            Some(url::Host::Ipv4(v4)) => Host::Ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Host::Ip(IpAddr::V6(v6)),
            None => return Err(FetchError::BadUrl("the URL has no host".into())),
        };
        let allowed = match &host {
            Host::Name(n) => self.allow.permits_host(n),
            Host::Ip(ip) => self.allow.permits_ip(*ip),
        };
        match parsed.scheme() {
            "https" => {}
            "http" if allowed => {}
            _ => return Err(FetchError::NotHttps),
        }
        if let Host::Ip(ip) = host {
            if is_internal(ip) && !allowed {
                return Err(FetchError::InternalAddress(ip));
            }
        }
        Ok(parsed)
    }

    /// Fetches a key set. Literal addresses are checked here; names by the guarded resolver.
    pub async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        let parsed = self.check_url(url)?;
        let resp = self
            .http
            .get(parsed)
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(request_error)?;
        let status = resp.status().as_u16();
        if resp.status().is_redirection() {
            return Err(FetchError::Redirect(status));
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status(status));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let max_age_s = max_age(resp.headers());
        let mut resp = resp;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            body,
            max_age_s,
        })
    }
}

impl JwksFetcher {
    /// [`JwksFetcher::check_url`], and for a host name its addresses now: refused when every
    /// one is internal and the administrator did not allow it (what a request would meet).
    pub async fn check_destination(&self, url: &str) -> Result<reqwest::Url, FetchError> {
        let parsed = self.check_url(url)?;
        if let Some(url::Host::Domain(name)) = parsed.host() {
            if !self.allow.permits_host(name) {
                let port = parsed.port_or_known_default().unwrap_or(443);
                let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|e| FetchError::Resolve(format!("cannot resolve {name}: {e}")))?
                    .collect();
                if !found.is_empty()
                    && found
                        .iter()
                        .all(|a| is_internal(a.ip()) && !self.allow.permits_ip(a.ip()))
                {
                    return Err(FetchError::InternalName {
                        host: name.to_owned(),
                        ip: found[0].ip(),
                    });
                }
            }
        }
        Ok(parsed)
    }

    /// Posts `body` (JSON) with `headers` to `url` under the same rules as a fetch (the address
    /// rules, checked literal addresses and resolved names alike, no redirects, 5 s), for
    /// webhook deliveries. The answer's status; its body is not read.
    pub async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<u16, FetchError> {
        let parsed = self.check_url(url)?;
        let mut req = self
            .http
            .post(parsed)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/cloudevents+json",
            )
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let resp = req.send().await.map_err(request_error)?;
        let status = resp.status().as_u16();
        if resp.status().is_redirection() {
            return Err(FetchError::Redirect(status));
        }
        Ok(status)
    }
}

enum Host {
    Name(String),
    Ip(IpAddr),
}

fn request_error(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // The resolver's refusal is the most specific reason: find it in the chain.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<ResolveError>() {
            return match r {
                ResolveError::Failed(m) => FetchError::Resolve(m.clone()),
                ResolveError::Internal { host, ip } => FetchError::InternalName {
                    host: host.clone(),
                    ip: *ip,
                },
            };
        }
        source = s.source();
    }
    if e.is_connect() {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg = s.to_string();
            source = s.source();
        }
        return FetchError::Connect(msg);
    }
    FetchError::Other(e.without_url().to_string())
}

/// Cache lifetime from Cache-Control: max-age within [1 min, 24 h]; no-store/no-cache → 1 min;
/// none → 10 min.
pub fn max_age(headers: &reqwest::header::HeaderMap) -> i64 {
    let mut age = None;
    for value in headers.get_all(reqwest::header::CACHE_CONTROL) {
        let Ok(text) = value.to_str() else { continue };
        for directive in text.split(',').map(|d| d.trim().to_ascii_lowercase()) {
            if directive == "no-store" || directive == "no-cache" {
                age = Some(0);
            } else if let Some(n) = directive.strip_prefix("max-age=") {
                if let Ok(n) = n.trim_matches('"').parse::<i64>() {
                    age = Some(age.map_or(n, |a: i64| a.min(n)));
                }
            }
        }
    }
    age.unwrap_or(DEFAULT_MAX_AGE_S)
        .clamp(MIN_MAX_AGE_S, MAX_MAX_AGE_S)
}

/// How many usable signing keys a fetched key set holds, or why it is refused (not a JWKS, or
/// no usable key, with the reason each key was skipped).
pub fn usable_keys(body: &[u8]) -> Result<usize, String> {
    let set = keyward_credentials::keys::parse_fetched_jwks(body).map_err(|e| e.to_string())?;
    if set.keys.is_empty() {
        let skipped = if set.skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", set.skipped.join("; "))
        };
        return Err(format!("the key set holds no usable signing key{skipped}"));
    }
    Ok(set.keys.len())
}

/// The keys of a key set kept from a good fetch, as the authenticators see them (a set that no
/// longer parses has none).
pub fn fetched_keys(body: &[u8]) -> Vec<keyward_credentials::authenticator::ClientPublicKey> {
    keyward_credentials::keys::parse_fetched_jwks(body)
        .map(|set| {
            set.keys
                .into_iter()
                .map(|k| keyward_credentials::authenticator::ClientPublicKey {
                    kid: k.kid,
                    alg: k.alg,
                    spki_der: k.spki_der,
                    active: true,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Fetches a client's JWKS URL now and records the outcome: a good key set replaces the cached
/// one; a failure keeps the last good set and records why. Returns the row as it is afterwards.
/// The one refresh path of the console's "Fetch now" and the token endpoint's refetch.
pub async fn refresh(
    db: &keyward_store::Db,
    fetcher: &JwksFetcher,
    client_row_id: &str,
    jwks_url: &str,
    now: i64,
) -> Result<Option<keyward_store::keys::ClientJwks>, keyward_store::StoreError> {
    use keyward_store::keys::{self, FetchRecord};
    let outcome = match fetcher.fetch(jwks_url).await {
        Ok(f) => match usable_keys(&f.body) {
            Ok(count) => Ok((f, count)),
            Err(e) => Err((Some(f.status), e)),
        },
        Err(e) => Err((e.status(), e.to_string())),
    };
    let record = match &outcome {
        Ok((f, count)) => FetchRecord {
            jwks_url,
            attempt_at: now,
            status: Some(i64::from(f.status)),
            good: Some((&f.body, *count as i64, now + f.max_age_s)),
            error: None,
        },
        Err((status, error)) => {
            tracing::info!(client_row_id, jwks_url, error = %error, "JWKS fetch failed");
            FetchRecord {
                jwks_url,
                attempt_at: now,
                status: status.map(i64::from),
                good: None,
                error: Some(error),
            }
        }
    };
    keys::record_fetch(db, client_row_id, &record).await?;
    keys::jwks(db, client_row_id).await
}

/// Waits for a first fetch another caller is making (up to [`TIMEOUT`] and a second): re-reads
/// with `read` every 50 ms until `settled` says it ended (a key set, or a recorded failure).
/// Concurrent first requests must not be refused because one of them won the right to fetch.
pub async fn await_first_fetch<T, F, Fut>(
    mut read: F,
    settled: impl Fn(&T) -> bool,
) -> Result<Option<T>, keyward_store::StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, keyward_store::StoreError>>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT + Duration::from_secs(1);
    loop {
        let now = read().await?;
        if now.as_ref().is_some_and(&settled) || tokio::time::Instant::now() >= deadline {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Why the keys to verify a client's assertion are not available.
#[derive(Debug, thiserror::Error)]
pub enum KeySourceError {
    #[error("the client uses a JWKS URL but none is set")]
    NoUrl,
    #[error("the JWKS URL has not been fetched successfully yet: {0}")]
    NeverFetched(String),
    /// An identity provider's keys have never been fetched successfully.
    #[error("the keys of the identity provider {provider} are not available: {reason}")]
    ProviderKeys { provider: String, reason: String },
    #[error(transparent)]
    Store(#[from] keyward_store::StoreError),
}

/// A registered key as the authenticators see it.
pub fn registered_key(
    k: keyward_store::keys::ClientKey,
) -> keyward_credentials::authenticator::ClientPublicKey {
    keyward_credentials::authenticator::ClientPublicKey {
        kid: k.kid,
        alg: k.alg,
        spki_der: k.spki_der,
        active: k.active,
    }
}

/// The keys that verify a client's assertions: the registered ones, or, when the client uses a
/// JWKS URL, the cached key set: fetched when missing or stale (Cache-Control), and fetched again
/// when `unknown_kid` (the assertion named a kid the cached set lacks) at most once per
/// [`REFETCH_INTERVAL_S`] per client, whichever replica asks. A failed fetch keeps the last good
/// set.
pub async fn client_keys(
    db: &keyward_store::Db,
    fetcher: &JwksFetcher,
    client_row_id: &str,
    unknown_kid: bool,
    now: i64,
) -> Result<Vec<keyward_credentials::authenticator::ClientPublicKey>, KeySourceError> {
    use keyward_store::keys;
    let jwks = keys::jwks(db, client_row_id).await?;
    let Some(mut j) = jwks.filter(|j| j.use_jwks_url) else {
        return Ok(keys::list(db, client_row_id)
            .await?
            .into_iter()
            .map(registered_key)
            .collect());
    };
    if j.jwks_url.is_empty() {
        return Err(KeySourceError::NoUrl);
    }
    let stale = j.body.is_none() || j.next_refresh_at.is_none_or(|t| now >= t);
    if (stale || unknown_kid)
        && keys::claim_refetch(db, client_row_id, &j.jwks_url, REFETCH_INTERVAL_S, now).await?
    {
        if let Some(after) = refresh(db, fetcher, client_row_id, &j.jwks_url, now).await? {
            j = after;
        }
    } else if j.body.is_none() && j.last_error.is_none() {
        // Another request is making the first fetch: wait for it rather than refuse.
        if let Some(after) = await_first_fetch(
            || keys::jwks(db, client_row_id),
            |k: &keys::ClientJwks| k.body.is_some() || k.last_error.is_some(),
        )
        .await?
        {
            j = after;
        }
    }
    let Some(body) = j.body.as_deref() else {
        return Err(KeySourceError::NeverFetched(
            j.last_error.unwrap_or_else(|| "no fetch yet".into()),
        ));
    };
    Ok(fetched_keys(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_internal(ip(a)), "{a} must be internal");
        }
        for a in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(ip(a)), "{a} is public");
        }
    }

    #[test]
    fn allow_list() {
        let a = AllowList::parse("127.0.0.1/32, 10.0.0.0/8 keys.internal.\n::1").unwrap();
        assert!(a.permits_ip(ip("127.0.0.1")));
        assert!(!a.permits_ip(ip("127.0.0.2")));
        assert!(a.permits_ip(ip("10.9.8.7")));
        assert!(a.permits_ip(ip("::1")));
        assert!(a.permits_host("KEYS.internal"));
        assert!(!a.permits_host("other.internal"));
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        assert_eq!(AllowList::parse("").unwrap(), AllowList::default());
    }

    #[test]
    fn urls_are_checked_before_any_connection() {
        let f = JwksFetcher::new(AllowList::parse("127.0.0.1").unwrap()).unwrap();
        assert_eq!(
            f.check_url("http://example.com/jwks").unwrap_err(),
            FetchError::NotHttps
        );
        assert_eq!(
            f.check_url("ftp://example.com/jwks").unwrap_err(),
            FetchError::NotHttps
        );
        assert!(f.check_url("https://example.com/jwks").is_ok());
        assert!(f.check_url("http://127.0.0.1:8080/jwks").is_ok());
        assert_eq!(
            f.check_url("https://10.0.0.1/jwks").unwrap_err(),
            FetchError::InternalAddress(ip("10.0.0.1"))
        );
        assert_eq!(
            f.check_url("https://[::ffff:169.254.169.254]/")
                .unwrap_err(),
            FetchError::InternalAddress(ip("::ffff:169.254.169.254"))
        );
        assert!(matches!(
            f.check_url("https://user:pw@example.com/"),
            Err(FetchError::BadUrl(_))
        ));
        assert!(matches!(
            f.check_url("not a url"),
            Err(FetchError::BadUrl(_))
        ));
    }

    #[test]
    fn cache_control() {
        use reqwest::header::{HeaderMap, HeaderValue, CACHE_CONTROL};
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(max_age(&HeaderMap::new()), DEFAULT_MAX_AGE_S);
        assert_eq!(max_age(&h("public, max-age=3600")), 3600);
        assert_eq!(max_age(&h("max-age=5")), MIN_MAX_AGE_S);
        assert_eq!(max_age(&h("max-age=9999999")), MAX_MAX_AGE_S);
        assert_eq!(max_age(&h("no-store")), MIN_MAX_AGE_S);
        assert_eq!(max_age(&h("max-age=abc")), DEFAULT_MAX_AGE_S);
    }
}

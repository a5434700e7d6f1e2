//! The caller's address, as every limit, audit record and authentication event uses it.
//!
//! Invariant: a `Forwarded` or `X-Forwarded-For` header is read only when the TCP peer is one of
//! `KEYWARD_TRUSTED_PROXIES`; from any other peer it is ignored and the peer's own address is
//! the caller's. Through trusted proxies the caller is the rightmost hop that is not itself a
//! trusted proxy (hops further left were written by the untrusted client and prove nothing).
//! `Forwarded` (RFC 7239) wins over `X-Forwarded-For` when both are present.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use keyward_service::ClientAddr;

use crate::AppState;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDRs or single addresses (`10.0.0.0/8, ::1`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => {
                        return Err(format!(
                            "KEYWARD_TRUSTED_PROXIES: {item:?} is neither a CIDR (10.0.0.0/8) nor an IP address"
                        ))
                    }
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The caller's address for a request from `peer` carrying `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let hops = match forwarded_for(headers) {
            Some(h) => h,
            None => match x_forwarded_for(headers) {
                Some(h) => h,
                None => return peer,
            },
        };
        // Walk from the proxy nearest to us towards the client.
        let mut caller = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => caller = *ip,
                Some(ip) => return *ip,
                // "unknown", an obfuscated name or garbage: the last trusted hop is all we know.
                None => return caller,
            }
        }
        caller
    }
}

/// IPv4-mapped IPv6 addresses as IPv4, so `::ffff:10.0.0.1` matches `10.0.0.0/8`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The `for=` of every `Forwarded` element, in order (several header lines are one list).
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    let mut any = false;
    for value in headers.get_all("forwarded") {
        any = true;
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in value.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
            });
            hops.push(node.and_then(parse_node));
        }
    }
    any.then_some(hops)
}

/// Every `X-Forwarded-For` entry, in order.
fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    let mut any = false;
    for value in headers.get_all("x-forwarded-for") {
        any = true;
        match value.to_str() {
            Ok(v) => hops.extend(v.split(',').map(|s| parse_node(s.trim()))),
            Err(_) => hops.push(None),
        }
    }
    any.then_some(hops)
}

/// An RFC 7239 node (`192.0.2.1`, `192.0.2.1:80`, `"[2001:db8::1]:443"`), or a bare address as
/// in X-Forwarded-For; `None` for `unknown`, obfuscated identifiers and anything else.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (addr, _) = rest.split_once(']')?;
        return addr.parse::<IpAddr>().ok().map(canonical);
    }
    s.parse::<SocketAddr>().ok().map(|a| canonical(a.ip()))
}

/// Middleware: puts the caller's [`ClientAddr`] in the request's extensions (none when the
/// server runs without connect info, as in `oneshot` tests).
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = state.trusted_proxies.client_ip(peer, req.headers());
        if !state.trusted_proxies.contains(peer)
            && (req.headers().contains_key("forwarded")
                || req.headers().contains_key("x-forwarded-for"))
        {
            tracing::debug!(%peer, "forwarding header from an untrusted peer ignored");
        }
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn untrusted_peers_headers_are_ignored() {
        let none = TrustedProxies::parse("").unwrap();
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(none.client_ip(ip("9.9.9.9"), &h), ip("9.9.9.9"));
        let some = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(some.client_ip(ip("9.9.9.9"), &h), ip("9.9.9.9"));
    }

    #[test]
    fn rightmost_untrusted_hop_of_x_forwarded_for() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client wrote "6.6.6.6" itself; the edge proxy appended the real address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.1.1")]);
        assert_eq!(t.client_ip(ip("192.168.1.1"), &h), ip("203.0.113.7"));
        // Several header lines are one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.8"),
        ]);
        assert_eq!(t.client_ip(ip("10.0.0.2"), &h), ip("203.0.113.8"));
        // Only trusted hops: the leftmost one.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(t.client_ip(ip("10.0.0.2"), &h), ip("10.9.9.9"));
        // Garbage stops the walk at the last trusted hop.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, nonsense")]);
        assert_eq!(t.client_ip(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        // No header: the peer.
        assert_eq!(
            t.client_ip(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn forwarded_wins_and_is_parsed_per_rfc_7239() {
        let t = TrustedProxies::parse("127.0.0.1/32").unwrap();
        let h = headers(&[
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https",
            ),
            ("x-forwarded-for", "7.7.7.7"),
        ]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=192.0.2.43:8080;by=127.0.0.1")]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("192.0.2.43"));
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn mapped_addresses_and_bad_lists() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.1")]);
        assert_eq!(t.client_ip(ip("::ffff:10.0.0.1"), &h), ip("203.0.113.1"));
        let err = TrustedProxies::parse("10.0.0.0/8, proxy.internal").unwrap_err();
        assert!(err.contains("proxy.internal"), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }
}

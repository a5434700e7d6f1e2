//! Throttles that slow down guessing without ever refusing valid credentials.
//!
//! Invariants (Keyward's security model, README "Security model"):
//! - A failure counts against the pair (caller address, account or client) that made it, never
//!   against the account or client alone: a stranger's failures cannot refuse anybody else,
//!   and services behind one NAT address are throttled only for the client that is failing.
//! - The token endpoint never refuses a request before checking its credentials (which is
//!   cheap: an HMAC, a signature, a map lookup); it only decides how much a *failure* costs:
//!   past a few per minute a pair's failures are neither logged nor written as events one by
//!   one, and they are answered 429. A valid secret or a fresh, valid assertion is answered on
//!   its merits whatever the pair's count.
//! - Console sign-in counts an attempt as failed *before* the password hash is checked and
//!   refunds it on success, so parallel guesses get no more tries than sequential ones; past
//!   [`SIGNIN_FREE_ATTEMPTS`] a pair waits a delay that doubles with each failure, up to
//!   [`SIGNIN_MAX_DELAY`]. There is no account lock.
//! - Memory is bounded: every map has a size cap; when full, stale entries go first, and a new
//!   key that still finds no room is simply not tracked (it is never refused for that).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where failures are counted from: an IPv4 address, or an IPv6 /64 (one host usually has a
/// whole /64, so counting single IPv6 addresses would count nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddrKey(Option<IpAddr>);

impl AddrKey {
    pub fn of(ip: Option<IpAddr>) -> Self {
        AddrKey(ip.map(|ip| match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        }))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Failures per key in fixed windows, with a bounded number of keys.
pub struct WindowCounter<K> {
    window: Duration,
    max_keys: usize,
    map: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K: Hash + Eq> WindowCounter<K> {
    pub fn new(window: Duration, max_keys: usize) -> Self {
        WindowCounter {
            window,
            max_keys,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one failure of `key`; returns the key's failures in the current window (this one
    /// included) and the time left in that window.
    pub fn record(&self, key: K, now: Instant) -> (u32, Duration) {
        let mut map = lock(&self.map);
        if map.len() >= self.max_keys && !map.contains_key(&key) {
            let window = self.window;
            map.retain(|_, (_, start)| now < *start + window);
            if map.len() >= self.max_keys {
                // Not tracked: counted as a first failure (never refused for lack of room).
                return (1, self.window);
            }
        }
        let entry = map.entry(key).or_insert((0, now));
        if now >= entry.1 + self.window {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
        (
            entry.0,
            (entry.1 + self.window).saturating_duration_since(now),
        )
    }

    /// How many keys are tracked (for tests of the memory bound).
    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Token-endpoint failures per (address, realm id, client id) in a minute after which they are
/// no longer logged and recorded one by one, and are answered 429.
pub const TOKEN_PAIR_FREE_FAILURES: u32 = 10;
pub const TOKEN_WINDOW: Duration = Duration::from_secs(60);
/// Failure events written per second over all pairs; more are counted, not written.
pub const TOKEN_FAILURE_EVENTS_PER_S: u32 = 50;
/// Keys the token endpoint's failure counters keep at most.
pub const MAX_TRACKED: usize = 100_000;

/// What a token-endpoint failure costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCost {
    /// Logged, written as an authentication event, answered 401.
    Recorded,
    /// Answered 401 but not written: the global budget of failure events is spent this second.
    Unrecorded,
    /// Counted only; answered 429 with this Retry-After. `first` is the pair's first such
    /// failure in the window (logged and written once, saying that the rest are not).
    Throttled { retry_after: Duration, first: bool },
}

/// The token endpoint's failure accounting.
pub struct TokenFailures {
    pairs: WindowCounter<(AddrKey, String, String)>,
    /// Failure events written in the current second, over all pairs.
    written: Mutex<(u32, Instant)>,
    /// Failures neither logged nor written (a metric).
    pub unrecorded: std::sync::atomic::AtomicU64,
}

impl Default for TokenFailures {
    fn default() -> Self {
        TokenFailures {
            pairs: WindowCounter::new(TOKEN_WINDOW, MAX_TRACKED),
            written: Mutex::new((0, Instant::now())),
            unrecorded: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl TokenFailures {
    /// Counts a failed authentication of `client_id` in realm `realm_id` from `ip`.
    pub fn failure(
        &self,
        ip: Option<IpAddr>,
        realm_id: &str,
        client_id: &str,
        now: Instant,
    ) -> FailureCost {
        let key = (
            AddrKey::of(ip),
            realm_id.to_owned(),
            // Client ids are at most 255 characters; a longer one in a request is no client.
            client_id.chars().take(256).collect(),
        );
        let (n, left) = self.pairs.record(key, now);
        if n <= TOKEN_PAIR_FREE_FAILURES && self.may_write(now) {
            return FailureCost::Recorded;
        }
        let first = n == TOKEN_PAIR_FREE_FAILURES + 1;
        if !first {
            self.unrecorded
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if n <= TOKEN_PAIR_FREE_FAILURES {
            return FailureCost::Unrecorded;
        }
        FailureCost::Throttled {
            retry_after: left.max(Duration::from_secs(1)),
            first,
        }
    }

    fn may_write(&self, now: Instant) -> bool {
        let mut w = lock(&self.written);
        if now >= w.1 + Duration::from_secs(1) {
            *w = (0, now);
        }
        if w.0 >= TOKEN_FAILURE_EVENTS_PER_S {
            return false;
        }
        w.0 += 1;
        true
    }

    pub fn tracked(&self) -> usize {
        self.pairs.len()
    }
}

/// Sign-in attempts per (address, username) that need no wait.
pub const SIGNIN_FREE_ATTEMPTS: u32 = 5;
/// The longest wait between attempts of a failing pair.
pub const SIGNIN_MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A pair's failures are forgotten after this long without one.
pub const SIGNIN_FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Failed sign-ins one address may make in [`SIGNIN_ADDRESS_WINDOW`], over all usernames,
/// before its further attempts wait for the window to end.
pub const SIGNIN_ADDRESS_MAX_FAILURES: u32 = 100;
pub const SIGNIN_ADDRESS_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Pairs kept at most.
pub const SIGNIN_MAX_PAIRS: usize = 100_000;

#[derive(Clone, Copy)]
struct Pair {
    failures: u32,
    in_flight: u32,
    last: Instant,
}

/// The wait a pair with `failures` failures owes after its last one.
pub fn signin_delay(failures: u32) -> Duration {
    if failures < SIGNIN_FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let exp = (failures - SIGNIN_FREE_ATTEMPTS).min(20);
    Duration::from_secs(1u64 << exp).min(SIGNIN_MAX_DELAY)
}

type PairKey = (AddrKey, String);

/// Console sign-in throttle per (address, username).
pub struct SignInThrottle {
    pairs: Mutex<HashMap<PairKey, Pair>>,
    addresses: WindowCounter<AddrKey>,
    max_pairs: usize,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::new(SIGNIN_MAX_PAIRS)
    }
}

/// One admitted sign-in attempt, counted as failed until [`Attempt::succeeded`] says otherwise
/// (dropping it unresolved, e.g. on an internal error, leaves it counted as failed).
pub struct Attempt {
    throttle: Arc<SignInThrottle>,
    key: Option<PairKey>,
    resolved: bool,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("tracked", &self.key.is_some())
            .finish()
    }
}

impl Attempt {
    /// The password was right: the pair's failures are forgotten.
    pub fn succeeded(mut self) {
        self.resolved = true;
        if let Some(key) = self.key.take() {
            lock(&self.throttle.pairs).remove(&key);
        }
    }

    /// The attempt failed: it stays counted, and the address's failures grow.
    pub fn failed(mut self, now: Instant) {
        self.resolved = true;
        self.settle(now);
    }

    fn settle(&mut self, now: Instant) {
        if let Some(key) = self.key.take() {
            if let Some(p) = lock(&self.throttle.pairs).get_mut(&key) {
                p.in_flight = p.in_flight.saturating_sub(1);
                p.last = now;
            }
            self.throttle.addresses.record(key.0, now);
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.resolved {
            self.settle(Instant::now());
        }
    }
}

impl SignInThrottle {
    pub fn new(max_pairs: usize) -> Self {
        SignInThrottle {
            pairs: Mutex::new(HashMap::new()),
            addresses: WindowCounter::new(SIGNIN_ADDRESS_WINDOW, max_pairs),
            max_pairs,
        }
    }

    /// Admits an attempt of `username` from `ip`, counting it as failed already, or says how
    /// long this pair (or this address, when it fails across many usernames) must wait.
    pub fn begin(
        self: &Arc<Self>,
        ip: Option<IpAddr>,
        username: &str,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let addr = AddrKey::of(ip);
        let name: String = username.trim().to_lowercase().chars().take(64).collect();
        let key = (addr, name);
        let mut pairs = lock(&self.pairs);
        if let Some(p) = pairs.get(&key) {
            // `failures` already counts the attempts in flight (counted before their check).
            if p.failures >= SIGNIN_FREE_ATTEMPTS {
                let wait = (p.last + signin_delay(p.failures)).saturating_duration_since(now);
                if p.in_flight > 0 || !wait.is_zero() {
                    return Err(wait.max(Duration::from_secs(1)));
                }
            }
        }
        if let Some(wait) = self.address_wait(addr, now) {
            return Err(wait);
        }
        if pairs.len() >= self.max_pairs && !pairs.contains_key(&key) {
            pairs.retain(|_, p| p.in_flight > 0 || now < p.last + SIGNIN_FORGET_AFTER);
            if pairs.len() >= self.max_pairs {
                // No room: admitted untracked (its CPU is still bounded by the hash semaphore).
                return Ok(Attempt {
                    throttle: self.clone(),
                    key: None,
                    resolved: false,
                });
            }
        }
        let p = pairs.entry(key.clone()).or_insert(Pair {
            failures: 0,
            in_flight: 0,
            last: now,
        });
        if now >= p.last + SIGNIN_FORGET_AFTER && p.in_flight == 0 {
            p.failures = 0;
        }
        // Counted before the hash is checked.
        p.failures += 1;
        p.in_flight += 1;
        p.last = now;
        Ok(Attempt {
            throttle: self.clone(),
            key: Some(key),
            resolved: false,
        })
    }

    fn address_wait(&self, addr: AddrKey, now: Instant) -> Option<Duration> {
        let map = lock(&self.addresses.map);
        match map.get(&addr) {
            Some((n, start))
                if *n >= SIGNIN_ADDRESS_MAX_FAILURES && now < *start + SIGNIN_ADDRESS_WINDOW =>
            {
                Some((*start + SIGNIN_ADDRESS_WINDOW).saturating_duration_since(now))
            }
            _ => None,
        }
    }

    /// Pairs tracked (for tests of the memory bound).
    pub fn tracked(&self) -> usize {
        lock(&self.pairs).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(signin_delay(4), Duration::ZERO);
        assert_eq!(signin_delay(5), Duration::from_secs(1));
        assert_eq!(signin_delay(6), Duration::from_secs(2));
        assert_eq!(signin_delay(10), Duration::from_secs(32));
        assert_eq!(signin_delay(40), SIGNIN_MAX_DELAY);
    }

    #[test]
    fn parallel_guesses_get_no_more_tries_than_sequential_ones() {
        let t = Arc::new(SignInThrottle::default());
        let now = Instant::now();
        // 100 attempts at once: all admitted ones are in flight, none resolved yet.
        let admitted: Vec<_> = (0..100)
            .filter_map(|_| t.begin(ip("203.0.113.5"), "admin", now).ok())
            .collect();
        assert_eq!(admitted.len() as u32, SIGNIN_FREE_ATTEMPTS);
        for a in admitted {
            a.failed(now);
        }
        // Now the pair owes a wait.
        let wait = t.begin(ip("203.0.113.5"), "admin", now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        // After it, exactly one more attempt, then a doubled wait.
        let later = now + Duration::from_secs(1);
        t.begin(ip("203.0.113.5"), "admin", later)
            .unwrap()
            .failed(later);
        assert_eq!(
            t.begin(ip("203.0.113.5"), "admin", later).unwrap_err(),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn others_failures_never_refuse_a_pair_that_is_not_failing() {
        let t = Arc::new(SignInThrottle::default());
        let now = Instant::now();
        for _ in 0..SIGNIN_FREE_ATTEMPTS {
            t.begin(ip("198.51.100.66"), "admin", now)
                .unwrap()
                .failed(now);
        }
        assert!(t.begin(ip("198.51.100.66"), "admin", now).is_err());
        // The real admin, from its own address: admitted, and the account is not locked.
        t.begin(ip("192.0.2.10"), "admin", now).unwrap().succeeded();
        // The attacker's address may still sign in to another account it is not failing on.
        assert!(t.begin(ip("198.51.100.66"), "alice", now).is_ok());
    }

    #[test]
    fn success_forgets_the_pairs_failures() {
        let t = Arc::new(SignInThrottle::default());
        let now = Instant::now();
        for _ in 0..SIGNIN_FREE_ATTEMPTS - 1 {
            t.begin(ip("192.0.2.1"), "bob", now).unwrap().failed(now);
        }
        t.begin(ip("192.0.2.1"), "Bob ", now).unwrap().succeeded();
        for _ in 0..SIGNIN_FREE_ATTEMPTS {
            t.begin(ip("192.0.2.1"), "bob", now).unwrap().failed(now);
        }
    }

    #[test]
    fn an_address_failing_across_many_usernames_waits() {
        let t = Arc::new(SignInThrottle::default());
        let now = Instant::now();
        for i in 0..SIGNIN_ADDRESS_MAX_FAILURES {
            t.begin(ip("198.51.100.7"), &format!("user{i}"), now)
                .unwrap()
                .failed(now);
        }
        assert!(t.begin(ip("198.51.100.7"), "someone-else", now).is_err());
        assert!(t.begin(ip("192.0.2.7"), "someone-else", now).is_ok());
    }

    #[test]
    fn memory_stays_bounded_and_a_full_map_refuses_nobody() {
        let t = Arc::new(SignInThrottle::new(1_000));
        let now = Instant::now();
        for i in 0..5_000u32 {
            let addr = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            if let Ok(a) = t.begin(Some(IpAddr::V4(addr)), "admin", now) {
                a.failed(now);
            }
        }
        assert!(t.tracked() <= 1_000);
        assert!(t.begin(ip("192.0.2.99"), "admin", now).is_ok());
    }

    #[test]
    fn ipv6_hosts_are_counted_per_64() {
        assert_eq!(
            AddrKey::of(ip("2001:db8:1:2:aaaa::1")),
            AddrKey::of(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            AddrKey::of(ip("2001:db8:1:2::1")),
            AddrKey::of(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn token_failures_are_recorded_then_throttled_per_pair() {
        let f = TokenFailures::default();
        let now = Instant::now();
        for _ in 0..TOKEN_PAIR_FREE_FAILURES {
            assert_eq!(
                f.failure(ip("198.51.100.1"), "r", "svc", now),
                FailureCost::Recorded
            );
        }
        assert!(matches!(
            f.failure(ip("198.51.100.1"), "r", "svc", now),
            FailureCost::Throttled { first: true, .. }
        ));
        assert!(matches!(
            f.failure(ip("198.51.100.1"), "r", "svc", now),
            FailureCost::Throttled { first: false, .. }
        ));
        // Another address, or another client from the same address: untouched.
        assert_eq!(
            f.failure(ip("192.0.2.1"), "r", "svc", now),
            FailureCost::Recorded
        );
        assert_eq!(
            f.failure(ip("198.51.100.1"), "r", "other", now),
            FailureCost::Recorded
        );
        // A new window.
        assert_eq!(
            f.failure(ip("198.51.100.1"), "r", "svc", now + TOKEN_WINDOW),
            FailureCost::Recorded
        );
    }

    #[test]
    fn token_failure_writes_have_a_global_budget() {
        let f = TokenFailures::default();
        let now = Instant::now();
        let recorded = (0..1_000u32)
            .filter(|i| {
                let addr = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
                f.failure(Some(addr), "r", "svc", now) == FailureCost::Recorded
            })
            .count();
        assert_eq!(recorded as u32, TOKEN_FAILURE_EVENTS_PER_S);
    }
}

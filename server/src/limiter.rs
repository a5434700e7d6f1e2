//! Limits of failures per key (an address, a client) over a window: sign-ins and token requests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins one address may make per window before it must wait.
pub const IP_MAX_FAILURES: u32 = 20;
pub const IP_WINDOW_SECS: u64 = 300;

/// Counts failures per key in fixed windows; for addresses, `None` (unknown) shares one bucket.
pub struct FailureLimiter<K = Option<IpAddr>> {
    max: u32,
    window: Duration,
    buckets: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K: std::hash::Hash + Eq> FailureLimiter<K> {
    pub fn new(max: u32, window: Duration) -> Self {
        FailureLimiter {
            max,
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(retry_after)` when `key` has used up its failures for the current window.
    pub fn blocked(&self, key: K, now: Instant) -> Option<Duration> {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        match buckets.get(&key) {
            Some((count, start)) if *count >= self.max && now < *start + self.window => {
                Some(*start + self.window - now)
            }
            _ => None,
        }
    }

    pub fn record_failure(&self, key: K, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            let window = self.window;
            buckets.retain(|_, (_, start)| now < *start + window);
        }
        let entry = buckets.entry(key).or_insert((0, now));
        if now >= entry.1 + self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let l = FailureLimiter::new(3, Duration::from_secs(60));
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        let other: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.blocked(ip, t0).is_none());
            l.record_failure(ip, t0);
        }
        let wait = l.blocked(ip, t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            l.blocked(other, t0).is_none(),
            "other addresses are not affected"
        );
        assert!(l.blocked(ip, t0 + Duration::from_secs(61)).is_none());
        l.record_failure(ip, t0 + Duration::from_secs(61));
        assert!(
            l.blocked(ip, t0 + Duration::from_secs(62)).is_none(),
            "a new window starts"
        );
    }
}

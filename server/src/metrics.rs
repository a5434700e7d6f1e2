//! Prometheus text metrics: token requests by realm, client-authentication method and outcome,
//! with a latency histogram, served at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Counters and histograms of the token endpoint.
#[derive(Default)]
pub struct Metrics {
    /// (realm, method, outcome) → series.
    token: Mutex<BTreeMap<(String, String, String), Series>>,
}

impl Metrics {
    /// Records one token request.
    pub fn observe_token(&self, realm: &str, method: &str, outcome: &str, took: Duration) {
        let secs = took.as_secs_f64();
        let mut map = self.token.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded label sets: unknown realms are answered 404 before this, but cap anyway.
        if map.len() > 10_000 {
            return;
        }
        let s = map
            .entry((realm.to_owned(), method.to_owned(), outcome.to_owned()))
            .or_default();
        s.count += 1;
        s.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let map = self.token.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP keyward_token_requests_total Token endpoint requests by realm, client authentication method and outcome.\n\
             # TYPE keyward_token_requests_total counter\n",
        );
        for ((realm, method, outcome), s) in map.iter() {
            let _ = writeln!(
                out,
                "keyward_token_requests_total{{realm=\"{}\",method=\"{}\",outcome=\"{}\"}} {}",
                escape(realm),
                escape(method),
                escape(outcome),
                s.count
            );
        }
        out.push_str(
            "# HELP keyward_token_request_duration_seconds Token endpoint latency.\n\
             # TYPE keyward_token_request_duration_seconds histogram\n",
        );
        for ((realm, method, outcome), s) in map.iter() {
            let labels = format!(
                "realm=\"{}\",method=\"{}\",outcome=\"{}\"",
                escape(realm),
                escape(method),
                escape(outcome)
            );
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "keyward_token_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "keyward_token_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "keyward_token_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "keyward_token_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

/// The gauge `keyward_credential_expiry_seconds{realm,client,kind,id}`: seconds until each
/// expiring secret or certificate stops working (negative once it has).
pub fn render_expiry(expiring: &[keyward_store::expiry::Expiring], now: i64) -> String {
    let mut out = String::from(
        "# HELP keyward_credential_expiry_seconds Seconds until a client secret or certificate expires (negative: expired).\n\
         # TYPE keyward_credential_expiry_seconds gauge\n",
    );
    for e in expiring {
        out.push_str(&format!(
            "keyward_credential_expiry_seconds{{realm=\"{}\",client=\"{}\",kind=\"{}\",id=\"{}\"}} {}\n",
            escape(&e.realm),
            escape(&e.client_id),
            escape(&e.kind),
            escape(&e.id),
            e.expires_at - now
        ));
    }
    out
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets() {
        let m = Metrics::default();
        m.observe_token(
            "demo",
            "private_key_jwt",
            "success",
            Duration::from_millis(2),
        );
        m.observe_token(
            "demo",
            "private_key_jwt",
            "success",
            Duration::from_millis(30),
        );
        m.observe_token(
            "demo",
            "client_secret_basic",
            "failure",
            Duration::from_micros(100),
        );
        let text = m.render();
        assert!(text.contains(
            "keyward_token_requests_total{realm=\"demo\",method=\"private_key_jwt\",outcome=\"success\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1\n"));
        assert!(text.contains(
            "keyward_token_request_duration_seconds_count{realm=\"demo\",method=\"client_secret_basic\",outcome=\"failure\"} 1"
        ));
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}

//! Rate limits per client and kind of request: a token bucket per (client address, limit), kept in
//! memory only. The address is used as a key and never stored or logged.

use serde::Deserialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The kinds of request that are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    ConsentWrite,
    RequestIntake,
    CodeCheck,
    Login,
}

/// Requests per minute per client, for each kind; a client may burst up to a minute's worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    pub consent_writes_per_minute: u32,
    pub request_intake_per_minute: u32,
    pub code_checks_per_minute: u32,
    pub logins_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        // Consent writes come from whole offices behind one address; the others are rare.
        Self {
            consent_writes_per_minute: 600,
            request_intake_per_minute: 10,
            code_checks_per_minute: 20,
            logins_per_minute: 10,
        }
    }
}

impl RateLimits {
    fn per_minute(&self, limit: Limit) -> u32 {
        match limit {
            Limit::ConsentWrite => self.consent_writes_per_minute,
            Limit::RequestIntake => self.request_intake_per_minute,
            Limit::CodeCheck => self.code_checks_per_minute,
            Limit::Login => self.logins_per_minute,
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The most buckets kept before full ones are dropped.
const MAX_BUCKETS: usize = 100_000;

pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(IpAddr, Limit), Bucket>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`, or says how long to wait for the next one.
    pub fn check(&self, client: IpAddr, limit: Limit, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.limits.per_minute(limit).max(1));
        let per_second = capacity / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|(_, l), b| {
                let cap = f64::from(self.limits.per_minute(*l).max(1));
                b.tokens + now.duration_since(b.updated).as_secs_f64() * cap / 60.0 < cap
            });
        }
        let bucket = buckets.entry((client, limit)).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.updated).as_secs_f64() * per_second)
            .min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_a_minutes_worth_then_waits_and_others_are_unaffected() {
        let limiter = RateLimiter::new(RateLimits {
            logins_per_minute: 3,
            ..RateLimits::default()
        });
        let (a, b): (IpAddr, IpAddr) = (
            "203.0.113.1".parse().unwrap(),
            "203.0.113.2".parse().unwrap(),
        );
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(a, Limit::Login, start).is_ok());
        }
        let wait = limiter.check(a, Limit::Login, start).unwrap_err();
        assert!((19..=20).contains(&wait.as_secs()), "{wait:?}");
        assert!(limiter.check(b, Limit::Login, start).is_ok());
        assert!(limiter.check(a, Limit::ConsentWrite, start).is_ok());
        assert!(
            limiter
                .check(a, Limit::Login, start + Duration::from_secs(21))
                .is_ok()
        );
    }
}

//! Rate limits, kept in memory only: a token bucket per (key, limit), where the key is the client
//! (its address as the trusted proxies report it, an IPv6 client by its /64; see
//! `crate::client`) or a name the request is about: a staff account, an e-mail address, a
//! consent subject. Names are keyed by their SHA-256, so the limiter holds no address or e-mail
//! in the clear; nothing here is stored or logged.
//!
//! Logins also back off per account: after a few wrong attempts each further one doubles the wait,
//! whoever sends it, so spreading guesses over many addresses does not help.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The kinds of request that are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Consent writes per client.
    ConsentWrite,
    /// Consent writes per subject: one visitor's browser, wherever it sends from.
    ConsentWritePerSubject,
    /// Rights requests filed per client.
    RequestIntake,
    /// Rights requests filed per e-mail address: each sends that address a code.
    RequestIntakePerEmail,
    /// Code checks per client.
    CodeCheck,
    /// Code checks per e-mail address, over all its requests.
    CodeCheckPerEmail,
    /// Login attempts per client.
    Login,
}

/// What a bucket is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Client(IpAddr),
    /// The SHA-256 of a name: an account, an e-mail address, a subject.
    Name([u8; 32]),
}

impl Key {
    /// The key of a name, case-insensitive (e-mail addresses and accounts are).
    pub fn name(kind: &str, name: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(kind.as_bytes());
        hash.update([0]);
        hash.update(name.trim().to_lowercase().as_bytes());
        Self::Name(hash.finalize().into())
    }
}

/// How many of each kind are allowed per period; a key may use a whole period's worth at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    pub consent_writes_per_minute: u32,
    pub consent_writes_per_subject_per_minute: u32,
    pub request_intake_per_minute: u32,
    pub requests_per_email_per_day: u32,
    pub code_checks_per_minute: u32,
    pub code_checks_per_email_per_day: u32,
    pub logins_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        // Consent writes come from whole offices behind one address; the others are rare.
        Self {
            consent_writes_per_minute: 600,
            consent_writes_per_subject_per_minute: 30,
            request_intake_per_minute: 10,
            requests_per_email_per_day: 5,
            code_checks_per_minute: 20,
            code_checks_per_email_per_day: 15,
            logins_per_minute: 10,
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);

impl RateLimits {
    fn allowance(&self, limit: Limit) -> (u32, Duration) {
        match limit {
            Limit::ConsentWrite => (self.consent_writes_per_minute, MINUTE),
            Limit::ConsentWritePerSubject => (self.consent_writes_per_subject_per_minute, MINUTE),
            Limit::RequestIntake => (self.request_intake_per_minute, MINUTE),
            Limit::RequestIntakePerEmail => (self.requests_per_email_per_day, DAY),
            Limit::CodeCheck => (self.code_checks_per_minute, MINUTE),
            Limit::CodeCheckPerEmail => (self.code_checks_per_email_per_day, DAY),
            Limit::Login => (self.logins_per_minute, MINUTE),
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The most buckets kept before full ones are dropped.
const MAX_BUCKETS: usize = 100_000;

/// Wrong logins of one account before the wait starts doubling.
pub const FREE_LOGIN_FAILURES: u32 = 3;
/// The longest wait between two login attempts of one account.
pub const MAX_LOGIN_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long the next sign-in of an account waits after `failures` wrong ones in a row: nothing
/// for the first [`FREE_LOGIN_FAILURES`], then a second, doubling each time, up to
/// [`MAX_LOGIN_WAIT`]. The one rule for this instance's memory and for the account's row.
pub fn login_wait(failures: i64) -> Option<Duration> {
    let over = u32::try_from(failures)
        .unwrap_or(u32::MAX)
        .saturating_sub(FREE_LOGIN_FAILURES);
    (over > 0).then(|| Duration::from_secs(1u64 << (over - 1).min(20)).min(MAX_LOGIN_WAIT))
}

struct Backoff {
    failures: u32,
    next: Instant,
}

pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(Key, Limit), Bucket>>,
    logins: Mutex<HashMap<Key, Backoff>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
            logins: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one of `limit` for `key`, or says how long to wait for the next one.
    pub fn check(&self, key: Key, limit: Limit, now: Instant) -> Result<(), Duration> {
        let rate = |limit: Limit| {
            let (count, period) = self.limits.allowance(limit);
            let capacity = f64::from(count.max(1));
            (capacity, capacity / period.as_secs_f64())
        };
        let (capacity, per_second) = rate(limit);
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|(_, l), b| {
                let (cap, per_second) = rate(*l);
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < cap
            });
            // Still full (a flood of fresh subjects): start over rather than scan on every
            // request; the per-client buckets come back at once.
            if buckets.len() >= MAX_BUCKETS / 2 {
                buckets.clear();
            }
        }
        let bucket = buckets.entry((key, limit)).or_insert(Bucket {
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

    /// Whether `account` may try to log in now, or how long it must wait.
    pub fn login_allowed(&self, account: Key, now: Instant) -> Result<(), Duration> {
        let Ok(logins) = self.logins.lock() else {
            return Ok(());
        };
        match logins.get(&account) {
            Some(backoff) if backoff.next > now => Err(backoff.next - now),
            _ => Ok(()),
        }
    }

    /// Records a wrong login of `account`: after [`FREE_LOGIN_FAILURES`], each one doubles the
    /// wait before the next attempt, up to [`MAX_LOGIN_WAIT`].
    pub fn login_failed(&self, account: Key, now: Instant) {
        let Ok(mut logins) = self.logins.lock() else {
            return;
        };
        if logins.len() >= MAX_BUCKETS {
            logins.retain(|_, b| b.next > now);
        }
        let backoff = logins.entry(account).or_insert(Backoff {
            failures: 0,
            next: now,
        });
        backoff.failures = backoff.failures.saturating_add(1);
        if let Some(wait) = login_wait(i64::from(backoff.failures)) {
            backoff.next = now + wait;
        }
    }

    /// A login of `account` succeeded: its count starts again.
    pub fn login_succeeded(&self, account: Key) {
        if let Ok(mut logins) = self.logins.lock() {
            logins.remove(&account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(text: &str) -> Key {
        Key::Client(text.parse().unwrap())
    }

    #[test]
    fn a_client_gets_a_minutes_worth_then_waits_and_others_are_unaffected() {
        let limiter = RateLimiter::new(RateLimits {
            logins_per_minute: 3,
            ..RateLimits::default()
        });
        let (a, b) = (client("203.0.113.1"), client("203.0.113.2"));
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

    #[test]
    fn an_e_mail_address_gets_a_days_worth_of_requests_whatever_its_case() {
        let limiter = RateLimiter::new(RateLimits {
            requests_per_email_per_day: 2,
            ..RateLimits::default()
        });
        let start = Instant::now();
        let victim = Key::name("email", "Vera@Example.nl");
        assert!(
            limiter
                .check(victim, Limit::RequestIntakePerEmail, start)
                .is_ok()
        );
        let same = Key::name("email", " vera@example.nl");
        assert!(
            limiter
                .check(same, Limit::RequestIntakePerEmail, start)
                .is_ok()
        );
        let wait = limiter
            .check(victim, Limit::RequestIntakePerEmail, start)
            .unwrap_err();
        assert!(wait > Duration::from_secs(11 * 3600), "{wait:?}");
        // Another kind of name never shares the bucket.
        assert_ne!(Key::name("account", "vera@example.nl"), victim);
    }

    #[test]
    fn wrong_logins_of_one_account_double_the_wait_up_to_a_cap_and_a_success_resets_it() {
        let limiter = RateLimiter::new(RateLimits::default());
        let account = Key::name("account", "officer@virtio.nl");
        let mut now = Instant::now();
        for _ in 0..FREE_LOGIN_FAILURES {
            assert!(limiter.login_allowed(account, now).is_ok());
            limiter.login_failed(account, now);
        }
        assert!(limiter.login_allowed(account, now).is_ok());
        let mut waits = Vec::new();
        for _ in 0..15 {
            limiter.login_failed(account, now);
            let wait = limiter.login_allowed(account, now).unwrap_err();
            waits.push(wait.as_secs());
            now += wait;
            assert!(limiter.login_allowed(account, now).is_ok());
        }
        assert_eq!(&waits[..4], [1, 2, 4, 8]);
        assert_eq!(*waits.last().unwrap(), MAX_LOGIN_WAIT.as_secs());
        assert!(
            limiter
                .login_allowed(Key::name("account", "other@virtio.nl"), now)
                .is_ok()
        );
        limiter.login_failed(account, now);
        limiter.login_succeeded(account);
        assert!(limiter.login_allowed(account, now).is_ok());
    }
}

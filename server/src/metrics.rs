//! `/metrics` for Prometheus: requests by route pattern, method and status, their latency as a
//! histogram per route, and the ledger and request counters. Labels are route patterns
//! (`/api/v1/requests/{id}`), never raw paths, so no id or token reaches a metric.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Cumulative counts per bucket of [`BUCKETS`].
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, bucket) in BUCKETS.iter().zip(self.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }
}

/// One route pattern's answers: a count per method and status, and their latency.
#[derive(Debug, Default)]
struct RouteStats {
    answers: BTreeMap<(String, u16), u64>,
    latency: Histogram,
}

/// What the server counts, shared by every worker.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per route pattern.
    http: Mutex<BTreeMap<String, RouteStats>>,
    consent_events_created: AtomicU64,
    consent_events_replayed: AtomicU64,
    consent_events_refused: AtomicU64,
    rights_requests_filed: AtomicU64,
}

impl Metrics {
    /// Counts one answer. Called for every request: it allocates only for a route, method and
    /// status seen for the first time.
    fn observe(&self, route: String, method: &str, status: u16, seconds: f64) {
        let mut http = self.http.lock().unwrap_or_else(|e| e.into_inner());
        let stats = http.entry(route).or_default();
        match stats
            .answers
            .iter_mut()
            .find(|((m, s), _)| m == method && *s == status)
        {
            Some((_, count)) => *count += 1,
            None => {
                stats.answers.insert((method.to_owned(), status), 1);
            }
        }
        stats.latency.observe(seconds);
    }

    /// Counts a consent write: a new event, or a retry answered with the first receipt.
    pub fn consent_recorded(request: &HttpRequest, created: bool) {
        if let Some(metrics) = request.app_data::<web::Data<Metrics>>() {
            let counter = if created {
                &metrics.consent_events_created
            } else {
                &metrics.consent_events_replayed
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a consent event the server refused (a client error): the widget keeps it aside as
    /// a dead letter, and operators see here that some did not arrive.
    pub fn consent_refused(request: &HttpRequest) {
        if let Some(metrics) = request.app_data::<web::Data<Metrics>>() {
            metrics
                .consent_events_refused
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a filed rights request.
    pub fn request_filed(request: &HttpRequest) {
        if let Some(metrics) = request.app_data::<web::Data<Metrics>>() {
            metrics
                .rights_requests_filed
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let http = self.http.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP privacy_http_requests_total HTTP requests answered, by route pattern, method and status.\n");
        out.push_str("# TYPE privacy_http_requests_total counter\n");
        for (route, stats) in http.iter() {
            for ((method, status), count) in &stats.answers {
                let _ = writeln!(
                    out,
                    "privacy_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        out.push_str(
            "# HELP privacy_http_request_duration_seconds Time to answer, by route pattern.\n",
        );
        out.push_str("# TYPE privacy_http_request_duration_seconds histogram\n");
        for (route, stats) in http.iter() {
            let (route, histogram) = (escape(route), &stats.latency);
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                let _ = writeln!(
                    out,
                    "privacy_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "privacy_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 privacy_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 privacy_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count, histogram.sum_seconds, histogram.count
            );
        }
        drop(http);
        let counters = [
            (
                "privacy_consent_events_total",
                "Consent events appended to the ledger.",
                self.consent_events_created.load(Ordering::Relaxed),
            ),
            (
                "privacy_consent_retries_total",
                "Consent writes answered with the first receipt of their idempotency key.",
                self.consent_events_replayed.load(Ordering::Relaxed),
            ),
            (
                "privacy_consent_refused_total",
                "Consent events refused as invalid (answered with a 4xx other than 401 or 429).",
                self.consent_events_refused.load(Ordering::Relaxed),
            ),
            (
                "privacy_rights_requests_total",
                "Rights requests filed.",
                self.rights_requests_filed.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts every request by its route pattern; what matched no route is `other`.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    let method = request.method().clone();
    let response = next.call(request).await?;
    if let Some(metrics) = metrics {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "other".to_owned());
        metrics.observe(
            route,
            method.as_str(),
            response.status().as_u16(),
            start.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// Who may read `/metrics`: anyone, or whoever sends the configured bearer token.
#[derive(Debug, Clone)]
pub struct MetricsAccess(pub Option<crate::settings::Secret>);

impl MetricsAccess {
    fn allows(&self, request: &HttpRequest) -> bool {
        use sha2::{Digest, Sha256};
        let Some(token) = &self.0 else { return true };
        let sent = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        // Comparing digests takes the same time wherever the texts differ.
        Sha256::digest(sent.as_bytes()) == Sha256::digest(token.expose())
    }
}

/// `GET /metrics`.
pub async fn endpoint(
    request: HttpRequest,
    metrics: web::Data<Metrics>,
    access: web::Data<MetricsAccess>,
) -> Result<HttpResponse, crate::problem::ApiError> {
    if !access.allows(&request) {
        return Err(crate::problem::ApiError::detail(
            privacy_shared::ProblemKind::InvalidCredentials,
            "the metrics token is required",
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_the_exposition_names_every_series() {
        let metrics = Metrics::default();
        metrics.observe("/api/v1/health".into(), "GET", 200, 0.003);
        metrics.observe("/api/v1/health".into(), "GET", 200, 0.3);
        let text = metrics.render();
        assert!(text.contains(
            "privacy_http_requests_total{route=\"/api/v1/health\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "privacy_http_request_duration_seconds_bucket{route=\"/api/v1/health\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "privacy_http_request_duration_seconds_bucket{route=\"/api/v1/health\",le=\"0.5\"} 2"
        ));
        assert!(
            text.contains(
                "privacy_http_request_duration_seconds_count{route=\"/api/v1/health\"} 2"
            )
        );
        assert!(text.contains("privacy_consent_events_total 0"));
    }
}

//! `/metrics` for Prometheus: requests by route pattern, method and status, their latency as a
//! histogram per route, and the ledger and request counters. Labels are route patterns
//! (`/api/v1/requests/{id}`), never raw paths, so no id or token reaches a metric.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The labels of an answer: its route pattern, method and status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answer {
    route: String,
    method: String,
    status: u16,
}

/// The label of a latency: the route pattern.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

/// What the server counts, shared by every worker, in the Prometheus project's own client.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    answers: Family<Answer, Counter>,
    latency: Family<Route, Histogram, fn() -> Histogram>,
    consent_events_created: Counter,
    consent_events_replayed: Counter,
    consent_events_refused: Counter,
    rights_requests_filed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("privacy");
        let answers = Family::<Answer, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            answers.clone(),
        );
        let latency: Family<Route, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer, by route pattern",
            Unit::Seconds,
            latency.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        Self {
            consent_events_created: counter(
                &mut registry,
                "consent_events",
                "Consent events appended to the ledger",
            ),
            consent_events_replayed: counter(
                &mut registry,
                "consent_retries",
                "Consent writes answered with the first receipt of their idempotency key",
            ),
            consent_events_refused: counter(
                &mut registry,
                "consent_refused",
                "Consent events refused as invalid (answered with a 4xx other than 401 or 429)",
            ),
            rights_requests_filed: counter(
                &mut registry,
                "rights_requests",
                "Rights requests filed",
            ),
            registry,
            answers,
            latency,
        }
    }
}

/// How `/metrics` answers: OpenMetrics 1.0 when the scraper asks for it (Prometheus does), else
/// the Prometheus text format 0.0.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    PrometheusText,
}

impl Format {
    /// The format an `Accept` header asks for.
    pub fn accepted(accept: &str) -> Self {
        if accept.contains("application/openmetrics-text") {
            Self::OpenMetrics
        } else {
            Self::PrometheusText
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

impl Metrics {
    /// Counts one answer.
    fn observe(&self, route: String, method: &str, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&Route {
                route: route.clone(),
            })
            .observe(seconds);
        self.answers
            .get_or_create(&Answer {
                route,
                method: method.to_owned(),
                status,
            })
            .inc();
    }

    fn of(request: &HttpRequest) -> Option<&Self> {
        request
            .app_data::<web::Data<Metrics>>()
            .map(|data| data.get_ref())
    }

    /// Counts a consent write: a new event, or a retry answered with the first receipt.
    pub fn consent_recorded(request: &HttpRequest, created: bool) {
        if let Some(metrics) = Self::of(request) {
            if created {
                metrics.consent_events_created.inc();
            } else {
                metrics.consent_events_replayed.inc();
            }
        }
    }

    /// Counts a consent event the server refused (a client error): the widget keeps it aside as
    /// a dead letter, and operators see here that some did not arrive.
    pub fn consent_refused(request: &HttpRequest) {
        if let Some(metrics) = Self::of(request) {
            metrics.consent_events_refused.inc();
        }
    }

    /// Counts a filed rights request.
    pub fn request_filed(request: &HttpRequest) {
        if let Some(metrics) = Self::of(request) {
            metrics.rights_requests_filed.inc();
        }
    }

    /// The exposition in `format`.
    pub fn render(&self, format: Format) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        match format {
            Format::OpenMetrics => out,
            Format::PrometheusText => prometheus_text(&out),
        }
    }
}

/// The Prometheus text format 0.0.4 of an OpenMetrics exposition. They differ in what a text
/// parser needs: a counter's `HELP` and `TYPE` name its `_total` series, as in 0.0.4 a family's
/// samples carry its name; `UNIT` and `EOF` lines are OpenMetrics only.
fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
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
    let format = Format::accepted(
        request
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(""),
    );
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .body(metrics.render(format)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_both_formats_name_every_series() {
        let metrics = Metrics::default();
        metrics.observe("/api/v1/health".into(), "GET", 200, 0.003);
        metrics.observe("/api/v1/health".into(), "GET", 200, 0.3);
        let text = metrics.render(Format::PrometheusText);
        for line in [
            "# HELP privacy_http_requests_total HTTP requests answered, by route pattern, method and status.",
            "# TYPE privacy_http_requests_total counter",
            "privacy_http_requests_total{route=\"/api/v1/health\",method=\"GET\",status=\"200\"} 2",
            "# TYPE privacy_http_request_duration_seconds histogram",
            "privacy_http_request_duration_seconds_bucket{le=\"0.005\",route=\"/api/v1/health\"} 1",
            "privacy_http_request_duration_seconds_bucket{le=\"0.5\",route=\"/api/v1/health\"} 2",
            "privacy_http_request_duration_seconds_count{route=\"/api/v1/health\"} 2",
            "privacy_consent_events_total 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"));
        let open = metrics.render(Format::OpenMetrics);
        assert!(open.ends_with("# EOF\n"));
        assert!(open.contains("# UNIT privacy_http_request_duration_seconds seconds\n"));
        assert!(open.contains("# TYPE privacy_http_requests counter\n"));
    }

    #[test]
    fn scrapers_get_the_format_they_ask_for() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::accepted(prometheus), Format::OpenMetrics);
        assert_eq!(Format::accepted("text/plain"), Format::PrometheusText);
        assert_eq!(Format::accepted(""), Format::PrometheusText);
    }
}

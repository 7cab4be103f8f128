//! The server's errors, each written as the shared problem+json body.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpResponse, ResponseError};
use privacy_shared::problem::{CONTENT_TYPE, FieldError, Problem, ProblemKind};
use std::fmt;

use crate::storage::StorageError;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    /// Boxed: handlers return `Result<_, ApiError>` everywhere, and the error's size is every
    /// result's.
    pub problem: Box<Problem>,
    /// A header the problem needs: `Retry-After` with a 429, `Allow` with a 405 (boxed: most
    /// errors have none, and every `Result` carries the error's size).
    header: Option<Box<(HeaderName, String)>>,
}

impl ApiError {
    pub fn new(kind: ProblemKind) -> Self {
        Problem::new(kind).into()
    }

    pub fn detail(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem::new(kind).with_detail(detail).into()
    }

    pub fn fields(errors: Vec<FieldError>) -> Self {
        Problem::new(ProblemKind::ValidationFailed)
            .with_errors(errors)
            .into()
    }

    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        let seconds = retry_after.as_secs().max(1);
        Self {
            problem: Box::new(
                Problem::new(ProblemKind::RateLimited)
                    .with_detail(format!("try again in {seconds} s")),
            ),
            header: Some(Box::new((header::RETRY_AFTER, seconds.to_string()))),
        }
    }

    /// A 405 naming the methods `allow`ed, such as `GET, PUT`.
    pub fn method_not_allowed(allow: &str) -> Self {
        Self {
            header: Some(Box::new((header::ALLOW, allow.to_owned()))),
            ..Self::new(ProblemKind::MethodNotAllowed)
        }
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self {
            problem: Box::new(problem),
            header: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.problem.title, self.problem.type_uri)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut problem = (*self.problem).clone();
        problem.instance = crate::request_id::current()
            .map(|id| format!("{}{id}", crate::request_id::INSTANCE_PREFIX).into());
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((actix_web::http::header::CONTENT_TYPE, CONTENT_TYPE));
        if let Some(pair) = &self.header {
            response.insert_header((pair.0.clone(), pair.1.as_str()));
        }
        response.body(body)
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::IdempotencyConflict => Self::fields(vec![FieldError::new(
                "idempotency_key",
                "idempotency_key_reused",
                "this idempotency key was already used for a different event",
            )]),
            StorageError::Conflict(message) => Self::detail(ProblemKind::Conflict, message),
            StorageError::Database(message) => {
                tracing::error!(%message, "storage failure");
                Self::new(ProblemKind::Unavailable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind() -> impl Strategy<Value = ProblemKind> {
        (0..ProblemKind::ALL.len()).prop_map(|i| ProblemKind::ALL[i])
    }

    fn field_error() -> impl Strategy<Value = FieldError> {
        (any::<String>(), "[a-z_]{1,20}", any::<String>())
            .prop_map(|(field, code, message)| FieldError::new(field, code, message))
    }

    proptest! {
        /// Whatever an error carries, the client reads back the same problem: its status, the
        /// problem+json type and every field error, with `Retry-After` only on a 429.
        #[test]
        fn every_problem_reaches_the_client_as_sent(
            kind in kind(),
            detail in proptest::option::of(any::<String>()),
            errors in proptest::collection::vec(field_error(), 0..4),
            wait in 1u64..100_000,
        ) {
            let mut problem = Problem::new(kind).with_errors(errors);
            if let Some(detail) = detail {
                problem = problem.with_detail(detail);
            }
            let error = if kind == ProblemKind::RateLimited {
                ApiError::rate_limited(std::time::Duration::from_secs(wait))
            } else {
                ApiError::from(problem.clone())
            };
            let response = error.error_response();
            prop_assert_eq!(response.status().as_u16(), kind.status());
            let headers = response.headers();
            prop_assert_eq!(
                headers.get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
                Some(CONTENT_TYPE)
            );
            prop_assert_eq!(
                headers.contains_key(actix_web::http::header::RETRY_AFTER),
                kind == ProblemKind::RateLimited
            );
            let body = actix_web::body::to_bytes(response.into_body());
            let body = futures_util::FutureExt::now_or_never(body)
                .expect("the body is in memory")
                .expect("the body reads");
            let read: Problem = serde_json::from_slice(&body).expect("problem+json");
            prop_assert_eq!(read.kind(), Some(kind));
            if kind != ProblemKind::RateLimited {
                prop_assert_eq!(read, problem);
            }
        }
    }
}

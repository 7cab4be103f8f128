//! The server's errors, each written as the shared problem+json body.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};
use privacy_shared::problem::{CONTENT_TYPE, FieldError, Problem, ProblemKind};
use std::fmt;

use crate::storage::StorageError;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl ApiError {
    pub fn new(kind: ProblemKind) -> Self {
        Self(Problem::new(kind))
    }

    pub fn detail(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self(Problem::new(kind).with_detail(detail))
    }

    pub fn fields(errors: Vec<FieldError>) -> Self {
        Self(Problem::new(ProblemKind::ValidationFailed).with_errors(errors))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0.title, self.0.type_uri)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_string(&self.0).unwrap_or_default();
        let content_type: ContentType = ContentType(CONTENT_TYPE.parse().unwrap_or(mime_json()));
        HttpResponse::build(self.status_code())
            .insert_header(content_type)
            .body(body)
    }
}

fn mime_json() -> actix_web::mime::Mime {
    actix_web::mime::APPLICATION_JSON
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::IdempotencyConflict => Self(
                Problem::new(ProblemKind::ValidationFailed).with_errors(vec![FieldError::new(
                    "idempotency_key",
                    "idempotency_key_reused",
                    "this idempotency key was already used for a different event",
                )]),
            ),
            StorageError::Conflict(message) => Self::detail(ProblemKind::Conflict, message),
            StorageError::Database(message) => {
                tracing::error!(%message, "storage failure");
                Self::new(ProblemKind::Unavailable)
            }
        }
    }
}

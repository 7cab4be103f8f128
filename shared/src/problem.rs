//! The RFC 9457 `application/problem+json` body that every API error carries, with stable `type`
//! URIs the widget maps to text in the person's language.

use serde::{Deserialize, Serialize};

/// The media type of every error body.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// The prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "urn:virtio-privacy:problem:";

/// The kinds of problem the API reports. Their slugs are a contract: clients branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The body is not well-formed JSON, or JSON of the wrong shape.
    InvalidJson,
    /// The body is well-formed but a field breaks a rule; `errors` names each field.
    ValidationFailed,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// A path parameter is malformed.
    InvalidPath,
    /// A query parameter is malformed.
    InvalidQuery,
    /// A token or password is missing, malformed, forged or expired.
    InvalidCredentials,
    /// The caller is known but may not do this.
    Forbidden,
    NotFound,
    MethodNotAllowed,
    /// The resource is not in a state that allows this action.
    Conflict,
    /// Too many wrong codes: the request cannot be verified any more.
    VerificationLocked,
    /// Too many requests from this client; `Retry-After` says when to try again.
    RateLimited,
    /// Something failed on the server; nothing was recorded.
    Internal,
    /// The database could not be reached or is shutting down; retry later.
    Unavailable,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 15] = [
        Self::InvalidJson,
        Self::ValidationFailed,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::InvalidPath,
        Self::InvalidQuery,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::VerificationLocked,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid-json",
            Self::ValidationFailed => "validation-failed",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::PayloadTooLarge => "payload-too-large",
            Self::InvalidPath => "invalid-path",
            Self::InvalidQuery => "invalid-query",
            Self::InvalidCredentials => "invalid-credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict => "conflict",
            Self::VerificationLocked => "verification-locked",
            Self::RateLimited => "rate-limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::InvalidJson | Self::InvalidPath | Self::InvalidQuery => 400,
            Self::ValidationFailed => 422,
            Self::UnsupportedMediaType => 415,
            Self::PayloadTooLarge => 413,
            Self::InvalidCredentials => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::VerificationLocked => 403,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::InvalidJson => "The request body is not valid JSON of the expected shape",
            Self::ValidationFailed => "A field of the request breaks a rule",
            Self::UnsupportedMediaType => "The request body must be application/json",
            Self::PayloadTooLarge => "The request body is too large",
            Self::InvalidPath => "A part of the path is malformed",
            Self::InvalidQuery => "A query parameter is malformed",
            Self::InvalidCredentials => "The credentials are missing, invalid or expired",
            Self::Forbidden => "You may not do this",
            Self::NotFound => "Nothing exists at this address",
            Self::MethodNotAllowed => "This method is not allowed here",
            Self::Conflict => "The resource's current state does not allow this",
            Self::VerificationLocked => "Too many wrong codes: file the request again",
            Self::RateLimited => "Too many requests; try again later",
            Self::Internal => "The server failed; nothing was recorded",
            Self::Unavailable => "The service is unavailable; try again later",
        }
    }

    pub fn type_uri(self) -> String {
        format!("{TYPE_PREFIX}{}", self.slug())
    }

    /// The kind a `type` URI names, if it is one of ours.
    pub fn from_type_uri(uri: &str) -> Option<Self> {
        let slug = uri.strip_prefix(TYPE_PREFIX)?;
        Self::ALL.into_iter().find(|k| k.slug() == slug)
    }
}

/// What is wrong with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// A dotted path into the body, such as `choices.analytics`.
    pub field: String,
    /// A stable machine code, such as `purpose_not_on_site`.
    pub code: String,
    /// An English explanation for developers.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// This occurrence (RFC 9457 `instance`): `urn:virtio-privacy:request:` and the request's id,
    /// which the server's log lines of the request carry too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<Box<str>>,
}

impl Problem {
    pub fn new(kind: ProblemKind) -> Self {
        Self {
            type_uri: kind.type_uri(),
            title: kind.title().to_owned(),
            status: kind.status(),
            detail: None,
            errors: Vec::new(),
            instance: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn kind(&self) -> Option<ProblemKind> {
        ProblemKind::from_type_uri(&self.type_uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_type_uri() {
        for kind in ProblemKind::ALL {
            assert_eq!(ProblemKind::from_type_uri(&kind.type_uri()), Some(kind));
            assert!((400..600).contains(&kind.status()));
        }
        assert_eq!(ProblemKind::from_type_uri("about:blank"), None);
    }

    #[test]
    fn the_body_uses_the_rfc_9457_member_names() {
        let problem =
            Problem::new(ProblemKind::ValidationFailed).with_errors(vec![FieldError::new(
                "site",
                "unknown_site",
                "unknown site `x`",
            )]);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "urn:virtio-privacy:problem:validation-failed");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "site");
        assert!(json.get("detail").is_none());
    }
}

//! Reading JSON request bodies: JSON only, a size limit, and errors that name the failing field.

use actix_web::{HttpRequest, web};
use privacy_shared::problem::{FieldError, ProblemKind};
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// The largest JSON body any endpoint takes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The largest body of an answer with attached files (their content is base64 in the JSON).
pub const MAX_ANSWER_BODY_BYTES: usize = 12 * 1024 * 1024;

/// Reads the body as `T`, refusing anything but `application/json` of at most [`MAX_BODY_BYTES`].
pub async fn json<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    json_up_to(request, payload, MAX_BODY_BYTES).await
}

/// Reads the body as `T`, refusing anything but `application/json` of at most `limit` bytes.
pub async fn json_up_to<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let text = text(request, payload, limit).await?;
    deserialize(&text).map_err(problem)
}

/// Reads the body as `T`, whose `#[serde(flatten)]` part is `F`. serde reads a flattened part from
/// a buffer that keeps no path, so an invalid `site` would be reported at the root; the body is
/// then read as `F` alone to name the field.
pub async fn json_flattened<T: DeserializeOwned, F: DeserializeOwned>(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ApiError> {
    let text = text(request, payload, MAX_BODY_BYTES).await?;
    deserialize(&text).map_err(|e| {
        let at_root = e.path().to_string() == "." && e.inner().is_data();
        let named = !at_root
            || ["missing field", "unknown field"]
                .iter()
                .any(|start| e.inner().to_string().starts_with(start));
        match deserialize::<F>(&text) {
            Err(inner) if !named => problem(inner),
            _ => problem(e),
        }
    })
}

type PathError = serde_path_to_error::Error<serde_json::Error>;

fn deserialize<T: DeserializeOwned>(text: &str) -> Result<T, PathError> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
}

/// The body as text: `application/json` of at most `limit` bytes, in UTF-8.
async fn text(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<String, ApiError> {
    use futures_util::StreamExt as _;
    let content_type = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::detail(
            ProblemKind::UnsupportedMediaType,
            format!(
                "got content type `{}`",
                content_type.chars().take(60).collect::<String>()
            ),
        ));
    }
    let too_large = || {
        ApiError::detail(
            ProblemKind::PayloadTooLarge,
            format!("the limit is {limit} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::detail(ProblemKind::InvalidJson, e.to_string()))?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(Vec::from(bytes))
        .map_err(|_| ApiError::detail(ProblemKind::InvalidJson, "the body is not valid UTF-8"))
}

/// A problem naming the field that failed, or `invalid_json` for text that is not JSON.
fn problem(e: PathError) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if !inner.is_data() {
        return ApiError::detail(ProblemKind::InvalidJson, inner.to_string());
    }
    let message = inner.to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    // An unknown map key (such as a purpose) is reported at `parent.?`; name the key instead.
    let unknown_key = path.strip_suffix(".?").zip(
        message
            .strip_prefix("unknown variant `")
            .and_then(|rest| rest.split('`').next()),
    );
    let field = match (path.as_str(), missing, unknown_key) {
        (".", Some(name), _) => name.to_owned(),
        (_, Some(name), _) => format!("{path}.{name}"),
        (_, None, Some((parent, key))) => format!("{parent}.{key}"),
        // A bad value under a key that is not text (a purpose): the map itself.
        _ => path.strip_suffix(".?").map_or(path.clone(), str::to_owned),
    };
    let code = if missing.is_some() {
        "missing_field"
    } else {
        "invalid_value"
    };
    ApiError::fields(vec![FieldError::new(field, code, message)])
}

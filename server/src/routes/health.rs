//! Liveness and the Global Privacy Control well-known file.

use actix_web::{HttpResponse, web};
use privacy_shared::wire::Health;
use std::sync::Arc;

use crate::problem::ApiError;
use crate::storage::Storage;

/// `GET /api/v1/health`: 200 when the database answers, a 503 problem otherwise.
pub async fn health(storage: web::Data<Arc<dyn Storage>>) -> Result<HttpResponse, ApiError> {
    storage.ping().await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: "ok".into(),
    }))
}

/// `GET /.well-known/gpc.json`: this service honours Global Privacy Control.
pub async fn gpc() -> HttpResponse {
    HttpResponse::Ok().json(
        serde_json::json!({ "gpc": true, "lastUpdate": privacy_shared::policy::CURRENT_VERSION }),
    )
}

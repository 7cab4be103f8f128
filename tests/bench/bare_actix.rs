//! The yardstick of `cargo xtask bench`'s server measurement: a bare actix-web handler that takes
//! the same JSON body as `POST /api/v1/consents` and answers 201 without storing anything.
//!
//! Usage: `bare-actix ADDRESS` (such as `127.0.0.1:9000`).

use actix_web::{App, HttpResponse, HttpServer, web};

async fn consent(body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Created().json(serde_json::json!({ "event_id": body["idempotency_key"] }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".into());
    HttpServer::new(|| App::new().route("/api/v1/consents", web::post().to(consent)))
        .bind(address)?
        .run()
        .await
}

//! A demo group site on another origin than the privacy server, as virtio.nl's other sites and
//! the interface app are: it serves the demo pages from `www/` with the README's one tag pointing
//! at the privacy server, under the strict Content Security Policy a group site would set for it.
//! `cargo xtask serve` starts it beside the server (`[demo] group_site` in `config/dev.toml`), and
//! the browser tests run every page from it once (`VP_E2E_PAGES=second-origin`).

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::path::{Component, Path, PathBuf};

struct Site {
    www: PathBuf,
    privacy: String,
}

/// Serves `www` on `listener`, embedding the widget from the privacy server at `privacy`.
pub fn start(
    listener: TcpListener,
    www: PathBuf,
    privacy: String,
) -> std::io::Result<actix_web::dev::ServerHandle> {
    let site = web::Data::new(Site { www, privacy });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(site.clone())
            .default_service(web::to(page))
    })
    .workers(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

async fn page(request: HttpRequest, site: web::Data<Site>) -> HttpResponse {
    let mut path = site.www.clone();
    for component in Path::new(request.path().trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return HttpResponse::NotFound().finish(),
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    let Ok(bytes) = std::fs::read(&path) else {
        return HttpResponse::NotFound().finish();
    };
    let privacy = &site.privacy;
    let policy = format!(
        "default-src 'self'; script-src 'self' {privacy} 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self' {privacy}; \
         frame-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_SECURITY_POLICY, policy));
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => {
            // The one tag, with the privacy server's absolute URL, as the README shows it (and
            // any other attribute naming the loader, such as a tag manager's).
            let html = String::from_utf8_lossy(&bytes).replace(
                "\"/widget/v1/loader.js",
                &format!("\"{privacy}/widget/v1/loader.js"),
            );
            response.content_type("text/html; charset=utf-8").body(html)
        }
        Some("js") => response
            .content_type("text/javascript; charset=utf-8")
            .body(bytes),
        Some("css") => response.content_type("text/css; charset=utf-8").body(bytes),
        _ => response.body(bytes),
    }
}

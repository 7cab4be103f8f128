//! Static files: the demo pages from `www/`, and the built widget and admin bundles from the dist
//! folder, served precompressed (`.br`, `.gz`) where the client accepts it. Content-hashed assets
//! are immutable; the loader and the pages are revalidated. The widget's files are loaded by pages
//! of other origins (every group site but this host), as CORS requests for the module, the
//! WebAssembly and the stylesheet: they are public, so any origin may read them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use privacy_shared::ProblemKind;
use std::path::{Component, Path, PathBuf};

use crate::loader::Loader;
use crate::problem::ApiError;

/// Where static files come from.
#[derive(Debug, Clone)]
pub struct StaticRoots {
    /// The demo pages (`www/`), served at `/`.
    pub www: PathBuf,
    /// The built bundles (`dist/`), whose `widget/` and `admin/` folders are served at those paths.
    pub dist: PathBuf,
    /// `/widget/v1/loader.js`, rendered at start for the configured sites; `None` when the
    /// bundles were not built.
    pub loader: Option<std::sync::Arc<Loader>>,
}

/// The file under `root` that a URL path names, or `None` for a path that tries to leave it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for component in Path::new(url_path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    Some(path)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn cache_control(url_path: &str) -> &'static str {
    if url_path.contains("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Answers a GET or HEAD for a static file.
pub async fn serve(request: &HttpRequest, roots: &StaticRoots) -> Result<HttpResponse, ApiError> {
    if !matches!(
        *request.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) {
        return Err(ApiError::method_not_allowed("GET, HEAD"));
    }
    let url_path = request.path();
    if url_path == "/widget/v1/loader.js" {
        return Ok(match &roots.loader {
            Some(loader) => loader.respond(request),
            None => HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("The widget is not built: run `cargo xtask build`."),
        });
    }
    let file = if url_path.starts_with("/widget/") || url_path.starts_with("/admin/") {
        resolve(&roots.dist, url_path)
    } else {
        resolve(&roots.www, url_path)
    };
    let Some(file) = file.filter(|f| f.is_file()) else {
        return Ok(HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Not found"));
    };
    let accepts = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let encoded = [("br", "br"), ("gzip", "gz")]
        .into_iter()
        .find_map(|(encoding, ext)| {
            let mut name = file.clone().into_os_string();
            name.push(format!(".{ext}"));
            let candidate = PathBuf::from(name);
            (accepts.contains(encoding) && candidate.is_file()).then_some((encoding, candidate))
        });
    let (encoding, path) = match encoded {
        Some((encoding, path)) => (Some(encoding), path),
        None => (None, file.clone()),
    };
    let bytes = web::block(move || std::fs::read(path))
        .await
        .map_err(|_| ApiError::new(ProblemKind::Internal))?
        .map_err(|_| ApiError::new(ProblemKind::Internal))?;
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type(&file))
        .insert_header((header::CACHE_CONTROL, cache_control(url_path)))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(encoding) = encoding {
        response.insert_header((header::CONTENT_ENCODING, encoding));
    }
    if url_path.starts_with("/widget/") {
        open_to_every_origin(&mut response);
    }
    Ok(response.body(bytes))
}

/// The headers of the widget's files, which every group site loads from another origin: readable
/// by a CORS request (the module, the WebAssembly, the stylesheet), embeddable, and with their
/// timing and size visible to the host page (Resource Timing).
pub fn open_to_every_origin(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CROSS_ORIGIN_RESOURCE_POLICY, "cross-origin"))
        .insert_header(("Timing-Allow-Origin", "*"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_their_root() {
        let root = Path::new("/srv/www");
        assert_eq!(
            resolve(root, "/a/b.js"),
            Some(PathBuf::from("/srv/www/a/b.js"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../x"), None);
    }

    #[test]
    fn hashed_assets_are_immutable_and_the_rest_is_revalidated() {
        assert!(cache_control("/widget/v1/assets/widget-abc.wasm").contains("immutable"));
        assert_eq!(cache_control("/index.html"), "no-cache");
    }
}

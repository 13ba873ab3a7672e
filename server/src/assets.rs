//! The site's static files (`target/site`). The bundles in `/pkg/` carry a
//! content hash in their names (cargo-leptos `hash-files`), so browsers keep them
//! for a year without asking again; unhashed (`make run` turns hashing off, so
//! that CSS edits show at once) they are asked for again each time. They are sent precompressed (`.br`,
//! `.gz`, written by `make release`) to browsers that accept it. Anything else
//! the server sends (the pages themselves, server functions, the favicon) says
//! `no-store`: pages greet a signed-in user by name, and no cache may keep them.

use axum::Router;
use axum::http::{HeaderValue, header};
use leptos::config::LeptosOptions;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// Kept, but checked with the server before each use (it answers 304 when unchanged).
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// `/pkg/…`: the bundles, precompressed when possible.
pub fn bundles<S: Clone + Send + Sync + 'static>(leptos: &LeptosOptions) -> Router<S> {
    let dir = std::path::Path::new(leptos.site_root.as_ref()).join(leptos.site_pkg_dir.as_ref());
    let lifetime = if leptos.hash_files {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    Router::new()
        .nest_service(
            &format!("/{}", leptos.site_pkg_dir),
            ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            lifetime,
        ))
}

/// `no-store` on every response that did not set its own lifetime.
pub fn uncached_by_default() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, NO_STORE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    fn header(response: &axum::response::Response, name: header::HeaderName) -> &str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn bundles_are_immutable_and_precompressed_and_pages_are_not_stored() {
        let site = tempfile::tempdir().expect("a site root");
        let pkg = site.path().join("pkg");
        std::fs::create_dir_all(&pkg).expect("pkg");
        std::fs::write(pkg.join("app.h45h.js"), "plain").expect("js");
        std::fs::write(pkg.join("app.h45h.js.br"), "brotli").expect("js.br");
        let leptos = LeptosOptions::builder()
            .output_name("app")
            .site_root(site.path().to_string_lossy().into_owned())
            .hash_files(true)
            .build();
        let app: Router = Router::new()
            .route("/", get(|| async { "a page" }))
            .merge(bundles(&leptos))
            .layer(uncached_by_default());
        let send = |uri: &str, encoding: &str| {
            let request = Request::get(uri)
                .header(header::ACCEPT_ENCODING, encoding)
                .body(Body::empty())
                .expect("request");
            app.clone().oneshot(request)
        };

        let brotli = send("/pkg/app.h45h.js", "gzip, br")
            .await
            .expect("response");
        assert_eq!(brotli.status(), StatusCode::OK);
        assert_eq!(header(&brotli, header::CONTENT_ENCODING), "br");
        assert_eq!(header(&brotli, header::CACHE_CONTROL), IMMUTABLE);
        let plain = send("/pkg/app.h45h.js", "identity")
            .await
            .expect("response");
        assert_eq!(header(&plain, header::CONTENT_ENCODING), "");
        assert_eq!(header(&plain, header::CACHE_CONTROL), IMMUTABLE);

        let page = send("/", "br").await.expect("response");
        assert_eq!(header(&page, header::CACHE_CONTROL), "no-store");

        // Unhashed names (`make run`) change content in place: asked for again each time.
        let unhashed = LeptosOptions::builder()
            .output_name("app")
            .site_root(site.path().to_string_lossy().into_owned())
            .build();
        let request = Request::get("/pkg/app.h45h.js")
            .body(Body::empty())
            .expect("request");
        let response = bundles::<()>(&unhashed)
            .oneshot(request)
            .await
            .expect("response");
        assert_eq!(header(&response, header::CACHE_CONTROL), REVALIDATE);
    }
}

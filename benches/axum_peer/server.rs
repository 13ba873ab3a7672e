//! The ceiling `make bench` holds the product's pages against: a bare axum server
//! (tokio's default runtime, `axum::serve`) that sends fixed bytes, so the ratio
//! shows what rendering, the session check and the middleware cost on top of the
//! same HTTP stack.
//!
//! Usage: `axum_peer <port> <signed-in page> <signed-out page>`; it answers `GET /in`
//! and `GET /out` with the two files' bytes, as `text/html`.

use axum::{Router, http::header, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(port), [_, _, signed_in, signed_out]) = (
        args.get(1).and_then(|p| p.parse::<u16>().ok()),
        args.as_slice(),
    ) else {
        eprintln!("usage: axum_peer <port> <signed-in page> <signed-out page>");
        std::process::exit(2);
    };
    let page = |path: &str| -> std::io::Result<_> {
        let bytes = axum::body::Bytes::from(std::fs::read(path)?);
        Ok(move || {
            let bytes = bytes.clone();
            async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes) }
        })
    };
    let app = Router::new()
        .route("/in", get(page(signed_in)?))
        .route("/out", get(page(signed_out)?));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}

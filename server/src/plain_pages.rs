//! Pages answered without the router: the home page of a signed-in visitor
//! whose session needs nothing done first (`app::pages::signed_in_home`).
//!
//! That page shows no island, and once the session is checked everything on it
//! is known, so it is rendered straight to HTML: the router, its resources and
//! the streamed response were most of the server's time for it (`make bench`).
//! Any other request (another path or method, a query) goes on to the routed
//! app, and so does this one whenever the session needs a refresh, has cookies
//! to clear or proves nobody: the routed page does those, with the same
//! components. Off under `cargo leptos watch`, as the kept anonymous page is,
//! since the plain page carries no reload script.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use leptos::config::LeptosOptions;

use app::session::Auth;

/// What the plain pages are rendered with; `None` when they are off. Behind one
/// `Arc`: the middleware's state is cloned for every request the app gets.
#[derive(Clone)]
pub struct PlainPages {
    on: Option<Arc<(Auth, LeptosOptions)>>,
}

impl PlainPages {
    /// Off while `cargo leptos watch` serves the app.
    pub fn from_environment(auth: Auth, options: LeptosOptions) -> Self {
        Self::new(!app::watched(), auth, options)
    }

    fn new(on: bool, auth: Auth, options: LeptosOptions) -> Self {
        PlainPages {
            on: on.then(|| Arc::new((auth, options))),
        }
    }
}

/// Middleware: answers `GET /` for a settled session with the plain page.
pub async fn serve_plain_pages(
    State(pages): State<PlainPages>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(on) = &pages.on else {
        return next.run(request).await;
    };
    let (auth, options) = &**on;
    // As for the kept anonymous page, a query sends the request to the router.
    let home = request.method() == Method::GET
        && request.uri().path() == "/"
        && request.uri().query().is_none()
        && request.headers().contains_key(header::COOKIE);
    if !home {
        return next.run(request).await;
    }
    match auth.settled_user(request.headers()).await {
        Ok(user) => Html(app::pages::signed_in_home(options, user)).into_response(),
        Err(validated) => {
            if let Some(validated) = validated {
                request.extensions_mut().insert(validated);
            }
            next.run(request).await
        }
    }
}

//! The leptos-cognito app, shared by the server (SSR) and the browser (WASM).
//!
//! People sign in at an Amazon Cognito user pool's hosted UI (or the local one
//! this project ships) with the authorization-code flow and PKCE; the server
//! validates the tokens, keeps them in HttpOnly cookies and renders the page for
//! whoever they prove; any other OpenID provider works the same way once found
//! by its issuer. Modules: `pkce`, `pool` (the provider's URLs), `login` (the
//! browser's side of a sign-in), `api` (server functions), `user`, `passkeys`, and, on the
//! server only, `verify` (JWKS + claim checks), `session` (cookies),
//! `standing` (asking the pool whether a session still stands), `discovery`
//! (another OpenID provider's endpoints) and `token_endpoint` (the server's
//! requests there, with the client's secret). With
//! the `test-support` feature, `test_tokens` offers a stand-in pool and forged tokens.

// The admin console's view types nest deeply; builds without `erase_components`
// (release) need more room to compute their layout.
#![recursion_limit = "256"]

pub mod api;
pub mod login;
pub mod mfa;
pub mod pages;
pub mod passkeys;
pub mod pkce;
pub mod pool;
pub mod user;

#[cfg(feature = "ssr")]
pub mod cognito_admin;
pub mod directory;
#[cfg(feature = "ssr")]
pub mod discovery;
#[cfg(feature = "ssr")]
pub mod refresh;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod standing;
#[cfg(any(all(test, feature = "ssr"), feature = "test-support"))]
pub mod test_tokens;
#[cfg(feature = "ssr")]
pub mod token_endpoint;
#[cfg(feature = "ssr")]
pub mod user_api;
#[cfg(feature = "ssr")]
pub mod verify;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use api::{AuthError, current_session, user_pool};
use pages::{AdminPage, CallbackPage, HomePage, ProfilePage};
use pool::PoolEndpoints;
use user::Session;

/// The app's name: the home page's title, the end of every other page's.
pub const APP_NAME: &str = "leptos-cognito";

/// The HTML document the server renders around the app. The script that loads
/// the WASM is not in its head: only pages with islands ask for it (`IslandScripts`).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // In islands mode only islands hydrate, so nothing else needs hydration markers;
    // `HydrationScripts` turns them off as it renders, which is too late from the body.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let head = document_head(&options);
    // Moved, not cloned: this runs for every page, and the islands' script reads it.
    provide_context(options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                {head}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A whole page rendered straight to HTML, for pages that show no island and
/// whose content the server knows before it renders: `shell`'s document, with
/// `title` for the meta tags and `content` under the app's header, but no router,
/// resources or streaming, which were most of the server's time for such a page
/// (`make bench`). Off under `cargo leptos watch`, whose reload script this leaves out.
#[cfg(feature = "ssr")]
pub fn plain_page<V: IntoView + 'static>(
    options: &LeptosOptions,
    title: &str,
    content: impl FnOnce() -> V,
) -> String {
    // Components create reactive values (a form's action); they belong to this page.
    let owner = Owner::new();
    owner.with(|| {
        let head = document_head(options);
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    {head}
                    <title>{title.to_owned()}</title>
                </head>
                <body>
                    <SiteHeader/>
                    <main>{content()}</main>
                </body>
            </html>
        }
        .to_html()
    })
}

/// What every page's head holds before its own tags: the character set, the
/// viewport, the icon, the stylesheet (and the reload script of `cargo leptos watch`).
fn document_head(options: &LeptosOptions) -> impl IntoView + use<> {
    let reload = watched().then(|| view! { <AutoReload options=options.clone()/> });
    let stylesheet = build_stylesheet(options);
    view! {
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
        {reload}
        <link id="leptos" rel="stylesheet" href=stylesheet/>
    }
}

/// The bar above every page.
#[component]
fn SiteHeader() -> impl IntoView {
    view! {
        <header>
            <a href="/" class="brand">{APP_NAME}</a>
        </header>
    }
}

/// Whether `cargo leptos watch` serves the app (`LEPTOS_WATCH`): then it adds its
/// reload script, the build's hash file can change while the server runs, and the
/// server keeps no rendered page.
pub fn watched() -> bool {
    static WATCHED: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var_os("LEPTOS_WATCH").is_some());
    *WATCHED
}

/// Where the build's stylesheet is, as leptos_meta's `HashedStylesheet` links it,
/// but with the hashed name read from the hash file once: that component reads the
/// file on every render (`make bench`).
fn build_stylesheet(options: &LeptosOptions) -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if watched() {
        stylesheet_href(options)
    } else {
        HREF.get_or_init(|| stylesheet_href(options)).clone()
    }
}

/// `/pkg/<output name>[.<css hash>].css`, the hash from the `css:` line of the hash
/// file beside the server binary, where cargo-leptos writes it.
fn stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            let binary = std::env::current_exe().ok()?;
            std::fs::read_to_string(binary.parent()?.join(options.hash_file.as_ref())).ok()
        })
        .flatten()
        .and_then(|hashes| css_hash(&hashes).map(|hash| format!(".{hash}")))
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.css",
        options.site_pkg_dir, options.output_name
    )
}

fn css_hash(hashes: &str) -> Option<&str> {
    hashes.lines().find_map(|line| {
        let (file, hash) = line.trim().split_once(':')?;
        (file.trim() == "css").then(|| hash.trim())
    })
}

/// The pool's endpoints and the current session, loaded once per page load.
/// Both block the response, so the server-rendered HTML already shows them.
#[derive(Clone, Copy)]
pub struct AuthResources {
    pub pool: Resource<Result<PoolEndpoints, AuthError>>,
    pub session: Resource<Result<Session, AuthError>>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(AuthResources {
        pool: Resource::new_blocking(|| (), |_| user_pool()),
        session: Resource::new_blocking(|| (), |_| current_session()),
    });

    view! {
        <Title text=APP_NAME/>
        <Router>
            <SiteHeader/>
            <main>
                <Routes fallback=|| view! { <h1>"Page not found"</h1> <a href="/">"Home"</a> }>
                    // Rendered whole before it is sent, so the greeting is in the HTML itself.
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("callback") view=CallbackPage/>
                    <Route path=StaticSegment("profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// Called by the WASM entry point so that the linker keeps this crate, and with
/// it the islands it registers (each `#[island]` exports its own hydrate function).
#[cfg(feature = "hydrate")]
pub fn link_islands() {}

/// A server-function failure, shown with a way back.
#[component]
fn ErrorNotice(error: AuthError) -> impl IntoView {
    view! {
        <p class="error" role="alert">{error.to_string()}</p>
        <a href="/">"Start again"</a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_is_named_by_the_css_line_of_the_hash_file() {
        let hashes = "js: xe7Y\nwasm: TcP7\ncss: a30f_T3W\nmanifest: 1fUC\n";
        assert_eq!(css_hash(hashes), Some("a30f_T3W"));
        assert_eq!(css_hash("js: xe7Y\n"), None);
        let unhashed = LeptosOptions::builder()
            .output_name("leptos-cognito")
            .build();
        assert_eq!(stylesheet_href(&unhashed), "/pkg/leptos-cognito.css");
    }
}

//! Whose sign-in a page is: the pool's name on every page, and the branding
//! (SetUICustomization, `[branding]`) of the app client the page is for, as
//! the addresses of its stylesheet and logo on the pool's hosted UI, with the
//! declared pool's own name and colours where `[branding]` gives them.

use crate::UserPool;
use crate::branding::UiCustomization;

/// The route of a customization's stylesheet (`{client}`: an app client's id, or `ALL`).
pub(crate) const CSS_ROUTE: &str = "/static/ui/{client}/custom.css";
/// The route of a customization's logo.
pub(crate) const LOGO_ROUTE: &str = "/static/ui/{client}/logo";

/// The route of the declared pool's accent colours (`[branding]`).
pub(crate) const THEME_ROUTE: &str = "/static/brand.css";

/// What a page shows of the pool and its branding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Brand {
    /// The pool's name, or the one `[branding]` gives it.
    pub(crate) name: String,
    /// The path of `[branding]`'s accent colours, if it sets them.
    pub(crate) theme: Option<&'static str>,
    /// The path of the logo, if one is set.
    pub(crate) logo: Option<String>,
    /// The path of the customized stylesheet, if one is set.
    pub(crate) css: Option<String>,
}

impl Brand {
    /// The brand of the pool's pages for `client_id` (its own branding, or the
    /// pool's default), or of the pool alone.
    pub(crate) fn of(pool: &UserPool, client_id: Option<&str>) -> Brand {
        let custom = client_id.and_then(|id| pool.branding().for_client(id));
        let look = pool.look();
        Brand {
            name: look
                .and_then(|look| look.name.clone())
                .unwrap_or_else(|| pool.pool().name.clone()),
            theme: look
                .is_some_and(|look| look.theme.is_some())
                .then_some(THEME_ROUTE),
            logo: custom.filter(|custom| custom.logo.is_some()).map(logo_path),
            css: custom
                .filter(|custom| custom.css.is_some())
                .map(|custom| versioned(CSS_ROUTE, custom)),
        }
    }
}

/// The path of a customization's logo, changing with each version.
pub(crate) fn logo_path(custom: &UiCustomization) -> String {
    versioned(LOGO_ROUTE, custom)
}

fn versioned(route: &str, custom: &UiCustomization) -> String {
    format!(
        "{}?v={}",
        route.replace("{client}", &custom.client_id),
        custom.version
    )
}

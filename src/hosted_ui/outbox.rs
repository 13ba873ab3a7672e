//! The development outbox (`dev_outbox = true`): every message the pool sent, at
//! `/_dev/outbox` (HTML) and `/_dev/outbox.json` (`?to=` filters by recipient),
//! where tests and people read their codes.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::UserPool;
use crate::error::Error;
use crate::store::Mail;
use crate::web::{PageError, security_headers};

pub(crate) fn routes() -> Router<UserPool> {
    Router::new()
        .route("/_dev/outbox", get(outbox_page))
        .route("/_dev/outbox.json", get(outbox_json))
        .layer(axum::middleware::map_response(security_headers))
}

#[derive(Deserialize)]
struct OutboxQuery {
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    mail: Vec<Mail>,
    /// The pool's apps (client names) and where each returns after a logout: its home page.
    apps: Vec<(String, String)>,
}

async fn outbox_page(
    State(pool): State<UserPool>,
    Query(query): Query<OutboxQuery>,
) -> Result<impl IntoResponse, PageError> {
    let mail = pool.store().mail(query.to.as_deref()).await?;
    let apps = pool
        .pool()
        .clients()
        .iter()
        .filter_map(|client| Some((client.name.clone(), client.logout_urls.first()?.clone())))
        .collect();
    Ok(Html(
        OutboxPage { mail, apps }.render().map_err(Error::from)?,
    ))
}

async fn outbox_json(
    State(pool): State<UserPool>,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<Vec<Mail>>, PageError> {
    Ok(Json(pool.store().mail(query.to.as_deref()).await?))
}

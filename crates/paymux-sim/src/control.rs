//! Control API (`/_sim/...`) and hosted customer pages (`/_sim/pay/...`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::util::{empty, html_escape, json, lock};
use crate::{FaultSpec, Shared, SimError, SimProvider};

/// What a hosted page shows about a payment.
pub(crate) struct PageInfo {
    /// e.g. `30.00 SEK`.
    pub(crate) amount: String,
    /// Merchant reference / message.
    pub(crate) reference: String,
    /// Current provider status.
    pub(crate) status: String,
    /// Whether the customer can still approve or decline.
    pub(crate) open: bool,
    /// Where to go after approval.
    pub(crate) return_ok: Option<String>,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/{provider}/payments/{id}/approve", post(api_approve))
        .route("/_sim/{provider}/payments/{id}/decline", post(api_decline))
        .route("/_sim/{provider}/payments/{id}/commits", get(api_commits))
        .route("/_sim/commits", get(api_total))
        .route("/_sim/faults", post(api_inject).delete(api_clear).get(api_faults))
        .route("/_sim/keys", get(api_keys))
        .route("/_sim/pay/{provider}/{id}", get(page))
        .route("/_sim/pay/{provider}/{id}/approve", post(page_approve))
        .route("/_sim/pay/{provider}/{id}/decline", post(page_decline))
        .with_state(shared)
}

fn control_error(status: StatusCode, msg: &str) -> Response {
    json(status, &json!({"error": msg}))
}

fn provider(p: &str) -> Result<SimProvider, Response> {
    SimProvider::parse(p).ok_or_else(|| control_error(StatusCode::NOT_FOUND, "unknown provider"))
}

fn sim_error(e: &SimError) -> Response {
    match e {
        SimError::NotFound => control_error(StatusCode::NOT_FOUND, "payment not found"),
        SimError::InvalidState(s) => control_error(StatusCode::CONFLICT, s),
    }
}

async fn api_action(shared: &Shared, p: &str, id: &str, approve: bool) -> Response {
    let p = match provider(p) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match shared.approve(p, id, approve) {
        Ok(()) => json(StatusCode::OK, &json!({"ok": true})),
        Err(e) => sim_error(&e),
    }
}

async fn api_approve(State(s): State<Arc<Shared>>, Path((p, id)): Path<(String, String)>) -> Response {
    api_action(&s, &p, &id, true).await
}

async fn api_decline(State(s): State<Arc<Shared>>, Path((p, id)): Path<(String, String)>) -> Response {
    api_action(&s, &p, &id, false).await
}

async fn api_commits(State(s): State<Arc<Shared>>, Path((p, id)): Path<(String, String)>) -> Response {
    match provider(&p) {
        Ok(p) => json(StatusCode::OK, &json!(s.commits(p, &id))),
        Err(r) => r,
    }
}

async fn api_total(State(s): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &json!(s.total_commits()))
}

async fn api_inject(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultSpec>(&body) {
        Ok(f) => {
            crate::faults::inject(&s, f);
            empty(StatusCode::NO_CONTENT)
        }
        Err(e) => control_error(StatusCode::BAD_REQUEST, &format!("invalid FaultSpec: {e}")),
    }
}

async fn api_clear(State(s): State<Arc<Shared>>) -> Response {
    lock(&s.faults).clear();
    empty(StatusCode::NO_CONTENT)
}

async fn api_faults(State(s): State<Arc<Shared>>) -> Response {
    let pending = lock(&s.faults).clone();
    json(
        StatusCode::OK,
        &json!({"pending": pending, "injected": s.faults_injected.load(Ordering::SeqCst)}),
    )
}

async fn api_keys(State(s): State<Arc<Shared>>) -> Response {
    json(
        StatusCode::OK,
        &json!({
            "paiwise": s.keys.paiwise,
            "checkout": s.keys.checkout,
            "checkout_public": s.keys.checkout_public,
            "twisto": s.keys.twisto,
        }),
    )
}

fn page_info(s: &Shared, p: SimProvider, id: &str) -> Option<PageInfo> {
    match p {
        SimProvider::Paiwise => crate::paiwise::page_info(s, id),
        SimProvider::Checkout => crate::checkout::page_info(s, id),
        SimProvider::Twisto => crate::twisto::page_info(s, id),
    }
}

fn page_shell(title: &str, body: &str) -> Response {
    Html(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}\
         .amount{{font-size:2em;font-weight:bold}}button{{font-size:1.2em;margin:.5em}}</style>\
         </head><body>{body}</body></html>\n",
        t = html_escape(title)
    ))
    .into_response()
}

async fn page(State(s): State<Arc<Shared>>, Path((p, id)): Path<(String, String)>) -> Response {
    let Some(prov) = SimProvider::parse(&p) else {
        return (StatusCode::NOT_FOUND, Html("<h1>Unknown provider</h1>")).into_response();
    };
    let Some(info) = page_info(&s, prov, &id) else {
        return (StatusCode::NOT_FOUND, Html("<h1>Payment not found</h1>")).into_response();
    };
    let base = format!("/_sim/pay/{}/{}", prov.as_str(), html_escape(&id));
    let controls = if info.open {
        format!(
            "<form method=\"post\" action=\"{base}/approve\"><button type=\"submit\" name=\"action\" value=\"approve\">Approve</button></form>\
             <form method=\"post\" action=\"{base}/decline\"><button type=\"submit\" name=\"action\" value=\"decline\">Decline</button></form>"
        )
    } else {
        "<p>This payment can no longer be approved or declined.</p>".to_owned()
    };
    let body = format!(
        "<h1>{prov} test payment</h1><p class=\"amount\">{amount}</p><p>Reference: {reference}</p>\
         <p>Status: <span class=\"status\">{status}</span></p><p>Payment id: <code>{id}</code></p>{controls}",
        prov = html_escape(prov.as_str()),
        amount = html_escape(&info.amount),
        reference = html_escape(&info.reference),
        status = html_escape(&info.status),
        id = html_escape(&id),
    );
    page_shell("paymux-sim hosted payment", &body)
}

async fn page_action(s: &Shared, p: &str, id: &str, approve: bool) -> Response {
    let Some(prov) = SimProvider::parse(p) else {
        return (StatusCode::NOT_FOUND, Html("<h1>Unknown provider</h1>")).into_response();
    };
    if let Err(e) = s.approve(prov, id, approve) {
        let (status, msg) = match e {
            SimError::NotFound => (StatusCode::NOT_FOUND, "Payment not found".to_owned()),
            SimError::InvalidState(m) => (StatusCode::CONFLICT, m),
        };
        let mut r = page_shell(
            "paymux-sim",
            &format!("<h1>Not possible</h1><p>{}</p>", html_escape(&msg)),
        );
        *r.status_mut() = status;
        return r;
    }
    let target = match prov {
        SimProvider::Paiwise => crate::paiwise::return_url(s, id),
        SimProvider::Checkout => crate::checkout::return_url(s, id),
        SimProvider::Twisto => crate::twisto::return_url(s, id),
    };
    if let Some(url) = target.filter(|u| !u.is_empty()) {
        if let Ok(v) = HeaderValue::from_str(&url) {
            let mut r = empty(StatusCode::SEE_OTHER);
            r.headers_mut().insert(header::LOCATION, v);
            return r;
        }
    }
    let status = page_info(s, prov, id).map(|i| i.status).unwrap_or_default();
    page_shell(
        "paymux-sim",
        &format!(
            "<h1>Payment {}</h1><p>Status: <span class=\"status\">{}</span></p>",
            if approve { "approved" } else { "declined" },
            html_escape(&status)
        ),
    )
}

async fn page_approve(State(s): State<Arc<Shared>>, Path((p, id)): Path<(String, String)>) -> Response {
    page_action(&s, &p, &id, true).await
}

async fn page_decline(State(s): State<Arc<Shared>>, Path((p, id)): Path<(String, String)>) -> Response {
    page_action(&s, &p, &id, false).await
}

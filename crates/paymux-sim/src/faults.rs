//! Fault injection and idempotency middleware shared by the provider routers.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::server::DropConnection;
use crate::util::{empty, json, lock};
use crate::{FaultKind, FaultSpec, IdemEntry, Route, Shared, SimProvider};

/// The Checkout.com request id of the current request (request extension).
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

/// State of the per-provider middleware.
pub(crate) type MwState = (Arc<Shared>, SimProvider);

pub(crate) fn inject(shared: &Shared, fault: FaultSpec) {
    if fault.times > 0 {
        lock(&shared.faults).push(fault);
    }
}

/// Which fault routes a request matches (besides `Any`).
fn routes_of(provider: SimProvider, method: &Method, path: &str) -> &'static [Route] {
    let post = method == Method::POST;
    let get = method == Method::GET;
    match provider {
        SimProvider::Paiwise => match path {
            "/checkout/create" => &[Route::Create],
            "/checkout/retrieve" => &[Route::Get],
            "/checkout/capture" => &[Route::Capture],
            "/checkout/refund" => &[Route::Refund, Route::Void],
            _ => &[],
        },
        SimProvider::Checkout => {
            if get {
                return &[Route::Get];
            }
            if path == "/payments/search" {
                return &[Route::Get];
            }
            if path == "/payments" && post {
                return &[Route::Create];
            }
            if path.ends_with("/captures") {
                &[Route::Capture]
            } else if path.ends_with("/refunds") {
                &[Route::Refund]
            } else if path.ends_with("/voids")
                || path.ends_with("/reversals")
                || path.ends_with("/cancellations")
            {
                &[Route::Void]
            } else {
                &[]
            }
        }
        SimProvider::Twisto => {
            if get {
                return &[Route::Get];
            }
            if path == "/psp/v4/checkouts" {
                &[Route::Create]
            } else if path == "/psp/v4/charges"
                || (path.starts_with("/psp/smi/charges/") && path.ends_with("/capture"))
            {
                &[Route::Capture]
            } else if path == "/psp/v4/refunds" {
                &[Route::Refund]
            } else if path.ends_with("/cancel") {
                &[Route::Void]
            } else {
                &[]
            }
        }
    }
}

fn take_fault(shared: &Shared, provider: SimProvider, routes: &[Route]) -> Option<FaultKind> {
    let mut faults = lock(&shared.faults);
    let idx = faults
        .iter()
        .position(|f| f.provider == provider && (f.route == Route::Any || routes.contains(&f.route)))?;
    let kind = faults[idx].kind.clone();
    if faults[idx].times <= 1 {
        faults.remove(idx);
    } else {
        faults[idx].times -= 1;
    }
    Some(kind)
}

/// An error answer in the provider's shape.
pub(crate) fn provider_error(
    provider: SimProvider,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    match provider {
        SimProvider::Paiwise => json(status, &json!({"error": {"code": code, "message": message}})),
        SimProvider::Checkout => json(status, &json!({"request_id": request_id, "error_type": code})),
        SimProvider::Twisto => json(
            status,
            &json!({"errors": [{"code": code, "message": message, "field": null}]}),
        ),
    }
}

fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Apply the next matching fault, if any.
pub(crate) async fn fault_mw(
    State((shared, provider)): State<MwState>,
    req: Request,
    next: Next,
) -> Response {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let routes = routes_of(provider, req.method(), req.uri().path());
    let Some(kind) = take_fault(&shared, provider, routes) else {
        return next.run(req).await;
    };
    shared.faults_injected.fetch_add(1, Ordering::SeqCst);
    let rid = request_id(&req);
    match kind {
        FaultKind::Latency { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            next.run(req).await
        }
        FaultKind::Status { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = match status.as_u16() {
                502 => "bad_gateway",
                503 => "service_unavailable",
                504 => "gateway_timeout",
                _ => "internal_server_error",
            };
            provider_error(provider, status, code, "simulated server error", &rid)
        }
        FaultKind::RateLimited { retry_after_secs } => {
            let mut r = provider_error(
                provider,
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "rate limit exceeded",
                &rid,
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        FaultKind::InFlightConflict => in_flight(provider, &rid),
        FaultKind::HtmlError => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
            HTML_502,
        )
            .into_response(),
        FaultKind::DropAfterCommit => {
            let mut r = next.run(req).await;
            r.extensions_mut().insert(DropConnection);
            r
        }
        // The body faults keep the real answer's status (201, 202, …): a provider that says
        // 200 where it would say 202 means something else (Checkout.com: "already done").
        FaultKind::EmptyBody => {
            let status = next.run(req).await.status();
            let mut r = empty(status);
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        FaultKind::TruncatedJson => {
            let (status, body) = collect(next.run(req).await).await;
            let cut = body.len() / 2;
            raw_json(status, body.slice(..cut))
        }
        FaultKind::WrongFieldTypes => {
            let (status, body) = collect(next.run(req).await).await;
            match serde_json::from_slice::<Value>(&body) {
                Ok(mut v) => {
                    wrong_types(&mut v);
                    json(status, &v)
                }
                Err(_) => raw_json(status, body),
            }
        }
        FaultKind::UnknownStatus => {
            let (status, body) = collect(next.run(req).await).await;
            match serde_json::from_slice::<Value>(&body) {
                Ok(mut v) => {
                    mystery(&mut v, true);
                    json(status, &v)
                }
                Err(_) => raw_json(status, body),
            }
        }
        FaultKind::HugeBody { bytes } => {
            let (_, body) = collect(next.run(req).await).await;
            let padded = match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(mut m)) => {
                    let pad = bytes.saturating_sub(body.len() + 16);
                    m.insert("_padding".into(), Value::String("x".repeat(pad)));
                    serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
                }
                _ => {
                    let mut b = body.to_vec();
                    let pad = bytes.saturating_sub(b.len());
                    b.extend(std::iter::repeat_n(b' ', pad));
                    b
                }
            };
            raw_json(StatusCode::OK, bytes::Bytes::from(padded))
        }
    }
}

fn in_flight(provider: SimProvider, rid: &str) -> Response {
    provider_error(
        provider,
        StatusCode::CONFLICT,
        match provider {
            SimProvider::Checkout => "duplicate_request",
            _ => "request_in_progress",
        },
        "a request with this idempotency key is still being processed",
        rid,
    )
}

async fn collect(r: Response) -> (StatusCode, bytes::Bytes) {
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    (status, body)
}

fn raw_json(status: StatusCode, body: bytes::Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

const AMOUNT_KEYS: &[&str] = &[
    "amount",
    "balance",
    "amountRefund",
    "total_authorized",
    "total_captured",
    "total_refunded",
    "total_voided",
    "available_to_capture",
    "available_to_refund",
    "available_to_void",
    "captured_amount",
    "refunded_amount",
];

fn wrong_types(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if AMOUNT_KEYS.contains(&k.as_str()) {
                    match val {
                        Value::Number(n) => *val = Value::String(n.to_string()),
                        Value::String(s) => {
                            let mut o = Map::new();
                            o.insert("value".into(), Value::String(s.clone()));
                            *val = Value::Object(o);
                        }
                        _ => {}
                    }
                } else if k == "approved" {
                    if let Value::Bool(b) = val {
                        *val = Value::String(b.to_string());
                    }
                } else {
                    wrong_types(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(wrong_types),
        _ => {}
    }
}

fn mystery(v: &mut Value, top: bool) {
    match v {
        Value::Object(m) => {
            for key in ["status", "state"] {
                if let Some(s) = m.get_mut(key) {
                    if s.is_string() {
                        *s = Value::String("Mystery State".into());
                    }
                }
            }
            if top {
                for key in ["items", "data"] {
                    if let Some(Value::Array(a)) = m.get_mut(key) {
                        a.iter_mut().for_each(|x| mystery(x, false));
                    }
                }
            }
        }
        Value::Array(a) if top => a.iter_mut().for_each(|x| mystery(x, false)),
        _ => {}
    }
}

/// The header carrying the idempotency key, if this provider and route honour one.
fn idem_header(provider: SimProvider, path: &str) -> Option<&'static str> {
    match provider {
        SimProvider::Paiwise => None,
        SimProvider::Checkout => (path != "/payments/search").then_some("cko-idempotency-key"),
        SimProvider::Twisto => (path == "/psp/v4/charges"
            || path == "/psp/v4/refunds"
            || (path.starts_with("/psp/v4/checkouts/") && path.ends_with("/cancel")))
        .then_some("idempotency-key"),
    }
}

type IdemKey = (SimProvider, String, String);

/// Removes an in-flight marker if the request never completed.
struct IdemGuard {
    shared: Arc<Shared>,
    key: Option<IdemKey>,
}

impl Drop for IdemGuard {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            let mut st = lock(&self.shared.state);
            if matches!(st.idem.get(&k), Some(IdemEntry::InFlight)) {
                st.idem.remove(&k);
            }
        }
    }
}

/// Idempotency-key handling (inside the fault layer, so a dropped answer is still stored).
pub(crate) async fn idem_mw(State((shared, provider)): State<MwState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let Some(hname) = idem_header(provider, &path) else {
        return next.run(req).await;
    };
    let Some(key) = req
        .headers()
        .get(hname)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
    else {
        return next.run(req).await;
    };
    let rid = request_id(&req);
    let k: IdemKey = (provider, format!("POST {path}"), key);
    {
        let mut st = lock(&shared.state);
        match st.idem.get(&k) {
            Some(IdemEntry::InFlight) => return in_flight(provider, &rid),
            Some(IdemEntry::Done {
                status,
                content_type,
                body,
            }) => {
                let mut r = Response::new(Body::from(body.clone()));
                *r.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                if let Some(ct) = content_type
                    .as_deref()
                    .and_then(|c| HeaderValue::from_str(c).ok())
                {
                    r.headers_mut().insert(header::CONTENT_TYPE, ct);
                }
                return r;
            }
            None => {
                st.idem.insert(k.clone(), IdemEntry::InFlight);
            }
        }
    }
    let mut guard = IdemGuard {
        shared: shared.clone(),
        key: Some(k.clone()),
    };
    let resp = next.run(req).await;
    if !resp.status().is_success() {
        return resp; // guard removes the in-flight marker
    }
    let (parts, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    lock(&shared.state).idem.insert(
        k,
        IdemEntry::Done {
            status: parts.status.as_u16(),
            content_type,
            body: body.clone(),
        },
    );
    guard.key = None;
    Response::from_parts(parts, Body::from(body))
}

//! Paiwise / Neuro-Pay checkout API (`/checkout/...`, all POST with JSON bodies).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use crate::control::PageInfo;
use crate::faults::{fault_mw, MwState};
use crate::util::{format_minor, hex_id, iso_exponent, json, lock, parse_object};
use crate::{Commit, Shared, SimError, SimProvider};

const P: SimProvider = SimProvider::Paiwise;

/// Paiwise state.
#[derive(Default)]
pub(crate) struct Store {
    checkouts: HashMap<String, PwCheckout>,
    customers: HashMap<String, PwCustomer>,
    seq: u64,
}

struct PwCheckout {
    checkout_id: String,
    identifier: String,
    auth_code: String,
    status: String,
    status_changed: DateTime<Utc>,
    amount: i64,
    currency: String,
    message: String,
    return_url: String,
    return_url_cancel: String,
    meta: Map<String, Value>,
    capture: bool,
    allow_save_card: bool,
    balance: i64,
    used_card: Option<Value>,
    log: Vec<(DateTime<Utc>, Value)>,
    customer_id: Option<String>,
}

struct PwCustomer {
    customer_id: String,
    first_name: String,
    last_name: String,
    email: String,
    client_page: String,
    meta: Map<String, Value>,
    saved_cards: Vec<Value>,
}

impl PwCustomer {
    fn to_json(&self) -> Value {
        json!({
            "customer_id": self.customer_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "client_page": self.client_page,
            "metaData": self.meta,
            "savedCards": self.saved_cards,
        })
    }
}

fn fmt_ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl PwCheckout {
    fn set_status(&mut self, status: &str, details: Option<Value>) {
        self.status = status.to_owned();
        self.status_changed = self.push_log(status, details);
    }

    /// Append a log entry; keys are whole seconds, so a later entry within the same second is
    /// moved to the next free second to keep keys unique and ordered.
    fn push_log(&mut self, action: &str, details: Option<Value>) -> DateTime<Utc> {
        let now = Utc::now();
        let mut ts = now - Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)));
        if let Some((last, _)) = self.log.last() {
            if ts <= *last {
                ts = *last + Duration::seconds(1);
            }
        }
        let mut entry = Map::new();
        entry.insert("action".into(), Value::String(action.to_owned()));
        if let Some(d) = details {
            entry.insert("details".into(), d);
        }
        self.log.push((ts, Value::Object(entry)));
        ts
    }

    fn to_json(&self, store: &Store, shared: &Shared) -> Value {
        let mut log = Map::new();
        for (t, e) in &self.log {
            log.insert(fmt_ts(*t), e.clone());
        }
        let customer = self
            .customer_id
            .as_ref()
            .and_then(|c| store.customers.get(c))
            .map_or(Value::Null, PwCustomer::to_json);
        json!({
            "checkout_id": self.checkout_id,
            "identifier": self.identifier,
            "authCode": self.auth_code,
            "status": self.status,
            "statusChanged": fmt_ts(self.status_changed),
            "mode": "test",
            "amount": self.amount,
            "currency": self.currency,
            "message": self.message,
            "returnUrl": self.return_url,
            "returnUrlCancel": self.return_url_cancel,
            "metaData": self.meta,
            "capture": self.capture,
            "redirectUrl": shared.hosted_page_url(P, &self.checkout_id),
            "balance": self.balance,
            "usedCard": self.used_card.clone().unwrap_or(Value::Null),
            "log": log,
            "customer": customer,
        })
    }

    /// The customer paid (card authorised): `paid` or `reserved`, or `failed` for the magic amount.
    fn pay_with(&mut self, card: Value) {
        if self.amount % 100 == 5 {
            self.set_status("failed", None);
            return;
        }
        self.used_card = Some(card);
        if self.capture {
            self.balance = self.amount;
            self.set_status("paid", None);
        } else {
            self.set_status("reserved", None);
        }
    }
}

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &json!({"error": {"code": code, "message": message}}))
}

fn bad(code: &str, message: &str) -> Response {
    err(StatusCode::BAD_REQUEST, code, message)
}

fn not_found() -> Response {
    err(
        StatusCode::NOT_FOUND,
        "checkout_not_found",
        "No checkout found with this checkout_id",
    )
}

async fn auth(State((shared, _)): State<MwState>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| k.trim() == shared.keys.paiwise);
    if ok {
        next.run(req).await
    } else {
        err(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Invalid or missing API key",
        )
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let st: MwState = (shared.clone(), P);
    Router::new()
        .route("/checkout/create", post(create))
        .route("/checkout/retrieve", post(retrieve))
        .route("/checkout/capture", post(capture))
        .route("/checkout/refund", post(refund))
        .route("/checkout/update", post(update))
        .route("/checkout/delete", post(delete))
        .route("/checkout/create-customer", post(create_customer))
        .route("/checkout/retrieve-customer", post(retrieve_customer))
        .route("/checkout/delete-customer", post(delete_customer))
        .with_state(shared)
        .layer(middleware::from_fn_with_state(st.clone(), fault_mw))
        .layer(middleware::from_fn_with_state(st, auth))
}

fn opt_str(m: &Map<String, Value>, k: &str) -> Result<Option<String>, Response> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad("invalid_field", &format!("{k} must be a string"))),
    }
}

fn req_str(m: &Map<String, Value>, k: &str) -> Result<String, Response> {
    match opt_str(m, k)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad("missing_field", &format!("{k} is required"))),
    }
}

fn opt_bool(m: &Map<String, Value>, k: &str, default: bool) -> Result<bool, Response> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad("invalid_field", &format!("{k} must be a boolean"))),
    }
}

fn opt_meta(m: &Map<String, Value>) -> Result<Map<String, Value>, Response> {
    match m.get("metaData") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(o)) => Ok(o.clone()),
        Some(_) => Err(bad(
            "invalid_field",
            "metaData must be an object of key-value pairs",
        )),
    }
}

fn body_obj(body: &[u8]) -> Result<Map<String, Value>, Response> {
    parse_object(body, false).map_err(|m| bad("invalid_json", m))
}

fn test_card() -> Value {
    json!({
        "card_id": crate::util::alnum_id(15),
        "brand": "visa",
        "country": "SE",
        "expires": "12/2030",
        "funding": "credit",
        "last4": "4242",
    })
}

fn result<F>(shared: &Shared, body: &[u8], f: F) -> Response
where
    F: FnOnce(&mut crate::State, Map<String, Value>) -> Result<String, Response>,
{
    let m = match body_obj(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    match f(&mut st, m) {
        Ok(id) => match st.paiwise.checkouts.get(&id) {
            Some(c) => json(StatusCode::OK, &c.to_json(&st.paiwise, shared)),
            None => not_found(),
        },
        Err(r) => r,
    }
}

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    result(&shared, &body, |st, m| {
        let amount = match m.get("amount") {
            Some(Value::Number(n)) => n.as_i64().filter(|a| *a > 0),
            None | Some(Value::Null) => return Err(bad("missing_field", "amount is required")),
            _ => None,
        }
        .ok_or_else(|| {
            bad(
                "invalid_amount",
                "amount must be a positive integer in minor units",
            )
        })?;
        let currency = req_str(&m, "currency")?;
        if iso_exponent(&currency).is_none() {
            return Err(bad("invalid_currency", "currency must be a known ISO 4217 code"));
        }
        let return_url = req_str(&m, "returnUrl")?;
        let return_url_cancel = req_str(&m, "returnUrlCancel")?;
        let identifier = opt_str(&m, "identifier")?;
        let capture = opt_bool(&m, "capture", true)?;
        let allow_save_card = opt_bool(&m, "allowSaveCard", true)?;
        let meta = opt_meta(&m)?;
        let customer_id = opt_str(&m, "customer_id")?;
        let card_id = opt_str(&m, "card_id")?;
        let _ = opt_str(&m, "template")?;
        if card_id.is_some() && customer_id.is_none() {
            return Err(bad("customer_id_required", "card_id requires customer_id"));
        }
        // Not marked optional in the docs ("Message to be shown to customer in the checkout").
        let message = opt_str(&m, "message")?.ok_or_else(|| bad("missing_field", "message is required"))?;
        let mut saved_card = None;
        if let Some(cid) = &customer_id {
            let Some(cust) = st.paiwise.customers.get(cid) else {
                return Err(err(
                    StatusCode::NOT_FOUND,
                    "customer_not_found",
                    "No customer found with this customer_id",
                ));
            };
            if let Some(card) = &card_id {
                saved_card = cust
                    .saved_cards
                    .iter()
                    .find(|c| c.get("card_id").and_then(Value::as_str) == Some(card.as_str()))
                    .cloned();
                if saved_card.is_none() {
                    return Err(bad(
                        "card_not_found",
                        "card_id is not a saved card of this customer",
                    ));
                }
            }
        }
        st.paiwise.seq += 1;
        let seq = st.paiwise.seq;
        let checkout_id = hex_id(30);
        let mut c = PwCheckout {
            identifier: identifier.unwrap_or_else(|| checkout_id.clone()),
            checkout_id: checkout_id.clone(),
            auth_code: format!("test{seq}"),
            status: "created".into(),
            status_changed: Utc::now(),
            amount,
            currency,
            message,
            return_url,
            return_url_cancel,
            meta,
            capture,
            allow_save_card,
            balance: 0,
            used_card: None,
            log: Vec::new(),
            customer_id,
        };
        c.set_status("created", None);
        if let Some(card) = saved_card {
            let mut card = card;
            if let Value::Object(o) = &mut card {
                o.remove("integration");
                o.remove("card_holder");
            }
            c.pay_with(card);
        }
        st.paiwise.checkouts.insert(checkout_id.clone(), c);
        st.commit(P, &checkout_id, Commit::Create);
        Ok(checkout_id)
    })
}

fn get_id(m: &Map<String, Value>) -> Result<String, Response> {
    req_str(m, "checkout_id")
}

async fn retrieve(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    result(&shared, &body, |_, m| get_id(&m))
}

async fn capture(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    result(&shared, &body, |st, m| {
        let id = get_id(&m)?;
        let c = st.paiwise.checkouts.get_mut(&id).ok_or_else(not_found)?;
        if c.status != "reserved" {
            return Err(err(
                StatusCode::CONFLICT,
                "invalid_status",
                &format!("capture requires status reserved, the checkout is {}", c.status),
            ));
        }
        c.balance = c.amount;
        c.set_status("paid", None);
        st.commit(P, &id, Commit::Capture);
        Ok(id)
    })
}

async fn refund(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    result(&shared, &body, |st, m| {
        let id = get_id(&m)?;
        let amount = match m.get("amount") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(
                n.as_i64()
                    .filter(|a| *a > 0)
                    .ok_or_else(|| bad("invalid_amount", "amount must be a positive integer"))?,
            ),
            Some(_) => return Err(bad("invalid_amount", "amount must be a positive integer")),
        };
        let reason = opt_str(&m, "reason")?;
        if let Some(r) = &reason {
            if !["duplicate", "requested_by_customer", "fraudolent"].contains(&r.as_str()) {
                return Err(bad(
                    "invalid_reason",
                    "reason must be one of duplicate, requested_by_customer, fraudolent",
                ));
            }
        }
        let refund_details = opt_str(&m, "refundDetails")?;
        let c = st.paiwise.checkouts.get_mut(&id).ok_or_else(not_found)?;
        match c.status.as_str() {
            "reserved" => {
                c.balance = 0;
                c.set_status("reserve released", None);
                st.commit(P, &id, Commit::Void);
            }
            "paid" | "partialRefund" => {
                let amount = amount.unwrap_or(c.balance);
                if amount > c.balance {
                    return Err(bad(
                        "amount_exceeds_balance",
                        &format!("refund amount {amount} exceeds the balance {}", c.balance),
                    ));
                }
                c.balance -= amount;
                let mut details = Map::new();
                details.insert("amountRefund".into(), json!(amount));
                if let Some(r) = reason {
                    details.insert("reason".into(), Value::String(r));
                }
                if let Some(d) = refund_details {
                    details.insert("refundDetails".into(), Value::String(d));
                }
                let status = if c.balance == 0 {
                    "refunded"
                } else {
                    "partialRefund"
                };
                c.set_status(status, Some(Value::Object(details)));
                st.commit(P, &id, Commit::Refund);
            }
            other => {
                return Err(err(
                    StatusCode::CONFLICT,
                    "invalid_status",
                    &format!(
                        "refund requires status paid, partialRefund or reserved, the checkout is {other}"
                    ),
                ))
            }
        }
        Ok(id)
    })
}

async fn update(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    result(&shared, &body, |st, m| {
        let id = get_id(&m)?;
        let meta = match m.get("metaData") {
            Some(Value::Object(o)) => o.clone(),
            _ => {
                return Err(bad(
                    "invalid_field",
                    "metaData must be an object of key-value pairs",
                ))
            }
        };
        let c = st.paiwise.checkouts.get_mut(&id).ok_or_else(not_found)?;
        for (k, v) in meta {
            if v.as_str() == Some("") || v.is_null() {
                c.meta.remove(&k);
            } else {
                c.meta.insert(k, v);
            }
        }
        st.commit(P, &id, Commit::Metadata);
        Ok(id)
    })
}

async fn delete(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let id = match get_id(&m) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let Some(c) = st.paiwise.checkouts.get_mut(&id) else {
        return not_found();
    };
    if c.status != "created" {
        return err(
            StatusCode::CONFLICT,
            "invalid_status",
            &format!(
                "only a created checkout can be deleted, the checkout is {}",
                c.status
            ),
        );
    }
    c.set_status("canceled", None);
    let Some(c) = st.paiwise.checkouts.remove(&id) else {
        return not_found();
    };
    let v = c.to_json(&st.paiwise, &shared);
    st.commit(P, &id, Commit::Cancel);
    json(StatusCode::OK, &v)
}

async fn create_customer(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let fields = (|| {
        Ok::<_, Response>((
            req_str(&m, "first_name")?,
            req_str(&m, "last_name")?,
            req_str(&m, "email")?,
            opt_meta(&m)?,
        ))
    })();
    let (first_name, last_name, email, meta) = match fields {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = hex_id(32);
    let c = PwCustomer {
        customer_id: id.clone(),
        first_name,
        last_name,
        email,
        client_page: format!("{}/_sim/paiwise/client?hash={}", shared.base_url, hex_id(32)),
        meta,
        saved_cards: Vec::new(),
    };
    let v = c.to_json();
    lock(&shared.state).paiwise.customers.insert(id, c);
    json(StatusCode::OK, &v)
}

fn customer_not_found() -> Response {
    err(
        StatusCode::NOT_FOUND,
        "customer_not_found",
        "No customer found with this customer_id",
    )
}

async fn retrieve_customer(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let id = match req_str(&m, "customer_id") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match lock(&shared.state).paiwise.customers.get(&id) {
        Some(c) => json(StatusCode::OK, &c.to_json()),
        None => customer_not_found(),
    }
}

async fn delete_customer(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let id = match req_str(&m, "customer_id") {
        Ok(id) => id,
        Err(r) => return r,
    };
    match lock(&shared.state).paiwise.customers.remove(&id) {
        Some(c) => json(StatusCode::OK, &c.to_json()),
        None => customer_not_found(),
    }
}

/// The customer completes (or abandons) the hosted checkout.
pub(crate) fn customer_action(shared: &Shared, id: &str, approve: bool) -> Result<(), SimError> {
    let mut st = lock(&shared.state);
    let store = &mut st.paiwise;
    let c = store.checkouts.get_mut(id).ok_or(SimError::NotFound)?;
    if c.status != "created" {
        return Err(SimError::InvalidState(format!("checkout is {}", c.status)));
    }
    if !approve {
        c.set_status("failed", None);
        return Ok(());
    }
    let card = test_card();
    c.pay_with(card.clone());
    let save = c.status != "failed" && c.allow_save_card;
    if let (true, Some(cid)) = (save, c.customer_id.clone()) {
        if let Some(cust) = store.customers.get_mut(&cid) {
            let mut card = card;
            if let Value::Object(o) = &mut card {
                o.insert("integration".into(), json!("stripe"));
                o.insert(
                    "card_holder".into(),
                    json!(format!("{} {}", cust.first_name, cust.last_name)),
                );
            }
            cust.saved_cards.push(card);
        }
    }
    Ok(())
}

/// What the hosted page shows.
pub(crate) fn page_info(shared: &Shared, id: &str) -> Option<PageInfo> {
    let st = lock(&shared.state);
    let c = st.paiwise.checkouts.get(id)?;
    let exp = iso_exponent(&c.currency).unwrap_or(2);
    Some(PageInfo {
        amount: format!("{} {}", format_minor(c.amount, exp), c.currency),
        reference: format!("{} ({})", c.message, c.identifier),
        status: c.status.clone(),
        open: c.status == "created",
        return_ok: Some(c.return_url.clone()),
    })
}

/// Where the customer goes after the hosted step.
pub(crate) fn return_url(shared: &Shared, id: &str) -> Option<String> {
    let st = lock(&shared.state);
    let c = st.paiwise.checkouts.get(id)?;
    Some(if c.status == "failed" {
        c.return_url_cancel.clone()
    } else {
        c.return_url.clone()
    })
}

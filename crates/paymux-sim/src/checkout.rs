//! Checkout.com unified payments API (`/payments...`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::control::PageInfo;
use crate::faults::{fault_mw, idem_mw, MwState, RequestId};
use crate::util::{
    base32_id, empty, format_minor, hex_id, iso_exponent, json, lock, parse_object, rfc3339, uuid,
};
use crate::{Commit, Shared, SimError, SimProvider};

const P: SimProvider = SimProvider::Checkout;
const MAX_AMOUNT: i64 = 9_999_999_999;
const EXP0: &[&str] = &[
    "BIF", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VUV", "VND", "XAF", "XOF", "XPF",
];
const EXP3: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// Checkout.com's minor-unit exponent for a currency it accepts.
fn ck_exponent(code: &str) -> Option<u32> {
    if code == "CLF" || code == "UYW" {
        return None;
    }
    iso_exponent(code)?;
    Some(if EXP0.contains(&code) {
        0
    } else if EXP3.contains(&code) {
        3
    } else {
        2
    })
}

/// Whether `amount` (wire units) keeps Checkout.com's rule for `currency`: the last digit of
/// a three-decimal currency is 0, a CLP amount is a multiple of 100. The rule holds for every
/// amount sent: payments, incremental authorizations, captures and refunds.
fn amount_fits_currency(amount: i64, currency: &str) -> bool {
    !((EXP3.contains(&currency) && amount % 10 != 0) || (currency == "CLP" && amount % 100 != 0))
}

/// Checkout.com state.
#[derive(Default)]
pub(crate) struct Store {
    payments: HashMap<String, Payment>,
    sessions: HashMap<String, String>,
    order: Vec<String>,
}

impl Store {
    fn resolve(&self, id: &str) -> Option<String> {
        if self.payments.contains_key(id) {
            Some(id.to_owned())
        } else {
            self.sessions.get(id).cloned()
        }
    }
}

#[derive(Clone)]
struct Action {
    id: String,
    kind: &'static str,
    processed_on: DateTime<Utc>,
    amount: i64,
    approved: bool,
    response_code: &'static str,
    response_summary: &'static str,
    reference: Option<String>,
    metadata: Option<Map<String, Value>>,
    auth_code: Option<String>,
    incremental: bool,
}

impl Action {
    fn new(kind: &'static str, amount: i64, approved: bool) -> Action {
        let (response_code, response_summary) = if approved {
            ("10000", "Approved")
        } else {
            ("20005", "Declined - Do Not Honour")
        };
        Action {
            id: format!("act_{}", base32_id(26)),
            kind,
            processed_on: Utc::now(),
            amount,
            approved,
            response_code,
            response_summary,
            reference: None,
            metadata: None,
            auth_code: None,
            incremental: false,
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "type": self.kind,
            "processed_on": rfc3339(self.processed_on),
            "amount": self.amount,
            "approved": self.approved,
            "response_code": self.response_code,
            "response_summary": self.response_summary,
        });
        if let Value::Object(o) = &mut v {
            if let Some(r) = &self.reference {
                o.insert("reference".into(), json!(r));
            }
            if let Some(m) = &self.metadata {
                o.insert("metadata".into(), Value::Object(m.clone()));
            }
            if let Some(a) = &self.auth_code {
                o.insert("auth_code".into(), json!(a));
            }
            if self.incremental {
                o.insert("authorization_type".into(), json!("Incremental"));
            }
        }
        v
    }
}

struct Payment {
    id: String,
    session_id: String,
    requested_on: DateTime<Utc>,
    /// The original payment amount (`PaymentDetails.amount`): never changed by an
    /// incremental authorization.
    amount: i64,
    /// What has been authorized: the original amount plus every incremental authorization
    /// (`balances.total_authorized` once approved). Captures and voids draw on this.
    authorized: i64,
    amount_requested: i64,
    currency: String,
    reference: Option<String>,
    description: Option<String>,
    metadata: Map<String, Value>,
    customer: Option<Value>,
    capture: bool,
    status: String,
    approved: bool,
    source: Value,
    actions: Vec<Action>,
    payment_type: String,
    /// Waiting for (or done with) a 3DS step: its `Pending` answers carry `_links.redirect`
    /// to the hosted page, and a customer who fails it is `payment_authentication_failed`.
    three_ds: bool,
    decline_magic: bool,
    success_url: Option<String>,
    failure_url: Option<String>,
    captured: i64,
    refunded: i64,
    voided: i64,
    capture_closed: bool,
    auth_code: String,
    scheme_id: String,
}

impl Payment {
    fn available_to_capture(&self) -> i64 {
        if matches!(self.status.as_str(), "Authorized" | "Partially Captured") && !self.capture_closed {
            self.authorized - self.captured - self.voided
        } else {
            0
        }
    }

    fn available_to_void(&self) -> i64 {
        if self.status == "Authorized" && self.captured == 0 {
            self.authorized - self.voided
        } else {
            0
        }
    }

    fn available_to_refund(&self) -> i64 {
        self.captured - self.refunded
    }

    fn balances(&self) -> Value {
        let authorized = if matches!(self.status.as_str(), "Pending" | "Declined") {
            0
        } else {
            self.authorized
        };
        json!({
            "total_authorized": authorized,
            "total_voided": self.voided,
            "available_to_void": self.available_to_void(),
            "total_captured": self.captured,
            "available_to_capture": self.available_to_capture(),
            "total_refunded": self.refunded,
            "available_to_refund": self.available_to_refund(),
        })
    }

    fn links(&self, base: &str) -> Value {
        let me = format!("{base}/payments/{}", self.id);
        let mut l = Map::new();
        l.insert("self".into(), json!({"href": me}));
        l.insert("actions".into(), json!({"href": format!("{me}/actions")}));
        if self.status == "Authorized" {
            l.insert(
                "authorize".into(),
                json!({"href": format!("{me}/authorizations")}),
            );
        }
        if self.available_to_void() > 0 {
            l.insert("void".into(), json!({"href": format!("{me}/voids")}));
        }
        if self.available_to_capture() > 0 {
            l.insert("capture".into(), json!({"href": format!("{me}/captures")}));
        }
        if self.available_to_refund() > 0 {
            l.insert("refund".into(), json!({"href": format!("{me}/refunds")}));
        }
        Value::Object(l)
    }

    fn expires_on(&self) -> String {
        rfc3339(self.requested_on + Duration::days(7))
    }

    fn details(&self, base: &str) -> Value {
        let mut v = json!({
            "id": self.id,
            "requested_on": rfc3339(self.requested_on),
            "source": self.source,
            "amount": self.amount,
            "amount_requested": self.amount_requested,
            "currency": self.currency,
            "payment_type": self.payment_type,
            "approved": self.approved,
            "status": self.status,
            "balances": self.balances(),
            "risk": {"flagged": false},
            "metadata": self.metadata,
            "eci": "05",
            "scheme_id": self.scheme_id,
            "actions": self.actions.iter().rev().map(|a| json!({
                "id": a.id, "type": a.kind, "response_code": a.response_code, "response_summary": a.response_summary,
            })).collect::<Vec<_>>(),
            "_links": self.links(base),
        });
        if let Value::Object(o) = &mut v {
            if let Some(r) = &self.reference {
                o.insert("reference".into(), json!(r));
            }
            if let Some(d) = &self.description {
                o.insert("description".into(), json!(d));
            }
            if let Some(c) = &self.customer {
                o.insert("customer".into(), c.clone());
            }
            if self.approved {
                o.insert("expires_on".into(), json!(self.expires_on()));
            }
            if self.three_ds {
                o.insert("3ds".into(), json!({"downgraded": false, "enrolled": "Y"}));
            }
            if self.status == "Pending" && self.three_ds {
                if let Some(Value::Object(l)) = o.get_mut("_links") {
                    l.insert(
                        "redirect".into(),
                        json!({"href": format!("{base}/_sim/pay/checkout/{}", self.id)}),
                    );
                }
            }
        }
        v
    }

    /// The 201 answer for an authorization (or card verification / decline) action. Its
    /// `amount` is the action's: the payment amount for the first authorization, the
    /// increase for an incremental one (as in Checkout.com's example: 100 authorized, 100
    /// more, answer `amount: 100` with `total_authorized: 200`).
    fn payment_response(&self, action: &Action, base: &str) -> Value {
        let status = match (action.approved, action.kind) {
            (false, _) => "Declined",
            (true, "Card Verification") => "Card Verified",
            _ => "Authorized",
        };
        let mut v = json!({
            "id": self.id,
            "action_id": action.id,
            "amount": action.amount,
            "currency": self.currency,
            "approved": action.approved,
            "status": status,
            "response_code": action.response_code,
            "response_summary": action.response_summary,
            "risk": {"flagged": false},
            "source": self.source,
            "balances": self.balances(),
            "processed_on": rfc3339(action.processed_on),
            "processing": {
                "acquirer_transaction_id": hex_id(20),
                "retrieval_reference_number": format!("{:012}", rand::random::<u32>()),
            },
            "eci": "05",
            "scheme_id": self.scheme_id,
            "_links": self.links(base),
        });
        if let Value::Object(o) = &mut v {
            if action.approved {
                o.insert("auth_code".into(), json!(self.auth_code));
                o.insert("expires_on".into(), json!(self.expires_on()));
            }
            if let Some(r) = &self.reference {
                o.insert("reference".into(), json!(r));
            }
            if let Some(c) = &self.customer {
                o.insert("customer".into(), c.clone());
            }
        }
        v
    }

    /// Authorize (or decline / verify). Returns the index of the action and the event type.
    fn authorize(&mut self, declined: bool) -> (usize, &'static str) {
        let (kind, event) = if declined {
            self.status = "Declined".into();
            self.approved = false;
            ("Authorization", "payment_declined")
        } else if self.amount == 0 {
            self.status = "Card Verified".into();
            self.approved = true;
            ("Card Verification", "card_verified")
        } else {
            self.status = "Authorized".into();
            self.approved = true;
            ("Authorization", "payment_approved")
        };
        let mut a = Action::new(kind, self.amount, !declined);
        a.reference.clone_from(&self.reference);
        if !declined {
            a.auth_code = Some(self.auth_code.clone());
        }
        if !self.metadata.is_empty() {
            a.metadata = Some(self.metadata.clone());
        }
        self.actions.push(a);
        (self.actions.len() - 1, event)
    }

    fn push(&mut self, mut a: Action) -> usize {
        if let Some(last) = self.actions.last() {
            if a.processed_on <= last.processed_on {
                a.processed_on = last.processed_on + Duration::milliseconds(1);
            }
        }
        self.actions.push(a);
        self.actions.len() - 1
    }

    fn capture(
        &mut self,
        amount: i64,
        final_capture: bool,
        reference: Option<String>,
        metadata: Option<Map<String, Value>>,
    ) -> usize {
        let mut a = Action::new("Capture", amount, true);
        a.reference = reference;
        a.metadata = metadata;
        self.captured += amount;
        if final_capture || self.captured + self.voided >= self.authorized {
            // A final capture voids what is left of the authorization.
            self.voided += (self.authorized - self.captured - self.voided).max(0);
            self.capture_closed = true;
            self.status = "Captured".into();
        } else {
            self.status = "Partially Captured".into();
        }
        self.push(a)
    }

    fn refund(
        &mut self,
        amount: i64,
        reference: Option<String>,
        metadata: Option<Map<String, Value>>,
    ) -> usize {
        let mut a = Action::new("Refund", amount, true);
        a.reference = reference;
        a.metadata = metadata;
        self.refunded += amount;
        self.status = if self.refunded >= self.captured {
            "Refunded".into()
        } else {
            "Partially Refunded".into()
        };
        self.push(a)
    }

    fn void(&mut self, reference: Option<String>, metadata: Option<Map<String, Value>>) -> usize {
        let amount = self.authorized - self.captured - self.voided;
        let mut a = Action::new("Void", amount, true);
        a.reference = reference;
        a.metadata = metadata;
        self.voided += amount;
        self.status = "Voided".into();
        self.push(a)
    }

    fn event(&self, kind: &str, action: &Action, base: &str) -> Value {
        let evt = format!("evt_{}", base32_id(26));
        let mut data = json!({
            "id": self.id,
            "action_id": action.id,
            "amount": action.amount,
            "currency": self.currency,
            "approved": action.approved,
            "status": self.status,
            "response_code": action.response_code,
            "response_summary": action.response_summary,
            "processed_on": rfc3339(action.processed_on),
            "metadata": self.metadata,
            "balances": self.balances(),
        });
        if let Value::Object(o) = &mut data {
            if let Some(r) = &self.reference {
                o.insert("reference".into(), json!(r));
            }
            if let Some(c) = &self.customer {
                o.insert("customer".into(), c.clone());
            }
        }
        json!({
            "id": evt,
            "type": kind,
            "version": "1.0.0",
            "created_on": rfc3339(Utc::now()),
            "data": data,
            "_links": {
                "self": {"href": format!("{base}/workflows/events/{evt}")},
                "payment": {"href": format!("{base}/payments/{}", self.id)},
            },
        })
    }
}

/// POST signed webhook events, in the background, retrying a few times.
fn deliver(shared: &Shared, events: Vec<Value>) {
    let (Some(url), Some(key)) = (
        shared.config.checkout_webhook_url.clone(),
        shared.config.checkout_webhook_key.clone(),
    ) else {
        return;
    };
    for ev in events {
        let body = serde_json::to_vec(&ev).unwrap_or_default();
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
            return;
        };
        mac.update(&body);
        let sig = hex::encode(mac.finalize().into_bytes());
        let client = shared.http.clone();
        let url = url.clone();
        shared.runtime.spawn(async move {
            let mut delay = std::time::Duration::from_millis(100);
            for _ in 0..6 {
                let sent = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("Cko-Signature", &sig)
                    .body(body.clone())
                    .send()
                    .await;
                if matches!(&sent, Ok(r) if r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            tracing::warn!(url = %url, "checkout webhook delivery failed");
        });
    }
}

async fn request_id(req: Request, next: Next) -> Response {
    let rid = uuid();
    let mut req = req;
    req.extensions_mut().insert(RequestId(rid.clone()));
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("cko-request-id", v);
    }
    resp
}

async fn auth(State((shared, _)): State<MwState>, req: Request, next: Next) -> Response {
    let key = &shared.keys.checkout;
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .is_some_and(|v| v == key || v.strip_prefix("Bearer ").map(str::trim) == Some(key.as_str()));
    if ok {
        next.run(req).await
    } else {
        empty(StatusCode::UNAUTHORIZED)
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let st: MwState = (shared.clone(), P);
    Router::new()
        .route("/payments", post(create).get(list))
        .route("/payments/search", post(search))
        .route("/payments/{id}", get(details))
        .route("/payments/{id}/actions", get(actions))
        .route("/payments/{id}/captures", post(captures))
        .route("/payments/{id}/refunds", post(refunds))
        .route("/payments/{id}/voids", post(voids))
        .route("/payments/{id}/reversals", post(reversals))
        .route("/payments/{id}/cancellations", post(cancellations))
        .route("/payments/{id}/authorizations", post(authorizations))
        .with_state(shared)
        .layer(middleware::from_fn_with_state(st.clone(), idem_mw))
        .layer(middleware::from_fn_with_state(st.clone(), fault_mw))
        .layer(middleware::from_fn_with_state(st, auth))
        .layer(middleware::from_fn(request_id))
}

fn invalid(rid: &str, codes: &[&str]) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"request_id": rid, "error_type": "request_invalid", "error_codes": codes}),
    )
}

fn opt_string(
    m: &Map<String, Value>,
    k: &str,
    max: usize,
    code: &'static str,
    codes: &mut Vec<&'static str>,
) -> Option<String> {
    match m.get(k) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= max => Some(s.clone()),
        Some(_) => {
            codes.push(code);
            None
        }
    }
}

fn opt_meta(m: &Map<String, Value>, codes: &mut Vec<&'static str>) -> Option<Map<String, Value>> {
    match m.get("metadata") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            if o.values().any(|v| v.is_object() || v.is_array()) {
                codes.push("metadata_invalid");
            }
            Some(o.clone())
        }
        Some(_) => {
            codes.push("metadata_invalid");
            None
        }
    }
}

fn scheme_of(number: &str) -> &'static str {
    match number.chars().next() {
        Some('4') => "Visa",
        Some('5') | Some('2') => "Mastercard",
        Some('3') => "Amex",
        _ => "Visa",
    }
}

/// Validate `source`, returning the response source summary and the token (for magic values).
fn source_summary(src: Option<&Value>, codes: &mut Vec<&'static str>) -> (Value, Option<String>) {
    let Some(src) = src else {
        codes.push("payment_source_required");
        return (Value::Null, None);
    };
    let Some(o) = src.as_object() else {
        codes.push("payment_source_invalid");
        return (Value::Null, None);
    };
    let mut last4 = "4242".to_owned();
    let mut bin = "424242".to_owned();
    let mut month: i64 = 12;
    let mut year: i64 = 2030;
    let mut token = None;
    let mut instrument = None;
    match o.get("type").and_then(Value::as_str) {
        None => codes.push("payment_source_type_required"),
        Some("token") => match o.get("token").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => codes.push("token_required"),
        },
        Some("card") => {
            match o.get("number").and_then(Value::as_str) {
                Some(n) if (12..=19).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit()) => {
                    last4 = n[n.len() - 4..].to_owned();
                    bin = n[..6].to_owned();
                }
                None => codes.push("card_number_required"),
                Some(_) => codes.push("card_number_invalid"),
            }
            match o.get("expiry_month") {
                None => codes.push("card_expiry_month_required"),
                Some(v) => match v.as_i64().filter(|m| (1..=12).contains(m)) {
                    Some(m) => month = m,
                    None => codes.push("card_expiry_month_invalid"),
                },
            }
            match o.get("expiry_year") {
                None => codes.push("card_expiry_year_required"),
                Some(v) => match v.as_i64().filter(|y| (2000..=2099).contains(y)) {
                    Some(y) => year = y,
                    None => codes.push("card_expiry_year_invalid"),
                },
            }
        }
        // A stored instrument is answered as itself: its id is "the payment source identifier
        // that can be used for subsequent payments", not a new one.
        Some("id") => match o.get("id").and_then(Value::as_str) {
            Some(i) if documented_id(i, "src_") => instrument = Some(i.to_owned()),
            _ => codes.push("source_id_invalid"),
        },
        Some("customer") => {
            if o.get("id").and_then(Value::as_str).is_none()
                && o.get("email").and_then(Value::as_str).is_none()
            {
                codes.push("customer_id_or_email_required");
            }
        }
        Some(_) => codes.push("payment_source_type_invalid"),
    }
    let summary = json!({
        "type": "card",
        "id": instrument.unwrap_or_else(|| format!("src_{}", base32_id(26))),
        "expiry_month": month,
        "expiry_year": year,
        "scheme": scheme_of(&bin),
        "last4": last4,
        "fingerprint": hex_id(64).to_uppercase(),
        "bin": bin,
        "card_type": "CREDIT",
        "card_category": "CONSUMER",
        "issuer": "Test Bank",
        "issuer_country": "GB",
        "product_id": "F",
        "product_type": "Visa Classic",
        "avs_check": "G",
        "cvv_check": "Y",
        "payouts": true,
        "fast_funds": "d",
    });
    (summary, token)
}

/// Whether `id` is `prefix` and 26 word characters (`^(src)_(\w{26})$`, `^(cus)_(\w{26})$`).
fn documented_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

fn customer_response(c: Option<&Value>, codes: &mut Vec<&'static str>) -> Option<Value> {
    let o = match c {
        None | Some(Value::Null) => return None,
        Some(Value::Object(o)) => o,
        Some(_) => {
            codes.push("customer_invalid");
            return None;
        }
    };
    // "The identifier of an existing customer", `^(cus)_(\w{26})$`: another id is refused,
    // not replaced by a customer made up on the spot. Without one, a customer is made (and
    // answered with its new id).
    let id = match o.get("id") {
        None | Some(Value::Null) => format!("cus_{}", base32_id(26)),
        Some(Value::String(i)) if documented_id(i, "cus_") => i.clone(),
        Some(_) => {
            codes.push("customer_id_invalid");
            return None;
        }
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    for k in ["email", "name"] {
        if let Some(v) = o.get(k) {
            if v.is_string() {
                out.insert(k.into(), v.clone());
            } else {
                codes.push(if k == "email" {
                    "customer_email_invalid"
                } else {
                    "customer_name_invalid"
                });
            }
        }
    }
    if let Some(p) = o.get("phone").filter(|p| p.is_object()) {
        out.insert("phone".into(), p.clone());
    }
    Some(Value::Object(out))
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    body: Bytes,
) -> Response {
    let rid = rid.0;
    let m = match parse_object(&body, false) {
        Ok(m) => m,
        Err(_) => return invalid(&rid, &["request_body_malformed"]),
    };
    let mut codes: Vec<&'static str> = Vec::new();
    let currency = match m.get("currency") {
        None | Some(Value::Null) => {
            codes.push("currency_required");
            None
        }
        Some(Value::String(c)) if ck_exponent(c).is_some() => Some(c.clone()),
        Some(_) => {
            codes.push("currency_invalid");
            None
        }
    };
    let amount = match m.get("amount") {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_i64().filter(|a| (0..=MAX_AMOUNT).contains(a)),
        Some(_) => None,
    };
    let amount = match (amount, currency.as_deref()) {
        (None, _) => {
            codes.push("amount_invalid");
            0
        }
        (Some(a), Some(c)) if !amount_fits_currency(a, c) => {
            codes.push("amount_invalid");
            a
        }
        (Some(a), _) => a,
    };
    let (source, token) = source_summary(m.get("source"), &mut codes);
    let reference = opt_string(&m, "reference", 80, "reference_invalid", &mut codes);
    let description = opt_string(&m, "description", 100, "description_invalid", &mut codes);
    let success_url = opt_string(&m, "success_url", 1024, "success_url_invalid", &mut codes);
    let failure_url = opt_string(&m, "failure_url", 1024, "failure_url_invalid", &mut codes);
    let _ = opt_string(
        &m,
        "previous_payment_id",
        100,
        "previous_payment_id_invalid",
        &mut codes,
    );
    let capture_on = opt_string(&m, "capture_on", 64, "capture_on_invalid", &mut codes);
    if let Some(pc) = opt_string(
        &m,
        "processing_channel_id",
        64,
        "processing_channel_id_invalid",
        &mut codes,
    ) {
        if !(pc.len() == 29 && pc.starts_with("pc_")) {
            codes.push("processing_channel_id_invalid");
        }
    }
    let payment_type = opt_string(&m, "payment_type", 32, "payment_type_invalid", &mut codes)
        .unwrap_or_else(|| "Regular".to_owned());
    if ![
        "Regular",
        "Recurring",
        "MOTO",
        "Installment",
        "PayLater",
        "Unscheduled",
    ]
    .contains(&payment_type.as_str())
    {
        codes.push("payment_type_invalid");
    }
    let mit = match m.get("merchant_initiated") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            codes.push("merchant_initiated_invalid");
            false
        }
    };
    if mit && payment_type == "Regular" {
        codes.push("payment_type_invalid");
    }
    let capture = match m.get("capture") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            codes.push("capture_invalid");
            true
        }
    } || capture_on.is_some();
    let three_ds_requested = match m.get("3ds") {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => o.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        Some(_) => {
            codes.push("3ds_invalid");
            false
        }
    };
    let metadata = opt_meta(&m, &mut codes).unwrap_or_default();
    let customer = customer_response(m.get("customer"), &mut codes);
    if !codes.is_empty() {
        codes.dedup();
        return invalid(&rid, &codes);
    }
    let currency = currency.unwrap_or_default();
    let three_ds = three_ds_requested || token.as_deref() == Some("tok_3ds");
    // Processed asynchronously: `202 Pending` without a redirect, settled later by the
    // control API's approve / decline (acting as the processor).
    let asynchronous = !three_ds && token.as_deref() == Some("tok_pending");
    let decline_magic = token.as_deref() == Some("tok_decline") || amount % 100 == 5;
    let id = format!("pay_{}", base32_id(26));
    let mut p = Payment {
        id: id.clone(),
        session_id: format!("sid_{}", base32_id(26)),
        requested_on: Utc::now(),
        amount,
        authorized: amount,
        amount_requested: amount,
        currency,
        reference,
        description,
        metadata,
        customer,
        capture,
        status: "Pending".into(),
        approved: false,
        source,
        actions: Vec::new(),
        payment_type,
        three_ds,
        decline_magic,
        success_url,
        failure_url,
        captured: 0,
        refunded: 0,
        voided: 0,
        capture_closed: false,
        auth_code: format!("{:06}", rand::random::<u32>() % 1_000_000),
        scheme_id: format!("{:015}", rand::random::<u64>() % 1_000_000_000_000_000),
    };
    let base = &shared.base_url;
    let (status, body, events) = if three_ds {
        let mut body = json!({
            "id": p.id,
            "status": "Pending",
            "3ds": {"downgraded": false, "enrolled": "Y"},
            "_links": {
                "self": {"href": format!("{base}/payments/{}", p.id)},
                "redirect": {"href": shared.hosted_page_url(P, &p.id)},
            },
        });
        if let Value::Object(o) = &mut body {
            if let Some(r) = &p.reference {
                o.insert("reference".into(), json!(r));
            }
            if let Some(c) = &p.customer {
                o.insert("customer".into(), c.clone());
            }
        }
        (StatusCode::ACCEPTED, body, vec![pending_event(&p, base)])
    } else if asynchronous {
        let mut body = json!({
            "id": p.id,
            "status": "Pending",
            "_links": {"self": {"href": format!("{base}/payments/{}", p.id)}},
        });
        if let Value::Object(o) = &mut body {
            if let Some(r) = &p.reference {
                o.insert("reference".into(), json!(r));
            }
            if let Some(c) = &p.customer {
                o.insert("customer".into(), c.clone());
            }
        }
        (StatusCode::ACCEPTED, body, vec![pending_event(&p, base)])
    } else {
        let (idx, kind) = p.authorize(decline_magic);
        let body = p.payment_response(&p.actions[idx], base);
        let mut events = vec![p.event(kind, &p.actions[idx], base)];
        if p.approved && p.capture && p.amount > 0 {
            let c = p.capture(p.amount, true, None, None);
            events.push(p.event("payment_captured", &p.actions[c], base));
        }
        (StatusCode::CREATED, body, events)
    };
    {
        let mut st = lock(&shared.state);
        st.checkout.sessions.insert(p.session_id.clone(), id.clone());
        st.checkout.order.push(id.clone());
        st.checkout.payments.insert(id.clone(), p);
        st.commit(P, &id, Commit::Create);
    }
    deliver(&shared, events);
    json(status, &body)
}

fn pending_event(p: &Payment, base: &str) -> Value {
    let evt = format!("evt_{}", base32_id(26));
    json!({
        "id": evt,
        "type": "payment_pending",
        "version": "1.0.0",
        "created_on": rfc3339(Utc::now()),
        "data": {"id": p.id, "amount": p.amount, "currency": p.currency, "reference": p.reference, "metadata": p.metadata},
        "_links": {
            "self": {"href": format!("{base}/workflows/events/{evt}")},
            "payment": {"href": format!("{base}/payments/{}", p.id)},
        },
    })
}

async fn details(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let st = lock(&shared.state);
    match st
        .checkout
        .resolve(&id)
        .and_then(|i| st.checkout.payments.get(&i))
    {
        Some(p) => json(StatusCode::OK, &p.details(&shared.base_url)),
        None => empty(StatusCode::NOT_FOUND),
    }
}

async fn actions(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let st = lock(&shared.state);
    match st.checkout.payments.get(&id) {
        Some(p) => json(
            StatusCode::OK,
            &Value::Array(p.actions.iter().rev().map(Action::to_json).collect()),
        ),
        None => empty(StatusCode::NOT_FOUND),
    }
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut codes = Vec::new();
    let reference = q.get("reference").cloned();
    if reference.is_none() {
        codes.push("reference_required");
    }
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => {
            codes.push("paging_limit_invalid");
            10
        }
    };
    let skip = match q.get("skip").map(|l| l.parse::<usize>()) {
        None => 0,
        Some(Ok(s)) if s <= 999_999_999 => s,
        Some(_) => {
            codes.push("paging_skip_invalid");
            0
        }
    };
    if !codes.is_empty() {
        return invalid(&rid.0, &codes);
    }
    let st = lock(&shared.state);
    let matching: Vec<&Payment> = st
        .checkout
        .order
        .iter()
        .rev()
        .filter_map(|i| st.checkout.payments.get(i))
        .filter(|p| p.reference == reference)
        .collect();
    let data: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|p| p.details(&shared.base_url))
        .collect();
    json(
        StatusCode::OK,
        &json!({"limit": limit, "skip": skip, "total_count": matching.len(), "data": data}),
    )
}

/// Parse a minimal search query: `field:value` terms (value optionally quoted) joined by `AND`.
fn parse_query(q: &str) -> Option<Vec<(String, String)>> {
    let mut terms = Vec::new();
    let q = q.trim();
    if q.is_empty() {
        return Some(terms);
    }
    for part in q.split(" AND ").flat_map(|p| p.split(" and ")) {
        let (k, v) = part.trim().split_once(':')?;
        let v = v.trim().trim_matches(|c| c == '\'' || c == '"');
        let k = k.trim().to_ascii_lowercase();
        if !["id", "reference", "status", "currency", "amount"].contains(&k.as_str()) {
            return None;
        }
        terms.push((k, v.to_owned()));
    }
    Some(terms)
}

async fn search(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    body: Bytes,
) -> Response {
    let m = match parse_object(&body, true) {
        Ok(m) => m,
        Err(_) => return invalid(&rid.0, &["request_body_malformed"]),
    };
    let limit = match m.get("limit") {
        None | Some(Value::Null) => 10,
        Some(v) => match v.as_u64().filter(|l| (1..=1000).contains(l)) {
            Some(l) => usize::try_from(l).unwrap_or(10),
            None => return invalid(&rid.0, &["limit_invalid"]),
        },
    };
    let query = m.get("query").and_then(Value::as_str).unwrap_or("");
    let Some(terms) = parse_query(query) else {
        return invalid(&rid.0, &["query_invalid"]);
    };
    let st = lock(&shared.state);
    let data: Vec<Value> = st
        .checkout
        .order
        .iter()
        .rev()
        .filter_map(|i| st.checkout.payments.get(i))
        .filter(|p| {
            terms.iter().all(|(k, v)| match k.as_str() {
                "id" => &p.id == v,
                "reference" => p.reference.as_deref() == Some(v.as_str()),
                "status" => p.status.eq_ignore_ascii_case(v),
                "currency" => p.currency.eq_ignore_ascii_case(v),
                "amount" => p.amount.to_string() == *v,
                _ => false,
            })
        })
        .take(limit)
        .map(|p| p.details(&shared.base_url))
        .collect();
    json(StatusCode::OK, &json!({"data": data, "_links": {}}))
}

/// Common parsing of capture / refund / void bodies.
struct ActionBody {
    amount: Option<i64>,
    reference: Option<String>,
    metadata: Option<Map<String, Value>>,
    capture_type: String,
}

fn action_body(body: &[u8], rid: &str, max_amount: i64) -> Result<ActionBody, Response> {
    let m = parse_object(body, true).map_err(|_| invalid(rid, &["request_body_malformed"]))?;
    let mut codes = Vec::new();
    let amount = match m.get("amount") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|a| (0..=max_amount).contains(a)) {
            Some(a) => Some(a),
            None => {
                codes.push("amount_invalid");
                None
            }
        },
    };
    let reference = opt_string(&m, "reference", 80, "reference_invalid", &mut codes);
    let metadata = opt_meta(&m, &mut codes);
    let capture_type = opt_string(&m, "capture_type", 16, "capture_type_invalid", &mut codes)
        .unwrap_or_else(|| "Final".to_owned());
    if capture_type != "Final" && capture_type != "NonFinal" {
        codes.push("capture_type_invalid");
    }
    if codes.is_empty() {
        Ok(ActionBody {
            amount,
            reference,
            metadata,
            capture_type,
        })
    } else {
        Err(invalid(rid, &codes))
    }
}

fn accepted(
    shared: &Shared,
    p: &Payment,
    action_id: &str,
    reference: Option<&String>,
    status: StatusCode,
) -> Response {
    let mut v = json!({
        "action_id": action_id,
        "_links": {"payment": {"href": format!("{}/payments/{}", shared.base_url, p.id)}},
    });
    if let (Value::Object(o), Some(r)) = (&mut v, reference) {
        o.insert("reference".into(), json!(r));
    }
    json(status, &v)
}

/// The documented `200` for an action already done ("Payment is already captured / refunded /
/// voided"): the last action of `kind`, nothing new is committed.
fn already_done(shared: &Shared, p: &Payment, kind: &str, reference: Option<&String>) -> Option<Response> {
    let last = p.actions.iter().rev().find(|a| a.kind == kind)?;
    Some(accepted(shared, p, &last.id, reference, StatusCode::OK))
}

async fn captures(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match action_body(&body, &rid.0, MAX_AMOUNT) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let Some(p) = st.checkout.payments.get_mut(&id) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if p.status == "Captured" {
        if let Some(r) = already_done(&shared, p, "Capture", b.reference.as_ref()) {
            return r;
        }
    }
    let available = p.available_to_capture();
    if available <= 0 {
        return empty(StatusCode::FORBIDDEN);
    }
    let amount = b.amount.unwrap_or(available);
    if amount == 0 || !amount_fits_currency(amount, &p.currency) {
        return invalid(&rid.0, &["amount_invalid"]);
    }
    if amount > available {
        return invalid(&rid.0, &["amount_exceeds_balance"]);
    }
    let idx = p.capture(amount, b.capture_type == "Final", b.reference.clone(), b.metadata);
    let ev = p.event("payment_captured", &p.actions[idx], &shared.base_url);
    let resp = accepted(
        &shared,
        p,
        &p.actions[idx].id,
        b.reference.as_ref(),
        StatusCode::ACCEPTED,
    );
    st.commit(P, &id, Commit::Capture);
    drop(st);
    deliver(&shared, vec![ev]);
    resp
}

async fn refunds(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match action_body(&body, &rid.0, MAX_AMOUNT) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let Some(p) = st.checkout.payments.get_mut(&id) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if p.status == "Refunded" {
        if let Some(r) = already_done(&shared, p, "Refund", b.reference.as_ref()) {
            return r;
        }
    }
    let available = p.available_to_refund();
    if !matches!(
        p.status.as_str(),
        "Captured" | "Partially Captured" | "Partially Refunded"
    ) || available <= 0
    {
        return empty(StatusCode::FORBIDDEN);
    }
    let amount = b.amount.unwrap_or(available);
    if amount == 0 || !amount_fits_currency(amount, &p.currency) {
        return invalid(&rid.0, &["amount_invalid"]);
    }
    if amount > available {
        return invalid(&rid.0, &["refund_amount_exceeds_balance"]);
    }
    let idx = p.refund(amount, b.reference.clone(), b.metadata);
    let ev = p.event("payment_refunded", &p.actions[idx], &shared.base_url);
    let resp = accepted(
        &shared,
        p,
        &p.actions[idx].id,
        b.reference.as_ref(),
        StatusCode::ACCEPTED,
    );
    st.commit(P, &id, Commit::Refund);
    drop(st);
    deliver(&shared, vec![ev]);
    resp
}

async fn voids(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match action_body(&body, &rid.0, MAX_AMOUNT) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let Some(p) = st.checkout.payments.get_mut(&id) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if p.status == "Voided" {
        if let Some(r) = already_done(&shared, p, "Void", b.reference.as_ref()) {
            return r;
        }
    }
    if p.available_to_void() <= 0 {
        return empty(StatusCode::FORBIDDEN);
    }
    let idx = p.void(b.reference.clone(), b.metadata);
    let ev = p.event("payment_voided", &p.actions[idx], &shared.base_url);
    let resp = accepted(
        &shared,
        p,
        &p.actions[idx].id,
        b.reference.as_ref(),
        StatusCode::ACCEPTED,
    );
    st.commit(P, &id, Commit::Void);
    drop(st);
    deliver(&shared, vec![ev]);
    resp
}

async fn reversals(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match action_body(&body, &rid.0, MAX_AMOUNT) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let Some(p) = st.checkout.payments.get_mut(&id) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let (idx, kind, commit) = if p.available_to_void() > 0 {
        (
            p.void(b.reference.clone(), b.metadata),
            "payment_voided",
            Commit::Void,
        )
    } else if matches!(
        p.status.as_str(),
        "Captured" | "Partially Captured" | "Partially Refunded"
    ) && p.available_to_refund() > 0
    {
        let amount = p.available_to_refund();
        (
            p.refund(amount, b.reference.clone(), b.metadata),
            "payment_refunded",
            Commit::Refund,
        )
    } else if matches!(p.status.as_str(), "Voided" | "Refunded") {
        let last = p.actions.last().map(|a| a.id.clone()).unwrap_or_default();
        return accepted(&shared, p, &last, b.reference.as_ref(), StatusCode::OK);
    } else {
        return empty(StatusCode::FORBIDDEN);
    };
    let ev = p.event(kind, &p.actions[idx], &shared.base_url);
    let resp = accepted(
        &shared,
        p,
        &p.actions[idx].id,
        b.reference.as_ref(),
        StatusCode::ACCEPTED,
    );
    st.commit(P, &id, commit);
    drop(st);
    deliver(&shared, vec![ev]);
    resp
}

async fn cancellations(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    // The simulator never schedules retries, so there is never anything to cancel.
    if lock(&shared.state).checkout.payments.contains_key(&id) {
        empty(StatusCode::FORBIDDEN)
    } else {
        empty(StatusCode::NOT_FOUND)
    }
}

async fn authorizations(
    State(shared): State<Arc<Shared>>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match action_body(&body, &rid.0, 99_999_999) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let Some(p) = st.checkout.payments.get_mut(&id) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if p.status != "Authorized" {
        return empty(StatusCode::FORBIDDEN);
    }
    let inc = b.amount.unwrap_or(0);
    if p.authorized + inc > MAX_AMOUNT || !amount_fits_currency(inc, &p.currency) {
        return invalid(&rid.0, &["amount_invalid"]);
    }
    // `amount` stays the original payment amount; the increase shows in the balances.
    p.authorized += inc;
    let mut a = Action::new("Authorization", inc, true);
    a.incremental = true;
    a.reference.clone_from(&b.reference);
    a.metadata = b.metadata;
    a.auth_code = Some(p.auth_code.clone());
    let idx = p.push(a);
    let mut v = p.payment_response(&p.actions[idx], &shared.base_url);
    if let (Value::Object(o), Some(r)) = (&mut v, &b.reference) {
        o.insert("reference".into(), json!(r));
    }
    let ev = p.event(
        "payment_authorization_incremented",
        &p.actions[idx],
        &shared.base_url,
    );
    drop(st);
    deliver(&shared, vec![ev]);
    json(StatusCode::CREATED, &v)
}

/// The customer completes (or fails) the 3DS / redirect step of a `Pending` payment; for a
/// payment processed asynchronously (`tok_pending`), the processor approves or declines it.
pub(crate) fn customer_action(shared: &Shared, id: &str, approve: bool) -> Result<(), SimError> {
    let mut st = lock(&shared.state);
    let id = st.checkout.resolve(id).ok_or(SimError::NotFound)?;
    let p = st.checkout.payments.get_mut(&id).ok_or(SimError::NotFound)?;
    if p.status != "Pending" {
        return Err(SimError::InvalidState(format!("payment is {}", p.status)));
    }
    let base = &shared.base_url;
    let (idx, mut kind) = p.authorize(!approve || p.decline_magic);
    if !approve && p.three_ds {
        // The cardholder failed (or abandoned) the 3DS step: no issuer decline, an
        // authentication failure (`payment_authentication_failed`, response code 20151).
        let a = &mut p.actions[idx];
        a.response_code = "20151";
        a.response_summary = "Cardholder failed 3DS authentication";
        kind = "payment_authentication_failed";
    }
    let mut events = vec![p.event(kind, &p.actions[idx], base)];
    if p.approved && p.capture && p.amount > 0 {
        let c = p.capture(p.amount, true, None, None);
        events.push(p.event("payment_captured", &p.actions[c], base));
    }
    drop(st);
    deliver(shared, events);
    Ok(())
}

/// What the hosted (3DS) page shows.
pub(crate) fn page_info(shared: &Shared, id: &str) -> Option<PageInfo> {
    let st = lock(&shared.state);
    let p = st.checkout.payments.get(&st.checkout.resolve(id)?)?;
    let exp = ck_exponent(&p.currency).unwrap_or(2);
    Some(PageInfo {
        amount: format!("{} {}", format_minor(p.amount, exp), p.currency),
        reference: p
            .reference
            .clone()
            .or_else(|| p.description.clone())
            .unwrap_or_default(),
        status: p.status.clone(),
        // Only a 3DS step has a page; an asynchronous payment waits for the processor.
        open: p.status == "Pending" && p.three_ds,
        return_ok: p.success_url.clone(),
    })
}

/// Where the customer goes after the hosted step (with `cko-session-id`).
pub(crate) fn return_url(shared: &Shared, id: &str) -> Option<String> {
    let st = lock(&shared.state);
    let p = st.checkout.payments.get(&st.checkout.resolve(id)?)?;
    let url = if p.approved {
        p.success_url.clone()
    } else {
        p.failure_url.clone()
    }?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}cko-session-id={}", p.session_id))
}

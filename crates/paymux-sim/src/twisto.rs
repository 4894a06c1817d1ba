//! Twisto PSP v4 (`/psp/v4/...`) and its merchant API (`/psp/smi/...`).

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::control::PageInfo;
use crate::faults::{fault_mw, idem_mw, MwState};
use crate::util::{json, lock, parse_object, rfc3339_secs, uuid};
use crate::{Commit, Shared, SimError, SimProvider};

const P: SimProvider = SimProvider::Twisto;

/// Twisto state.
#[derive(Default)]
pub(crate) struct Store {
    checkouts: HashMap<String, Checkout>,
    order: Vec<String>,
    charges: Charges,
    refunds: Refunds,
    batches: HashMap<BatchKey, String>,
    receipt_seq: u64,
}

struct Checkout {
    id: String,
    kind: String,
    config: Value,
    created: DateTime<Utc>,
    settled: Option<DateTime<Utc>>,
    state: String,
    shopper: Value,
    order: Value,
    merchant_reference: String,
    amount: Decimal,
    currency: String,
    charge_id: Option<String>,
}

struct Charge {
    id: String,
    checkout_id: String,
    reference: String,
    amount: Decimal,
    currency: String,
    captured_amount: Decimal,
    refunded_amount: Decimal,
    created_date: DateTime<Utc>,
    captured_date: Option<DateTime<Utc>>,
    receipt_number: String,
    product: String,
    state: String,
}

struct Refund {
    id: String,
    checkout_id: String,
    reference: String,
    reason: String,
    amount: Decimal,
    currency: String,
    created_date: DateTime<Utc>,
}

/// Charges in creation order, indexed by id and by state: the capture flow lists the
/// authorised charges on every capture, and that list must cost what it returns, not what the
/// store has accumulated.
#[derive(Default)]
struct Charges {
    all: Vec<Charge>,
    by_id: HashMap<String, usize>,
    by_state: HashMap<String, BTreeSet<usize>>,
}

impl Charges {
    fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    fn get(&self, id: &str) -> Option<&Charge> {
        self.index_of(id).map(|i| &self.all[i])
    }

    fn push(&mut self, charge: Charge) {
        let i = self.all.len();
        self.by_id.insert(charge.id.clone(), i);
        self.by_state.entry(charge.state.clone()).or_default().insert(i);
        self.all.push(charge);
    }

    /// The only way a charge's state changes, so `by_state` stays in step.
    fn set_state(&mut self, i: usize, state: &str) {
        let charge = &mut self.all[i];
        if let Some(set) = self.by_state.get_mut(&charge.state) {
            set.remove(&i);
        }
        charge.state = state.to_owned();
        self.by_state.entry(charge.state.clone()).or_default().insert(i);
    }

    /// Charges in `state`, oldest first.
    fn in_state(&self, state: &str) -> Vec<&Charge> {
        self.by_state
            .get(state)
            .map(|set| set.iter().map(|&i| &self.all[i]).collect())
            .unwrap_or_default()
    }
}

/// Refunds in creation order, indexed by id and by checkout.
#[derive(Default)]
struct Refunds {
    all: Vec<Refund>,
    by_id: HashMap<String, usize>,
    by_checkout: HashMap<String, Vec<usize>>,
}

impl Refunds {
    fn get(&self, id: &str) -> Option<&Refund> {
        self.by_id.get(id).map(|&i| &self.all[i])
    }

    fn push(&mut self, refund: Refund) {
        let i = self.all.len();
        self.by_id.insert(refund.id.clone(), i);
        self.by_checkout
            .entry(refund.checkout_id.clone())
            .or_default()
            .push(i);
        self.all.push(refund);
    }

    fn of_checkout(&self, checkout_id: &str) -> Vec<&Refund> {
        self.by_checkout
            .get(checkout_id)
            .map(|list| list.iter().map(|&i| &self.all[i]).collect())
            .unwrap_or_default()
    }
}

fn money(d: Decimal) -> String {
    let mut d = d.round_dp(2);
    d.rescale(2);
    d.to_string()
}

impl Checkout {
    fn to_json(&self, shared: &Shared) -> Value {
        json!({
            "id": self.id,
            "uri": shared.hosted_page_url(P, &self.id),
            "type": self.kind,
            "config": self.config,
            "created": rfc3339_secs(self.created),
            "settled": self.settled.map(rfc3339_secs),
            "state": self.state,
            "shopper": self.shopper,
            "order": self.order,
            "merchant_reference": self.merchant_reference,
        })
    }
}

impl Charge {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "reference": self.reference,
            "amount": money(self.amount),
            "currency": self.currency,
            "captured_amount": money(self.captured_amount),
            "refunded_amount": money(self.refunded_amount),
            "created_date": rfc3339_secs(self.created_date),
            "receipt_number": self.receipt_number,
            "product": self.product,
            "state": self.state,
        })
    }
}

impl Refund {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "checkout_id": self.checkout_id,
            "reference": self.reference,
            "reason": self.reason,
            "amount": money(self.amount),
            "currency": self.currency,
            "created_date": rfc3339_secs(self.created_date),
            "state": "processed",
        })
    }
}

/// One validation problem.
struct FieldError {
    code: &'static str,
    message: String,
    field: Option<String>,
}

fn errors(status: StatusCode, errs: &[FieldError]) -> Response {
    let list: Vec<Value> = errs
        .iter()
        .map(|e| json!({"code": e.code, "message": e.message, "field": e.field}))
        .collect();
    json(status, &json!({"errors": list}))
}

fn error(status: StatusCode, code: &'static str, message: &str, field: Option<&str>) -> Response {
    errors(
        status,
        &[FieldError {
            code,
            message: message.to_owned(),
            field: field.map(str::to_owned),
        }],
    )
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("{what} not found"),
        None,
    )
}

fn conflict(message: &str) -> Response {
    error(StatusCode::CONFLICT, "invalid_state", message, None)
}

/// Whether `s` matches `^-?\d{0,8}(?:\.\d{0,2})?$` and has at least one digit.
fn amount_syntax_ok(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |x: &str, max: usize| x.len() <= max && x.chars().all(|c| c.is_ascii_digit());
    digits(int, 8) && frac.is_none_or(|f| digits(f, 2)) && s.chars().any(|c| c.is_ascii_digit())
}

/// Parse a Twisto decimal amount string (`^-?\d{0,8}(?:\.\d{0,2})?$`).
fn parse_amount(v: Option<&Value>) -> Result<Decimal, &'static str> {
    match v {
        None | Some(Value::Null) => Err("required"),
        Some(Value::String(s)) => {
            if !amount_syntax_ok(s) {
                return Err("invalid");
            }
            Decimal::from_str(s).map_err(|_| "invalid")
        }
        Some(_) => Err("invalid"),
    }
}

struct Errs(Vec<FieldError>);

impl Errs {
    fn push(&mut self, code: &'static str, field: &str, message: &str) {
        self.0.push(FieldError {
            code,
            message: message.to_owned(),
            field: Some(field.to_owned()),
        });
    }

    fn amount(&mut self, v: Option<&Value>, field: &str) -> Option<Decimal> {
        match parse_amount(v) {
            Ok(d) => Some(d),
            Err("required") => {
                self.push("required", field, "This field is required.");
                None
            }
            Err(_) => {
                self.push(
                    "invalid",
                    field,
                    "Amount must be a decimal string matching ^-?\\d{0,8}(?:\\.\\d{0,2})?$.",
                );
                None
            }
        }
    }

    fn opt_str(&mut self, o: &Map<String, Value>, k: &str, field: &str, max: usize) -> Option<String> {
        match o.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= max => Some(s.clone()),
            Some(Value::String(_)) => {
                self.push(
                    "max_length",
                    field,
                    &format!("Ensure this field has no more than {max} characters."),
                );
                None
            }
            Some(_) => {
                self.push("invalid", field, "Not a valid string.");
                None
            }
        }
    }

    fn req_str(&mut self, o: &Map<String, Value>, k: &str, field: &str, max: usize) -> Option<String> {
        if matches!(o.get(k), None | Some(Value::Null)) {
            self.push("required", field, "This field is required.");
            return None;
        }
        self.opt_str(o, k, field, max)
    }
}

async fn auth(State((shared, _)): State<MwState>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| k.trim() == shared.keys.twisto);
    if ok {
        next.run(req).await
    } else {
        error(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "Authentication credentials were not provided or are invalid.",
            None,
        )
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let st: MwState = (shared.clone(), P);
    Router::new()
        .route("/psp/v4/checkouts", post(create).get(list_checkouts))
        .route("/psp/v4/checkouts/{id}", get(get_checkout))
        .route("/psp/v4/checkouts/{id}/cancel", post(cancel))
        .route("/psp/v4/charges", post(charge).get(list_charges))
        .route("/psp/v4/charges/{id}", get(get_charge))
        .route("/psp/v4/refunds", post(refund).get(list_refunds))
        .route("/psp/v4/refunds/{id}", get(get_refund))
        .route("/psp/v4/batch", get(list_batches))
        .route("/psp/v4/batch/{id}/entry", get(batch_entries))
        .route("/psp/smi/charges/{id}/capture", post(smi_capture))
        .route("/psp/smi/charges/{id}/cancel", post(smi_cancel))
        .with_state(shared)
        .layer(middleware::from_fn_with_state(st.clone(), idem_mw))
        .layer(middleware::from_fn_with_state(st.clone(), fault_mw))
        .layer(middleware::from_fn_with_state(st, auth))
}

fn body_obj(body: &[u8], empty_ok: bool) -> Result<Map<String, Value>, Response> {
    parse_object(body, empty_ok).map_err(|m| error(StatusCode::BAD_REQUEST, "parse_error", m, None))
}

const ITEM_TYPES: &[&str] = &["sku", "tax", "shipping", "discount", "store_credit"];

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut e = Errs(Vec::new());
    let kind = e
        .opt_str(&m, "type", "type", 20)
        .unwrap_or_else(|| "standard".into());
    if kind != "standard" && kind != "pay-in-three" {
        e.push("invalid_choice", "type", "Must be standard or pay-in-three.");
    }
    let mut config = Map::new();
    match m.get("config") {
        Some(Value::Object(c)) => {
            if let Some(u) = e.req_str(c, "redirect_uri", "config.redirect_uri", 1000) {
                config.insert("redirect_uri".into(), json!(u));
            }
        }
        _ => e.push("required", "config", "This field is required."),
    }
    let mut shopper = Map::new();
    match m.get("shopper") {
        Some(Value::Object(s)) => {
            for (k, max) in [
                ("first_name", 40),
                ("middle_name", 40),
                ("last_name", 40),
                ("last_name2", 40),
                ("phone", 20),
                ("personal_id", 11),
            ] {
                let v = e.opt_str(s, k, &format!("shopper.{k}"), max);
                shopper.insert(k.into(), v.map_or(Value::Null, Value::String));
            }
            let bd = e.opt_str(s, "birth_date", "shopper.birth_date", 10);
            if let Some(b) = &bd {
                if NaiveDate::parse_from_str(b, "%Y-%m-%d").is_err() {
                    e.push(
                        "invalid",
                        "shopper.birth_date",
                        "Date has wrong format. Use YYYY-MM-DD.",
                    );
                }
            }
            shopper.insert("birth_date".into(), bd.map_or(Value::Null, Value::String));
            for k in ["billing_address", "statistics"] {
                match s.get(k) {
                    None | Some(Value::Null) => {
                        shopper.insert(k.into(), Value::Null);
                    }
                    Some(v @ Value::Object(_)) => {
                        shopper.insert(k.into(), v.clone());
                    }
                    Some(_) => e.push("invalid", &format!("shopper.{k}"), "Must be an object."),
                }
            }
            match e.req_str(s, "email", "shopper.email", 254) {
                Some(em) if em.contains('@') => {
                    shopper.insert("email".into(), json!(em));
                }
                Some(_) => e.push("invalid", "shopper.email", "Enter a valid email address."),
                None => {}
            }
        }
        _ => e.push("required", "shopper", "This field is required."),
    }
    let merchant_reference = e.req_str(&m, "merchant_reference", "merchant_reference", 200);
    let mut order = Map::new();
    let mut amount = None;
    let mut currency = None;
    match m.get("order") {
        Some(Value::Object(o)) => {
            let reference = e
                .opt_str(o, "reference", "order.reference", 200)
                .unwrap_or_else(|| crate::util::alnum_id(12));
            order.insert("reference".into(), json!(reference));
            amount = e.amount(o.get("amount"), "order.amount");
            if let Some(a) = amount {
                order.insert("amount".into(), json!(money(a)));
            }
            match e.req_str(o, "currency", "order.currency", 3) {
                Some(c) if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) => {
                    order.insert("currency".into(), json!(c));
                    currency = Some(c);
                }
                Some(_) => e.push("invalid", "order.currency", "Must be a 3-letter ISO 4217 code."),
                None => {}
            }
            let mut items_out = Vec::new();
            let mut sum = Decimal::ZERO;
            let mut items_ok = true;
            match o.get("items") {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (i, it) in items.iter().enumerate() {
                        let f = |k: &str| format!("order.items[{i}].{k}");
                        let Some(it) = it.as_object() else {
                            e.push("invalid", &format!("order.items[{i}]"), "Must be an object.");
                            items_ok = false;
                            continue;
                        };
                        let name = e.req_str(it, "name", &f("name"), 255);
                        let a = e.amount(it.get("amount"), &f("amount"));
                        let q = match it.get("quantity") {
                            Some(Value::Number(n)) => n.as_i64().filter(|q| *q >= 1),
                            _ => None,
                        };
                        if q.is_none() {
                            e.push("invalid", &f("quantity"), "Ensure this value is an integer >= 1.");
                        }
                        let reference = e.opt_str(it, "reference", &f("reference"), 200);
                        let t = e.req_str(it, "type", &f("type"), 20);
                        if let Some(t) = &t {
                            if !ITEM_TYPES.contains(&t.as_str()) {
                                e.push(
                                    "invalid_choice",
                                    &f("type"),
                                    "Must be sku, tax, shipping, discount or store_credit.",
                                );
                            }
                        }
                        match (a, q) {
                            (Some(a), Some(q)) => sum += a * Decimal::from(q),
                            _ => items_ok = false,
                        }
                        items_out.push(json!({
                            "name": name,
                            "amount": a.map(money),
                            "quantity": q,
                            "reference": reference,
                            "type": t,
                        }));
                    }
                    if let (Some(total), true, false) = (amount, items_ok, items.is_empty()) {
                        if sum != total {
                            e.push(
                                "items_amount_mismatch",
                                "order.items",
                                &format!(
                                    "The sum of the items ({}) does not match the order amount ({}).",
                                    money(sum),
                                    money(total)
                                ),
                            );
                        }
                    }
                }
                Some(_) => e.push("invalid", "order.items", "Must be a list."),
            }
            order.insert("items".into(), Value::Array(items_out));
        }
        _ => e.push("required", "order", "This field is required."),
    }
    if !e.0.is_empty() {
        return errors(StatusCode::BAD_REQUEST, &e.0);
    }
    let (Some(amount), Some(currency), Some(merchant_reference)) = (amount, currency, merchant_reference)
    else {
        return error(StatusCode::BAD_REQUEST, "invalid", "invalid request", None);
    };
    let id = uuid();
    let c = Checkout {
        id: id.clone(),
        kind,
        config: Value::Object(config),
        created: Utc::now(),
        settled: None,
        state: "created".into(),
        shopper: Value::Object(shopper),
        order: Value::Object(order),
        merchant_reference,
        amount,
        currency,
        charge_id: None,
    };
    let v = c.to_json(&shared);
    let mut st = lock(&shared.state);
    st.twisto.order.push(id.clone());
    st.twisto.checkouts.insert(id.clone(), c);
    st.commit(P, &id, Commit::Create);
    drop(st);
    notify(&shared, &id);
    json(StatusCode::CREATED, &v)
}

async fn get_checkout(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match lock(&shared.state).twisto.checkouts.get(&id) {
        Some(c) => json(StatusCode::OK, &c.to_json(&shared)),
        None => not_found("Checkout"),
    }
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// Paging parameters: `limit` (≤ 1000, default 200) and `skip`.
fn paging(q: &HashMap<String, String>) -> Result<(usize, usize), Response> {
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 200,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "limit must be 1..1000",
                Some("limit"),
            ))
        }
    };
    let skip = match q.get("skip").map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "skip must be >= 0",
                Some("skip"),
            ))
        }
    };
    Ok((limit, skip))
}

/// One page of `items` (already filtered); only the page's own items are rendered.
fn page<T>(
    shared: &Shared,
    path: &str,
    items: &[&T],
    to_json: impl Fn(&T) -> Value,
    (limit, skip): (usize, usize),
    extra: &str,
) -> Response {
    let count = items.len();
    let url = |s: usize| format!("{}/psp/v4/{path}?limit={limit}&skip={s}{extra}", shared.base_url);
    let next = (skip + limit < count).then(|| url(skip + limit));
    let previous = (skip > 0).then(|| url(skip.saturating_sub(limit)));
    let items: Vec<Value> = items.iter().skip(skip).take(limit).map(|t| to_json(t)).collect();
    json(
        StatusCode::OK,
        &json!({"count": count, "next": next, "previous": previous, "items": items}),
    )
}

async fn list_checkouts(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (limit, skip) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut bounds = [None, None];
    for (i, k) in ["dateFrom", "dateTo"].iter().enumerate() {
        if let Some(v) = q.get(*k) {
            match parse_date(v) {
                Some(d) => bounds[i] = Some(d),
                None => return error(StatusCode::BAD_REQUEST, "invalid", "invalid date", Some(k)),
            }
        }
    }
    let st = lock(&shared.state);
    let items: Vec<&Checkout> = st
        .twisto
        .order
        .iter()
        .filter_map(|i| st.twisto.checkouts.get(i))
        .filter(|c| bounds[0].is_none_or(|f| c.created >= f) && bounds[1].is_none_or(|t| c.created <= t))
        .collect();
    let mut extra = String::new();
    for k in ["dateFrom", "dateTo"] {
        if let Some(v) = q.get(k) {
            extra.push_str(&format!("&{k}={v}"));
        }
    }
    page(
        &shared,
        "checkouts",
        &items,
        |c| c.to_json(&shared),
        (limit, skip),
        &extra,
    )
}

async fn cancel(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let mut st = lock(&shared.state);
    let store = &mut st.twisto;
    let Some(c) = store.checkouts.get_mut(&id) else {
        return not_found("Checkout");
    };
    match c.state.as_str() {
        "created" | "approved" => {}
        other => return conflict(&format!("Checkout in state {other} cannot be cancelled.")),
    }
    if let Some(i) = c.charge_id.as_deref().and_then(|cid| store.charges.index_of(cid)) {
        let state = &store.charges.all[i].state;
        if state != "authorised" {
            return conflict(&format!("Charge in state {state} cannot be cancelled."));
        }
        store.charges.set_state(i, "cancelled");
    }
    c.state = "cancelled".into();
    let v = c.to_json(&shared);
    st.commit(P, &id, Commit::Void);
    drop(st);
    notify(&shared, &id);
    json(StatusCode::OK, &v)
}

async fn charge(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut e = Errs(Vec::new());
    let checkout_id = match m.get("authority") {
        Some(Value::Object(a)) => {
            if a.get("type").and_then(Value::as_str) != Some("checkout_id") {
                e.push("invalid_choice", "authority.type", "Must be checkout_id.");
            }
            e.req_str(a, "value", "authority.value", 100)
        }
        _ => {
            e.push("required", "authority", "This field is required.");
            None
        }
    };
    let reference = e.opt_str(&m, "reference", "reference", 200).unwrap_or_default();
    let amount = e.amount(m.get("amount"), "amount");
    let currency = e.req_str(&m, "currency", "currency", 3);
    let capture = match m.get("capture") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            e.push("invalid", "capture", "Must be a boolean.");
            true
        }
    };
    if let Some(o) = m.get("order") {
        if !o.is_object() {
            e.push("invalid", "order", "Must be an object.");
        }
    }
    if !e.0.is_empty() {
        return errors(StatusCode::BAD_REQUEST, &e.0);
    }
    let (Some(checkout_id), Some(amount), Some(currency)) = (checkout_id, amount, currency) else {
        return error(StatusCode::BAD_REQUEST, "invalid", "invalid request", None);
    };
    let mut st = lock(&shared.state);
    st.twisto.receipt_seq += 1;
    let receipt = st.twisto.receipt_seq;
    let store = &mut st.twisto;
    let Some(c) = store.checkouts.get_mut(&checkout_id) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Checkout not found",
            Some("authority.value"),
        );
    };
    if c.charge_id.is_some() {
        return error(
            StatusCode::CONFLICT,
            "charge_exists",
            "The checkout has already been charged.",
            None,
        );
    }
    if c.state != "approved" {
        return conflict(&format!("Checkout in state {} cannot be charged.", c.state));
    }
    if currency != c.currency {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Currency does not match the checkout.",
            Some("currency"),
        );
    }
    if amount != c.amount {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_amount",
            &format!("Only the full amount {} can be charged.", money(c.amount)),
            Some("amount"),
        );
    }
    let now = Utc::now();
    let ch = Charge {
        id: uuid(),
        checkout_id: checkout_id.clone(),
        reference,
        amount,
        currency,
        captured_amount: if capture { amount } else { Decimal::ZERO },
        refunded_amount: Decimal::ZERO,
        created_date: now,
        captured_date: capture.then_some(now),
        receipt_number: format!("{receipt:010}"),
        product: c.kind.clone(),
        state: if capture { "captured" } else { "authorised" }.into(),
    };
    c.charge_id = Some(ch.id.clone());
    if capture {
        c.state = "completed".into();
        c.settled = Some(now);
    }
    let v = ch.to_json();
    store.charges.push(ch);
    if capture {
        st.commit(P, &checkout_id, Commit::Capture);
    }
    drop(st);
    notify(&shared, &checkout_id);
    json(StatusCode::CREATED, &v)
}

async fn list_charges(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (limit, skip) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = lock(&shared.state);
    let items: Vec<&Charge> = match q.get("state") {
        Some(state) => st.twisto.charges.in_state(state),
        None => st.twisto.charges.all.iter().collect(),
    };
    let extra = q.get("state").map(|s| format!("&state={s}")).unwrap_or_default();
    page(&shared, "charges", &items, Charge::to_json, (limit, skip), &extra)
}

async fn get_charge(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match lock(&shared.state).twisto.charges.get(&id) {
        Some(c) => json(StatusCode::OK, &c.to_json()),
        None => not_found("Charge"),
    }
}

async fn smi(shared: &Shared, id: &str, body: &[u8], capture: bool) -> Response {
    let m = match body_obj(body, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let store = &mut st.twisto;
    let Some(i) = store.charges.index_of(id) else {
        return not_found("Charge");
    };
    let ch = &store.charges.all[i];
    if ch.state != "authorised" {
        return conflict(&format!(
            "Charge in state {} cannot be {}.",
            ch.state,
            if capture { "captured" } else { "cancelled" }
        ));
    }
    if capture {
        if m.contains_key("amount") {
            match parse_amount(m.get("amount")) {
                Ok(a) if a == ch.amount => {}
                Ok(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "invalid_amount",
                        "Only the full amount can be captured.",
                        Some("amount"),
                    )
                }
                Err(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "invalid",
                        "Invalid amount.",
                        Some("amount"),
                    )
                }
            }
        }
        let now = Utc::now();
        store.charges.set_state(i, "captured");
        let ch = &mut store.charges.all[i];
        ch.captured_amount = ch.amount;
        ch.captured_date = Some(now);
        if let Some(c) = store.checkouts.get_mut(&ch.checkout_id) {
            c.state = "completed".into();
            c.settled = Some(now);
        }
    } else {
        store.charges.set_state(i, "cancelled");
        if let Some(c) = store.checkouts.get_mut(&store.charges.all[i].checkout_id) {
            c.state = "cancelled".into();
        }
    }
    let ch = &store.charges.all[i];
    let v = ch.to_json();
    let checkout_id = ch.checkout_id.clone();
    st.commit(
        P,
        &checkout_id,
        if capture { Commit::Capture } else { Commit::Void },
    );
    drop(st);
    notify(shared, &checkout_id);
    json(StatusCode::OK, &v)
}

async fn smi_capture(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    smi(&shared, &id, &body, true).await
}

async fn smi_cancel(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    smi(&shared, &id, &body, false).await
}

async fn refund(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match body_obj(&body, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut e = Errs(Vec::new());
    let checkout_id = e.req_str(&m, "checkout_id", "checkout_id", 100);
    let reference = e.opt_str(&m, "reference", "reference", 200).unwrap_or_default();
    let reason = e.opt_str(&m, "reason", "reason", 255).unwrap_or_default();
    let amount = e.amount(m.get("amount"), "amount");
    if let Some(a) = amount {
        if a <= Decimal::ZERO {
            e.push("invalid", "amount", "Amount must be greater than zero.");
        }
    }
    if !e.0.is_empty() {
        return errors(StatusCode::BAD_REQUEST, &e.0);
    }
    let (Some(checkout_id), Some(amount)) = (checkout_id, amount) else {
        return error(StatusCode::BAD_REQUEST, "invalid", "invalid request", None);
    };
    let mut st = lock(&shared.state);
    let store = &mut st.twisto;
    let Some(c) = store.checkouts.get(&checkout_id) else {
        return not_found("Checkout");
    };
    let Some(i) = c.charge_id.as_deref().and_then(|id| store.charges.index_of(id)) else {
        return conflict("The checkout has no captured charge.");
    };
    let ch = &mut store.charges.all[i];
    if !matches!(ch.state.as_str(), "captured" | "refunded") {
        return conflict(&format!("Charge in state {} cannot be refunded.", ch.state));
    }
    if ch.refunded_amount + amount > ch.captured_amount {
        return error(
            StatusCode::BAD_REQUEST,
            "amount_exceeds_captured",
            &format!(
                "Refund of {} exceeds the refundable amount {}.",
                money(amount),
                money(ch.captured_amount - ch.refunded_amount)
            ),
            Some("amount"),
        );
    }
    ch.refunded_amount += amount;
    let currency = ch.currency.clone();
    if ch.refunded_amount == ch.captured_amount {
        store.charges.set_state(i, "refunded");
    }
    let r = Refund {
        id: uuid(),
        checkout_id: checkout_id.clone(),
        reference,
        reason,
        amount,
        currency,
        created_date: Utc::now(),
    };
    let v = r.to_json();
    store.refunds.push(r);
    st.commit(P, &checkout_id, Commit::Refund);
    drop(st);
    notify(&shared, &checkout_id);
    json(StatusCode::CREATED, &v)
}

async fn list_refunds(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (limit, skip) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = lock(&shared.state);
    let filter = q.get("checkoutId");
    let items: Vec<&Refund> = match filter {
        Some(checkout_id) => st.twisto.refunds.of_checkout(checkout_id),
        None => st.twisto.refunds.all.iter().collect(),
    };
    let extra = filter.map(|f| format!("&checkoutId={f}")).unwrap_or_default();
    page(&shared, "refunds", &items, Refund::to_json, (limit, skip), &extra)
}

async fn get_refund(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match lock(&shared.state).twisto.refunds.get(&id) {
        Some(r) => json(StatusCode::OK, &r.to_json()),
        None => not_found("Refund"),
    }
}

/// One settlement entry: a captured charge (`order`) or a refund.
struct Entry<'a> {
    day: NaiveDate,
    kind: &'static str,
    checkout_id: &'a str,
    currency: &'a str,
    amount: Decimal,
    at: DateTime<Utc>,
}

/// A batch gathers one day's entries in one currency: amounts in different currencies are
/// never added up.
type BatchKey = (NaiveDate, String);

/// Settlement entries of captured charges and refunds, oldest first.
fn entries(store: &Store) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    for ch in &store.charges.all {
        if let Some(at) = ch.captured_date {
            out.push(Entry {
                day: at.date_naive(),
                kind: "order",
                checkout_id: &ch.checkout_id,
                currency: &ch.currency,
                amount: ch.captured_amount,
                at,
            });
        }
    }
    for r in &store.refunds.all {
        out.push(Entry {
            day: r.created_date.date_naive(),
            kind: "refund",
            checkout_id: &r.checkout_id,
            currency: &r.currency,
            amount: r.amount,
            at: r.created_date,
        });
    }
    out.sort_by_key(|e| e.at);
    out
}

async fn list_batches(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (limit, skip) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut st = lock(&shared.state);
    let store = &mut st.twisto;
    // Each batch's figures, in order of its first entry: a batch that appears later is
    // appended, so paging by `skip` stays stable.
    let mut batches: Vec<(BatchKey, Decimal, Decimal)> = Vec::new();
    for e in entries(store) {
        let i = match batches
            .iter()
            .position(|((d, c), ..)| *d == e.day && c == e.currency)
        {
            Some(i) => i,
            None => {
                batches.push(((e.day, e.currency.to_owned()), Decimal::ZERO, Decimal::ZERO));
                batches.len() - 1
            }
        };
        match e.kind {
            "order" => batches[i].1 += e.amount,
            _ => batches[i].2 += e.amount,
        }
    }
    let today = Utc::now().date_naive();
    let mut items = Vec::new();
    for (key, order, refunds) in batches {
        let (day, currency) = (key.0, key.1.clone());
        let id = store.batches.entry(key).or_insert_with(uuid).clone();
        items.push(json!({
            "id": id,
            "state": if day < today { "paid" } else { "exported" },
            "settlement_date": day.succ_opt().unwrap_or(day).to_string(),
            "currency": currency,
            "amount": money(order - refunds),
            "order_amount": money(order),
            "refund_amount": money(refunds),
            "margin_amount": money(Decimal::ZERO),
        }));
    }
    drop(st);
    let items: Vec<&Value> = items.iter().collect();
    page(&shared, "batch", &items, Value::clone, (limit, skip), "")
}

async fn batch_entries(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (limit, skip) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = lock(&shared.state);
    let Some((day, currency)) = st.twisto.batches.iter().find(|(_, b)| **b == id).map(|(k, _)| k) else {
        return not_found("Batch");
    };
    let items: Vec<Value> = entries(&st.twisto)
        .into_iter()
        .filter(|e| e.day == *day && e.currency == currency)
        .map(|e| {
            let mref = st
                .twisto
                .checkouts
                .get(e.checkout_id)
                .map(|c| c.merchant_reference.clone());
            json!({
                "type": e.kind,
                "checkout_id": e.checkout_id,
                "merchant_reference": mref,
                "currency": e.currency,
                "amount": money(e.amount),
                "created_date": rfc3339_secs(e.at),
            })
        })
        .collect();
    let items: Vec<&Value> = items.iter().collect();
    page(
        &shared,
        &format!("batch/{id}/entry"),
        &items,
        Value::clone,
        (limit, skip),
        "",
    )
}

/// POST an (unsigned) notification about a checkout to the configured Twisto webhook URL.
fn notify(shared: &Shared, checkout_id: &str) {
    let Some(url) = shared.config.twisto_webhook_url.clone() else {
        return;
    };
    let st = lock(&shared.state);
    let Some(c) = st.twisto.checkouts.get(checkout_id) else {
        return;
    };
    let refunded = c
        .charge_id
        .as_ref()
        .and_then(|i| st.twisto.charges.get(i))
        .map_or(Decimal::ZERO, |ch| ch.refunded_amount);
    let body = json!({
        "checkout_id": c.id,
        "total_amount": money(c.amount),
        "refunded_amount": money(refunded),
        "created_date": rfc3339_secs(c.created),
        "settled_date": c.settled.map(rfc3339_secs),
        "type": c.kind,
        "state": c.state,
        "external_id": c.merchant_reference,
    });
    drop(st);
    let client = shared.http.clone();
    shared.runtime.spawn(async move {
        for _ in 0..3 {
            if matches!(client.post(&url).json(&body).send().await, Ok(r) if r.status().is_success()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
}

/// The shopper finishes (or abandons) the hosted checkout.
pub(crate) fn customer_action(shared: &Shared, id: &str, approve: bool) -> Result<(), SimError> {
    let mut st = lock(&shared.state);
    let c = st.twisto.checkouts.get_mut(id).ok_or(SimError::NotFound)?;
    if c.state != "created" {
        return Err(SimError::InvalidState(format!("checkout is {}", c.state)));
    }
    let rejected = c
        .shopper
        .get("email")
        .and_then(Value::as_str)
        .is_some_and(|e| e.contains("reject"));
    c.state = if approve && !rejected {
        "approved"
    } else {
        "cancelled"
    }
    .into();
    drop(st);
    notify(shared, id);
    Ok(())
}

/// What the hosted page shows.
pub(crate) fn page_info(shared: &Shared, id: &str) -> Option<PageInfo> {
    let st = lock(&shared.state);
    let c = st.twisto.checkouts.get(id)?;
    let order_ref = c.order.get("reference").and_then(Value::as_str).unwrap_or("");
    let redirect = c
        .config
        .get("redirect_uri")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(PageInfo {
        amount: format!("{} {}", money(c.amount), c.currency),
        reference: format!("{} (order {order_ref})", c.merchant_reference),
        status: c.state.clone(),
        open: c.state == "created",
        return_ok: redirect.clone(),
    })
}

/// Where the shopper goes after the hosted step.
pub(crate) fn return_url(shared: &Shared, id: &str) -> Option<String> {
    page_info(shared, id).and_then(|i| i.return_ok)
}

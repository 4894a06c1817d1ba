//! The OpenAPI spec's response examples decode, and the schema check used by the wire tests
//! can fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use paymux_checkout::{decode_payment_actions, decode_payment_details};
use paymux_core::{Currency, EventKind, PaymentStatus};
use paymux_testkit::check_payment_invariants;
use serde_json::{json, Value};

fn response_schemas(spec: &Value, path: &str, method: &str, code: &str) -> Vec<Value> {
    let schema = &spec["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"];
    match schema.get("oneOf").and_then(Value::as_array) {
        Some(parts) => parts.clone(),
        None => vec![schema.clone()],
    }
}

/// Every example the spec gives (explicit or built from the schema's property examples, as
/// the API reference renders them) for the payment responses decodes.
#[test]
fn every_payment_response_example_decodes() {
    let spec = common::spec();
    let components = common::components();
    let mut bodies: Vec<(String, Value)> = Vec::new();
    let explicit = spec["paths"]["/payments"]["post"]["responses"]["201"]["content"]["application/json"]
        ["example"]
        .clone();
    assert!(explicit.is_object());
    bodies.push(("POST /payments 201 example".into(), explicit));
    for (path, method, code) in [
        ("/payments", "post", "201"),
        ("/payments", "post", "202"),
        ("/payments/{id}", "get", "200"),
    ] {
        for schema in response_schemas(&spec, path, method, code) {
            let name = schema["$ref"].as_str().unwrap_or("inline").to_owned();
            bodies.push((
                format!("{method} {path} {code} {name}"),
                common::sample(&components, &schema, 0),
            ));
        }
    }
    let mut decoded = 0;
    for (what, body) in &bodies {
        let bytes = serde_json::to_vec(body).unwrap();
        // A 202 answer carries no amount: decode it as the create call does, with the
        // requested amount.
        let result = if body.get("amount").is_none() {
            let mut with_amount = body.clone();
            with_amount["amount"] = json!(6540);
            with_amount["currency"] = json!("USD");
            decode_payment_details(&serde_json::to_vec(&with_amount).unwrap())
        } else {
            decode_payment_details(&bytes)
        };
        let payment = result.unwrap_or_else(|e| panic!("{what} does not decode: {e}\n{body}"));
        if let Err(e) = check_payment_invariants(&payment) {
            panic!("{what}: {e}\n{body}");
        }
        assert!(payment.id.starts_with("pay_"), "{what}");
        assert_eq!(
            payment.raw_status,
            body["status"].as_str().unwrap_or_default(),
            "{what}"
        );
        decoded += 1;
    }
    assert!(decoded >= 7, "{decoded}");
    // The list answer is a page of PaymentDetails.
    let paged = common::sample(
        &components,
        &json!({"$ref": "#/components/schemas/PaymentPaged"}),
        0,
    );
    let data = paged["data"].as_array().unwrap();
    for item in data {
        let payment = decode_payment_details(&serde_json::to_vec(item).unwrap()).unwrap();
        if let Err(e) = check_payment_invariants(&payment) {
            panic!("PaymentPaged item: {e}\n{item}");
        }
    }
}

#[test]
fn the_explicit_201_example_maps_as_documented() {
    let spec = common::spec();
    let ex =
        &spec["paths"]["/payments"]["post"]["responses"]["201"]["content"]["application/json"]["example"];
    let p = decode_payment_details(&serde_json::to_vec(ex).unwrap()).unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!(p.status, PaymentStatus::Authorized);
    assert_eq!(p.amount.minor(), 6540);
    assert_eq!(p.amount.currency(), Currency::USD);
    assert_eq!(p.reference.as_deref(), Some("ORD-5023-4E89"));
    assert_eq!(
        p.customer.as_ref().and_then(|c| c.email.as_deref()),
        Some("brucewayne@gmail.com")
    );
    assert_eq!(
        p.created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2019-09-10T10:11:12+00:00")
    );
}

#[test]
fn every_actions_example_decodes() {
    let spec = common::spec();
    let components = common::components();
    let schemas = response_schemas(&spec, "/payments/{id}/actions", "get", "200");
    assert_eq!(schemas.len(), 2);
    for schema in &schemas {
        let body = common::sample(&components, schema, 0);
        let events = decode_payment_actions(&serde_json::to_vec(&body).unwrap(), Currency::USD)
            .unwrap_or_else(|e| panic!("{schema} example does not decode: {e}\n{body}"));
        assert!(!events.is_empty());
    }
    // The documented list (latest first) becomes oldest first.
    let body = serde_json::to_vec(&components["schemas"]["PaymentActionsResponse"]["example"]).unwrap();
    let events = decode_payment_actions(&body, Currency::USD).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Authorized, EventKind::Captured, EventKind::Refunded]
    );
    assert_eq!(events[2].amount.map(|m| m.minor()), Some(1000));
    assert_eq!(events[0].id.as_deref(), Some("act_y3oqhf46pyzuxjbcn2giaqnb44"));
}

#[test]
fn the_schema_check_rejects_bad_bodies() {
    for (name, body) in [
        ("PaymentRequest", json!({"amount": 100})),
        ("PaymentRequest", json!({"amount": "100", "currency": "USD"})),
        (
            "PaymentRequest",
            json!({"amount": 100, "currency": "USD", "source": {"type": "token"}}),
        ),
        (
            "PaymentRequest",
            json!({"amount": 100, "currency": "USD", "capture_type": "Final"}),
        ),
        ("CaptureRequest", json!({"capture_type": "Partial"})),
        ("RefundRequest", json!({"amount": -1})),
        ("VoidRequest", json!({"reference": 5})),
    ] {
        let outcome = std::panic::catch_unwind(|| common::assert_valid(name, &body));
        assert!(outcome.is_err(), "{name} accepted {body}");
    }
}

/// After an incremental authorization, `PaymentDetails.amount` is still "the original
/// payment amount" while the balances count the increment: 65.40 + 10.00 captured on a
/// payment of 65.40. The full actions (`get_payment_with_history`) show both
/// authorizations with their amounts, which is what `check_payment_invariants` measures
/// such a payment against (its documented Checkout.com exception); the summaries of a
/// plain `GET /payments/{id}` carry no amounts, and the bound is then not checked.
#[test]
fn an_incremented_payment_keeps_the_invariants_against_its_authorizations() {
    let body = json!({
        "id": "pay_mbabizu24mvu3mela5njyhpit4", "requested_on": "2019-09-10T10:11:12Z",
        "amount": 6540, "currency": "USD", "approved": true, "status": "Captured",
        "balances": {"total_authorized": 7540, "total_voided": 0, "available_to_void": 0,
                     "total_captured": 7540, "available_to_capture": 0, "total_refunded": 0,
                     "available_to_refund": 7540},
        "actions": [
            {"id": "act_3", "type": "Capture", "response_code": "10000", "response_summary": "Approved"},
            {"id": "act_2", "type": "Authorization", "response_code": "10000", "response_summary": "Approved"},
            {"id": "act_1", "type": "Authorization", "response_code": "10000", "response_summary": "Approved"}
        ]
    });
    let mut p = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(p.amount.minor(), 6540);
    assert_eq!(p.captured.map(|m| m.minor()), Some(7540));
    assert_eq!(check_payment_invariants(&p), Ok(()));
    let actions = json!([
        {"id": "act_3", "type": "Capture", "processed_on": "2019-09-10T10:20:00Z", "amount": 7540, "approved": true},
        {"id": "act_2", "type": "Authorization", "processed_on": "2019-09-10T10:15:00Z", "amount": 1000, "approved": true},
        {"id": "act_1", "type": "Authorization", "processed_on": "2019-09-10T10:11:12Z", "amount": 6540, "approved": true}
    ]);
    p.events = decode_payment_actions(&serde_json::to_vec(&actions).unwrap(), Currency::USD).unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    // Captured beyond both authorizations is still caught.
    p.captured = Some(paymux_core::Money::from_minor(7550, Currency::USD));
    p.refundable = p.captured;
    let err = check_payment_invariants(&p).unwrap_err();
    assert!(err.contains("exceeds the amount authorised (7540)"), "{err}");
}

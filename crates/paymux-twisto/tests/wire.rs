//! Wire tests: every endpoint against httpmock, asserting method, path, bearer header,
//! idempotency header where required and the exact JSON body.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use httpmock::prelude::*;
use paymux_core::{
    CaptureRequest, CreatePayment, Currency, Customer, Error, EventKind, IdempotencyKey, LineItem,
    LineItemKind, MetadataUpdate, Money, Operation, PaymentProvider, PaymentStatus, RefundReason,
    RefundRequest, TransportConfig, VoidRequest,
};
use paymux_testkit::check_payment_invariants;
use paymux_twisto::{
    BillingAddress, CheckoutListQuery, CheckoutType, PageQuery, ShopperStatistics, TwistoBuilder,
    TwistoCheckoutOptions, TwistoProvider,
};
use serde_json::{json, Value};

const TOKEN: &str = "test-token-123";
const AUTH: &str = "Bearer test-token-123";
const ID: &str = "7f3c2a9e-4b1d-4c8e-9a55-0d6b1e2f3a4b";

fn czk(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CZK)
}

fn provider(server: &MockServer) -> TwistoProvider {
    TwistoBuilder::new(TOKEN)
        .with_base_url(server.url("/psp/v4"))
        .with_transport(
            TransportConfig::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
                .with_request_timeout(Duration::from_secs(5)),
        )
        .build()
        .unwrap()
}

/// A checkout object as documented (realistic values in the documented shape).
fn checkout(state: &str, amount: &str) -> Value {
    json!({
        "id": ID,
        "uri": format!("https://checkout.twisto.cz/{ID}"),
        "type": "standard",
        "config": {"redirect_uri": "https://shop.example/return"},
        "created": "2024-05-01T10:00:00Z",
        "settled": if state == "completed" { json!("2024-05-01T10:05:00Z") } else { Value::Null },
        "state": state,
        "shopper": {
            "first_name": "Jan", "middle_name": null, "last_name": "Novák", "last_name2": null,
            "phone": "+420777123456", "birth_date": null, "billing_address": null,
            "statistics": null, "personal_id": null, "email": "jan.novak@example.cz"
        },
        "order": {
            "reference": "order-1001",
            "amount": amount,
            "currency": "CZK",
            "items": [{"name": "Coffee", "amount": amount, "quantity": 1, "reference": "order-1001", "type": "sku"}]
        },
        "merchant_reference": "order-1001"
    })
}

fn charge(id: &str, state: &str, captured: &str) -> Value {
    json!({
        "id": id, "reference": "order-1001", "amount": "894.00", "currency": "CZK",
        "captured_amount": captured, "refunded_amount": "0.00",
        "created_date": "2024-05-01T10:06:00Z", "receipt_number": "0000000001",
        "product": "standard", "state": state
    })
}

fn page(items: Value) -> Value {
    let n = items.as_array().map_or(0, Vec::len);
    json!({"count": n, "next": null, "previous": null, "items": items})
}

fn request() -> CreatePayment {
    CreatePayment::new(czk(89_400), "order-1001")
        .with_description("Coffee")
        .with_manual_capture()
        .with_customer(
            Customer::with_email("jan.novak@example.cz")
                .name("Jan", "Novák")
                .phone("+420777123456"),
        )
        .with_return_urls("https://shop.example/return", "https://shop.example/cancel")
}

#[tokio::test]
async fn create_payment_posts_the_documented_checkout() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/checkouts")
                .header("authorization", AUTH)
                .header("content-type", "application/json")
                .header_missing("idempotency-key")
                .json_body(json!({
                    "type": "standard",
                    "config": {"redirect_uri": "https://shop.example/return"},
                    "shopper": {
                        "first_name": "Jan", "last_name": "Novák", "phone": "+420777123456",
                        "email": "jan.novak@example.cz"
                    },
                    "order": {
                        "reference": "order-1001", "amount": "894.00", "currency": "CZK",
                        "items": [{"name": "Coffee", "amount": "894.00", "quantity": 1,
                                   "reference": "order-1001", "type": "sku"}]
                    },
                    "merchant_reference": "order-1001"
                }));
            then.status(201).json_body(checkout("created", "894.00"));
        })
        .await;
    let p = provider(&server).create_payment(&request()).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    m.assert_async().await;
    assert_eq!(p.id, ID);
    assert_eq!(p.status, PaymentStatus::AwaitingCustomer);
    assert_eq!(p.raw_status, "checkout:created");
    assert_eq!(p.amount, czk(89_400));
    assert_eq!(
        p.redirect_url.as_deref(),
        Some(&*format!("https://checkout.twisto.cz/{ID}"))
    );
    assert_eq!(p.reference.as_deref(), Some("order-1001"));
    let customer = p.customer.clone().unwrap();
    assert_eq!(customer.email.as_deref(), Some("jan.novak@example.cz"));
    assert_eq!(customer.name.as_deref(), Some("Jan Novák"));
    assert_eq!(
        p.created_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap())
    );
    assert_eq!(p.raw_json().unwrap()["state"], "created");
}

#[tokio::test]
async fn create_payment_sends_exactly_what_encode_create_payment_returns() {
    // The public encoder is the body on the wire, byte for byte: a request with the shopper
    // and three order lines (Twisto takes no metadata), no idempotency key (none on checkouts).
    let server = MockServer::start_async().await;
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let seen = bodies.clone();
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/checkouts")
                .header_missing("idempotency-key")
                .is_true(move |req| {
                    seen.lock().unwrap().push(req.body_vec());
                    true
                });
            then.status(201).json_body(checkout("created", "894.00"));
        })
        .await;
    let twisto = provider(&server);
    let req = request()
        .with_line_item(LineItem::new("Coffee beans", czk(29_800), 3, LineItemKind::Sku).reference("SKU-42"))
        .with_line_item(LineItem::new("Shipping", czk(9_900), 1, LineItemKind::Shipping))
        .with_line_item(LineItem::new("Discount", czk(-9_900), 1, LineItemKind::Discount));
    let encoded = twisto.encode_create_payment(&req).unwrap();
    twisto.create_payment(&req).await.unwrap();
    m.assert_calls_async(1).await;
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&sent[0]),
        String::from_utf8_lossy(&encoded),
        "the body sent is not the encoder's"
    );
    assert_eq!(sent[0], encoded.to_vec());
    let json: Value = serde_json::from_slice(&encoded).unwrap();
    assert_eq!(json["shopper"]["email"], "jan.novak@example.cz");
    assert_eq!(json["order"]["items"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn create_checkout_sends_every_shopper_field_and_line_items() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/checkouts")
                .header("authorization", AUTH)
                .json_body(json!({
                    "type": "pay-in-three",
                    "config": {"redirect_uri": "https://shop.example/return"},
                    "shopper": {
                        "first_name": "Jan", "middle_name": "Karel", "last_name": "Novák",
                        "last_name2": "García", "phone": "+420777123456", "birth_date": "1980-01-01",
                        "billing_address": {"line1": "Václavské náměstí 1", "city": "Praha",
                                            "postal_code": "11000", "country": "CZ"},
                        "statistics": {
                            "account_created": "2020-01-01T00:00:00Z", "sales_total_count": 10,
                            "sales_total_amount": "12500.00", "sales_max_amount": "4990.50",
                            "currency": "CZK", "has_previous_purchases": true,
                            "previous_chargeback": false
                        },
                        "personal_id": "8001011234",
                        "email": "jan.novak@example.cz"
                    },
                    "order": {
                        "reference": "order-1001", "amount": "894.00", "currency": "CZK",
                        "items": [
                            {"name": "Coffee beans", "amount": "298.00", "quantity": 3, "reference": "SKU-42", "type": "sku"},
                            {"name": "Shipping", "amount": "99.00", "quantity": 1, "type": "shipping"},
                            {"name": "Discount", "amount": "-99.00", "quantity": 1, "type": "discount"}
                        ]
                    },
                    "merchant_reference": "order-1001"
                }));
            then.status(201).json_body(checkout("created", "894.00"));
        })
        .await;
    let req = request()
        .with_line_item(LineItem::new("Coffee beans", czk(29_800), 3, LineItemKind::Sku).reference("SKU-42"))
        .with_line_item(LineItem::new("Shipping", czk(9_900), 1, LineItemKind::Shipping))
        .with_line_item(LineItem::new("Discount", czk(-9_900), 1, LineItemKind::Discount));
    let mut stats = ShopperStatistics::default();
    stats.account_created = Some("2020-01-01T00:00:00Z".into());
    stats.sales_total_count = Some(10);
    stats.sales_total_amount = Some(czk(1_250_000));
    stats.sales_max_amount = Some(czk(499_050));
    stats.has_previous_purchases = Some(true);
    stats.previous_chargeback = Some(false);
    let options = TwistoCheckoutOptions::new()
        .with_type(CheckoutType::PayInThree)
        .with_middle_name("Karel")
        .with_last_name2("García")
        .with_birth_date(NaiveDate::from_ymd_opt(1980, 1, 1).unwrap())
        .with_personal_id("8001011234")
        .with_billing_address(BillingAddress {
            line1: Some("Václavské náměstí 1".into()),
            city: Some("Praha".into()),
            postal_code: Some("11000".into()),
            country: Some("CZ".into()),
            ..BillingAddress::default()
        })
        .with_statistics(stats);
    let p = provider(&server).create_checkout(&req, &options).await.unwrap();
    m.assert_async().await;
    assert_eq!(p.status, PaymentStatus::AwaitingCustomer);
}

#[tokio::test]
async fn bad_requests_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let twisto = provider(&server);
    let field = |e: Error| match e {
        Error::InvalidRequest { field, message } => (field, message),
        other => panic!("expected InvalidRequest, got {other:?}"),
    };

    // Items that do not sum to the amount: both sums named.
    let req = request().with_line_item(LineItem::new("Coffee", czk(29_800), 2, LineItemKind::Sku));
    let (f, msg) = field(twisto.create_payment(&req).await.unwrap_err());
    assert_eq!(f, "line_items");
    assert!(msg.contains("596.00 CZK") && msg.contains("894.00 CZK"), "{msg}");

    // No email, no return URL.
    let mut req = request();
    req.customer = None;
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "customer.email"
    );
    let mut req = request();
    req.return_url = None;
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "return_url"
    );

    // Length limits.
    let long = |n: usize| "x".repeat(n);
    let req = request().with_customer(Customer::with_email("a@b.cz").name(long(41), "N"));
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "customer.first_name"
    );
    let req = request().with_customer(Customer::with_email("a@b.cz").phone(long(21)));
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "customer.phone"
    );
    let opts = TwistoCheckoutOptions::new().with_personal_id(long(12));
    let e = twisto.create_checkout(&request(), &opts).await.unwrap_err();
    assert_eq!(field(e).0, "options.personal_id");
    let mut req = request();
    req.return_url = Some(format!("https://x/{}", long(1000)));
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "return_url"
    );
    let mut req = request();
    req.reference = long(201);
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "reference"
    );
    let req = request().with_line_item(LineItem::new(long(256), czk(89_400), 1, LineItemKind::Sku));
    assert_eq!(
        field(twisto.create_payment(&req).await.unwrap_err()).0,
        "line_items[0].name"
    );

    // Nine integer digits cannot be written in Twisto's pattern.
    let mut req = request();
    req.amount = czk(10_000_000_000);
    let (f, msg) = field(twisto.create_payment(&req).await.unwrap_err());
    assert_eq!(f, "amount");
    assert!(msg.contains("8 integer digit"), "{msg}");

    // Capabilities: immediate capture, other currencies, metadata.
    let mut req = request();
    req.capture = true;
    assert!(matches!(
        twisto.create_payment(&req).await,
        Err(Error::Unsupported { .. })
    ));
    let mut req = request();
    req.amount = Money::from_minor(100, Currency::USD);
    assert!(matches!(
        twisto.create_payment(&req).await,
        Err(Error::Unsupported { .. })
    ));
    // Dot segments would be resolved by the URL library: `void("..")` would post to
    // /psp/v4/cancel.
    for id in [".", ".."] {
        assert_eq!(
            field(twisto.void(id, &VoidRequest::new()).await.unwrap_err()).0,
            "id"
        );
        assert_eq!(field(twisto.get_payment(id).await.unwrap_err()).0, "id");
        let e = twisto.capture_charge(id, None).await.unwrap_err();
        assert_eq!(field(e).0, "charge_id");
    }

    let req = request().with_metadata("k", "v");
    assert!(matches!(
        twisto.create_payment(&req).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        twisto
            .update_metadata(ID, &MetadataUpdate::new().set("k", "v"))
            .await,
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(m.calls_async().await, 0);
}

#[tokio::test]
async fn get_payment_reads_the_checkout_and_only_fetches_refunds_when_charged() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/psp/v4/checkouts/{ID}"))
                .header("authorization", AUTH);
            then.status(200).json_body(checkout("approved", "894.00"));
        })
        .await;
    let refunds = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let p = provider(&server).get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    get.assert_async().await;
    assert_eq!(refunds.calls_async().await, 0);
    assert_eq!(p.status, PaymentStatus::Authorized);
    assert_eq!(p.raw_status, "checkout:approved");
    assert_eq!(p.capturable, Some(czk(89_400)));
    assert_eq!(p.captured, Some(czk(0)));
    assert_eq!(p.redirect_url, None);
}

#[tokio::test]
async fn get_payment_of_a_completed_checkout_counts_its_refunds() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/psp/v4/checkouts/{ID}"))
                .header("authorization", AUTH);
            then.status(200).json_body(checkout("completed", "894.00"));
        })
        .await;
    let refunds = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID)
                .query_param("limit", "1000")
                .query_param("skip", "0")
                .header("authorization", AUTH);
            then.status(200).json_body(page(json!([
                {"id": "r1", "checkout_id": ID, "reference": "rf-1", "reason": "requested_by_customer",
                 "amount": "100.00", "currency": "CZK", "created_date": "2024-05-02T09:00:00Z"},
                {"id": "r2", "checkout_id": ID, "reference": "rf-2", "reason": "",
                 "amount": "94.50", "currency": "CZK", "created_date": "2024-05-03T09:00:00Z"}
            ])));
        })
        .await;
    let p = provider(&server).get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    refunds.assert_async().await;
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(p.captured, Some(czk(89_400)));
    assert_eq!(p.refunded, Some(czk(19_450)));
    assert_eq!(p.refundable, Some(czk(69_950)));
    let kinds: Vec<EventKind> = p.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Created,
            EventKind::Captured,
            EventKind::Refunded,
            EventKind::Refunded
        ]
    );
    assert_eq!(p.events[2].detail.as_deref(), Some("requested_by_customer"));
    assert_eq!(
        p.updated_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 3, 9, 0, 0).unwrap())
    );
}

#[tokio::test]
async fn refund_events_are_oldest_first_whatever_the_list_order() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    // Newest first.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID);
            then.status(200).json_body(page(json!([
                {"id": "r3", "checkout_id": ID, "amount": "1.00", "currency": "CZK",
                 "created_date": "2024-05-04T09:00:00Z"},
                {"id": "r2", "checkout_id": ID, "amount": "2.00", "currency": "CZK",
                 "created_date": "2024-05-03T09:00:00+02:00"},
                {"id": "r1", "checkout_id": ID, "amount": "3.00", "currency": "CZK",
                 "created_date": "2024-05-03T08:00:00Z"}
            ])));
        })
        .await;
    let p = provider(&server).get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    let ids: Vec<Option<&str>> = p.events.iter().map(|e| e.id.as_deref()).collect();
    // Creation and completion stay first, then the refunds by time (09:00+02:00 is 07:00Z).
    assert_eq!(ids[2..], [Some("r2"), Some("r1"), Some("r3")]);
    assert_eq!(p.events[0].kind, EventKind::Created);
    assert_eq!(p.events[1].kind, EventKind::Captured);
    assert_eq!(p.refunded, Some(czk(600)));
    assert_eq!(
        p.updated_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 4, 9, 0, 0).unwrap())
    );
}

/// Refunds that Twisto lists beyond the checkout's amount are reported as listed: `Refunded`
/// with their sum and nothing left to refund (the documented Twisto exception of
/// `check_payment_invariants`), not a figure paymux made up; and no refund can be sent.
#[tokio::test]
async fn refunds_listed_beyond_the_amount_are_reported_as_listed() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([
                {"id": "r1", "checkout_id": ID, "amount": "894.00", "currency": "CZK"},
                {"id": "r2", "checkout_id": ID, "amount": "6.00", "currency": "CZK"}
            ])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201).json_body(json!({}));
        })
        .await;
    let twisto = provider(&server);
    let p = twisto.get_payment(ID).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Refunded);
    assert_eq!(p.captured, Some(czk(89_400)));
    assert_eq!(p.refunded, Some(czk(90_000)));
    assert_eq!(p.refundable, Some(czk(0)));
    assert_eq!(check_payment_invariants(&p), Ok(()));
    let e = twisto.refund(ID, &RefundRequest::full()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    assert_eq!(post.calls_async().await, 0);
}

/// A refund of the 894.00 CZK checkout, as listed.
fn listed_refund(id: &str, amount: &str) -> Value {
    json!({"id": id, "checkout_id": ID, "amount": amount, "currency": "CZK"})
}

#[tokio::test]
async fn refunds_past_a_short_page_are_read_while_next_is_set() {
    // A server that serves fewer than the 1000 asked for per page: paging goes on while
    // `next` is set, each page starting after the refunds received so far.
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID)
                .query_param("limit", "1000")
                .query_param("skip", "0");
            then.status(200).json_body(json!({
                "count": 3, "next": "https://api.twisto.cz/psp/v4/refunds?skip=2", "previous": null,
                "items": [listed_refund("r1", "100.00"), listed_refund("r2", "20.00")]
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID)
                .query_param("limit", "1000")
                .query_param("skip", "2");
            then.status(200).json_body(json!({
                "count": 3, "next": null, "previous": "https://api.twisto.cz/psp/v4/refunds?skip=0",
                "items": [listed_refund("r3", "3.00")]
            }));
        })
        .await;
    let twisto = provider(&server);
    let p = twisto.get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!((first.calls_async().await, second.calls_async().await), (1, 1));
    assert_eq!(p.refunded, Some(czk(12_300)));
    assert_eq!(p.refundable, Some(czk(77_100)));
    let ids: Vec<String> = twisto
        .list_refunds(ID)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
}

#[tokio::test]
async fn paging_stops_at_an_empty_page_whatever_next_says() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds").query_param("skip", "0");
            then.status(200).json_body(json!({
                "next": "https://api.twisto.cz/psp/v4/refunds?skip=1", "items": [listed_refund("r1", "1.00")]
            }));
        })
        .await;
    let empty = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds").query_param("skip", "1");
            then.status(200).json_body(json!({
                "next": "https://api.twisto.cz/psp/v4/refunds?skip=1", "items": []
            }));
        })
        .await;
    let refunds = provider(&server).list_refunds(ID).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(empty.calls_async().await, 1);
}

#[tokio::test]
async fn a_server_that_ignores_skip_is_not_counted_twice_nor_walked_fifty_times() {
    // Every page is the same, with `next` set: the refund is counted once, and the walk
    // stops at the page that brings nothing new.
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    let refunds = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(json!({
                "next": "https://api.twisto.cz/psp/v4/refunds?cursor=abc",
                "items": [listed_refund("r1", "10.00")]
            }));
        })
        .await;
    let p = provider(&server).get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!(refunds.calls_async().await, 2);
    assert_eq!(p.refunded, Some(czk(1_000)));
    assert_eq!(p.refundable, Some(czk(88_400)));

    // The same for the look-up of an authorised charge before a capture.
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    let charges = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/charges");
            then.status(200).json_body(json!({
                "next": "https://api.twisto.cz/psp/v4/charges?cursor=abc",
                "items": [{"id": "o1", "reference": "order-999", "amount": "10.00",
                           "currency": "CZK", "state": "authorised"}]
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/charges");
            then.status(201).json_body(charge("ch_1", "captured", "894.00"));
        })
        .await;
    provider(&server)
        .capture(ID, &CaptureRequest::full())
        .await
        .unwrap();
    assert_eq!(charges.calls_async().await, 2);
}

#[tokio::test]
async fn capture_finds_an_authorised_charge_past_a_short_page() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    let other = |id: &str| {
        json!({"id": id, "reference": "order-999", "amount": "10.00", "currency": "CZK",
               "state": "authorised"})
    };
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "authorised")
                .query_param("limit", "1000")
                .query_param("skip", "0");
            then.status(200).json_body(json!({
                "count": 3, "next": "https://api.twisto.cz/psp/v4/charges?state=authorised&skip=2",
                "items": [other("o1"), other("o2")]
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "authorised")
                .query_param("limit", "1000")
                .query_param("skip", "2");
            then.status(200).json_body(
                json!({"count": 3, "next": null, "items": [charge("ch_7", "authorised", "0.00")]}),
            );
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/charges");
            then.status(409)
                .json_body(json!({"errors": [{"code": "invalid_state"}]}));
        })
        .await;
    let smi = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/smi/charges/ch_7/capture");
            then.status(200).json_body(charge("ch_7", "captured", "894.00"));
        })
        .await;
    let p = provider(&server)
        .capture(ID, &CaptureRequest::full())
        .await
        .unwrap();
    assert_eq!((first.calls_async().await, second.calls_async().await), (1, 1));
    smi.assert_async().await;
    assert_eq!(post.calls_async().await, 0);
    assert_eq!(p.status, PaymentStatus::Captured);
}

#[tokio::test]
async fn list_checkouts_sends_date_range_and_paging() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/checkouts")
                .query_param("dateFrom", "2024-05-01T00:00:00Z")
                .query_param("dateTo", "2024-05-31T23:59:59Z")
                .query_param("limit", "50")
                .query_param("skip", "100")
                .header("authorization", AUTH);
            then.status(200).json_body(json!({
                "count": 101, "next": null, "previous": "https://api.twisto.cz/psp/v4/checkouts?skip=50",
                "items": [checkout("created", "894.00")]
            }));
        })
        .await;
    let q = CheckoutListQuery::new()
        .between(
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 31, 23, 59, 59).unwrap(),
        )
        .page(PageQuery::new(50, 100));
    let page = provider(&server).list_checkouts(&q).await.unwrap();
    m.assert_async().await;
    assert_eq!(page.count, Some(101));
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].status, PaymentStatus::AwaitingCustomer);
    assert!(page.previous.is_some());
}

#[tokio::test]
async fn void_cancels_the_checkout_with_an_idempotency_key() {
    let server = MockServer::start_async().await;
    let key = IdempotencyKey::from_string("void-order-1001").unwrap();
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/psp/v4/checkouts/{ID}/cancel"))
                .header("authorization", AUTH)
                .header("idempotency-key", "void-order-1001");
            then.status(200).json_body(checkout("cancelled", "894.00"));
        })
        .await;
    let p = provider(&server)
        .void(ID, &VoidRequest::new().with_idempotency_key(key))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(p.status, PaymentStatus::Cancelled);
    assert_eq!(p.raw_status, "checkout:cancelled");
}

#[tokio::test]
async fn capture_creates_a_full_charge_with_capture_true() {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/psp/v4/checkouts/{ID}"))
                .header("authorization", AUTH);
            then.status(200).json_body(checkout("approved", "894.00"));
        })
        .await;
    let lookup = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "authorised")
                .header("authorization", AUTH);
            then.status(200).json_body(page(json!([
                {"id": "other", "reference": "order-999", "amount": "10.00", "currency": "CZK",
                 "captured_amount": "0.00", "refunded_amount": "0.00", "state": "authorised"}
            ])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/charges")
                .header("authorization", AUTH)
                .header("idempotency-key", "cap-1")
                .json_body(json!({
                    "authority": {"type": "checkout_id", "value": ID},
                    "reference": "order-1001",
                    "amount": "894.00",
                    "currency": "CZK",
                    "capture": true,
                    "order": {"reference": "order-1001"}
                }));
            then.status(201).json_body(charge("ch_1", "captured", "894.00"));
        })
        .await;
    let refunds = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID);
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let req = CaptureRequest::full().with_idempotency_key(IdempotencyKey::from_string("cap-1").unwrap());
    let p = provider(&server).capture(ID, &req).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    lookup.assert_async().await;
    post.assert_async().await;
    // Read before the charge and after it. The checkout was uncharged, so it had no refunds
    // to read.
    assert_eq!(read.calls_async().await, 2);
    assert_eq!(refunds.calls_async().await, 0);
    assert_eq!(p.refunded, Some(czk(0)));
    assert_eq!(p.refundable, Some(czk(89_400)));
    assert_eq!(p.status, PaymentStatus::Captured);
    assert_eq!(p.raw_status, "checkout:approved/charge:captured");
    assert_eq!(p.captured, Some(czk(89_400)));
    let charge_event = p.events.iter().find(|e| e.id.as_deref() == Some("ch_1")).unwrap();
    assert_eq!(charge_event.kind, EventKind::Captured);
}

#[tokio::test]
async fn capture_of_an_authorised_charge_uses_the_merchant_api() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "authorised");
            // Another order's charge with an amount that breaks Twisto's pattern: only the
            // charge found is read, so it does not stop this capture.
            then.status(200).json_body(page(json!([
                {"id": "other", "reference": "order-999", "amount": "10,00", "currency": "CZK",
                 "state": "authorised"},
                charge("ch_7", "authorised", "0.00")
            ])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/charges");
            then.status(500);
        })
        .await;
    let smi = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/smi/charges/ch_7/capture")
                .header("authorization", AUTH)
                .header_exists("idempotency-key")
                .json_body(json!({}));
            then.status(200).json_body(charge("ch_7", "captured", "894.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let p = provider(&server)
        .capture(ID, &CaptureRequest::full())
        .await
        .unwrap();
    smi.assert_async().await;
    assert_eq!(post.calls_async().await, 0);
    assert_eq!(p.status, PaymentStatus::Captured);
}

#[tokio::test]
async fn capture_refuses_partial_amounts_and_unapproved_checkouts() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(200).json_body(checkout("approved", "894.00"));
        })
        .await;
    let twisto = provider(&server);
    let e = twisto
        .capture(ID, &CaptureRequest::partial(czk(100)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    get.delete_async().await;
    serve_checkout(&server, checkout("created", "894.00")).await;
    let e = twisto.capture(ID, &CaptureRequest::full()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidState {
                operation: Operation::Capture,
                status: Some(PaymentStatus::AwaitingCustomer),
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_checkout_whose_order_amount_is_not_positive_is_never_charged() {
    // Twisto's amount pattern allows a sign. A checkout answering a negative or zero order
    // amount is not a payment to charge: no `POST /charges` may carry "-100.00" or "0.00",
    // and reading it is a Decode error.
    for amount in ["-100.00", "0.00"] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
                then.status(200).json_body(checkout("approved", amount));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/psp/v4/charges");
                then.status(200).json_body(page(json!([])));
            })
            .await;
        let post = server
            .mock_async(|when, then| {
                when.method(POST).path("/psp/v4/charges");
                then.status(201).json_body(charge("ch_1", "captured", amount));
            })
            .await;
        let twisto = provider(&server);
        let e = twisto.capture(ID, &CaptureRequest::full()).await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{amount}: {e:?}");
        let e = twisto.create_charge(ID, false, None, None).await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{amount}: {e:?}");
        post.assert_calls_async(0).await;
        let e = twisto.get_payment(ID).await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{amount}: {e:?}");
    }
}

#[tokio::test]
async fn create_charge_can_authorise_only_and_smi_cancel_releases_it() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/charges")
                .header("authorization", AUTH)
                .header("idempotency-key", "auth-1")
                .json_body(json!({
                    "authority": {"type": "checkout_id", "value": ID},
                    "reference": "order-1001",
                    "amount": "894.00",
                    "currency": "CZK",
                    "capture": false,
                    "order": {"reference": "order-1001"}
                }));
            then.status(201).json_body(charge("ch_9", "authorised", "0.00"));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/smi/charges/ch_9/cancel")
                .header("authorization", AUTH)
                .header("idempotency-key", "cancel-1");
            then.status(200).json_body(charge("ch_9", "cancelled", "0.00"));
        })
        .await;
    let twisto = provider(&server);
    let key = IdempotencyKey::from_string("auth-1").unwrap();
    let c = twisto.create_charge(ID, false, None, Some(&key)).await.unwrap();
    post.assert_async().await;
    assert_eq!(c.id, "ch_9");
    assert_eq!(c.state, "authorised");
    assert_eq!(c.amount, czk(89_400));
    assert_eq!(c.captured, Some(czk(0)));
    let key = IdempotencyKey::from_string("cancel-1").unwrap();
    let c = twisto.cancel_charge("ch_9", Some(&key)).await.unwrap();
    cancel.assert_async().await;
    assert_eq!(c.state, "cancelled");
}

#[tokio::test]
async fn list_charges_filters_by_state() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "captured")
                .query_param("limit", "10")
                .query_param("skip", "0")
                .header("authorization", AUTH);
            then.status(200)
                .json_body(page(json!([charge("ch_1", "captured", "894.00")])));
        })
        .await;
    let page = provider(&server)
        .list_charges(Some("captured"), PageQuery::new(10, 0))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(page.items[0].captured, Some(czk(89_400)));
    assert_eq!(page.items[0].receipt_number.as_deref(), Some("0000000001"));
}

#[tokio::test]
async fn a_partial_refund_reads_first_then_posts_with_reason_and_key() {
    // Like the full refund: the checkout and its refunds are read first (to check the
    // amount), then the refund is posted, and the payment is that reading plus the refund
    // answered. Nothing is read after the POST (those reads would fail here).
    let server = MockServer::start_async().await;
    let (posted, _) = post_spy(&server, "/psp/v4/refunds").await;
    checkout_until_posted(&server, &posted, "completed").await;
    let listed = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID);
            then.status(200)
                .json_body(page(json!([listed_refund("r0", "50.00")])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/refunds")
                .header("authorization", AUTH)
                .header("idempotency-key", "rf-key-1")
                .json_body(json!({
                    "checkout_id": ID,
                    "reference": "rf-1",
                    "reason": "requested_by_customer",
                    "amount": "100.00"
                }));
            then.status(201).json_body(json!({
                "id": "r1", "checkout_id": ID, "reference": "rf-1", "reason": "requested_by_customer",
                "amount": "100.00", "currency": "CZK", "created_date": "2024-05-02T09:00:00Z"
            }));
        })
        .await;
    let req = RefundRequest::partial(czk(10_000))
        .with_reason(RefundReason::RequestedByCustomer)
        .with_reference("rf-1")
        .with_idempotency_key(IdempotencyKey::from_string("rf-key-1").unwrap());
    let p = provider(&server).refund(ID, &req).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    post.assert_async().await;
    assert_eq!(listed.calls_async().await, 1);
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(p.refunded, Some(czk(15_000)));
    assert_eq!(p.refundable, Some(czk(74_400)));
    let refunded: Vec<_> = p.events.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(refunded, ["r0", "r1"]);
}

#[tokio::test]
async fn a_partial_refund_in_another_currency_or_above_what_is_left_is_refused_before_posting() {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(200).json_body(checkout("completed", "894.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200)
                .json_body(page(json!([listed_refund("r0", "100.00")])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201)
                .json_body(json!({"id": "r1", "checkout_id": ID, "amount": "10.00"}));
        })
        .await;
    let twisto = provider(&server);
    let invalid = |e: Error| match e {
        Error::InvalidRequest { field, message } => (field, message),
        other => panic!("expected InvalidRequest, got {other:?}"),
    };

    // POST /refunds carries no currency: 10.00 EUR would have refunded 10.00 CZK.
    let eur = Money::from_minor(1_000, Currency::EUR);
    let (field, message) = invalid(twisto.refund(ID, &RefundRequest::partial(eur)).await.unwrap_err());
    assert_eq!(field, "amount");
    assert!(message.contains("EUR") && message.contains("CZK"), "{message}");

    // 794.00 is left.
    let (field, message) = invalid(
        twisto
            .refund(ID, &RefundRequest::partial(czk(79_401)))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "amount");
    assert!(
        message.contains("794.01") && message.contains("794.00"),
        "{message}"
    );

    // Checked before anything is read.
    let reads = read.calls_async().await;
    let (field, _) = invalid(
        twisto
            .refund(ID, &RefundRequest::partial(czk(0)))
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "amount");
    assert_eq!(read.calls_async().await, reads);
    assert_eq!(post.calls_async().await, 0);

    // Nothing charged yet: nothing to refund.
    read.delete_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    let e = twisto
        .refund(ID, &RefundRequest::partial(czk(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidState {
                operation: Operation::Refund,
                status: Some(PaymentStatus::Authorized),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(post.calls_async().await, 0);
}

#[tokio::test]
async fn full_refund_refunds_what_is_left() {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(200).json_body(checkout("completed", "894.00"));
        })
        .await;
    let listed = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID);
            then.status(200).json_body(page(json!([
                {"id": "r1", "checkout_id": ID, "amount": "100.00", "currency": "CZK"}
            ])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/refunds")
                .header_exists("idempotency-key")
                .json_body(json!({"checkout_id": ID, "amount": "794.00"}));
            then.status(201).json_body(json!({
                "id": "r2", "checkout_id": ID, "reference": null, "reason": null,
                "amount": "794.00", "currency": "CZK", "created_date": "2024-05-03T09:00:00Z"
            }));
        })
        .await;
    let p = provider(&server)
        .refund(ID, &RefundRequest::full())
        .await
        .unwrap();
    post.assert_async().await;
    // The payment is the reading before the refund plus the refund answered: nothing is
    // read again.
    assert_eq!(read.calls_async().await, 1);
    assert_eq!(listed.calls_async().await, 1);
    assert_eq!(p.status, PaymentStatus::Refunded);
    assert_eq!(p.refunded, Some(czk(89_400)));
    assert_eq!(p.refundable, Some(czk(0)));
    let refunds: Vec<_> = p
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Refunded)
        .collect();
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[1].id.as_deref(), Some("r2"));
    assert_eq!(refunds[1].amount, Some(czk(79_400)));
}

/// A full refund of the completed 894.00 CZK checkout, against a server that lists
/// `listed` as its refunds and answers the `POST /refunds` with `answer`; with how many
/// times the checkout was read.
async fn full_refund_with(
    listed: Value,
    answer: Value,
) -> (paymux_core::Result<paymux_core::Payment>, usize) {
    refund_with(RefundRequest::full(), listed, answer).await
}

/// As [`full_refund_with`], for `request`.
async fn refund_with(
    request: RefundRequest,
    listed: Value,
    answer: Value,
) -> (paymux_core::Result<paymux_core::Payment>, usize) {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(200).json_body(checkout("completed", "894.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(listed));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201).json_body(answer);
        })
        .await;
    let result = provider(&server).refund(ID, &request).await;
    if let Ok(p) = &result {
        assert_eq!(check_payment_invariants(p), Ok(()));
    }
    (result, read.calls_async().await)
}

#[tokio::test]
async fn a_full_refund_answered_with_another_refund_reads_the_payment_again() {
    // An idempotency key used before is answered with the refund it made then: for another
    // checkout, for another amount, or one listed already. None of them is this refund, so
    // the payment is read again and shows what Twisto holds (here: nothing refunded).
    let other_checkout =
        json!({"id": "rX", "checkout_id": "another-checkout", "amount": "894.00", "currency": "CZK"});
    let (p, reads) = full_refund_with(json!([]), other_checkout).await;
    let p = p.unwrap();
    assert_eq!(reads, 2);
    assert_eq!((p.status, p.refunded), (PaymentStatus::Captured, Some(czk(0))));
    assert!(p.events.iter().all(|e| e.id.as_deref() != Some("rX")));

    let other_amount = json!({"id": "rY", "checkout_id": ID, "amount": "1.00", "currency": "CZK"});
    let (p, reads) = full_refund_with(json!([]), other_amount).await;
    assert_eq!(reads, 2);
    assert_eq!(p.unwrap().refunded, Some(czk(0)));

    let r2 = json!({"id": "r2", "checkout_id": ID, "amount": "400.00", "currency": "CZK"});
    let (p, reads) = full_refund_with(json!([r2.clone()]), r2).await;
    let p = p.unwrap();
    assert_eq!(reads, 2);
    assert_eq!(
        (p.status, p.refunded),
        (PaymentStatus::PartiallyRefunded, Some(czk(40_000)))
    );
}

#[tokio::test]
async fn a_partial_refund_answered_with_another_refund_reads_the_payment_again() {
    let partial = || RefundRequest::partial(czk(10_000));
    // The refund asked for: added to the reading, nothing read again.
    let r1 = json!({"id": "r1", "checkout_id": ID, "amount": "100.00", "currency": "CZK"});
    let (p, reads) = refund_with(partial(), json!([listed_refund("r0", "50.00")]), r1).await;
    assert_eq!(reads, 1);
    assert_eq!(p.unwrap().refunded, Some(czk(15_000)));
    // Another amount, another checkout's, or one listed already: read again.
    for (listed, answer) in [
        (
            json!([]),
            json!({"id": "rY", "checkout_id": ID, "amount": "1.00", "currency": "CZK"}),
        ),
        (
            json!([]),
            json!({"id": "rX", "checkout_id": "another-checkout", "amount": "100.00"}),
        ),
        (
            json!([listed_refund("r2", "100.00")]),
            listed_refund("r2", "100.00"),
        ),
    ] {
        let expected = if listed.as_array().unwrap().is_empty() {
            czk(0)
        } else {
            czk(10_000)
        };
        let (p, reads) = refund_with(partial(), listed, answer).await;
        assert_eq!(reads, 2);
        assert_eq!(p.unwrap().refunded, Some(expected));
    }
}

#[tokio::test]
async fn full_refund_answered_in_another_currency_is_outcome_unknown() {
    // Twisto took a refund but its answer cannot be read as this checkout's: OutcomeUnknown
    // (reconcile), naming the refund and keeping the answer's excerpt.
    let answer = json!({"id": "r9", "checkout_id": ID, "amount": "894.00", "currency": "PLN"});
    let err = full_refund_with(json!([]), answer).await.0.unwrap_err();
    let Error::OutcomeUnknown {
        operation: Operation::Refund,
        payment_id: Some(payment),
        idempotency_key: Some(_),
        message,
        ..
    } = &err
    else {
        panic!("expected OutcomeUnknown, got {err:?}");
    };
    assert_eq!(payment, ID);
    assert!(
        message.contains("refund r9") && message.contains("PLN"),
        "{message}"
    );
    assert!(
        message.contains(r#"\"id\":\"r9\""#),
        "the refund's answer is kept: {message}"
    );
}

#[tokio::test]
async fn refunds_are_listed_and_read_by_id() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds")
                .query_param("checkoutId", ID)
                .header("authorization", AUTH);
            then.status(200).json_body(page(json!([
                {"id": "r1", "checkout_id": ID, "reason": "duplicate", "amount": "10.50", "currency": "CZK",
                 "created_date": "2024-05-02T09:00:00Z"}
            ])));
        })
        .await;
    let one = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/refunds/r1")
                .header("authorization", AUTH);
            then.status(200)
                .json_body(json!({"id": "r1", "checkout_id": ID, "amount": "10.50"}));
        })
        .await;
    let twisto = provider(&server);
    let refunds = twisto.list_refunds(ID).await.unwrap();
    list.assert_async().await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount.to_string(), "10.50");
    assert_eq!(refunds[0].currency, Some(Currency::CZK));
    assert_eq!(refunds[0].reason.as_deref(), Some("duplicate"));
    let r = twisto.get_refund("r1").await.unwrap();
    one.assert_async().await;
    assert_eq!(r.currency, None);
    assert_eq!(r.amount.to_string(), "10.50");
}

#[tokio::test]
async fn settlement_batches_and_entries() {
    let server = MockServer::start_async().await;
    let batches = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/batch")
                .header("authorization", AUTH);
            then.status(200).json_body(page(json!([{
                "id": "b1", "state": "paid", "settlement_date": "2024-05-02",
                "amount": "794.00", "order_amount": "894.00", "refund_amount": "100.00",
                "margin_amount": "0.00"
            }])));
        })
        .await;
    let entries = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/batch/b1/entry")
                .query_param("limit", "200")
                .header("authorization", AUTH);
            then.status(200).json_body(page(json!([
                {"type": "order", "checkout_id": ID, "merchant_reference": "order-1001",
                 "amount": "894.00", "created_date": "2024-05-01T10:05:00Z"},
                {"type": "refund", "checkout_id": ID, "amount": "100.00"}
            ])));
        })
        .await;
    let twisto = provider(&server);
    let page_b = twisto.list_batches(PageQuery::default()).await.unwrap();
    batches.assert_async().await;
    let b = &page_b.items[0];
    assert_eq!(b.state, "paid");
    assert_eq!(b.settlement_date, NaiveDate::from_ymd_opt(2024, 5, 2));
    assert_eq!(b.amount.map(|d| d.to_string()).as_deref(), Some("794.00"));
    assert_eq!(b.refund_amount.map(|d| d.to_string()).as_deref(), Some("100.00"));
    let mut q = PageQuery::default();
    q.limit = Some(200);
    let e = twisto.batch_entries("b1", q).await.unwrap();
    entries.assert_async().await;
    assert_eq!(e.items.len(), 2);
    assert_eq!(e.items[0].kind, "order");
    assert_eq!(e.items[0].merchant_reference.as_deref(), Some("order-1001"));
    assert_eq!(
        e.items[1].amount.map(|d| d.to_string()).as_deref(),
        Some("100.00")
    );
}

#[tokio::test]
async fn mutations_are_retried_with_one_key() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    let keys = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = keys.clone();
    let post = server
        .mock_async(move |when, then| {
            when.method(POST).path("/psp/v4/charges").is_true(move |req| {
                for (k, v) in req.headers_vec() {
                    if k.eq_ignore_ascii_case("idempotency-key") {
                        seen.lock().unwrap().insert(v.clone());
                    }
                }
                true
            });
            then.status(503).body("<html>busy</html>");
        })
        .await;
    let e = provider(&server)
        .create_charge(ID, true, None, None)
        .await
        .unwrap_err();
    assert_eq!(post.calls_async().await, 3, "first attempt + 2 retries");
    assert_eq!(
        keys.lock().unwrap().len(),
        1,
        "one generated key for every attempt"
    );
    // A final 5xx on a keyed mutation is unsettled: OutcomeUnknown with the key sent, so
    // the caller can reconcile and repeat the call with it.
    let sent = keys.lock().unwrap().iter().next().cloned().unwrap();
    assert!(
        matches!(&e, Error::OutcomeUnknown { operation: Operation::Capture, payment_id: Some(p),
            idempotency_key: Some(k), .. } if p == ID && *k == sent),
        "{e:?}"
    );
    assert!(!e.is_retryable());
}

/// Notes when the server sees a POST to `path` and the idempotency key it carried, without
/// answering it: mocks defined after this one can then answer reads differently before and
/// after that mutation. Define it before them (httpmock tries mocks in order).
async fn post_spy(server: &MockServer, path: &'static str) -> (Arc<AtomicBool>, Arc<Mutex<Option<String>>>) {
    let posted = Arc::new(AtomicBool::new(false));
    let key = Arc::new(Mutex::new(None));
    let (seen, sent) = (posted.clone(), key.clone());
    server
        .mock_async(move |when, then| {
            when.is_true(move |req| {
                if req.method_str() == "POST" && req.uri().path() == path {
                    seen.store(true, Ordering::SeqCst);
                    let k = req
                        .headers_vec()
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("idempotency-key"));
                    *sent.lock().unwrap() = k.map(|(_, v)| v.clone());
                }
                false
            });
            then.status(599);
        })
        .await;
    (posted, key)
}

/// The checkout in `state` until `posted` is set; a 500 after it.
async fn checkout_until_posted(server: &MockServer, posted: &Arc<AtomicBool>, state: &str) {
    let before = posted.clone();
    let body = checkout(state, "894.00");
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(format!("/psp/v4/checkouts/{ID}"))
                .is_true(move |_| !before.load(Ordering::SeqCst));
            then.status(200).json_body(body);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(500).body("<html>down</html>");
        })
        .await;
}

/// `e` is the `OutcomeUnknown` of a mutation Twisto accepted: for `operation` on `payment`,
/// with `key`, naming `accepted` (what Twisto answered), and not retryable.
fn assert_after_accepted(e: &Error, operation: Operation, payment: &str, key: &str, accepted: &str) {
    match e {
        Error::OutcomeUnknown {
            operation: op,
            payment_id,
            idempotency_key,
            message,
            ..
        } => {
            assert_eq!(*op, operation, "{e}");
            assert_eq!(payment_id.as_deref(), Some(payment), "{e}");
            assert_eq!(idempotency_key.as_deref(), Some(key), "{e}");
            assert!(message.contains(accepted), "{message}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_capture_whose_read_after_the_charge_fails_is_outcome_unknown_with_its_key() {
    // Twisto charged; the read after it failed. That failure must not invite a fresh call
    // (a fresh key: a second charge attempt), so it is OutcomeUnknown with the key sent.
    let server = MockServer::start_async().await;
    let (posted, _) = post_spy(&server, "/psp/v4/charges").await;
    checkout_until_posted(&server, &posted, "approved").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/charges");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/charges")
                .header("idempotency-key", "cap-1");
            then.status(201).json_body(charge("ch_1", "captured", "894.00"));
        })
        .await;
    let req = CaptureRequest::full().with_idempotency_key(IdempotencyKey::from_string("cap-1").unwrap());
    let e = provider(&server).capture(ID, &req).await.unwrap_err();
    assert_eq!(post.calls_async().await, 1);
    assert_after_accepted(&e, Operation::Capture, ID, "cap-1", "charge ch_1");
}

#[tokio::test]
async fn a_merchant_api_capture_whose_read_fails_names_the_generated_key_and_the_checkout() {
    let server = MockServer::start_async().await;
    let (posted, sent) = post_spy(&server, "/psp/smi/charges/ch_7/capture").await;
    checkout_until_posted(&server, &posted, "approved").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/charges");
            then.status(200)
                .json_body(page(json!([charge("ch_7", "authorised", "0.00")])));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/smi/charges/ch_7/capture");
            then.status(200).json_body(charge("ch_7", "captured", "894.00"));
        })
        .await;
    let e = provider(&server)
        .capture(ID, &CaptureRequest::full())
        .await
        .unwrap_err();
    let key = sent.lock().unwrap().clone().expect("a generated key was sent");
    assert_after_accepted(&e, Operation::Capture, ID, &key, "charge ch_7");
}

#[tokio::test]
async fn a_refund_answered_with_another_refund_whose_re_read_fails_is_outcome_unknown() {
    // An earlier refund under this key answers the POST; the payment is then read again,
    // and that read fails. Twisto took the key: OutcomeUnknown with it, not a read error.
    for request in [RefundRequest::full(), RefundRequest::partial(czk(10_000))] {
        let server = MockServer::start_async().await;
        let (posted, _) = post_spy(&server, "/psp/v4/refunds").await;
        checkout_until_posted(&server, &posted, "completed").await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/psp/v4/refunds");
                then.status(200).json_body(page(json!([])));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/psp/v4/refunds")
                    .header("idempotency-key", "rf-key-1");
                then.status(201).json_body(
                    json!({"id": "rX", "checkout_id": "another-checkout", "amount": "5.00", "currency": "CZK"}),
                );
            })
            .await;
        let request = request.with_idempotency_key(IdempotencyKey::from_string("rf-key-1").unwrap());
        let e = provider(&server).refund(ID, &request).await.unwrap_err();
        assert_after_accepted(&e, Operation::Refund, ID, "rf-key-1", "refund rX");
    }
}

#[tokio::test]
async fn a_void_whose_answer_and_read_after_it_fail_is_outcome_unknown_with_its_key() {
    // Twisto took the cancel (2xx) but its answer is not a checkout, and the read that
    // follows fails. The cancel stands: OutcomeUnknown with the key sent, as for charges and
    // refunds, not the read's own (retryable) error.
    let server = MockServer::start_async().await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/psp/v4/checkouts/{ID}/cancel"))
                .header("idempotency-key", "void-1");
            then.status(200).body("<html>OK</html>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(503).body("<html>down</html>");
        })
        .await;
    let req = VoidRequest::new().with_idempotency_key(IdempotencyKey::from_string("void-1").unwrap());
    let e = provider(&server).void(ID, &req).await.unwrap_err();
    assert_eq!(cancel.calls_async().await, 1);
    assert_after_accepted(&e, Operation::Void, ID, "void-1", "cancel");
}

#[tokio::test]
async fn an_accepted_mutation_whose_answer_cannot_be_read_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/charges");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    // An amount of the wrong type: the charge is named, its answer unreadable.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/charges");
            then.status(201)
                .json_body(json!({"id": "ch_1", "amount": 894, "currency": "CZK", "state": "captured"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/smi/charges/ch_7/capture");
            then.status(200).body(r#"{"id": "ch_7", "amount": "89"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201).body("<html>Created</html>");
        })
        .await;
    let twisto = provider(&server);
    let key = |k: &str| IdempotencyKey::from_string(k).unwrap();

    let req = CaptureRequest::full().with_idempotency_key(key("cap-1"));
    let e = twisto.capture(ID, &req).await.unwrap_err();
    assert_after_accepted(&e, Operation::Capture, ID, "cap-1", "charge ch_1");
    let e = twisto
        .create_charge(ID, false, None, Some(&key("auth-1")))
        .await
        .unwrap_err();
    assert_after_accepted(&e, Operation::Create, ID, "auth-1", "charge ch_1");
    // The merchant API's answer cut short: the charge id asked for is named.
    let e = twisto
        .capture_charge("ch_7", Some(&key("smi-1")))
        .await
        .unwrap_err();
    assert_after_accepted(&e, Operation::Capture, "ch_7", "smi-1", "charge ch_7");
    let e = twisto
        .create_refund(
            ID,
            czk(100),
            &RefundRequest::partial(czk(100)).with_idempotency_key(key("rf-1")),
        )
        .await
        .unwrap_err();
    assert_after_accepted(&e, Operation::Refund, ID, "rf-1", "refund");
    assert!(e.to_string().contains("<html>Created"), "{e}");
}

#[tokio::test]
async fn error_answers_map_to_typed_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/checkouts");
            then.status(400).json_body(json!({"errors": [
                {"code": "invalid", "message": "Enter a valid email address.", "field": "shopper.email"},
                {"code": "max_length", "message": "Too long.", "field": "shopper.phone"}
            ]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/checkouts/missing");
            then.status(404)
                .json_body(json!({"errors": [{"code": "not_found", "message": "Checkout not found"}]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/checkouts/done/cancel");
            then.status(409)
                .json_body(json!({"errors": [{"code": "invalid_state",
                "message": "Checkout in state completed cannot be cancelled."}]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/checkouts/html");
            then.status(502)
                .header("content-type", "text/html")
                .body("<html><body>Bad Gateway</body></html>");
        })
        .await;
    let twisto = provider(&server);
    match twisto.create_payment(&request()).await.unwrap_err() {
        Error::InvalidRequest { field, message } => {
            assert_eq!(field, "shopper.email");
            assert!(
                message.contains("Enter a valid email address.") && message.contains("Too long."),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(twisto.get_payment("missing").await, Err(Error::NotFound { id, .. }) if id == "missing")
    );
    match twisto.void("done", &VoidRequest::new()).await.unwrap_err() {
        Error::InvalidState {
            operation, message, ..
        } => {
            assert_eq!(operation, Operation::Void);
            assert!(message.contains("cannot be cancelled"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match twisto.get_payment("html").await.unwrap_err() {
        Error::Provider {
            http_status, message, ..
        } => {
            assert_eq!(http_status, 502);
            assert!(message.contains("Bad Gateway"), "{message}");
        }
        other => panic!("{other:?}"),
    }

    let bad_key = TwistoBuilder::new("wrong")
        .with_base_url(server.url("/psp/v4"))
        .build()
        .unwrap();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/checkouts/x")
                .header("authorization", "Bearer wrong");
            then.status(401)
                .json_body(json!({"errors": [{"code": "not_authenticated",
                "message": "Authentication credentials were not provided or are invalid."}]}));
        })
        .await;
    let e = bad_key.get_payment("x").await.unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e:?}");
    assert!(!e.to_string().contains("wrong"), "{e}");
}

/// docs/providers/twisto.md, "Errors": a 409 on a mutation is `InvalidState`, on a read a
/// retryable `Conflict` (a read is never in an invalid state); a 429 is `RateLimited` with
/// its `Retry-After`; a 5xx to `POST /checkouts` is `Provider` after its retries (it may be
/// resent freely, so it is no `OutcomeUnknown`).
#[tokio::test]
async fn conflicts_rate_limits_and_server_errors_by_kind_of_call() {
    let server = MockServer::start_async().await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/checkouts/busy");
            then.status(409)
                .json_body(json!({"errors": [{"code": "conflict", "message": "Try again."}]}));
        })
        .await;
    let limited = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/checkouts/limited");
            then.status(429).header("retry-after", "30").body("slow down");
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/checkouts");
            then.status(503).body("<html>busy</html>");
        })
        .await;
    let twisto = provider(&server);
    let e = twisto.get_payment("busy").await.unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }) && e.is_retryable(), "{e:?}");
    assert_eq!(read.calls_async().await, 3, "first attempt + 2 retries");
    // 30 s is beyond the 10 s the transport waits for: returned with the hint.
    let e = twisto.get_payment("limited").await.unwrap_err();
    assert!(
        matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{e:?}"
    );
    assert_eq!(limited.calls_async().await, 1);
    let e = twisto.create_payment(&request()).await.unwrap_err();
    assert!(matches!(e, Error::Provider { http_status: 503, .. }), "{e:?}");
    assert_eq!(create.calls_async().await, 3, "resent like a read");
}

#[tokio::test]
async fn amounts_that_break_the_pattern_are_decode_errors() {
    for bad in ["894.001", "1e3", "123456789.00", " 894.00", "894,00"] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
                then.status(200).json_body(checkout("created", bad));
            })
            .await;
        let e = provider(&server).get_payment(ID).await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{bad:?}: {e:?}");
    }
}

#[tokio::test]
async fn webhook_is_confirmed_by_fetching_the_checkout() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/psp/v4/checkouts/{ID}"))
                .header("authorization", AUTH);
            then.status(200).json_body(checkout("approved", "894.00"));
        })
        .await;
    // The unsigned body claims "completed"; the fetched checkout says "approved".
    let body = json!({
        "checkout_id": ID, "total_amount": "894.00", "refunded_amount": "0.00",
        "created_date": "2024-05-01T10:00:00Z", "settled_date": null,
        "type": "standard", "state": "completed", "external_id": "order-1001"
    })
    .to_string();
    let (event, payment) = provider(&server)
        .confirm_notification(body.as_bytes())
        .await
        .unwrap();
    get.assert_async().await;
    assert_eq!(event.payment_id, ID);
    assert_eq!(event.event_type, "standard");
    assert_eq!(event.status, Some(PaymentStatus::Authorized));
    assert_eq!(event.amount, Some(czk(89_400)));
    assert_eq!(event.raw, body);
    assert_eq!(payment.status, PaymentStatus::Authorized);

    let e = provider(&server)
        .confirm_notification(b"{\"nope\":1}")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
}

#[tokio::test]
async fn a_refund_sends_the_note_beside_the_reason() {
    // Twisto's refund has one free-text `reason`: a note given with a reason goes after it
    // (as Paiwise does), not dropped.
    let server = MockServer::start_async().await;
    // `create_refund` reads the checkout first, for its currency.
    serve_checkout(&server, checkout("completed", "894.00")).await;
    let mut mocks = Vec::new();
    for (key, reason) in [
        ("k-dup", "duplicate; charged twice at the till"),
        ("k-other", "damaged in transit; charged twice at the till"),
    ] {
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(POST)
                        .path("/psp/v4/refunds")
                        .header("idempotency-key", key)
                        .json_body(json!({
                            "checkout_id": ID, "reason": reason, "amount": "10.00"
                        }));
                    then.status(201).json_body(json!({
                        "id": key, "checkout_id": ID, "reason": reason,
                        "amount": "10.00", "currency": "CZK"
                    }));
                })
                .await,
        );
    }
    let p = provider(&server);
    for (key, reason) in [
        ("k-dup", RefundReason::Duplicate),
        ("k-other", RefundReason::Other("damaged in transit".into())),
    ] {
        let req = RefundRequest::full()
            .with_reason(reason)
            .with_note("charged twice at the till")
            .with_idempotency_key(IdempotencyKey::from_string(key).unwrap());
        p.create_refund(ID, czk(1_000), &req).await.unwrap();
    }
    for m in mocks {
        m.assert_async().await;
    }
}

#[tokio::test]
async fn create_refund_in_another_currency_than_the_checkout_is_refused_before_posting() {
    // `POST /refunds` names no currency: 10.00 EUR asked on a CZK checkout would refund
    // 10.00 CZK. The checkout is read first and the refund refused.
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(200).json_body(checkout("completed", "894.00"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201).json_body(json!({
                "id": "r1", "checkout_id": ID, "amount": "10.00", "currency": "CZK"
            }));
        })
        .await;
    let twisto = provider(&server);
    let eur = Money::from_minor(1_000, Currency::EUR);
    let e = twisto
        .create_refund(ID, eur, &RefundRequest::partial(eur))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, .. } if field == "amount"),
        "{e:?}"
    );
    get.assert_async().await;
    post.assert_calls_async(0).await;
    // In the checkout's currency it is posted.
    let r = twisto
        .create_refund(ID, czk(1_000), &RefundRequest::partial(czk(1_000)))
        .await
        .unwrap();
    post.assert_calls_async(1).await;
    assert_eq!(r.amount.to_string(), "10.00");
    assert_eq!(r.currency, Some(Currency::CZK));
}

#[tokio::test]
async fn a_listed_refund_with_a_negative_amount_is_a_decode_error_not_netted() {
    // Twisto refunds only amounts above zero. A refund listed as "-100.00" (another sign
    // convention, or a broken answer) netted into the sum would report 100.00 CZK *less*
    // refunded and 100.00 CZK more refundable than was captured, as `Captured`.
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201).json_body(listed_refund("r9", "10.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200)
                .json_body(page(json!([listed_refund("r1", "-100.00")])));
        })
        .await;
    let twisto = provider(&server);
    let e = twisto.get_payment(ID).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    // Nor is a refund posted on that reading.
    let e = twisto
        .refund(ID, &RefundRequest::partial(czk(1_000)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    post.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_authorised_charge_with_the_reference_but_another_amount_is_not_captured_for_this_checkout() {
    // The charge object names no checkout: it is found by reference. A charge with this
    // order's reference but another amount or currency cannot be this checkout's (Twisto
    // charges the full amount only): it belongs to another checkout made with the same
    // reference, and capturing it would charge that one and report this one captured.
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "authorised");
            then.status(200).json_body(page(json!([
                {"id": "ch_other", "reference": "order-1001", "amount": "500.00", "currency": "CZK",
                 "captured_amount": "0.00", "refunded_amount": "0.00", "state": "authorised"},
                {"id": "ch_eur", "reference": "order-1001", "amount": "894.00", "currency": "EUR",
                 "captured_amount": "0.00", "refunded_amount": "0.00", "state": "authorised"}
            ])));
        })
        .await;
    let smi = server
        .mock_async(|when, then| {
            when.method(POST).path_prefix("/psp/smi/charges/");
            then.status(200)
                .json_body(charge("ch_other", "captured", "500.00"));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/psp/v4/charges")
                .json_body_includes(r#"{"amount": "894.00", "currency": "CZK", "capture": true}"#);
            then.status(201).json_body(charge("ch_1", "captured", "894.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let twisto = provider(&server);
    assert_eq!(twisto.find_authorised_charge(ID).await.unwrap(), None);
    let p = twisto.capture(ID, &CaptureRequest::full()).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!(smi.calls_async().await, 0);
    post.assert_async().await;
    assert_eq!(p.captured, Some(czk(89_400)));
}

#[tokio::test]
async fn list_checkouts_sends_the_date_bounds_exactly() {
    // A bound cut to whole seconds moves it: a `dateTo` of 23:59:59.999 sent as 23:59:59
    // leaves out every checkout created in the last (part of a) second of the range.
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/checkouts")
                .query_param("dateFrom", "2024-05-01T00:00:00.250Z")
                .query_param("dateTo", "2024-05-31T23:59:59.999999999Z");
            then.status(200)
                .json_body(page(json!([checkout("created", "894.00")])));
        })
        .await;
    let from = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(250);
    let to = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap() - chrono::Duration::nanoseconds(1);
    let q = CheckoutListQuery::new().between(from, to);
    let page = provider(&server).list_checkouts(&q).await.unwrap();
    m.assert_async().await;
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn a_settlement_date_written_as_a_date_time_is_kept() {
    // RFC 3339 is how Twisto writes its other dates (`created`, `settled`): a batch whose
    // `settlement_date` comes that way keeps its date (as written, in its own offset).
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/batch");
            then.status(200).json_body(page(json!([
                {"id": "b1", "state": "paid", "settlement_date": "2024-05-02T00:00:00+02:00",
                 "amount": "794.00", "order_amount": "894.00", "refund_amount": "100.00",
                 "margin_amount": "0.00"},
                {"id": "b2", "state": "exported", "settlement_date": "2024-05-03",
                 "amount": "1.00", "order_amount": "1.00", "refund_amount": "0.00",
                 "margin_amount": "0.00"},
                {"id": "b3", "state": "exported", "settlement_date": "next week",
                 "amount": "1.00", "order_amount": "1.00", "refund_amount": "0.00",
                 "margin_amount": "0.00"}
            ])));
        })
        .await;
    let batches = provider(&server)
        .list_batches(PageQuery::default())
        .await
        .unwrap();
    let dates: Vec<_> = batches.items.iter().map(|b| b.settlement_date).collect();
    assert_eq!(
        dates,
        [
            NaiveDate::from_ymd_opt(2024, 5, 2),
            NaiveDate::from_ymd_opt(2024, 5, 3),
            None
        ]
    );
}

#[tokio::test]
async fn a_batch_or_entry_that_names_its_currency_keeps_it() {
    // Twisto documents no currency on a batch; one that names it must not lose it (two
    // batches of one day in CZK and EUR would otherwise be told apart by nothing).
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/batch");
            then.status(200).json_body(page(json!([
                {"id": "b1", "state": "paid", "settlement_date": "2024-05-02", "currency": "CZK",
                 "amount": "894.00", "order_amount": "894.00", "refund_amount": "0.00",
                 "margin_amount": "0.00"},
                {"id": "b2", "state": "paid", "settlement_date": "2024-05-02",
                 "amount": "10.00", "order_amount": "10.00", "refund_amount": "0.00",
                 "margin_amount": "0.00"}
            ])));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/batch/b1/entry");
            then.status(200).json_body(page(json!([
                {"type": "order", "checkout_id": ID, "currency": "CZK", "amount": "894.00"},
                {"type": "order", "checkout_id": ID, "amount": "894.00"}
            ])));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/batch/bad/entry");
            then.status(200).json_body(page(
                json!([{"type": "order", "currency": "Kč", "amount": "1.00"}]),
            ));
        })
        .await;
    let twisto = provider(&server);
    let batches = twisto.list_batches(PageQuery::default()).await.unwrap();
    let currencies: Vec<_> = batches.items.iter().map(|b| b.currency).collect();
    assert_eq!(currencies, [Some(Currency::CZK), None]);
    let entries = twisto.batch_entries("b1", PageQuery::default()).await.unwrap();
    let currencies: Vec<_> = entries.items.iter().map(|e| e.currency).collect();
    assert_eq!(currencies, [Some(Currency::CZK), None]);
    // A currency that is no ISO code is not guessed at.
    let e = twisto
        .batch_entries("bad", PageQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
}

#[tokio::test]
async fn list_refunds_without_a_checkout_id_is_refused_not_an_empty_list() {
    // `GET /refunds?checkoutId=` filters by nothing: an empty id (a failed join in the
    // caller's books) must not read as "this checkout has no refunds".
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([
                {"id": "r1", "checkout_id": ID, "amount": "10.50", "currency": "CZK"}
            ])));
        })
        .await;
    let twisto = provider(&server);
    for id in ["", "a\nb"] {
        let e = twisto.list_refunds(id).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidRequest { field, .. } if field == "checkout_id"),
            "{id:?}: {e:?}"
        );
    }
    assert_eq!(list.calls_async().await, 0);
}

/// `settled` is when Twisto transferred the funds to the merchant (Twisto's webhook docs:
/// "Settled - Twisto has transfered funds"), days after the charge and after any refund made
/// before the payout. It dates no capture: the completion event of a checkout read without
/// its charge carries no time (Twisto gives none for the charge on the checkout), and the
/// events stay oldest first.
#[tokio::test]
async fn the_completion_is_not_dated_by_the_payout() {
    let server = MockServer::start_async().await;
    let mut settled_late = checkout("completed", "894.00");
    settled_late["settled"] = json!("2024-05-10T06:00:00Z");
    serve_checkout(&server, settled_late.clone()).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([
                {"id": "r1", "checkout_id": ID, "amount": "100.00", "currency": "CZK",
                 "created_date": "2024-05-02T09:00:00Z"}
            ])));
        })
        .await;
    let p = provider(&server).get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!(p.events[1].kind, EventKind::Captured);
    assert_eq!(p.events[1].at, None, "the payout date is not the capture date");
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(
        p.updated_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap())
    );
}

/// Refunds with a date are oldest first even when another refund in the list has none (the
/// undated one stays where Twisto listed it): every payment's events that carry a time are in
/// time order.
#[tokio::test]
async fn dated_refunds_are_oldest_first_beside_an_undated_one() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([
                {"id": "r3", "checkout_id": ID, "amount": "1.00", "currency": "CZK",
                 "created_date": "2024-05-04T09:00:00Z"},
                {"id": "rx", "checkout_id": ID, "amount": "2.00", "currency": "CZK"},
                {"id": "r1", "checkout_id": ID, "amount": "3.00", "currency": "CZK",
                 "created_date": "2024-05-02T09:00:00Z"}
            ])));
        })
        .await;
    let p = provider(&server).get_payment(ID).await.unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    let ids: Vec<Option<&str>> = p.events[2..].iter().map(|e| e.id.as_deref()).collect();
    assert_eq!(ids, [Some("r1"), Some("rx"), Some("r3")]);
    assert_eq!(p.refunded, Some(czk(600)));
}

/// A charge answered with a captured amount below zero or above the checkout's amount (the
/// pattern allows a sign; a charge is for the full amount only) is no figure to report: the
/// capture Twisto took is `OutcomeUnknown` with its key, never a payment that says
/// -894.00 CZK or 8 940.00 CZK captured (and as much refundable).
#[tokio::test]
async fn a_charge_answered_with_an_impossible_captured_amount_is_not_reported() {
    for captured in ["-894.00", "8940.00"] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
                then.status(200).json_body(checkout("approved", "894.00"));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/psp/v4/charges");
                then.status(200).json_body(page(json!([])));
            })
            .await;
        let post = server
            .mock_async(|when, then| {
                when.method(POST).path("/psp/v4/charges");
                then.status(201).json_body(charge("ch_1", "captured", captured));
            })
            .await;
        let req = CaptureRequest::full().with_idempotency_key(IdempotencyKey::from_string("cap-1").unwrap());
        let e = match provider(&server).capture(ID, &req).await {
            Ok(p) => panic!(
                "{captured}: reported {:?} captured, {:?} refundable",
                p.captured, p.refundable
            ),
            Err(e) => e,
        };
        post.assert_calls_async(1).await;
        assert_after_accepted(&e, Operation::Capture, ID, "cap-1", "charge ch_1");
    }
}

/// Charges listed with an amount below zero are a decode error, not a charge of -894.00 CZK.
#[tokio::test]
async fn a_listed_charge_with_a_negative_amount_is_a_decode_error() {
    for (field, value) in [
        ("amount", "-894.00"),
        ("captured_amount", "-894.00"),
        ("refunded_amount", "-1.00"),
    ] {
        let server = MockServer::start_async().await;
        let mut listed = charge("ch_1", "captured", "894.00");
        listed[field] = json!(value);
        server
            .mock_async(|when, then| {
                when.method(GET).path("/psp/v4/charges");
                then.status(200).json_body(page(json!([listed.clone()])));
            })
            .await;
        let e = provider(&server)
            .list_charges(None, PageQuery::default())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{field}: {e:?}");
    }
}

/// A refund below zero is a decode error wherever it is read, as it is when folded into a
/// payment: `list_refunds` and `get_refund` do not hand out a refund of -100.00, and
/// `create_refund` answered with one (Twisto took a refund) is `OutcomeUnknown` with its key.
#[tokio::test]
async fn a_refund_below_zero_is_refused_by_every_refund_call() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("completed", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200)
                .json_body(page(json!([listed_refund("r1", "-100.00")])));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds/r1");
            then.status(200).json_body(listed_refund("r1", "-100.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/refunds");
            then.status(201).json_body(listed_refund("r2", "-10.00"));
        })
        .await;
    let twisto = provider(&server);
    let e = twisto.list_refunds(ID).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let e = twisto.get_refund("r1").await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let req =
        RefundRequest::partial(czk(1_000)).with_idempotency_key(IdempotencyKey::from_string("rf-1").unwrap());
    let e = twisto.create_refund(ID, czk(1_000), &req).await.unwrap_err();
    assert_after_accepted(&e, Operation::Refund, ID, "rf-1", "refund r2");
}

/// A capture answered with a charge already `refunded` (the checkout read before it was
/// still `approved`) reads `Refunded`: the charge's own refunded amount stands, not "nothing
/// refunded, all of it refundable".
#[tokio::test]
async fn a_capture_answered_with_a_refunded_charge_does_not_offer_it_for_refund() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/charges");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let mut refunded = charge("ch_1", "refunded", "894.00");
    refunded["refunded_amount"] = json!("894.00");
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/v4/charges");
            then.status(201).json_body(refunded.clone());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/psp/v4/refunds");
            then.status(200).json_body(page(json!([])));
        })
        .await;
    let p = provider(&server)
        .capture(ID, &CaptureRequest::full())
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::Refunded);
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!(p.refunded, Some(czk(89_400)));
    assert_eq!(p.refundable, Some(czk(0)));
}

/// A charge authorised earlier and captured now through the merchant API: its
/// `created_date` is when it was authorised, not when it was captured (Twisto's charge has
/// no capture time). The payment shows the authorisation at that time and the capture
/// undated, not a capture dated at the authorisation.
#[tokio::test]
async fn a_merchant_api_capture_is_not_dated_by_the_authorisation() {
    let server = MockServer::start_async().await;
    serve_checkout(&server, checkout("approved", "894.00")).await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/psp/v4/charges")
                .query_param("state", "authorised");
            then.status(200)
                .json_body(page(json!([charge("ch_7", "authorised", "0.00")])));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/psp/smi/charges/ch_7/capture");
            then.status(200).json_body(charge("ch_7", "captured", "894.00"));
        })
        .await;
    let p = provider(&server)
        .capture(ID, &CaptureRequest::full())
        .await
        .unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    assert_eq!(p.status, PaymentStatus::Captured);
    let authorised = Utc.with_ymd_and_hms(2024, 5, 1, 10, 6, 0).unwrap();
    let captured = p.events.iter().find(|e| e.kind == EventKind::Captured).unwrap();
    assert_eq!(captured.id.as_deref(), Some("ch_7"));
    assert_eq!(captured.at, None, "captured now, authorised at 10:06");
    let authorisation = p.events.iter().find(|e| e.kind == EventKind::Authorized).unwrap();
    assert_eq!(authorisation.id.as_deref(), Some("ch_7"));
    assert_eq!(authorisation.at, Some(authorised));
    assert_eq!(authorisation.amount, Some(czk(89_400)));
}

/// Whatever state and captured amount a capture is answered with, the payment is
/// consistent: a `captured_amount` that contradicts the charge's state (nothing captured
/// on a `captured` charge, the whole amount on a `rejected` one) is not reported as the
/// captured figure.
#[tokio::test]
async fn a_capture_answer_is_consistent_in_every_charge_state() {
    for state in [
        "captured",
        "refunded",
        "authorised",
        "cancelled",
        "rejected",
        "error",
        "held",
    ] {
        for captured in ["0.00", "894.00"] {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
                    then.status(200).json_body(checkout("approved", "894.00"));
                })
                .await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/psp/v4/charges");
                    then.status(200).json_body(page(json!([])));
                })
                .await;
            server
                .mock_async(|when, then| {
                    when.method(POST).path("/psp/v4/charges");
                    then.status(201).json_body(charge("ch_1", state, captured));
                })
                .await;
            let p = provider(&server)
                .capture(ID, &CaptureRequest::full())
                .await
                .unwrap();
            assert_eq!(check_payment_invariants(&p), Ok(()), "{state} {captured}");
            assert_eq!(p.raw_status, format!("checkout:approved/charge:{state}"));
        }
    }
}

/// `updated_at` is when the status last changed. A checkout approved, cancelled or completed
/// at a time Twisto does not give has no such time: not its creation time, which would
/// make a checkout charged days later look unchanged since it was created.
#[tokio::test]
async fn updated_at_is_not_the_creation_time_of_a_checkout_that_changed_since() {
    for (state, updated) in [
        (
            "created",
            Some(Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()),
        ),
        ("approved", None),
        ("completed", None),
        ("cancelled", None),
        ("error", None),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
                then.status(200).json_body(checkout(state, "894.00"));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path("/psp/v4/refunds");
                then.status(200).json_body(page(json!([])));
            })
            .await;
        let p = provider(&server).get_payment(ID).await.unwrap();
        assert_eq!(p.updated_at, updated, "{state}");
        assert_eq!(
            p.created_at,
            Some(Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap())
        );
    }
}

/// `GET /checkouts/{ID}` answers `body` (200), as often as it is asked.
async fn serve_checkout(server: &MockServer, body: Value) {
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/psp/v4/checkouts/{ID}"));
            then.status(200).json_body(body);
        })
        .await;
}

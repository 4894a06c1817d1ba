//! Wire tests against a mock server: method, path, auth header, idempotency header and the
//! exact JSON body of every endpoint, with bodies validated against the OpenAPI schemas.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use common::{assert_valid, provider, AUTH, PAY_ID};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use paymux_checkout::{
    ActionRequest, CardDetails, CheckoutBuilder, CheckoutCustomer, CheckoutPaymentRequest, CheckoutSource,
    KeyStyle, PaymentType, SearchRequest,
};
use paymux_core::{
    CaptureRequest, CreatePayment, Currency, Customer, Error, EventKind, IdempotencyKey, LineItem,
    LineItemKind, MetadataUpdate, Money, PaymentProvider, PaymentSource, PaymentStatus, RefundReason,
    RefundRequest, VoidRequest,
};
use serde_json::{json, Value};

const IDEM: &str = "cko-idempotency-key";
const UUID_V4: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

fn details(status: &str, captured: i64, refunded: i64, actions: Value) -> Value {
    json!({
        "id": PAY_ID,
        "requested_on": "2019-08-24T14:15:22Z",
        "source": {"type": "card", "id": "src_nwd3m4in3hkuddfpjsaevunhdy", "scheme": "Visa", "last4": "4242",
                   "expiry_month": 6, "expiry_year": 2030, "issuer_country": "GB", "card_type": "CREDIT"},
        "amount": 6540,
        "currency": "USD",
        "reference": "ORD-5023-4E89",
        "approved": true,
        "status": status,
        "balances": {"total_authorized": 6540, "total_voided": 0, "available_to_void": 0,
                     "total_captured": captured, "available_to_capture": 6540 - captured,
                     "total_refunded": refunded, "available_to_refund": captured - refunded},
        "metadata": {"order": "5023", "gift": true, "items": 3},
        "actions": actions,
        "_links": {"self": {"href": "x"}, "actions": {"href": "x"}}
    })
}

fn spec_201_example() -> Value {
    common::spec()["paths"]["/payments"]["post"]["responses"]["201"]["content"]["application/json"]["example"]
        .clone()
}

#[tokio::test]
async fn create_with_card_token_sends_the_documented_body() {
    let server = MockServer::start_async().await;
    let body = json!({
        "source": {"type": "token", "token": "tok_4gzeau5o2uqubbk6fufs3m7p54"},
        "amount": 6540,
        "currency": "USD",
        "reference": "ORD-5023-4E89",
        "description": "Set of 3 masks",
        "capture": false,
        "customer": {"email": "brucewayne@gmail.com", "name": "Bruce Wayne"},
        "success_url": "https://shop.example/ok",
        "failure_url": "https://shop.example/fail",
        "metadata": {"coupon_code": "NY2018"}
    });
    assert_valid("PaymentRequest", &body);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/payments")
                .header("authorization", AUTH)
                .header_matches(IDEM, UUID_V4)
                .header("content-type", "application/json")
                .json_body(body.clone());
            then.status(201)
                .header("cko-request-id", "req_1")
                .json_body(spec_201_example());
        })
        .await;
    let p = provider(&server.base_url());
    let req = CreatePayment::new(Money::from_minor(6540, Currency::USD), "ORD-5023-4E89")
        .with_description("Set of 3 masks")
        .with_source(PaymentSource::CardToken {
            token: "tok_4gzeau5o2uqubbk6fufs3m7p54".into(),
        })
        .with_customer(Customer::with_email("brucewayne@gmail.com").name("Bruce", "Wayne"))
        .with_return_urls("https://shop.example/ok", "https://shop.example/fail")
        .with_metadata("coupon_code", "NY2018")
        .with_manual_capture();
    let payment = p.create_payment(&req).await.unwrap();
    mock.assert_async().await;
    assert_eq!(payment.id, PAY_ID);
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.raw_status, "Authorized");
    assert_eq!(payment.amount, Money::from_minor(6540, Currency::USD));
    assert_eq!(payment.provider, "checkout");
    assert_eq!(
        payment.card.as_ref().and_then(|c| c.last4.as_deref()),
        Some("4242")
    );
    assert_eq!(
        payment.events[0].id.as_deref(),
        Some("act_mbabizu24mvu3mela5njyhpit4")
    );
    assert!(payment.raw.as_deref().unwrap().contains("770687"));
    assert!(payment.decline.is_none());
}

#[tokio::test]
async fn request_payment_sends_every_checkout_field_with_the_callers_key() {
    let server = MockServer::start_async().await;
    let body = json!({
        "source": {"type": "card", "number": "4242424242424242", "expiry_month": 6, "expiry_year": 2030,
                   "name": "Bruce Wayne", "cvv": "100"},
        "amount": 1500,
        "currency": "BHD",
        "payment_type": "Recurring",
        "merchant_initiated": true,
        "reference": "ORD-1",
        "capture": true,
        "capture_on": "2030-01-02T03:04:05Z",
        "customer": {"id": "cus_y3oqhf46pyzuxjbcn2giaqnb44", "email": "b@example.com", "name": "Bruce"},
        "3ds": {"enabled": true},
        "processing_channel_id": "pc_q4dbxom5jbgudnjzjpz7j2z6uq",
        "previous_payment_id": "pay_fun26akvvjjerahhctaq2uzhu4",
        "success_url": "https://shop.example/ok",
        "failure_url": "https://shop.example/fail"
    });
    assert_valid("PaymentRequest", &body);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/payments")
                .header("authorization", AUTH)
                .header(IDEM, "order-1-create")
                .json_body(body.clone());
            then.status(202).json_body(json!({
                "id": PAY_ID, "status": "Pending", "reference": "ORD-1",
                "3ds": {"downgraded": false, "enrolled": "Y"},
                "_links": {"self": {"href": "https://x/payments/pay"},
                           "redirect": {"href": "https://3ds.example/challenge/sid_1"}}
            }));
        })
        .await;
    let p = provider(&server.base_url());
    let req = CheckoutPaymentRequest::new(Money::from_minor(1500, Currency::BHD))
        .with_source(CheckoutSource::Card(
            CardDetails::new("4242424242424242", 6, 2030)
                .with_cvv("100")
                .with_name("Bruce Wayne"),
        ))
        .with_reference("ORD-1")
        .with_payment_type(PaymentType::Recurring)
        .merchant_initiated("pay_fun26akvvjjerahhctaq2uzhu4")
        .capture_on("2030-01-02T03:04:05Z".parse().unwrap())
        .with_customer(
            CheckoutCustomer::with_email("b@example.com")
                .name("Bruce")
                .id("cus_y3oqhf46pyzuxjbcn2giaqnb44"),
        )
        .with_3ds()
        .with_redirect_urls("https://shop.example/ok", "https://shop.example/fail")
        .with_processing_channel_id("pc_q4dbxom5jbgudnjzjpz7j2z6uq")
        .with_idempotency_key(IdempotencyKey::from_string("order-1-create").unwrap());
    let mut req = req;
    req.capture = Some(true);
    assert!(
        !format!("{req:?}").contains("4242424242424242"),
        "card number in Debug"
    );
    let payment = p.request_payment(&req).await.unwrap();
    mock.assert_async().await;
    assert_eq!(payment.status, PaymentStatus::RequiresAction);
    assert_eq!(
        payment.redirect_url.as_deref(),
        Some("https://3ds.example/challenge/sid_1")
    );
    assert_eq!(payment.amount.to_decimal_string(), "1.500");
}

#[tokio::test]
async fn saved_card_and_customer_sources() {
    let server = MockServer::start_async().await;
    let saved = json!({
        "source": {"type": "id", "id": "src_wmlfc3zyhqzehihu7giusaaawu"},
        "amount": 100, "currency": "JPY", "reference": "r1", "capture": true,
        "customer": {"id": "cus_y3oqhf46pyzuxjbcn2giaqnb44"}
    });
    let customer = json!({
        "source": {"type": "customer", "id": "cus_y3oqhf46pyzuxjbcn2giaqnb44"},
        "amount": 1000, "currency": "CLP", "processing_channel_id": "pc_aaaaaaaaaaaaaaaaaaaaaaaaaa"
    });
    assert_valid("PaymentRequest", &saved);
    assert_valid("PaymentRequest", &customer);
    let ok = |amount: i64, cur: &str| {
        json!({"id": PAY_ID, "action_id": "act_1", "amount": amount, "currency": cur, "approved": true,
               "status": "Captured", "response_code": "10000", "processed_on": "2019-09-10T10:11:12Z",
               "_links": {"self": {"href": "x"}, "actions": {"href": "x"}}})
    };
    let m1 = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/payments")
                .header_exists(IDEM)
                .json_body(saved.clone());
            then.status(201).json_body(ok(100, "JPY"));
        })
        .await;
    let m2 = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/payments")
                .header_exists(IDEM)
                .json_body(customer.clone());
            then.status(201).json_body(ok(1000, "CLP"));
        })
        .await;
    let p = CheckoutBuilder::new(common::KEY)
        .with_base_url(server.base_url())
        .with_processing_channel_id("pc_aaaaaaaaaaaaaaaaaaaaaaaaaa")
        .build()
        .unwrap();
    // The configured channel is sent unless the request names one; the first request
    // overrides nothing, so build a provider without one for it.
    let plain = provider(&server.base_url());
    let saved_payment = plain
        .create_payment(
            &CreatePayment::new(Money::from_minor(100, Currency::JPY), "r1").with_source(
                PaymentSource::SavedCard {
                    customer_id: "cus_y3oqhf46pyzuxjbcn2giaqnb44".into(),
                    card_id: "src_wmlfc3zyhqzehihu7giusaaawu".into(),
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(saved_payment.status, PaymentStatus::Captured);
    assert_eq!(saved_payment.amount, Money::from_minor(100, Currency::JPY));
    let cust = p
        .request_payment(
            &CheckoutPaymentRequest::new(Money::from_minor(10, Currency::CLP))
                .with_source(CheckoutSource::Customer("cus_y3oqhf46pyzuxjbcn2giaqnb44".into())),
        )
        .await
        .unwrap();
    assert_eq!(cust.amount, Money::from_minor(10, Currency::CLP));
    m1.assert_async().await;
    m2.assert_async().await;
    // Hosted is not offered here: nothing is sent.
    let err = plain
        .create_payment(&CreatePayment::new(Money::from_minor(100, Currency::EUR), "r"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

#[tokio::test]
async fn create_payment_sends_exactly_what_encode_create_payment_returns() {
    // The public encoder is the body on the wire, byte for byte: a request with customer,
    // line items, metadata, 3-D Secure, return URLs, the caller's key and the configured
    // processing channel.
    let server = MockServer::start_async().await;
    // Each call's body and idempotency key.
    type Sent = Vec<(Vec<u8>, Option<String>)>;
    let bodies: Arc<Mutex<Sent>> = Arc::default();
    let seen = bodies.clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/payments").is_true(move |req| {
                let key = req
                    .headers_vec()
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(IDEM))
                    .map(|(_, v)| v.clone());
                seen.lock().unwrap().push((req.body_vec(), key));
                true
            });
            then.status(201).json_body(spec_201_example());
        })
        .await;
    let p = CheckoutBuilder::new(common::KEY)
        .with_base_url(server.base_url())
        .with_processing_channel_id("pc_q4dbxom5jbgudnjzjpz7j2z6uq")
        .build()
        .unwrap();
    let usd = |minor| Money::from_minor(minor, Currency::USD);
    let req = CreatePayment::new(usd(6540), "ORD-5023-4E89")
        .with_description("Set of 3 masks")
        .with_source(PaymentSource::CardToken {
            token: "tok_4gzeau5o2uqubbk6fufs3m7p54".into(),
        })
        .with_customer(
            Customer::with_email("brucewayne@gmail.com")
                .name("Bruce", "Wayne")
                .id("cus_udst2tfldj6upmye2reztkmm4i")
                .phone("415 555 2671"),
        )
        .with_line_item(LineItem::new("Mask", usd(2000), 3, LineItemKind::Sku).reference("SKU-1"))
        .with_line_item(LineItem::new("Shipping", usd(540), 1, LineItemKind::Shipping))
        .with_return_urls("https://shop.example/ok", "https://shop.example/fail")
        .with_metadata("coupon_code", "NY2018")
        .with_metadata("partner_id", "123989")
        .with_3ds()
        .with_idempotency_key(IdempotencyKey::from_string("order-5023-create").unwrap());
    let encoded = p.encode_create_payment(&req).unwrap();
    let payment = p.create_payment(&req).await.unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(payment.id, PAY_ID);
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&sent[0].0),
        String::from_utf8_lossy(&encoded),
        "the body sent is not the encoder's"
    );
    assert_eq!(sent[0].0, encoded.to_vec());
    assert_eq!(sent[0].1.as_deref(), Some("order-5023-create"));
    let json: Value = serde_json::from_slice(&encoded).unwrap();
    assert_valid("PaymentRequest", &json);
    for field in ["customer", "items", "metadata", "3ds", "processing_channel_id"] {
        assert!(json.get(field).is_some(), "{field} is not in {json}");
    }
}

#[tokio::test]
async fn a_saved_card_payment_passes_the_capability_check() {
    // The registry wraps every backend in `Checked`: a source the backend maps (a stored
    // instrument, `source.type = id`) must reach Checkout.com, not stop at `Unsupported`.
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/payments").json_body(json!({
                "source": {"type": "id", "id": "src_wmlfc3zyhqzehihu7giusaaawu"},
                "amount": 100, "currency": "JPY", "reference": "r1", "capture": true,
                "customer": {"id": "cus_y3oqhf46pyzuxjbcn2giaqnb44"}
            }));
            then.status(201)
                .json_body(json!({"id": PAY_ID, "action_id": "act_1", "amount": 100,
                "currency": "JPY", "approved": true, "status": "Captured", "response_code": "10000",
                "processed_on": "2019-09-10T10:11:12Z",
                "_links": {"self": {"href": "x"}, "actions": {"href": "x"}}}));
        })
        .await;
    let checked = paymux_core::Checked::new(provider(&server.base_url()));
    assert!(checked.capabilities().saved_cards);
    let payment = checked
        .create_payment(
            &CreatePayment::new(Money::from_minor(100, Currency::JPY), "r1").with_source(
                PaymentSource::SavedCard {
                    customer_id: "cus_y3oqhf46pyzuxjbcn2giaqnb44".into(),
                    card_id: "src_wmlfc3zyhqzehihu7giusaaawu".into(),
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Captured);
    mock.assert_async().await;
}

#[tokio::test]
async fn a_201_decline_is_a_declined_payment_not_an_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/payments");
            then.status(201).json_body(json!({
                "id": PAY_ID, "action_id": "act_2", "amount": 1005, "currency": "EUR", "approved": false,
                "status": "Declined", "response_code": "20005", "response_summary": "Declined - Do Not Honour",
                "processed_on": "2019-09-10T10:11:12Z", "_links": {"self": {"href": "x"}}
            }));
        })
        .await;
    let p = provider(&server.base_url());
    let payment = p
        .create_payment(
            &CreatePayment::new(Money::from_minor(1005, Currency::EUR), "o").with_source(
                PaymentSource::CardToken {
                    token: "tok_decline".into(),
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Declined);
    let decline = payment.decline.unwrap();
    assert_eq!(decline.code.as_deref(), Some("20005"));
    assert_eq!(decline.message.as_deref(), Some("Declined - Do Not Honour"));
    assert_eq!(payment.events[0].kind, EventKind::Declined);
}

#[tokio::test]
async fn get_list_and_actions() {
    let server = MockServer::start_async().await;
    let actions = json!([
        {"id": "act_cap", "type": "Capture", "response_code": "10000", "response_summary": "Approved"},
        {"id": "act_auth", "type": "Authorization", "response_code": "10000", "response_summary": "Approved"}
    ]);
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/payments/{PAY_ID}"))
                .header("authorization", AUTH)
                .header_missing(IDEM);
            then.status(200)
                .json_body(details("Partially Captured", 1000, 0, actions.clone()));
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/payments")
                .query_param("reference", "ORD 5023/4E89")
                .query_param("limit", "5")
                .query_param("skip", "10")
                .header("authorization", AUTH);
            then.status(200).json_body(json!({
                "limit": 5, "skip": 10, "total_count": 11,
                "data": [details("Captured", 6540, 0, json!([]))]
            }));
        })
        .await;
    let acts = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}/actions")).header("authorization", AUTH);
            then.status(200).json_body(json!([
                {"id": "act_cap", "type": "Capture", "processed_on": "2018-01-17T10:30:48Z", "amount": 1000,
                 "approved": true, "response_code": "10000", "response_summary": "Approved"},
                {"id": "act_auth", "type": "Authorization", "processed_on": "2018-01-17T09:30:48Z", "amount": 6540,
                 "approved": true, "response_code": "10000", "response_summary": "Approved"}
            ]));
        })
        .await;
    let p = provider(&server.base_url());
    let payment = p.get_payment(PAY_ID).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(payment.captured, Some(Money::from_minor(1000, Currency::USD)));
    assert_eq!(payment.capturable, Some(Money::from_minor(5540, Currency::USD)));
    assert_eq!(payment.refundable, Some(Money::from_minor(1000, Currency::USD)));
    assert_eq!(payment.metadata.get("gift").map(String::as_str), Some("true"));
    assert_eq!(payment.metadata.get("items").map(String::as_str), Some("3"));
    let kinds: Vec<_> = payment.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Authorized, EventKind::Captured]);
    let page = p.list_payments("ORD 5023/4E89", Some(5), Some(10)).await.unwrap();
    assert_eq!(page.total_count, Some(11));
    assert_eq!(page.payments.len(), 1);
    assert_eq!(page.payments[0].status, PaymentStatus::Captured);
    let full = p.get_payment_with_history(PAY_ID).await.unwrap();
    assert_eq!(
        full.events[1].amount,
        Some(Money::from_minor(1000, Currency::USD))
    );
    assert_eq!(
        full.events[0].amount,
        Some(Money::from_minor(6540, Currency::USD))
    );
    assert!(full.updated_at.is_some());
    get.assert_calls_async(2).await;
    list.assert_async().await;
    acts.assert_async().await;
    assert!(matches!(
        p.list_payments("r", Some(0), None).await,
        Err(Error::InvalidRequest { .. })
    ));
    assert!(matches!(
        p.list_payments("r", Some(101), None).await,
        Err(Error::InvalidRequest { .. })
    ));
}

/// Mocks an action endpoint answering 202 and the GET that follows.
async fn action_roundtrip<'a>(
    server: &'a MockServer,
    path: &str,
    body: Value,
    key: Option<&str>,
    after: Value,
) -> (httpmock::Mock<'a>, httpmock::Mock<'a>) {
    let post = server
        .mock_async(|when, then| {
            let when = when
                .method(POST)
                .path(format!("/payments/{PAY_ID}/{path}"))
                .header("authorization", AUTH)
                .json_body(body.clone());
            match key {
                Some(k) => when.header(IDEM, k),
                None => when.header_matches(IDEM, UUID_V4),
            };
            then.status(202)
                .header("cko-request-id", "req_act")
                .json_body(json!({"action_id": "act_new", "reference": "ref",
                                  "_links": {"payment": {"href": "x"}}}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200).json_body(after.clone());
        })
        .await;
    (post, get)
}

#[tokio::test]
async fn capture_full_and_partial_return_the_refetched_payment() {
    let after = details(
        "Partially Captured",
        500,
        0,
        json!([{"id": "act_new", "type": "Capture", "response_code": "10000"},
               {"id": "act_auth", "type": "Authorization", "response_code": "10000"}]),
    );
    let partial = json!({"amount": 500, "capture_type": "NonFinal", "reference": "cap-1"});
    let full = json!({"capture_type": "Final"});
    assert_valid("CaptureRequest", &partial);
    assert_valid("CaptureRequest", &full);
    let server = MockServer::start_async().await;
    let (post, get) = action_roundtrip(&server, "captures", partial, Some("cap-key-1"), after.clone()).await;
    let p = provider(&server.base_url());
    let payment = p
        .capture(
            PAY_ID,
            &CaptureRequest::partial(Money::from_minor(500, Currency::USD))
                .with_reference("cap-1")
                .with_idempotency_key(IdempotencyKey::from_string("cap-key-1").unwrap()),
        )
        .await
        .unwrap();
    post.assert_async().await;
    // Read before (the amount's currency is checked against the payment's) and after.
    get.assert_calls_async(2).await;
    assert_eq!(payment.status, PaymentStatus::PartiallyCaptured);
    assert!(payment.events.iter().any(|e| e.id.as_deref() == Some("act_new")));

    let server = MockServer::start_async().await;
    let (post, _get) = action_roundtrip(&server, "captures", full, None, after).await;
    let p = provider(&server.base_url());
    let accepted = p.capture_action(PAY_ID, &CaptureRequest::full()).await.unwrap();
    post.assert_async().await;
    assert_eq!(accepted.action_id.as_deref(), Some("act_new"));
    assert_eq!(accepted.request_id.as_deref(), Some("req_act"));
    assert!(!accepted.already_done);
}

#[tokio::test]
async fn a_partial_capture_or_refund_in_another_currency_is_refused_before_any_action() {
    // The payment is in USD; an action names no currency, so 5.00 EUR would move $5.00.
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200)
                .json_body(details("Captured", 6540, 0, json!([])));
        })
        .await;
    let actions = server
        .mock_async(|when, then| {
            when.method(POST).path_includes("/payments/");
            then.status(202).json_body(json!({"action_id": "act_x"}));
        })
        .await;
    let p = provider(&server.base_url());
    let eur = Money::from_minor(500, Currency::EUR);
    let e = p
        .capture(PAY_ID, &CaptureRequest::partial(eur))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, .. } if field == "amount"),
        "{e}"
    );
    let e = p.refund(PAY_ID, &RefundRequest::partial(eur)).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, .. } if field == "amount"),
        "{e}"
    );
    assert_eq!(get.calls_async().await, 2);
    actions.assert_calls_async(0).await;
}

#[tokio::test]
async fn refund_full_and_partial() {
    let after = details("Partially Refunded", 6540, 1000, json!([]));
    let partial = json!({"amount": 1000, "reference": "rf-1",
                         "metadata": {"refund_reason": "requested_by_customer", "refund_note": "broken mask"}});
    let full = json!({});
    assert_valid("RefundRequest", &partial);
    assert_valid("RefundRequest", &full);
    let server = MockServer::start_async().await;
    let (post, get) = action_roundtrip(&server, "refunds", partial, None, after.clone()).await;
    let p = provider(&server.base_url());
    let payment = p
        .refund(
            PAY_ID,
            &RefundRequest::partial(Money::from_minor(1000, Currency::USD))
                .with_reference("rf-1")
                .with_reason(RefundReason::RequestedByCustomer)
                .with_note("broken mask"),
        )
        .await
        .unwrap();
    post.assert_async().await;
    get.assert_calls_async(2).await;
    assert_eq!(payment.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(payment.refunded, Some(Money::from_minor(1000, Currency::USD)));

    let server = MockServer::start_async().await;
    let (post, _) = action_roundtrip(&server, "refunds", full, None, after).await;
    provider(&server.base_url())
        .refund(PAY_ID, &RefundRequest::full())
        .await
        .unwrap();
    post.assert_async().await;
}

#[tokio::test]
async fn void_reversal_incremental_authorization_and_cancellation() {
    let void = json!({"reference": "void-1"});
    assert_valid("VoidRequest", &void);
    let incr = json!({"amount": 1000, "reference": "inc-1", "metadata": {"reason": "extra night"}});
    assert_valid("AuthorizationRequest", &incr);
    let cases: Vec<(&str, Value)> = vec![
        ("voids", void),
        (
            "reversals",
            json!({"reference": "rev-1", "metadata": {"why": "fraud"}}),
        ),
        ("authorizations", incr),
        ("cancellations", json!({"reference": "can-1"})),
    ];
    for (path, body) in cases {
        let server = MockServer::start_async().await;
        let (post, get) =
            action_roundtrip(&server, path, body, None, details("Voided", 0, 0, json!([]))).await;
        let p = provider(&server.base_url());
        let payment = match path {
            "voids" => p.void(PAY_ID, &VoidRequest::new().with_reference("void-1")).await,
            "reversals" => {
                p.reverse(
                    PAY_ID,
                    &ActionRequest::new()
                        .with_reference("rev-1")
                        .with_metadata("why", "fraud"),
                )
                .await
            }
            "authorizations" => {
                p.increment_authorization(
                    PAY_ID,
                    &ActionRequest::new()
                        .with_amount(Money::from_minor(1000, Currency::USD))
                        .with_reference("inc-1")
                        .with_metadata("reason", "extra night"),
                )
                .await
            }
            _ => {
                p.cancel_scheduled_retry(PAY_ID, &ActionRequest::new().with_reference("can-1"))
                    .await
            }
        }
        .unwrap();
        post.assert_async().await;
        // An increment with an amount reads the payment's currency first, then reads it back.
        get.assert_calls_async(if path == "authorizations" { 2 } else { 1 })
            .await;
        assert_eq!(payment.status, PaymentStatus::Voided, "{path}");
    }
    let p = provider("http://127.0.0.1:9");
    assert!(matches!(
        p.reverse(
            PAY_ID,
            &ActionRequest::new().with_amount(Money::from_minor(1, Currency::USD))
        )
        .await,
        Err(Error::InvalidRequest { .. })
    ));
    assert!(matches!(
        p.update_metadata(PAY_ID, &MetadataUpdate::new().set("a", "b"))
            .await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn search_posts_the_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/payments/search")
                .header("authorization", AUTH)
                .header_matches(IDEM, UUID_V4)
                .json_body(
                    json!({"query": "id:'pay_mbabizu24mvu3mela5njyhpit4'", "limit": 10,
                                  "from": "2023-08-24T14:15:22Z", "to": "2023-08-25T14:15:22Z"}),
                );
            then.status(200).json_body(json!({
                "data": [details("Authorized", 0, 0, json!([]))],
                "_links": {"next": {"href": "https://x/payments/search?page=2"}}
            }));
        })
        .await;
    let p = provider(&server.base_url());
    let page = p
        .search_payments(
            &SearchRequest::new("id:'pay_mbabizu24mvu3mela5njyhpit4'")
                .with_limit(10)
                .between(
                    "2023-08-24T14:15:22Z".parse().unwrap(),
                    "2023-08-25T14:15:22Z".parse().unwrap(),
                ),
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.payments.len(), 1);
    assert_eq!(page.next.as_deref(), Some("https://x/payments/search?page=2"));
}

#[tokio::test]
async fn bare_key_style_sends_the_key_without_bearer() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/payments/{PAY_ID}"))
                .header("authorization", "sk_test_old");
            then.status(200).json_body(details("Authorized", 0, 0, json!([])));
        })
        .await;
    let p = CheckoutBuilder::new("sk_test_old")
        .with_key_style(KeyStyle::Bare)
        .with_base_url(server.base_url())
        .build()
        .unwrap();
    p.get_payment(PAY_ID).await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn errors_map_to_the_unified_variants() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/payments/pay_unauth");
            then.status(401);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/payments/pay_missing");
            then.status(404);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/payments");
            then.status(422)
                .header("cko-request-id", "0HL80RJLS76I7")
                .json_body(json!({
                    "request_id": "0HL80RJLS76I7", "error_type": "request_invalid",
                    "error_codes": ["amount_invalid", "currency_required"]
                }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/payments/pay_captured/voids");
            then.status(403).header("cko-request-id", "req_403");
        })
        .await;
    let p = provider(&server.base_url());
    let e = p.get_payment("pay_unauth").await.unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e}");
    assert!(!e.to_string().contains(common::KEY));
    let e = p.get_payment("pay_missing").await.unwrap_err();
    assert!(
        matches!(e, Error::NotFound { ref id, .. } if id == "pay_missing"),
        "{e}"
    );
    let e = p
        .create_payment(
            &CreatePayment::new(Money::from_minor(100, Currency::EUR), "o")
                .with_source(PaymentSource::CardToken { token: "t".into() }),
        )
        .await
        .unwrap_err();
    match e {
        Error::InvalidRequest { field, message } => {
            assert_eq!(field, "amount");
            assert!(
                message.contains("amount_invalid") && message.contains("currency_required"),
                "{message}"
            );
            assert!(message.contains("0HL80RJLS76I7"), "{message}");
        }
        other => panic!("{other}"),
    }
    let e = p.void("pay_captured", &VoidRequest::new()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    assert!(e.to_string().contains("req_403"), "{e}");
    let e = p.get_payment("pay_bad/../x").await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
}

fn key_recorder() -> (
    Arc<Mutex<Vec<String>>>,
    impl Fn(&httpmock::HttpMockRequest) -> bool + Send + Sync,
) {
    let keys = Arc::new(Mutex::new(Vec::new()));
    let k = keys.clone();
    let f = move |req: &httpmock::HttpMockRequest| {
        if let Some((_, v)) = req
            .headers_vec()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(IDEM))
        {
            k.lock().unwrap().push(v.clone());
        }
        true
    };
    (keys, f)
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_key_then_reported_as_outcome_unknown_with_it() {
    let server = MockServer::start_async().await;
    let (keys, rec) = key_recorder();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/captures"))
                .is_true(rec);
            then.status(502)
                .header("cko-request-id", "req_502")
                .body("Bad Gateway");
        })
        .await;
    let p = provider(&server.base_url());
    let e = p.capture(PAY_ID, &CaptureRequest::full()).await.unwrap_err();
    mock.assert_calls_async(3).await;
    let keys: BTreeSet<String> = keys.lock().unwrap().iter().cloned().collect();
    assert_eq!(keys.len(), 1, "one key for every attempt: {keys:?}");
    let key = keys.iter().next().unwrap();
    assert!(regex_like_uuid(key));
    // A 502 may come after Checkout.com captured: the outcome is unknown, and the error
    // carries the generated key, so a retry with it cannot capture twice.
    match &e {
        Error::OutcomeUnknown {
            operation,
            payment_id,
            idempotency_key,
            message,
            ..
        } => {
            assert_eq!(*operation, paymux_core::Operation::Capture);
            assert_eq!(payment_id.as_deref(), Some(PAY_ID));
            assert_eq!(idempotency_key.as_deref(), Some(key.as_str()));
            assert!(
                message.contains("HTTP 502") && message.contains("req_502"),
                "{message}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(!e.is_retryable());
}

/// docs/providers/checkout.md, "Idempotency, retries and errors": a 5xx to a read (`GET`,
/// and `POST /payments/search`, which moves nothing) is retried, then `Provider` with the
/// HTTP status, the error codes and `Cko-Request-Id`, not `OutcomeUnknown`.
#[tokio::test]
async fn server_errors_to_reads_are_retried_then_provider_errors_with_the_request_id() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(500)
                .header("cko-request-id", "req_500")
                .json_body(json!({"request_id": "req_500", "error_type": "internal",
                                  "error_codes": ["internal_error"]}));
        })
        .await;
    let search = server
        .mock_async(|when, then| {
            when.method(POST).path("/payments/search");
            then.status(503).header("cko-request-id", "req_503").body("busy");
        })
        .await;
    let p = provider(&server.base_url());
    match p.get_payment(PAY_ID).await.unwrap_err() {
        Error::Provider {
            http_status,
            code,
            request_id,
            ..
        } => {
            assert_eq!(http_status, 500);
            assert_eq!(code.as_deref(), Some("internal_error"));
            assert_eq!(request_id.as_deref(), Some("req_500"));
        }
        other => panic!("{other:?}"),
    }
    get.assert_calls_async(3).await;
    let e = p
        .search_payments(&SearchRequest::new("reference:\"order-1\""))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Provider { http_status: 503, request_id: Some(r), .. } if r == "req_503"),
        "{e:?}"
    );
    search.assert_calls_async(3).await;
}

fn regex_like_uuid(s: &str) -> bool {
    s.len() == 36 && s.as_bytes()[14] == b'4'
}

#[tokio::test]
async fn in_flight_duplicates_and_rate_limits() {
    let server = MockServer::start_async().await;
    let conflict = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/voids"))
                .header(IDEM, "k-409");
            then.status(409);
        })
        .await;
    let duplicate = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/voids"))
                .header(IDEM, "k-dup");
            then.status(429)
                .json_body(json!({"request_id": "r", "error_type": "request_invalid",
                                               "error_codes": ["duplicate_request"]}));
        })
        .await;
    let limited = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/voids"))
                .header(IDEM, "k-429");
            then.status(429).header("retry-after", "0");
        })
        .await;
    let p = provider(&server.base_url());
    let void = |k: &str| VoidRequest::new().with_idempotency_key(IdempotencyKey::from_string(k).unwrap());
    let e = p.void(PAY_ID, &void("k-409")).await.unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }) && e.is_retryable(), "{e}");
    conflict.assert_calls_async(3).await;
    let e = p.void(PAY_ID, &void("k-dup")).await.unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{e}");
    duplicate.assert_calls_async(3).await;
    let e = p.void(PAY_ID, &void("k-429")).await.unwrap_err();
    assert!(matches!(e, Error::RateLimited { .. }), "{e}");
    limited.assert_calls_async(3).await;
}

#[tokio::test]
async fn amounts_breaking_the_rules_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let p = provider(&server.base_url());
    let token = PaymentSource::CardToken { token: "tok".into() };
    for (minor, cur) in [
        (1505, Currency::BHD),
        (0, Currency::EUR),
        (-1, Currency::EUR),
        (1, Currency::CLF),
        (10_000_000_000, Currency::EUR),
    ] {
        let e = p
            .create_payment(
                &CreatePayment::new(Money::from_minor(minor, cur), "o").with_source(token.clone()),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidRequest { ref field, .. } if field == "amount"),
            "{e}"
        );
    }
    let e = p
        .capture(
            PAY_ID,
            &CaptureRequest::partial(Money::from_minor(1505, Currency::KWD)),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("last digit"), "{e}");
    any.assert_calls_async(0).await;
}

/// Mocks an action endpoint answering `202 {action_id: "act_1"}` (the documented
/// `*AcceptedResponse`) whatever the key.
async fn accepted_action<'a>(server: &'a MockServer, path: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/{path}"))
                .header("authorization", AUTH)
                .header_exists(IDEM);
            then.status(202)
                .header("cko-request-id", "req_act")
                .json_body(json!({"action_id": "act_1", "reference": "ref-1",
                                  "_links": {"payment": {"href": "x"}}}));
        })
        .await
}

/// Asserts `e` is `OutcomeUnknown` for `operation` on `PAY_ID` with `key`, naming the
/// accepted action and containing `cause`.
fn assert_accepted_unknown(e: &Error, operation: paymux_core::Operation, key: &str, what: &str, cause: &str) {
    match e {
        Error::OutcomeUnknown {
            operation: op,
            payment_id,
            idempotency_key,
            message,
            ..
        } => {
            assert_eq!(*op, operation, "{e}");
            assert_eq!(payment_id.as_deref(), Some(PAY_ID), "{e}");
            assert_eq!(idempotency_key.as_deref(), Some(key), "{e}");
            assert!(
                message.contains(&format!("Checkout.com accepted the {what} (action act_1)")),
                "{message}"
            );
            assert!(message.contains(cause), "{message}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(!e.is_retryable(), "{e}");
}

#[tokio::test]
async fn an_accepted_action_whose_payment_cannot_be_read_is_outcome_unknown_with_its_key() {
    use paymux_core::Operation;
    let cases = [
        ("captures", Operation::Capture, "capture"),
        ("refunds", Operation::Refund, "refund"),
        ("voids", Operation::Void, "void"),
        ("reversals", Operation::Void, "reversal"),
        ("authorizations", Operation::Capture, "incremental authorization"),
        ("cancellations", Operation::Void, "cancellation"),
    ];
    for (path, operation, what) in cases {
        let server = MockServer::start_async().await;
        let post = accepted_action(&server, path).await;
        let get = server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/payments/{PAY_ID}"));
                then.status(503).body("Service Unavailable");
            })
            .await;
        let p = provider(&server.base_url());
        let key = format!("order-1-{path}");
        let k = IdempotencyKey::from_string(key.clone()).unwrap();
        let e = match path {
            "captures" => {
                p.capture(PAY_ID, &CaptureRequest::full().with_idempotency_key(k))
                    .await
            }
            "refunds" => {
                p.refund(PAY_ID, &RefundRequest::full().with_idempotency_key(k))
                    .await
            }
            "voids" => p.void(PAY_ID, &VoidRequest::new().with_idempotency_key(k)).await,
            "reversals" => {
                p.reverse(PAY_ID, &ActionRequest::new().with_idempotency_key(k))
                    .await
            }
            "authorizations" => {
                p.increment_authorization(PAY_ID, &ActionRequest::new().with_idempotency_key(k))
                    .await
            }
            _ => {
                p.cancel_scheduled_retry(PAY_ID, &ActionRequest::new().with_idempotency_key(k))
                    .await
            }
        }
        .unwrap_err();
        post.assert_calls_async(1).await;
        get.assert_calls_async(3).await;
        assert_accepted_unknown(&e, operation, &key, what, "HTTP 503");
    }

    // Without a caller's key, the error carries the generated one that was sent.
    let server = MockServer::start_async().await;
    let (keys, rec) = key_recorder();
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/refunds"))
                .is_true(rec);
            then.status(202)
                .json_body(json!({"action_id": "act_1", "_links": {"payment": {"href": "x"}}}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(503);
        })
        .await;
    let e = provider(&server.base_url())
        .refund(PAY_ID, &RefundRequest::full())
        .await
        .unwrap_err();
    let sent = keys.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(regex_like_uuid(&sent[0]));
    assert_accepted_unknown(&e, Operation::Refund, &sent[0], "refund", "HTTP 503");
}

#[tokio::test]
async fn an_accepted_refund_whose_payment_read_times_out_or_is_unreadable_is_outcome_unknown() {
    use paymux_core::Operation;
    let server = MockServer::start_async().await;
    accepted_action(&server, "refunds").await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200)
                .delay(std::time::Duration::from_millis(1500))
                .json_body(details("Refunded", 6540, 6540, json!([])));
        })
        .await;
    let p = CheckoutBuilder::new(common::KEY)
        .with_base_url(server.base_url())
        .with_transport(
            paymux_core::TransportConfig::default()
                .with_max_retries(1)
                .with_request_timeout(std::time::Duration::from_millis(200))
                .with_backoff(
                    std::time::Duration::from_millis(1),
                    std::time::Duration::from_millis(5),
                ),
        )
        .build()
        .unwrap();
    let key = IdempotencyKey::from_string("rf-timeout").unwrap();
    let e = p
        .refund(PAY_ID, &RefundRequest::full().with_idempotency_key(key))
        .await
        .unwrap_err();
    get.assert_calls_async(2).await;
    assert_accepted_unknown(&e, Operation::Refund, "rf-timeout", "refund", "timed out");

    // A payment answer that cannot be decoded after an accepted capture.
    let server = MockServer::start_async().await;
    accepted_action(&server, "captures").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200)
                .body(r#"{"id": "pay_mbabizu24mvu3mela5njyhpit4", "amount": 65"#);
        })
        .await;
    let key = IdempotencyKey::from_string("cap-garbled").unwrap();
    let e = provider(&server.base_url())
        .capture(PAY_ID, &CaptureRequest::full().with_idempotency_key(key))
        .await
        .unwrap_err();
    assert_accepted_unknown(&e, Operation::Capture, "cap-garbled", "capture", "decode");
}

#[tokio::test]
async fn an_accepted_action_answer_that_cannot_be_decoded_is_outcome_unknown_with_its_key() {
    use paymux_core::Operation;
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/refunds"))
                .header(IDEM, "rf-truncated");
            then.status(202).body(r#"{"action_id": "act_1", "refer"#);
        })
        .await;
    let p = provider(&server.base_url());
    let key = IdempotencyKey::from_string("rf-truncated").unwrap();
    let e = p
        .refund_action(PAY_ID, &RefundRequest::full().with_idempotency_key(key))
        .await
        .unwrap_err();
    post.assert_calls_async(1).await;
    match &e {
        Error::OutcomeUnknown {
            operation,
            payment_id,
            idempotency_key,
            message,
            ..
        } => {
            assert_eq!(*operation, Operation::Refund);
            assert_eq!(payment_id.as_deref(), Some(PAY_ID));
            assert_eq!(idempotency_key.as_deref(), Some("rf-truncated"));
            assert!(message.contains("Checkout.com accepted the refund"), "{message}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}

#[tokio::test]
async fn a_created_payment_whose_answer_cannot_be_decoded_is_outcome_unknown_with_its_key() {
    use paymux_core::Operation;
    let server = MockServer::start_async().await;
    let (keys, rec) = key_recorder();
    // The documented 201 example, cut off half way.
    let full = spec_201_example().to_string();
    let truncated = full[..full.len() / 2].to_owned();
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/payments").is_true(rec);
            then.status(201).body(truncated.clone());
        })
        .await;
    let p = provider(&server.base_url());
    let req = CreatePayment::new(Money::from_minor(6540, Currency::USD), "ORD-5023-4E89").with_source(
        PaymentSource::CardToken {
            token: "tok_1".into(),
        },
    );
    let e = p.create_payment(&req).await.unwrap_err();
    create.assert_calls_async(1).await;
    let sent = keys.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    match &e {
        Error::OutcomeUnknown {
            operation,
            payment_id,
            idempotency_key,
            message,
            ..
        } => {
            assert_eq!(*operation, Operation::Create);
            assert_eq!(*payment_id, None, "the id is in the part that did not arrive");
            assert_eq!(idempotency_key.as_deref(), Some(sent[0].as_str()));
            assert!(message.contains("Checkout.com accepted the payment"), "{message}");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(!e.is_retryable());

    // A complete answer breaking the amount rule still names the payment it created.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/payments").header(IDEM, "order-2-create");
            then.status(201).json_body(json!({
                "id": PAY_ID, "action_id": "act_1", "amount": 1505, "currency": "BHD", "approved": true,
                "status": "Authorized", "response_code": "10000", "_links": {"self": {"href": "x"}}
            }));
        })
        .await;
    let e = provider(&server.base_url())
        .request_payment(
            &CheckoutPaymentRequest::new(Money::from_minor(1500, Currency::BHD))
                .with_source(CheckoutSource::Token("tok_1".into()))
                .with_idempotency_key(IdempotencyKey::from_string("order-2-create").unwrap()),
        )
        .await
        .unwrap_err();
    match &e {
        Error::OutcomeUnknown {
            operation,
            payment_id,
            idempotency_key,
            ..
        } => {
            assert_eq!(*operation, Operation::Create);
            assert_eq!(payment_id.as_deref(), Some(PAY_ID));
            assert_eq!(idempotency_key.as_deref(), Some("order-2-create"));
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}

#[tokio::test]
async fn a_declined_payment_read_back_takes_its_code_from_the_latest_declined_action() {
    let server = MockServer::start_async().await;
    let mut body = details(
        "Declined",
        0,
        0,
        json!([
            {"id": "act_2", "type": "Authorization", "approved": false, "response_code": "20051",
             "response_summary": "Insufficient Funds"},
            {"id": "act_1", "type": "Authorization", "approved": false, "response_code": "20005",
             "response_summary": "Declined - Do Not Honour"}
        ]),
    );
    body["approved"] = json!(false);
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200).json_body(body.clone());
        })
        .await;
    let payment = provider(&server.base_url()).get_payment(PAY_ID).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::Declined);
    let decline = payment.decline.unwrap();
    assert_eq!(decline.code.as_deref(), Some("20051"));
    assert_eq!(decline.message.as_deref(), Some("20051: Insufficient Funds"));
}

/// `GET /payments/{id}` lists `PaymentActionSummary` items, which in the OpenAPI have `id`,
/// `type`, `response_code` and `response_summary` only (no `approved`): on a declined
/// payment, its authorizations are the declined attempts, and the decline's code is theirs.
#[tokio::test]
async fn a_declined_payment_read_back_with_documented_action_summaries_keeps_its_code() {
    let server = MockServer::start_async().await;
    let mut body = details(
        "Declined",
        0,
        0,
        json!([
            {"id": "act_2", "type": "Authorization", "response_code": "20051",
             "response_summary": "Insufficient Funds"},
            {"id": "act_1", "type": "Authorization", "response_code": "20005",
             "response_summary": "Declined - Do Not Honour"}
        ]),
    );
    body["approved"] = json!(false);
    body["balances"] = json!({"total_authorized": 0, "total_captured": 0, "total_refunded": 0,
        "available_to_capture": 0, "available_to_refund": 0, "available_to_void": 0});
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200).json_body(body.clone());
        })
        .await;
    let payment = provider(&server.base_url()).get_payment(PAY_ID).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::Declined);
    let decline = payment.decline.clone().unwrap();
    assert_eq!(decline.code.as_deref(), Some("20051"));
    assert_eq!(decline.message.as_deref(), Some("20051: Insufficient Funds"));
    let kinds: Vec<_> = payment.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Declined, EventKind::Declined],
        "{:?}",
        payment.events
    );

    // An authorized payment's summaries stay authorizations.
    let body = details(
        "Authorized",
        0,
        0,
        json!([
            {"id": "act_1", "type": "Authorization", "response_code": "10000", "response_summary": "Approved"}
        ]),
    );
    let p = paymux_checkout::decode_payment_details(body.to_string().as_bytes()).unwrap();
    assert_eq!(p.events[0].kind, EventKind::Authorized);
    assert!(p.decline.is_none());
}

fn field_of(e: &Error) -> &str {
    match e {
        Error::InvalidRequest { field, .. } => field,
        other => panic!("expected InvalidRequest, got {other}"),
    }
}

#[tokio::test]
async fn unified_create_sends_line_items_and_the_customer_phone() {
    let server = MockServer::start_async().await;
    let body = json!({
        "source": {"type": "token", "token": "tok_4gzeau5o2uqubbk6fufs3m7p54"},
        "amount": 6540,
        "currency": "USD",
        "reference": "ORD-5023-4E89",
        "capture": true,
        "customer": {"email": "brucewayne@gmail.com", "name": "Bruce Wayne",
                     "phone": {"number": "415 555 2671"}},
        "items": [
            {"name": "Mask", "quantity": 3, "unit_price": 1500, "reference": "sku-mask"},
            {"name": "Shipping", "quantity": 1, "unit_price": 2040}
        ]
    });
    assert_valid("PaymentRequest", &body);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/payments")
                .header("authorization", AUTH)
                .header_matches(IDEM, UUID_V4)
                .json_body(body.clone());
            then.status(201).json_body(spec_201_example());
        })
        .await;
    let p = provider(&server.base_url());
    let usd = |m| Money::from_minor(m, Currency::USD);
    let req = CreatePayment::new(usd(6540), "ORD-5023-4E89")
        .with_source(PaymentSource::CardToken {
            token: "tok_4gzeau5o2uqubbk6fufs3m7p54".into(),
        })
        .with_customer(
            Customer::with_email("brucewayne@gmail.com")
                .name("Bruce", "Wayne")
                .phone("415 555 2671"),
        )
        .with_line_item(LineItem::new("Mask", usd(1500), 3, LineItemKind::Sku).reference("sku-mask"))
        .with_line_item(LineItem::new("Shipping", usd(2040), 1, LineItemKind::Shipping));
    p.create_payment(&req).await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn request_fields_checkout_would_refuse_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let p = provider(&server.base_url());
    let usd = |m| Money::from_minor(m, Currency::USD);
    let token = PaymentSource::CardToken {
        token: "tok_4gzeau5o2uqubbk6fufs3m7p54".into(),
    };
    let base = || CreatePayment::new(usd(1000), "o").with_source(token.clone());
    let cases: Vec<(CreatePayment, &str)> = vec![
        (
            base().with_line_item(LineItem::new("Voucher", usd(-200), 1, LineItemKind::Discount)),
            "line_items[0].unit_amount",
        ),
        (
            base().with_line_item(LineItem::new(
                "Mask",
                Money::from_minor(1000, Currency::EUR),
                1,
                LineItemKind::Sku,
            )),
            "line_items[0].unit_amount",
        ),
        (
            base().with_line_item(LineItem::new("Mask", usd(1000), 0, LineItemKind::Sku)),
            "line_items[0].quantity",
        ),
        (
            base().with_line_item(LineItem::new("x".repeat(256), usd(1000), 1, LineItemKind::Sku)),
            "line_items[0].name",
        ),
        (
            base().with_customer(Customer::with_email("b@example.com").phone("12345")),
            "customer.phone",
        ),
        (
            base().with_customer(Customer::with_email(format!("{}@example.com", "b".repeat(250)))),
            "customer.email",
        ),
        (
            CreatePayment::new(usd(1000), "o")
                .with_source(PaymentSource::SavedCard {
                    customer_id: "cus_y3oqhf46pyzuxjbcn2giaqnb44".into(),
                    card_id: "src_wmlfc3zyhqzehihu7giusaaawu".into(),
                })
                .with_customer(Customer::default().id("cus_aaaaaaaaaaaaaaaaaaaaaaaaaa")),
            "customer.id",
        ),
    ];
    for (req, field) in cases {
        let e = p.create_payment(&req).await.unwrap_err();
        assert_eq!(field_of(&e), field, "{e}");
    }
    // A merchant-initiated payment must not be Regular, which is also the default.
    let mit = CheckoutPaymentRequest::new(usd(1000))
        .with_source(CheckoutSource::Instrument {
            id: "src_wmlfc3zyhqzehihu7giusaaawu".into(),
            cvv: None,
        })
        .merchant_initiated("pay_fun26akvvjjerahhctaq2uzhu4");
    let e = p.request_payment(&mit).await.unwrap_err();
    assert_eq!(field_of(&e), "payment_type", "{e}");
    let e = p
        .request_payment(&mit.clone().with_payment_type(PaymentType::Regular))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "payment_type", "{e}");
    // Card fields: a four-digit year, a CVV of 3 or 4 characters.
    let card = |c: CardDetails| CheckoutPaymentRequest::new(usd(1000)).with_source(CheckoutSource::Card(c));
    let e = p
        .request_payment(&card(CardDetails::new("4242424242424242", 6, 30)))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "expiry_year", "{e}");
    let e = p
        .request_payment(&card(
            CardDetails::new("4242424242424242", 6, 2030).with_cvv("12"),
        ))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "cvv", "{e}");
    any.assert_calls_async(0).await;
}

#[test]
fn the_encoders_refusals_of_a_card_payment_name_neither_card_number_nor_cvv() {
    const PAN: &str = "4111111111111111";
    const CVV: &str = "7351";
    let p = CheckoutBuilder::new(common::KEY).build().unwrap();
    let usd = |minor| Money::from_minor(minor, Currency::USD);
    let card = |c: CardDetails| CheckoutPaymentRequest::new(usd(1000)).with_source(CheckoutSource::Card(c));
    let good = || {
        CardDetails::new(PAN, 6, 2030)
            .with_cvv(CVV)
            .with_name("Bruce Wayne")
    };
    assert!(p.encode_payment_request(&card(good())).is_ok());
    let mut negative = card(good());
    negative.amount = usd(-1);
    let cases = [
        card(CardDetails::new(PAN, 13, 2030).with_cvv(CVV)),
        card(CardDetails::new(PAN, 6, 30).with_cvv(CVV)),
        card(CardDetails::new(PAN, 6, 2030).with_cvv(format!("{CVV}{CVV}"))),
        negative,
        card(good()).with_reference("r".repeat(81)),
        card(good()).with_metadata("note", "v".repeat(256)),
        card(good()).with_customer(CheckoutCustomer::with_email("b@example.com").phone("1")),
        card(good()).with_processing_channel_id("not a channel"),
        card(good()).merchant_initiated("pay_fun26akvvjjerahhctaq2uzhu4"),
        card(good()).with_item(LineItem::new(
            "Mask",
            Money::from_minor(100, Currency::EUR),
            1,
            LineItemKind::Sku,
        )),
    ];
    for (i, req) in cases.iter().enumerate() {
        let e = p.encode_payment_request(req).unwrap_err();
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(PAN), "case {i}: card number in {text}");
            assert!(!text.contains(CVV), "case {i}: CVV in {text}");
        }
    }
}

#[tokio::test]
async fn a_refund_note_or_reason_too_long_for_metadata_is_refused_naming_it() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let p = provider(&server.base_url());
    let e = p
        .refund_action(PAY_ID, &RefundRequest::full().with_note("n".repeat(256)))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "note", "{e}");
    let e = p
        .refund_action(
            PAY_ID,
            &RefundRequest::full().with_reason(RefundReason::Other("r".repeat(256))),
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "reason", "{e}");
    any.assert_calls_async(0).await;
}

/// The 201 `AuthorizationResponse` of `POST /payments/{id}/authorizations`.
fn increment_answer(approved: bool) -> Value {
    let mut v = json!({
        "action_id": "act_y3oqhf46pyzuxjbcn2giaqnb44",
        "amount": 7540,
        "currency": "USD",
        "approved": approved,
        "status": if approved { "Authorized" } else { "Declined" },
        "response_code": if approved { "10000" } else { "20051" },
        "response_summary": if approved { "Approved" } else { "Insufficient Funds" },
        "processed_on": "2019-08-24T14:15:22Z",
        "reference": "inc-1",
        "_links": {"self": {"href": "x"}, "actions": {"href": "x"}}
    });
    if approved {
        v["auth_code"] = json!("643381");
    }
    assert_valid("AuthorizationResponse", &v);
    v
}

#[tokio::test]
async fn a_declined_incremental_authorization_is_a_decline_not_an_accepted_action() {
    // Checkout.com answers a refused increase 201 with `approved: false`; the payment itself
    // stays `Authorized` for the original amount, so reading it back hides the refusal.
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/authorizations"));
            then.status(201)
                .header("cko-request-id", "req_inc")
                .json_body(increment_answer(false));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200).json_body(details("Authorized", 0, 0, json!([])));
        })
        .await;
    let p = provider(&server.base_url());
    let request = ActionRequest::new().with_amount(Money::from_minor(1000, Currency::USD));
    for result in [
        p.increment_authorization_action(PAY_ID, &request)
            .await
            .map(|_| ()),
        p.increment_authorization(PAY_ID, &request).await.map(|_| ()),
    ] {
        match result {
            Err(Error::Declined { code, message }) => {
                assert_eq!(code.as_deref(), Some("20051"));
                assert!(message.contains("Insufficient Funds"), "{message}");
                assert!(message.contains("act_y3oqhf46pyzuxjbcn2giaqnb44"), "{message}");
            }
            other => panic!("a declined increment must be Declined, got {other:?}"),
        }
    }
    post.assert_calls_async(2).await;
    // Only the currency check before the second call: nothing is read back after a decline.
    get.assert_calls_async(1).await;

    // An approved increase is still an accepted action with its id.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/authorizations"));
            then.status(201).json_body(increment_answer(true));
        })
        .await;
    let accepted = provider(&server.base_url())
        .increment_authorization_action(PAY_ID, &request)
        .await
        .unwrap();
    assert_eq!(
        accepted.action_id.as_deref(),
        Some("act_y3oqhf46pyzuxjbcn2giaqnb44")
    );
}

#[tokio::test]
async fn an_incremental_authorization_in_another_currency_is_refused_before_it_is_sent() {
    // The action names no currency: 10.00 EUR against a USD payment would add $10.00, and
    // against a JPY payment ¥1000.
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/payments/{PAY_ID}/authorizations"));
            then.status(201).json_body(increment_answer(true));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(200).json_body(details("Authorized", 0, 0, json!([])));
        })
        .await;
    let p = provider(&server.base_url());
    let err = p
        .increment_authorization(
            PAY_ID,
            &ActionRequest::new().with_amount(Money::from_minor(1000, Currency::EUR)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { field, .. } if field == "amount"),
        "{err:?}"
    );
    post.assert_calls_async(0).await;
    // In the payment's currency it goes through.
    p.increment_authorization(
        PAY_ID,
        &ActionRequest::new().with_amount(Money::from_minor(1000, Currency::USD)),
    )
    .await
    .unwrap();
    post.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_action_answered_already_done_is_invalid_state_from_the_trait_and_reported_by_the_action_call() {
    // The docs: 200 "Payment is already captured / refunded / voided". This call moved no
    // money, so the trait methods must not answer as if it had.
    for (path, status, operation) in [
        ("captures", "Captured", paymux_core::Operation::Capture),
        ("refunds", "Refunded", paymux_core::Operation::Refund),
        ("voids", "Voided", paymux_core::Operation::Void),
    ] {
        let server = MockServer::start_async().await;
        let post = server
            .mock_async(|when, then| {
                when.method(POST).path(format!("/payments/{PAY_ID}/{path}"));
                then.status(200)
                    .json_body(json!({"action_id": "act_earlier", "_links": {"payment": {"href": "x"}}}));
            })
            .await;
        let captured = if status == "Voided" { 0 } else { 6540 };
        let refunded = if status == "Refunded" { 6540 } else { 0 };
        let get = server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/payments/{PAY_ID}"));
                then.status(200)
                    .json_body(details(status, captured, refunded, json!([])));
            })
            .await;
        let p = provider(&server.base_url());
        let result = match operation {
            paymux_core::Operation::Capture => p.capture(PAY_ID, &CaptureRequest::full()).await,
            paymux_core::Operation::Refund => p.refund(PAY_ID, &RefundRequest::full()).await,
            _ => p.void(PAY_ID, &VoidRequest::default()).await,
        };
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidState { operation: o, status: Some(_), .. } if *o == operation),
            "{path}: {err:?}"
        );
        assert!(err.to_string().contains("moved no money"), "{err}");
        post.assert_async().await;
        get.assert_async().await;
        // The action call itself reports it without reading anything.
        let accepted = match operation {
            paymux_core::Operation::Capture => p.capture_action(PAY_ID, &CaptureRequest::full()).await,
            paymux_core::Operation::Refund => p.refund_action(PAY_ID, &RefundRequest::full()).await,
            _ => p.void_action(PAY_ID, &VoidRequest::default()).await,
        }
        .unwrap();
        assert!(accepted.already_done, "{path}");
        assert_eq!(accepted.action_id.as_deref(), Some("act_earlier"));
        get.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn search_sends_the_period_exactly() {
    // Cut to whole seconds, a `to` of 14:15:22.999 would become 14:15:22 and leave out the
    // payments of that last second.
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/payments/search").json_body(json!({
                "query": "reference:'order-1'",
                "from": "2023-08-24T14:15:22.250Z", "to": "2023-08-25T14:15:22.999Z"
            }));
            then.status(200).json_body(json!({"data": [], "_links": {}}));
        })
        .await;
    let p = provider(&server.base_url());
    p.search_payments(&SearchRequest::new("reference:'order-1'").between(
        "2023-08-24T14:15:22.250Z".parse().unwrap(),
        "2023-08-25T14:15:22.999Z".parse().unwrap(),
    ))
    .await
    .unwrap();
    mock.assert_async().await;
}

/// A card payment whose answer echoes the request (a proxy's or gateway's validation page,
/// a misbehaving answer): the card number and CVV must not reach any error, whichever path
/// makes it. Checkout.com's own 422 names codes only, and keeps them.
#[tokio::test]
async fn card_data_echoed_in_an_answer_stays_out_of_errors() {
    const PAN: &str = "4543474002249996";
    const CVV: &str = "956";
    let echo = json!({
        "source": {"type": "card", "number": PAN, "expiry_month": 6, "expiry_year": 2030,
                   "cvv": CVV},
        "amount": 6540, "currency": "USD",
    })
    .to_string();
    for (status, body) in [
        // A proxy in front of Checkout.com refusing the request, with the request quoted.
        (400, format!(r#"{{"error":"Bad Request","request":{echo}}}"#)),
        (413, format!("request too large: {echo}")),
        // A final 5xx to the create: OutcomeUnknown with an excerpt of the answer.
        (502, format!("<html><body>Bad Gateway<pre>{echo}</pre></body></html>")),
        // Accepted, but the answer is not a payment: OutcomeUnknown with the decode error.
        (201, echo.clone()),
        // Checkout.com's documented 422: codes and the request id only.
        (
            422,
            r#"{"request_id":"0HL80RJLS76I7","error_type":"request_invalid","error_codes":["card_number_invalid","cvv_invalid"]}"#.to_owned(),
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/payments");
                then.status(status).body(body.clone());
            })
            .await;
        let req = CheckoutPaymentRequest::new(Money::from_minor(6540, Currency::USD))
            .with_source(CheckoutSource::Card(
                CardDetails::new(PAN, 6, 2030).with_cvv(CVV),
            ))
            .with_idempotency_key(IdempotencyKey::from_string("order-5023-card").unwrap());
        let err = provider(&server.base_url())
            .request_payment(&req)
            .await
            .unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            for secret in [PAN, "474002249996", CVV] {
                assert!(!text.contains(secret), "HTTP {status}: {secret} in {text}");
            }
        }
        if status == 422 {
            let text = err.to_string();
            assert!(
                text.contains("card_number_invalid, cvv_invalid") && text.contains("0HL80RJLS76I7"),
                "{text}"
            );
        }
    }
}

/// The documentation: `GET /payments/{id}`, `GET /payments/{id}/actions` and
/// `POST /payments/search` answer `403 Forbidden` when the key may not read them (an OAuth
/// client or key without `gateway:payment-details`, a payment of another entity). That says
/// nothing of any payment's state: it is `Authentication`, never `InvalidState` ("cannot get
/// a payment that is in its current state"), and a capture with an amount, which reads the
/// payment first, must not report a read refused for the key as a capture refused for the
/// payment's state. A 403 to an action stays `InvalidState`.
#[tokio::test]
async fn a_403_to_a_read_is_a_refused_key_not_a_payment_state() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}"));
            then.status(403).header("cko-request-id", "req_get_403");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/payments/{PAY_ID}/actions"));
            then.status(403);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/payments/search");
            then.status(403);
        })
        .await;
    let capture = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/payments/{PAY_ID}/captures"));
            then.status(403).header("cko-request-id", "req_capture_403");
        })
        .await;
    let p = provider(&server.base_url());
    let refused = |e: &Error| matches!(e, Error::Authentication { message, .. } if message.contains("403"));
    let e = p.get_payment(PAY_ID).await.unwrap_err();
    assert!(refused(&e), "{e:?}");
    assert!(e.to_string().contains("req_get_403"), "{e}");
    let e = p.payment_actions(PAY_ID, Currency::USD).await.unwrap_err();
    assert!(refused(&e), "{e:?}");
    let e = p.get_payment_with_history(PAY_ID).await.unwrap_err();
    assert!(refused(&e), "{e:?}");
    let e = p
        .search_payments(&SearchRequest::new("reference:'ORD-5023-4E89'"))
        .await
        .unwrap_err();
    assert!(refused(&e), "{e:?}");
    // The read before a capture with an amount: the capture is never sent.
    let e = p
        .capture(
            PAY_ID,
            &CaptureRequest::partial(Money::from_minor(100, Currency::USD)),
        )
        .await
        .unwrap_err();
    assert!(refused(&e), "{e:?}");
    capture.assert_calls_async(0).await;
    // The action itself refused: the payment's state.
    let e = p.capture(PAY_ID, &CaptureRequest::full()).await.unwrap_err();
    assert!(
        matches!(
            &e,
            Error::InvalidState {
                operation: paymux_core::Operation::Capture,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("req_capture_403"), "{e}");
}

/// `POST /payments` creates a payment: there is no payment yet whose state could refuse it.
/// A 403 to it (a key without the `gateway:payment` scope, a processing channel the key may
/// not use) is the key's refusal, `Authentication`, not `InvalidState` ("cannot create a
/// payment that is in its current state"), which says the caller's payment is the problem.
#[tokio::test]
async fn a_403_to_a_payment_request_is_a_refused_key_not_a_payment_state() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/payments");
            then.status(403).header("cko-request-id", "req_create_403");
        })
        .await;
    let p = provider(&server.base_url());
    let e = p
        .create_payment(
            &CreatePayment::new(Money::from_minor(6540, Currency::USD), "ORD-5023-4E89").with_source(
                PaymentSource::CardToken {
                    token: "tok_x".into(),
                },
            ),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Authentication { message, .. } if message.contains("403")),
        "{e:?}"
    );
    assert!(e.to_string().contains("req_create_403"), "{e}");
    // A 403 is definite: nothing was created, and it is not sent again.
    create.assert_calls_async(1).await;
}

//! Bad input is refused with a typed error, before any HTTP call where paymux can tell.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{checkout, provider};
use httpmock::Method::POST;
use httpmock::{Mock, MockServer};
use paymux_core::{
    CaptureRequest, Checked, CreatePayment, Currency, Customer, Error, MetadataUpdate, Money, MoneyError,
    NewCustomer, Operation, PaymentProvider, PaymentProviderExt, PaymentSource, PaymentStatus, RefundRequest,
};
use paymux_paiwise::{decode_checkout, PaiwiseProvider, PaiwiseRefund};

const ID: &str = "c0ffee";

fn sek(minor: i64) -> Money {
    Money::from_minor(minor, Currency::SEK)
}

fn order(amount: Money) -> CreatePayment {
    CreatePayment::new(amount, "order-1").with_return_urls("https://s/ok", "https://s/cancel")
}

/// A server that counts every request (and answers 500, which no test expects to reach).
async fn counting() -> (MockServer, PaiwiseProvider) {
    let server = MockServer::start_async().await;
    let p = provider(&server.base_url());
    (server, p)
}

async fn catch_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500).body("should not be called");
        })
        .await
}

fn field_of(err: &Error) -> &str {
    match err {
        Error::InvalidRequest { field, .. } => field,
        other => panic!("expected InvalidRequest, got {other}"),
    }
}

#[tokio::test]
async fn zero_or_negative_amounts_are_refused_before_sending() {
    let (server, p) = counting().await;
    let all = catch_all(&server).await;
    for minor in [0, -1, -3000] {
        let err = p.create_payment(&order(sek(minor))).await.unwrap_err();
        assert_eq!(field_of(&err), "amount");
        // Through the Checked wrapper too.
        let checked = Checked::new(provider(&server.base_url()));
        let err = checked.create_payment(&order(sek(minor))).await.unwrap_err();
        assert_eq!(field_of(&err), "amount");
        let err = p
            .refund(ID, &RefundRequest::partial(sek(minor)))
            .await
            .unwrap_err();
        assert_eq!(field_of(&err), "amount");
        let err = p
            .refund_checkout(ID, &PaiwiseRefund::partial(sek(minor)))
            .await
            .unwrap_err();
        assert_eq!(field_of(&err), "amount");
        let err = p
            .capture(ID, &CaptureRequest::partial(sek(minor)))
            .await
            .unwrap_err();
        assert_eq!(field_of(&err), "amount");
    }
    assert_eq!(all.calls_async().await, 0);
}

#[test]
fn currencies_without_an_exponent_cannot_be_used() {
    // A Money cannot even be built in a currency without a minor unit…
    assert!(matches!(
        Currency::from_code("XAU"),
        Err(MoneyError::NoMinorUnit("XAU"))
    ));
    assert!(matches!(
        Currency::from_code("XXX"),
        Err(MoneyError::NoMinorUnit(_))
    ));
    // …and an answer in one is a decode error, not a guess.
    let body = r#"{"checkout_id": "c1", "status": "paid", "amount": 1000, "currency": "XAU"}"#;
    let err = decode_checkout(body.as_bytes()).unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("XAU")),
        "{err}"
    );
    let body = r#"{"checkout_id": "c1", "status": "paid", "amount": 1000, "currency": "ABC"}"#;
    assert!(matches!(
        decode_checkout(body.as_bytes()),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn bad_provider_amounts_are_decode_errors() {
    for body in [
        r#"{"checkout_id": "c1", "status": "paid", "amount": -5, "currency": "SEK"}"#,
        r#"{"checkout_id": "c1", "status": "paid", "amount": 10.5, "currency": "SEK"}"#,
        r#"{"checkout_id": "c1", "status": "paid", "currency": "SEK"}"#,
        r#"{"status": "paid", "amount": 100, "currency": "SEK"}"#,
        r#"[1, 2]"#,
        "<html></html>",
    ] {
        assert!(
            matches!(decode_checkout(body.as_bytes()), Err(Error::Decode { .. })),
            "{body}"
        );
    }
}

#[tokio::test]
async fn card_id_without_customer_id_is_refused() {
    let (server, p) = counting().await;
    let all = catch_all(&server).await;
    let req = order(sek(1000)).with_source(PaymentSource::SavedCard {
        customer_id: String::new(),
        card_id: "card1".into(),
    });
    let err = p.create_payment(&req).await.unwrap_err();
    assert_eq!(field_of(&err), "customer_id");
    let req = order(sek(1000)).with_source(PaymentSource::SavedCard {
        customer_id: "cust1".into(),
        card_id: " ".into(),
    });
    assert_eq!(field_of(&p.create_payment(&req).await.unwrap_err()), "card_id");
    // A customer id that contradicts the card's owner.
    let req = order(sek(1000))
        .with_customer(Customer::default().id("someone-else"))
        .with_source(PaymentSource::SavedCard {
            customer_id: "cust1".into(),
            card_id: "card1".into(),
        });
    assert_eq!(
        field_of(&p.create_payment(&req).await.unwrap_err()),
        "customer_id"
    );
    // Card tokens are not a Paiwise thing.
    let req = order(sek(1000)).with_source(PaymentSource::CardToken { token: "tok".into() });
    assert!(matches!(
        p.create_payment(&req).await,
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(all.calls_async().await, 0);
}

#[tokio::test]
async fn return_urls_are_required() {
    let (server, p) = counting().await;
    let all = catch_all(&server).await;
    let mut req = CreatePayment::new(sek(1000), "order-1");
    assert_eq!(field_of(&p.create_payment(&req).await.unwrap_err()), "return_url");
    req.return_url = Some("https://s/ok".into());
    assert_eq!(field_of(&p.create_payment(&req).await.unwrap_err()), "cancel_url");
    assert_eq!(all.calls_async().await, 0);
}

#[tokio::test]
async fn capture_of_a_checkout_that_is_not_reserved() {
    let server = MockServer::start_async().await;
    let capture = server
        .mock_async(|when, then| {
            when.method(POST).path("/checkout/capture");
            then.status(409).body(
                r#"{"error": {"code": "invalid_status", "message": "capture requires status reserved, the checkout is paid"}}"#,
            );
        })
        .await;
    let p = provider(&server.base_url());
    // State known: refused before HTTP.
    let paid = decode_checkout(checkout(ID, "paid", 3000, 3000).as_bytes()).unwrap();
    let err = p
        .capture_payment(&paid, &CaptureRequest::full())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                operation: Operation::Capture,
                status: Some(PaymentStatus::Captured),
                ..
            }
        ),
        "{err}"
    );
    let created = decode_checkout(checkout(ID, "created", 3000, 0).as_bytes()).unwrap();
    assert!(paymux_core::ensure_permits(&created, Operation::Capture).is_err());
    assert_eq!(capture.calls_async().await, 0);
    // State unknown to paymux: Paiwise refuses, a typed error all the same.
    let err = p.capture(ID, &CaptureRequest::full()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                operation: Operation::Capture,
                status: None,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(capture.calls_async().await, 1);
}

#[tokio::test]
async fn refund_above_the_remaining_balance_is_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/checkout/retrieve");
            then.status(200).body(checkout(ID, "partialRefund", 3000, 500));
        })
        .await;
    let refund = server
        .mock_async(|when, then| {
            when.method(POST).path("/checkout/refund");
            then.status(400).body(
                r#"{"error": {"code": "amount_exceeds_balance", "message": "refund amount 501 exceeds the balance 500"}}"#,
            );
        })
        .await;
    let p = provider(&server.base_url());
    // Payment in hand: refused by the core before HTTP.
    let current = p.get_payment(ID).await.unwrap();
    assert_eq!(current.refundable, Some(sek(500)));
    let err = p
        .refund_payment(&current, &RefundRequest::partial(sek(501)))
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), "amount");
    // By id: the backend reads the balance first and refuses.
    let err = p.refund(ID, &RefundRequest::partial(sek(501))).await.unwrap_err();
    assert_eq!(field_of(&err), "amount");
    assert!(err.to_string().contains("5.00"), "{err}");
    // Another currency.
    let err = p
        .refund(ID, &RefundRequest::partial(Money::from_minor(100, Currency::EUR)))
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), "amount");
    assert_eq!(refund.calls_async().await, 0);
    // The raw endpoint sends as asked; Paiwise's refusal is a provider error.
    let err = p
        .refund_checkout(ID, &PaiwiseRefund::partial(sek(501)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { http_status: 400, code: Some(ref c), .. } if c == "amount_exceeds_balance"),
        "{err}"
    );
}

#[tokio::test]
async fn unified_refund_of_a_reserved_checkout_is_not_a_silent_void() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/checkout/retrieve");
            then.status(200).body(checkout(ID, "reserved", 3000, 0));
        })
        .await;
    let refund = catch_all(&server).await;
    let err = provider(&server.base_url())
        .refund(ID, &RefundRequest::full())
        .await
        .unwrap_err();
    match err {
        Error::InvalidState {
            operation,
            status,
            message,
        } => {
            assert_eq!(operation, Operation::Refund);
            assert_eq!(status, Some(PaymentStatus::Authorized));
            assert!(message.contains("void"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(refund.calls_async().await, 0);
}

#[tokio::test]
async fn ambiguous_metadata_and_ids_are_refused() {
    let (server, p) = counting().await;
    let all = catch_all(&server).await;
    let err = p
        .update_metadata(ID, &MetadataUpdate::new().set("k", ""))
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), "metadata.k");
    let err = p
        .update_metadata(ID, &MetadataUpdate::new().set("", "v"))
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), "metadata");
    assert_eq!(field_of(&p.get_payment("").await.unwrap_err()), "checkout_id");
    assert_eq!(
        field_of(&p.retrieve_customer(" ").await.unwrap_err()),
        "customer_id"
    );
    let vault = p.customers().unwrap();
    let mut incomplete = NewCustomer::new("Andrea", "Masetti", "a@b.example");
    incomplete.email = None;
    assert_eq!(
        field_of(&vault.create_customer(&incomplete).await.unwrap_err()),
        "email"
    );
    assert_eq!(all.calls_async().await, 0);
}

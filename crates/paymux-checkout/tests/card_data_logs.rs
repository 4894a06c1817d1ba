//! Card data (PCI DSS: the CVV is never logged or stored, the card number only masked): a
//! payment with full card details against the simulator, with every `tracing` line at TRACE
//! captured (the transport's spans and events, and `reqwest`/`hyper`'s own records). Neither
//! the logs, nor the payments' `Debug` or `raw` answers, nor the errors hold the card number
//! or the CVV. Its own test binary: the capture is the process's global subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use paymux_checkout::{
    CardDetails, CheckoutBuilder, CheckoutCustomer, CheckoutPaymentRequest, CheckoutSource,
};
use paymux_core::{CaptureRequest, Currency, Money, PaymentProvider, PaymentStatus, TransportConfig};
use paymux_sim::Simulator;
use paymux_testkit::{find_secrets, LogCapture};

const PAN: &str = "4543474002249996";
const CVV: &str = "956";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_payment_leaves_no_card_number_or_cvv_in_logs_payments_or_errors() {
    let capture = LogCapture::new();
    capture
        .install_global()
        .expect("only subscriber in this test binary");
    let sim = Simulator::start().await.unwrap();
    let provider = CheckoutBuilder::new(sim.keys().checkout.clone())
        .with_base_url(sim.checkout_base_url())
        .with_transport(
            TransportConfig::default()
                .with_max_retries(1)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let card = || {
        CheckoutSource::Card(
            CardDetails::new(PAN, 6, 2030)
                .with_cvv(CVV)
                .with_name("Bruce Wayne"),
        )
    };
    let request = CheckoutPaymentRequest::new(Money::from_minor(6540, Currency::USD))
        .with_source(card())
        .with_reference("ORD-5023-4E89")
        .authorize_only();
    let mut texts = vec![format!("{request:?}")];

    let created = provider.request_payment(&request).await.unwrap();
    assert_eq!(created.status, PaymentStatus::Authorized, "{created:?}");
    let card_summary = created.card.clone().expect("the card summary");
    assert_eq!(card_summary.last4.as_deref(), Some("9996"));
    let captured = provider
        .capture(&created.id, &CaptureRequest::full())
        .await
        .unwrap();
    let read = provider.get_payment(&created.id).await.unwrap();
    for p in [&created, &captured, &read] {
        texts.push(format!("{p:?}"));
        texts.push(p.raw.clone().expect("the answer kept"));
    }

    // A refused card payment (Checkout.com's 422): the error names codes, not the card.
    let refused = request
        .clone()
        .with_customer(CheckoutCustomer::default().id("cus_not_an_id"));
    let err = provider.request_payment(&refused).await.unwrap_err();
    texts.push(err.to_string());
    texts.push(format!("{err:?}"));

    let logs = capture.contents();
    assert!(
        logs.contains("paymux.http") && logs.contains("/payments"),
        "the transport's spans were captured"
    );
    let leaked = find_secrets(&logs, &[PAN]);
    assert!(leaked.is_empty(), "card number in the logs");
    assert!(
        !logs.to_ascii_lowercase().contains("cvv"),
        "a CVV field in the logs"
    );
    for text in &texts {
        assert!(find_secrets(text, &[PAN]).is_empty(), "card number in {text}");
        assert!(!text.contains(&format!("\"{CVV}\"")), "CVV in {text}");
    }
    for p in [&created, &captured, &read] {
        // The answer keeps the card's summary (bin and last four), never the number or CVV.
        let raw: serde_json::Value = serde_json::from_str(p.raw.as_deref().unwrap()).unwrap();
        assert!(raw["source"]["last4"] == "9996", "{raw}");
        assert!(
            raw["source"].get("number").is_none() && raw["source"].get("cvv").is_none(),
            "{raw}"
        );
    }
}

/// `encode_payment_request` returns the body with the card in clear (it is what is sent), but
/// `{:?}` of it, or of a `Result` holding it, shows neither the card number nor the CVV.
#[test]
fn an_encoded_card_payment_does_not_show_the_card_in_debug() {
    let provider = CheckoutBuilder::new("sk_sbox_key").build().unwrap();
    let request = CheckoutPaymentRequest::new(Money::from_minor(6540, Currency::USD))
        .with_source(CheckoutSource::Card(CardDetails::new(PAN, 6, 2030).with_cvv(CVV)));
    let body = provider.encode_payment_request(&request);
    let printed = format!("{body:?}");
    assert!(!printed.contains(PAN) && !printed.contains(CVV), "{printed}");
    let body = body.unwrap();
    let sent = std::str::from_utf8(&body).unwrap();
    assert!(
        sent.contains(PAN) && sent.contains(CVV),
        "the body itself is what is sent"
    );
}

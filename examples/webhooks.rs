//! A small webhook receiver: verifies and parses Checkout.com webhooks (signed with
//! `Cko-Signature`) and confirms Twisto notifications (unsigned) by fetching the checkout.
//!
//! It starts the simulator configured to notify this receiver, runs a payment on each
//! provider, sends one forged Checkout.com webhook to show it is refused, and prints what
//! arrived.
//!
//! ```sh
//! cargo run --example webhooks
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use paymux::checkout::webhook::WebhookVerifier;
use paymux::checkout::CheckoutBuilder;
use paymux::twisto::{TwistoBuilder, TwistoProvider};
use paymux::{
    CaptureRequest, CreatePayment, Currency, Customer, Money, PaymentProvider, PaymentSource, RefundRequest,
};
use paymux_sim::{SimConfig, SimProvider, Simulator};

/// Shared by the handlers.
struct Receiver {
    checkout: WebhookVerifier,
    twisto: Mutex<Option<Arc<TwistoProvider>>>,
    seen_event_ids: Mutex<HashSet<String>>,
    log: Mutex<Vec<String>>,
}

impl Receiver {
    fn record(&self, line: String) {
        println!("  received: {line}");
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
}

async fn checkout_webhook(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("cko-signature").and_then(|v| v.to_str().ok());
    match rx.checkout.verify_and_parse(&body, signature) {
        Ok(event) => {
            // De-duplicate on the event id; an event without one is never taken for a
            // duplicate (an empty id would swallow every later id-less event).
            let fresh = event.event_id.as_ref().is_none_or(|id| {
                rx.seen_event_ids
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.clone())
            });
            if fresh {
                rx.record(format!(
                    "checkout {} {} for {} → {}",
                    event.event_id.as_deref().unwrap_or("(no id)"),
                    event.event_type,
                    event.payment_id,
                    event.status.map_or("-".to_owned(), |s| s.to_string())
                ));
            }
            // A duplicate delivery is acknowledged too, so the provider stops retrying it.
            StatusCode::OK
        }
        Err(e) => {
            rx.record(format!("checkout webhook refused: {e}"));
            StatusCode::UNAUTHORIZED
        }
    }
}

async fn twisto_notification(State(rx): State<Arc<Receiver>>, body: Bytes) -> StatusCode {
    let provider = rx.twisto.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Some(provider) = provider else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    // Twisto signs nothing: the body only says which checkout to look at.
    match provider.confirm_notification(&body).await {
        Ok((event, payment)) => {
            rx.record(format!(
                "twisto {} for {} → confirmed by fetching: {} ({})",
                event.event_type, payment.id, payment.status, payment.raw_status
            ));
            StatusCode::OK
        }
        // A body that does not parse or names no checkout Twisto knows is refused; anything
        // else (a timeout, Twisto down, our token refused) is answered 503 so the notification
        // is delivered again rather than lost.
        Err(e @ (paymux::Error::InvalidRequest { .. } | paymux::Error::NotFound { .. })) => {
            rx.record(format!("twisto notification refused: {e}"));
            StatusCode::BAD_REQUEST
        }
        Err(e) => {
            rx.record(format!("twisto notification not confirmed yet: {e}"));
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let signing_key = "whsec_quickstart_demo_key";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let here = format!("http://{}", listener.local_addr()?);
    let sim = Simulator::start_with(SimConfig {
        checkout_webhook_url: Some(format!("{here}/webhooks/checkout")),
        checkout_webhook_key: Some(signing_key.to_owned()),
        twisto_webhook_url: Some(format!("{here}/webhooks/twisto")),
        ..SimConfig::default()
    })
    .await?;
    let keys = sim.keys().clone();
    let checkout = CheckoutBuilder::new(keys.checkout.clone())
        .with_base_url(sim.checkout_base_url())
        .build()?;
    let twisto = Arc::new(
        TwistoBuilder::new(keys.twisto.clone())
            .with_base_url(sim.twisto_base_url())
            .build()?,
    );

    let receiver = Arc::new(Receiver {
        checkout: WebhookVerifier::new(signing_key),
        twisto: Mutex::new(Some(twisto.clone())),
        seen_event_ids: Mutex::new(HashSet::new()),
        log: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/webhooks/checkout", post(checkout_webhook))
        .route("/webhooks/twisto", post(twisto_notification))
        .with_state(receiver.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("receiver at {here}, simulator at {}", sim.base_url());

    println!("\nCheckout.com: card payment captured at once, then refunded in part");
    let eur = |minor| Money::from_minor(minor, Currency::EUR);
    let payment = checkout
        .create_payment(
            &CreatePayment::new(eur(4_500), "webhooks-1").with_source(PaymentSource::CardToken {
                token: "tok_visa".into(),
            }),
        )
        .await?;
    checkout
        .refund(&payment.id, &RefundRequest::partial(eur(1_500)))
        .await?;

    println!("Twisto: checkout approved by the shopper, charged, refunded in part");
    let czk = |minor| Money::from_minor(minor, Currency::CZK);
    let checkout_id = twisto
        .create_payment(
            &CreatePayment::new(czk(59_900), "webhooks-2")
                .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
                .with_customer(Customer::with_email("jana@example.cz"))
                .with_manual_capture(),
        )
        .await?
        .id;
    sim.approve(SimProvider::Twisto, &checkout_id)?;
    twisto.capture(&checkout_id, &CaptureRequest::full()).await?;
    twisto
        .refund(&checkout_id, &RefundRequest::partial(czk(9_900)))
        .await?;

    println!("A forged Checkout.com webhook (valid shape, wrong signature)");
    let forged = reqwest::Client::new()
        .post(format!("{here}/webhooks/checkout"))
        .header("cko-signature", "0".repeat(64))
        .body(r#"{"id":"evt_forged","type":"payment_captured","created_on":"2026-01-01T00:00:00Z","data":{"id":"pay_forged"}}"#)
        .send()
        .await?;
    println!("  forged webhook answered {}", forged.status());

    // Deliveries are asynchronous: wait for them to settle.
    let mut last = 0;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = receiver.log.lock().unwrap_or_else(|e| e.into_inner()).len();
        if now == last && now >= 4 {
            break;
        }
        last = now;
    }
    let log = receiver.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!("\n{} notifications handled", log.len());
    server.abort();
    sim.shutdown().await;
    if forged.status() != reqwest::StatusCode::UNAUTHORIZED {
        return Err("a forged webhook was accepted".into());
    }
    Ok(())
}

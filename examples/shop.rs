//! A shop's payment integration, end to end against the embedded simulator.
//!
//! One order per provider, through a [`Registry`] built from the shop's TOML configuration and
//! `dyn PaymentProvider` only: create the payment, send the customer to `redirect_url`, learn
//! the outcome (a signed Checkout.com webhook, checked with the `WebhookVerifier`; polling for
//! Paiwise and Twisto), capture, refund part. Errors are handled as docs/reliability.md says:
//! retry only what `is_retryable()` allows; reconcile an `OutcomeUnknown` with `get_payment`
//! and repeat the call with the same idempotency key only if it did not happen; show declines
//! and `InvalidState` to the operator instead of retrying them.
//!
//! The simulator's fault injection makes the Checkout.com capture time out after it was sent
//! (on every attempt), and loses the answer to the Paiwise refund after Paiwise made it.
//!
//! ```sh
//! cargo run --example shop
//! ```

use std::error::Error as StdError;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use paymux::checkout::{CheckoutConfig, WebhookVerifier, SIGNATURE_HEADER};
use paymux::{
    CaptureRequest, CreatePayment, Currency, Customer, Error, IdempotencyKey, Money, Payment,
    PaymentProvider, PaymentProviderExt, PaymentSource, PaymentStatus, RefundRequest, Registry,
    RegistryConfig, WebhookEvent,
};
use paymux_sim::{FaultKind, FaultSpec, Route, SimConfig, SimProvider, Simulator};
use tokio::sync::mpsc;

/// The shop's `paymux.toml`. `{…}` is filled in with the simulator's address and keys.
/// Short timeouts, so that the demonstration is quick.
const PAYMUX_TOML: &str = r#"
[providers.nordics]
kind = "paiwise"
api_key = "{PAIWISE_KEY}"
base_url = "{BASE_URL}"
timeout_ms = 1000

[providers.cards-eu]
kind = "checkout"
secret_key = "{CHECKOUT_KEY}"
base_url = "{BASE_URL}"
webhook_key = "{WEBHOOK_KEY}"
timeout_ms = 1000
max_retries = 1

[providers.bnpl-cz]
kind = "twisto"
token = "{TWISTO_KEY}"
base_url = "{BASE_URL}/psp/v4"
timeout_ms = 1000
"#;

/// The orders: id, provider instance, amount, the part the customer later sends back,
/// currency, customer, card token (from Checkout.com's client-side library; the simulator
/// takes any `tok_…`, and declines `tok_decline`).
#[rustfmt::skip]
const ORDERS: [OrderRow; 4] = [
    ("order-1001", "nordics", "300.00", "100.00", Currency::SEK, "astrid@example.se", None),
    ("order-1002", "cards-eu", "120.00", "30.00", Currency::EUR, "ada@example.com", Some("tok_visa")),
    ("order-1003", "bnpl-cz", "894.00", "94.00", Currency::CZK, "jan@example.cz", None),
    ("order-1004", "cards-eu", "45.00", "45.00", Currency::EUR, "eve@example.com", Some("tok_decline")),
];

type OrderRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Currency,
    &'static str,
    Option<&'static str>,
);

/// An order the shop wants paid, and how much of it the customer sends back.
struct Order {
    id: &'static str,
    amount: Money,
    refund: Money,
    email: &'static str,
    card_token: Option<&'static str>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn StdError>> {
    // The shop's webhook endpoint, and a simulator that notifies it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let webhook_key = "whsec_shop_demo";
    let sim = Simulator::start_with(SimConfig {
        checkout_webhook_url: Some(format!("http://{}/webhooks/checkout", listener.local_addr()?)),
        checkout_webhook_key: Some(webhook_key.to_owned()),
        ..SimConfig::default()
    })
    .await?;
    let toml = PAYMUX_TOML
        .replace("{BASE_URL}", &sim.base_url())
        .replace("{PAIWISE_KEY}", &sim.keys().paiwise)
        .replace("{CHECKOUT_KEY}", &sim.keys().checkout)
        .replace("{TWISTO_KEY}", &sim.keys().twisto)
        .replace("{WEBHOOK_KEY}", webhook_key);

    // The registry builds the providers; the Checkout.com entry also holds the webhook key.
    let config = RegistryConfig::from_toml_str(&toml)?;
    let registry = Registry::from_config(&config)?;
    let checkout: CheckoutConfig = config.provider_config("cards-eu")?;
    let verifier = WebhookVerifier::from_config(&checkout).ok_or("cards-eu has no webhook_key")?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/webhooks/checkout", post(checkout_webhook))
        .with_state(Arc::new((verifier, events_tx)));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!(
        "shop: providers {:?}, simulator at {}\n",
        registry.names().collect::<Vec<_>>(),
        sim.base_url()
    );

    // The Checkout.com capture hangs past the timeout on both attempts: it was sent, and no
    // answer came back. Paiwise makes the refund, then the connection drops.
    let latency = FaultKind::Latency { millis: 1_500 };
    sim.inject_fault(FaultSpec {
        provider: SimProvider::Checkout,
        route: Route::Capture,
        kind: latency,
        times: 2,
    });
    let lost_answer = FaultKind::DropAfterCommit;
    sim.inject_fault(FaultSpec {
        provider: SimProvider::Paiwise,
        route: Route::Refund,
        kind: lost_answer,
        times: 1,
    });

    for (id, name, amount, refund, currency, email, card_token) in ORDERS {
        let (amount, refund) = (Money::parse(amount, currency)?, Money::parse(refund, currency)?);
        let order = Order {
            id,
            amount,
            refund,
            email,
            card_token,
        };
        let provider = registry.get(name).ok_or("provider not configured")?;
        println!("{id} via {name} ({}): {amount}", provider.id());
        match pay(provider.as_ref(), &order, &mut events).await {
            Ok(p) => println!(
                "  done: {}, captured {}, refunded {} (provider says {:?})\n",
                p.status,
                show(p.captured),
                show(p.refunded),
                p.raw_status
            ),
            Err(e) => match e.downcast_ref::<Error>() {
                // What only a person can resolve goes to the operator, not into a retry loop.
                Some(Error::Declined { .. } | Error::InvalidState { .. } | Error::OutcomeUnknown { .. }) => {
                    println!("  OPERATOR: {} needs attention: {e}\n", order.id)
                }
                _ => return Err(format!("{}: {e}", order.id).into()),
            },
        }
    }

    let commits = sim.total_commits();
    println!(
        "simulator: {} faults served; committed {} creates, {} captures, {} refunds (one each per paid order)",
        sim.faults_injected(),
        commits.creates,
        commits.captures,
        commits.refunds
    );
    server.abort();
    sim.shutdown().await;
    if (commits.captures, commits.refunds) != (3, 3) {
        return Err("money moved more (or less) than once per order".into());
    }
    Ok(())
}

/// Create → customer → outcome → capture → refund part, for one order.
async fn pay(
    provider: &dyn PaymentProvider,
    order: &Order,
    events: &mut mpsc::UnboundedReceiver<WebhookEvent>,
) -> Result<Payment, Box<dyn StdError>> {
    let caps = provider.capabilities();
    let mut request = CreatePayment::new(order.amount, order.id)
        .with_customer(Customer::with_email(order.email))
        .with_return_urls("https://shop.example/paid", "https://shop.example/cancelled")
        .with_manual_capture()
        // Keys derived from the order: a repeat of a call is the same call, even after a restart.
        .with_idempotency_key(key(order.id, "create")?);
    if let Some(token) = order.card_token {
        request = request
            .with_source(PaymentSource::CardToken { token: token.into() })
            .with_3ds();
    }
    let created = retrying("create", || provider.create_payment(&request)).await?;
    println!(
        "  created {} {} (provider says {:?})",
        created.id, created.status, created.raw_status
    );
    if created.status == PaymentStatus::Declined {
        return Err(declined(&created).into());
    }

    let url = created
        .redirect_url
        .as_deref()
        .ok_or("no page to send the customer to")?;
    customer_approves(url).await?;
    let paid = if caps.signed_webhooks {
        let event = wait_for_webhook(events, &created.id).await?;
        println!(
            "  webhook {} for {} → {}",
            event.event_type,
            event.reference.as_deref().unwrap_or("?"),
            event.status.map_or("-".into(), |s| s.to_string())
        );
        // The webhook says that something happened; the payment says what.
        retrying("get", || provider.get_payment(&created.id)).await?
    } else {
        poll_until_settled(provider, &created.id).await?
    };
    println!(
        "  customer step done: {} (provider says {:?})",
        paid.status, paid.raw_status
    );
    if paid.status != PaymentStatus::Authorized {
        return Err(declined(&paid).into());
    }

    // Ship what is in stock: capture part where the provider can, else all of it.
    let capture = if caps.partial_capture {
        CaptureRequest::partial(paid.amount.checked_sub(order.refund)?).final_capture()
    } else {
        CaptureRequest::full()
    };
    let capture = capture.with_idempotency_key(key(order.id, "capture")?);
    let captured = settle(
        provider,
        &paid,
        |p| provider.capture_payment(p, &capture),
        |before, now| now.captured > before.captured,
    )
    .await?;
    println!("  captured {} → {}", show(captured.captured), captured.status);

    let refund = RefundRequest::partial(order.refund).with_idempotency_key(key(order.id, "refund-1")?);
    let refunded = settle(
        provider,
        &captured,
        |p| provider.refund_payment(p, &refund),
        |before, now| now.refunded > before.refunded,
    )
    .await?;
    println!("  refunded {} → {}", order.refund, refunded.status);

    // The operator presses "capture" again on a stale order page: the provider refuses.
    if let Err(e) = provider.capture_payment(&paid, &CaptureRequest::full()).await {
        println!("  capture pressed again: {e}");
    }
    Ok(refunded)
}

/// A mutation made safe to repeat: what `is_retryable` allows is retried; an `OutcomeUnknown`
/// is reconciled with `get_payment` (`happened(before, now)` says whether the call took
/// effect) and, only if it did not, repeated with the same request, so the same key.
async fn settle<'a, F, Fut>(
    provider: &dyn PaymentProvider,
    before: &'a Payment,
    call: F,
    happened: impl Fn(&Payment, &Payment) -> bool,
) -> Result<Payment, Error>
where
    F: Fn(&'a Payment) -> Fut,
    Fut: Future<Output = Result<Payment, Error>>,
{
    let lost = match retrying("call", || call(before)).await {
        Err(lost @ Error::OutcomeUnknown { .. }) => lost,
        other => return other,
    };
    println!("  {lost}");
    let now = retrying("get", || provider.get_payment(&before.id)).await?;
    if happened(before, &now) {
        println!("  reconciled: it happened ({}); not repeating it", now.status);
        return Ok(now);
    }
    let Some(key) = lost.idempotency_key() else {
        // No key (Paiwise keeps none): a repeat would be a new request, and the lost one may
        // still be at work at the provider. A person decides.
        return Err(lost);
    };
    println!(
        "  reconciled: it did not happen ({}); repeating it with key {key}",
        now.status
    );
    retrying("repeat", || call(before)).await
}

/// Retries, a few times, only what `Error::is_retryable` says may simply be tried again.
async fn retrying<T, F, Fut>(what: &str, call: F) -> Result<T, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if e.is_retryable() && attempt < 4 => {
                let wait = e.retry_after().unwrap_or(Duration::from_millis(200 * attempt));
                println!("  {what}: {e}; trying again in {} ms", wait.as_millis());
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The customer opens the hosted (or 3-D Secure) page and presses Approve; the page sends the
/// browser back to the shop.
async fn customer_approves(redirect_url: &str) -> Result<(), reqwest::Error> {
    println!("  customer sent to {redirect_url}");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = browser.post(format!("{redirect_url}/approve")).send().await?;
    let back = page
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    println!("  customer approved, back at {back}");
    Ok(())
}

/// Checkout.com: the first verified webhook that settles this payment's customer step.
async fn wait_for_webhook(
    events: &mut mpsc::UnboundedReceiver<WebhookEvent>,
    payment_id: &str,
) -> Result<WebhookEvent, String> {
    let settled = |s: PaymentStatus| !matches!(s, PaymentStatus::Pending | PaymentStatus::RequiresAction);
    let wait = async {
        while let Some(event) = events.recv().await {
            if event.payment_id == payment_id && event.status.is_some_and(settled) {
                return Some(event);
            }
        }
        None
    };
    match tokio::time::timeout(Duration::from_secs(10), wait).await {
        Ok(Some(event)) => Ok(event),
        _ => Err(format!("no webhook settled {payment_id} within 10 s")),
    }
}

/// Paiwise, Twisto: ask until the customer's step is over.
async fn poll_until_settled(provider: &dyn PaymentProvider, id: &str) -> Result<Payment, Box<dyn StdError>> {
    for _ in 0..50 {
        let payment = retrying("get", || provider.get_payment(id)).await?;
        let waiting = [
            PaymentStatus::AwaitingCustomer,
            PaymentStatus::Pending,
            PaymentStatus::RequiresAction,
        ];
        if !waiting.contains(&payment.status) {
            return Ok(payment);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("payment {id} still waits for the customer").into())
}

/// The shop's webhook endpoint: verify the signature, parse, hand over; refuse the rest.
async fn checkout_webhook(
    State(state): State<Arc<(WebhookVerifier, mpsc::UnboundedSender<WebhookEvent>)>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match state.0.verify_and_parse(&body, signature) {
        Ok(event) => {
            let _ = state.1.send(event);
            StatusCode::OK
        }
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

/// An idempotency key for one step of one order.
fn key(order: &str, step: &str) -> Result<IdempotencyKey, Error> {
    IdempotencyKey::from_string(format!("{order}-{step}"))
}

/// A payment the issuer (or the customer's scoring) refused, as an error for the operator.
fn declined(payment: &Payment) -> Error {
    let reason = payment.decline.clone().unwrap_or_default();
    Error::Declined {
        code: reason.code,
        message: format!(
            "payment {} is {} ({})",
            payment.id,
            payment.status,
            reason.message.as_deref().unwrap_or(&payment.raw_status)
        ),
    }
}

fn show(money: Option<Money>) -> String {
    money.map_or_else(|| "unknown".to_owned(), |m| m.to_string())
}

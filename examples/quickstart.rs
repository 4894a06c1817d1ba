//! The README's main job: one payment lifecycle on every provider through the same
//! `dyn PaymentProvider` code.
//!
//! Without configuration it starts the paymux simulator in-process and plays the customer
//! through its control API. With `PAYMUX_CONFIG` (a registry file) or the providers' own
//! variables (`PAIWISE_API_KEY`, `CHECKOUT_SECRET_KEY`, `TWISTO_API_TOKEN`, with
//! `PAIWISE_BASE_URL`, `CHECKOUT_BASE_URL`, `TWISTO_BASE_URL` and the rest each backend's
//! `from_env` reads) it talks to the configured providers instead, skipping (and naming) any
//! provider that is not configured, and waits for you to complete each hosted step in a
//! browser: it prints the page to open and checks every 3 s, up to
//! `PAYMUX_QUICKSTART_WAIT_SECS` (default 600) per step. A Checkout.com sandbox needs a real
//! card token in `PAYMUX_QUICKSTART_CARD_TOKEN`.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paymux::checkout::CheckoutBuilder;
use paymux::paiwise::PaiwiseBuilder;
use paymux::twisto::TwistoBuilder;
use paymux::{
    CaptureRequest, Checked, CreatePayment, Currency, Customer, Error, LineItem, LineItemKind, Money,
    Payment, PaymentProvider, PaymentSource, PaymentStatus, RefundReason, RefundRequest, Registry,
};
use paymux_sim::{SimProvider, Simulator};

/// How the customer's step gets done.
enum CustomerStep {
    /// The simulator's control API acts as the customer.
    Simulated(Arc<Simulator>, SimProvider),
    /// A person opens the redirect URL; we poll until the payment moves on.
    Person,
}

/// One provider's run: which provider, what to ask, how the customer approves.
struct Scenario {
    name: String,
    provider: Arc<dyn PaymentProvider>,
    request: CreatePayment,
    capture: Money,
    refund: Money,
    customer: CustomerStep,
}

/// One printed line.
struct Row {
    provider: String,
    step: &'static str,
    status: String,
    amount: String,
    captured: String,
    refunded: String,
    raw: String,
}

impl Row {
    fn of(provider: &str, step: &'static str, p: &Payment) -> Self {
        let show = |m: Option<Money>| m.map_or_else(|| "-".to_owned(), |m| m.to_string());
        Row {
            provider: provider.to_owned(),
            step,
            status: p.status.to_string(),
            amount: p.amount.to_string(),
            captured: show(p.captured),
            refunded: show(p.refunded),
            raw: p.raw_status.to_string(),
        }
    }
}

fn money(text: &str, currency: Currency) -> Result<Money, Error> {
    Ok(Money::parse(text, currency)?)
}

/// The request each kind of provider needs for a customer-facing payment, authorized now and
/// captured by an explicit call.
fn request_for(kind: &str, reference: &str) -> Result<(CreatePayment, Money, Money), Error> {
    let urls = ("https://shop.example/paid", "https://shop.example/cancelled");
    Ok(match kind {
        "checkout" => {
            // A card token from Checkout.com's client-side library; the simulator accepts any
            // `tok_…`. For a real sandbox set PAYMUX_QUICKSTART_CARD_TOKEN.
            let token = std::env::var("PAYMUX_QUICKSTART_CARD_TOKEN").unwrap_or_else(|_| "tok_visa".into());
            let amount = money("120.00", Currency::EUR)?;
            let request = CreatePayment::new(amount, reference)
                .with_description("Quickstart: two concert tickets")
                .with_source(PaymentSource::CardToken { token })
                .with_3ds()
                .with_return_urls(urls.0, urls.1)
                .with_customer(Customer::with_email("ada@example.com").name("Ada", "Lovelace"))
                .with_manual_capture();
            (
                request,
                money("80.00", Currency::EUR)?,
                money("30.00", Currency::EUR)?,
            )
        }
        "twisto" => {
            let czk = |t: &str| money(t, Currency::CZK);
            let request = CreatePayment::new(czk("894.00")?, reference)
                .with_description("Quickstart: headphones")
                .with_return_urls(urls.0, urls.1)
                .with_customer(Customer::with_email("jan.novak@example.cz").name("Jan", "Novák"))
                .with_line_item(
                    LineItem::new("Headphones", czk("795.00")?, 1, LineItemKind::Sku).reference("HP-1"),
                )
                .with_line_item(LineItem::new(
                    "Shipping",
                    czk("99.00")?,
                    1,
                    LineItemKind::Shipping,
                ))
                .with_manual_capture();
            // Twisto charges the full amount only.
            (request, czk("894.00")?, czk("94.00")?)
        }
        _ => {
            let sek = |t: &str| money(t, Currency::SEK);
            let request = CreatePayment::new(sek("300.00")?, reference)
                .with_description("Quickstart: a year of coffee beans")
                .with_return_urls(urls.0, urls.1)
                .with_metadata("order", reference)
                .with_manual_capture();
            // Paiwise captures the whole reservation.
            (request, sek("300.00")?, sek("100.00")?)
        }
    })
}

async fn simulated_scenarios(sim: &Arc<Simulator>) -> Result<Vec<Scenario>, Error> {
    let keys = sim.keys();
    let providers: Vec<(Arc<dyn PaymentProvider>, SimProvider)> = vec![
        (
            Arc::new(Checked::new(
                PaiwiseBuilder::new(keys.paiwise.clone())
                    .with_base_url(sim.paiwise_base_url())
                    .build()?,
            )),
            SimProvider::Paiwise,
        ),
        (
            Arc::new(Checked::new(
                CheckoutBuilder::new(keys.checkout.clone())
                    .with_base_url(sim.checkout_base_url())
                    .build()?,
            )),
            SimProvider::Checkout,
        ),
        (
            Arc::new(Checked::new(
                TwistoBuilder::new(keys.twisto.clone())
                    .with_base_url(sim.twisto_base_url())
                    .build()?,
            )),
            SimProvider::Twisto,
        ),
    ];
    let mut scenarios = Vec::new();
    for (n, (provider, sim_kind)) in providers.into_iter().enumerate() {
        let (request, capture, refund) = request_for(provider.id(), &format!("quickstart-{}", n + 1))?;
        scenarios.push(Scenario {
            name: provider.id().to_owned(),
            provider,
            request,
            capture,
            refund,
            customer: CustomerStep::Simulated(sim.clone(), sim_kind),
        });
    }
    Ok(scenarios)
}

fn real_scenarios(registry: &Registry) -> Result<Vec<Scenario>, Error> {
    let mut scenarios = Vec::new();
    for (n, (name, provider)) in registry.iter().enumerate() {
        let (request, capture, refund) = request_for(provider.id(), &format!("quickstart-{}", n + 1))?;
        scenarios.push(Scenario {
            name: name.to_owned(),
            provider: provider.clone(),
            request,
            capture,
            refund,
            customer: CustomerStep::Person,
        });
    }
    Ok(scenarios)
}

/// How often the person path asks the provider whether the customer is done.
const POLL_EVERY: Duration = Duration::from_secs(3);

/// How long a person gets for each hosted step: `PAYMUX_QUICKSTART_WAIT_SECS`, default 600.
fn person_wait() -> Result<Duration, String> {
    match std::env::var("PAYMUX_QUICKSTART_WAIT_SECS") {
        Err(_) => Ok(Duration::from_secs(600)),
        Ok(text) => {
            text.trim().parse().map(Duration::from_secs).map_err(|_| {
                format!("PAYMUX_QUICKSTART_WAIT_SECS is not a whole number of seconds: {text:?}")
            })
        }
    }
}

/// Waits for the customer's step, then returns the payment in its new state.
async fn complete_customer_step(
    scenario: &Scenario,
    payment: &Payment,
) -> Result<Payment, Box<dyn std::error::Error>> {
    // The customer has something to do.
    let customer_turn =
        |s: PaymentStatus| matches!(s, PaymentStatus::AwaitingCustomer | PaymentStatus::RequiresAction);
    // Not settled yet: the customer's turn, or the provider still deciding.
    let waiting = |s: PaymentStatus| customer_turn(s) || s == PaymentStatus::Pending;
    if !waiting(payment.status) {
        return Ok(payment.clone());
    }
    match &scenario.customer {
        CustomerStep::Simulated(sim, kind) => {
            sim.approve(*kind, &payment.id)
                .map_err(|e| format!("simulator refused approval: {e}"))?;
            Ok(scenario.provider.get_payment(&payment.id).await?)
        }
        CustomerStep::Person => {
            let name = scenario.name.as_str();
            let wait = person_wait()?;
            match payment.redirect_url.as_deref() {
                Some(url) => println!(
                    "{name}: open {url} and complete the payment (checking every {}s, giving up after {}s)",
                    POLL_EVERY.as_secs(),
                    wait.as_secs()
                ),
                None if customer_turn(payment.status) => {
                    return Err(format!(
                        "payment {} is {} but the provider gave no page to send the customer to",
                        payment.id, payment.status
                    )
                    .into())
                }
                None => println!(
                    "{name}: payment {} is {}; waiting for the provider (up to {}s)",
                    payment.id,
                    payment.status,
                    wait.as_secs()
                ),
            }
            let deadline = Instant::now() + wait;
            let mut last = payment.clone();
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(format!(
                        "the customer step was not completed within {}s: payment {} is still {} \
                         (provider says {:?}); nothing was captured, it is left to expire at the provider",
                        wait.as_secs(),
                        last.id,
                        last.status,
                        last.raw_status
                    )
                    .into());
                }
                tokio::time::sleep(POLL_EVERY.min(left)).await;
                match scenario.provider.get_payment(&payment.id).await {
                    Ok(current) if !waiting(current.status) => return Ok(current),
                    Ok(current) => last = current,
                    // A passing outage must not end the wait while the customer is paying.
                    Err(e) if e.is_retryable() => {
                        eprintln!(
                            "{name}: could not check payment {} ({e}); still waiting",
                            payment.id
                        );
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

async fn lifecycle(scenario: &Scenario, rows: &mut Vec<Row>) -> Result<(), Box<dyn std::error::Error>> {
    let p = scenario.provider.as_ref();
    let name = scenario.name.as_str();
    let created = p.create_payment(&scenario.request).await?;
    rows.push(Row::of(name, "create", &created));

    let approved = complete_customer_step(scenario, &created).await?;
    rows.push(Row::of(name, "customer approves", &approved));
    if approved.status != PaymentStatus::Authorized {
        // Declined, failed, expired…: there is nothing to capture.
        return Err(format!(
            "the customer step ended with payment {} {} (provider says {:?}); not capturing",
            approved.id, approved.status, approved.raw_status
        )
        .into());
    }

    let capture = if p.capabilities().partial_capture && scenario.capture != approved.amount {
        CaptureRequest::partial(scenario.capture).final_capture()
    } else {
        CaptureRequest::full()
    };
    let captured = p.capture(&created.id, &capture).await?;
    rows.push(Row::of(name, "capture", &captured));

    let refund = RefundRequest::partial(scenario.refund).with_reason(RefundReason::RequestedByCustomer);
    let refunded = p.refund(&created.id, &refund).await?;
    rows.push(Row::of(name, "refund part", &refunded));

    let fetched = p.get_payment(&created.id).await?;
    rows.push(Row::of(name, "get", &fetched));
    Ok(())
}

fn print_table(rows: &[Row]) {
    let headers = [
        "provider",
        "step",
        "status",
        "amount",
        "captured",
        "refunded",
        "raw provider status",
    ];
    let cells: Vec<[&str; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.provider.as_str(),
                r.step,
                r.status.as_str(),
                r.amount.as_str(),
                r.captured.as_str(),
                r.refunded.as_str(),
                r.raw.as_str(),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: [&str; 7]| {
        let padded: Vec<String> = cols.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("| {} |", padded.join(" | "));
    };
    line(headers);
    println!("|{}|", widths.map(|w| "-".repeat(w + 2)).join("|"));
    for row in cells {
        line(row);
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let registry = match Registry::from_env() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if registry.is_empty() {
        if let Ok(path) = std::env::var("PAYMUX_CONFIG") {
            // Not the simulator: a run that "passes" would say nothing about the configuration.
            eprintln!("configuration error: {path} (PAYMUX_CONFIG) names no providers; expected [providers.<name>] tables");
            return ExitCode::FAILURE;
        }
    }
    let mut simulator = None;
    let scenarios = if registry.is_empty() {
        let sim = match Simulator::start().await {
            Ok(sim) => Arc::new(sim),
            Err(e) => {
                eprintln!("cannot start the simulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!(
            "paymux quickstart against the embedded simulator at {}\n",
            sim.base_url()
        );
        let scenarios = simulated_scenarios(&sim).await;
        simulator = Some(sim);
        scenarios
    } else {
        println!(
            "paymux quickstart against the configured providers: {:?}",
            registry.names().collect::<Vec<_>>()
        );
        match std::env::var("PAYMUX_CONFIG") {
            Ok(path) => println!("(from the registry file {path})"),
            Err(_) => {
                for (kind, variable) in [
                    ("paiwise", "PAIWISE_API_KEY"),
                    ("checkout", "CHECKOUT_SECRET_KEY"),
                    ("twisto", "TWISTO_API_TOKEN"),
                ] {
                    if registry.get(kind).is_none() {
                        println!("{kind}: not configured ({variable} is not set), skipped");
                    }
                }
            }
        }
        println!();
        real_scenarios(&registry)
    };
    let scenarios = match scenarios {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot set up providers: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut rows = Vec::new();
    let mut failed = false;
    for scenario in &scenarios {
        if let Err(e) = lifecycle(scenario, &mut rows).await {
            eprintln!("{}: {e}", scenario.name);
            failed = true;
        }
    }
    print_table(&rows);
    drop(scenarios);
    if let Some(sim) = simulator.and_then(|s| Arc::try_unwrap(s).ok()) {
        sim.shutdown().await;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        println!("\nAll providers completed create → customer → capture → refund → get.");
        ExitCode::SUCCESS
    }
}

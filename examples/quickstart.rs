//! The README's main job: one payment lifecycle on every provider through the same
//! `dyn PaymentProvider` code.
//!
//! Without configuration it starts the paymux simulator in-process and plays the customer
//! through its control API. With `PAYMUX_CONFIG` (a registry file) or the providers' own
//! variables (`PAIWISE_API_KEY`, `CHECKOUT_SECRET_KEY`, `TWISTO_API_TOKEN`) it talks to the real
//! providers instead and waits for you to complete each hosted step in a browser.
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

/// Waits for the customer's step, then returns the payment in its new state.
async fn complete_customer_step(scenario: &Scenario, payment: &Payment) -> Result<Payment, Error> {
    let waiting =
        |s: PaymentStatus| matches!(s, PaymentStatus::AwaitingCustomer | PaymentStatus::RequiresAction);
    if !waiting(payment.status) {
        return Ok(payment.clone());
    }
    match &scenario.customer {
        CustomerStep::Simulated(sim, kind) => {
            sim.approve(*kind, &payment.id)
                .map_err(|e| Error::invalid("customer", format!("simulator refused approval: {e}")))?;
            scenario.provider.get_payment(&payment.id).await
        }
        CustomerStep::Person => {
            println!(
                "{}: open {} and complete the payment (waiting up to 10 minutes)",
                scenario.name,
                payment.redirect_url.as_deref().unwrap_or("(no redirect URL)")
            );
            let deadline = Instant::now() + Duration::from_secs(600);
            loop {
                tokio::time::sleep(Duration::from_secs(3)).await;
                let current = scenario.provider.get_payment(&payment.id).await?;
                if !waiting(current.status) || Instant::now() > deadline {
                    return Ok(current);
                }
            }
        }
    }
}

async fn lifecycle(scenario: &Scenario, rows: &mut Vec<Row>) -> Result<(), Error> {
    let p = scenario.provider.as_ref();
    let name = scenario.name.as_str();
    let created = p.create_payment(&scenario.request).await?;
    rows.push(Row::of(name, "create", &created));

    let approved = complete_customer_step(scenario, &created).await?;
    rows.push(Row::of(name, "customer approves", &approved));

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
            "paymux quickstart against the configured providers: {:?}\n",
            registry.names().collect::<Vec<_>>()
        );
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

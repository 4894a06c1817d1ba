//! Picks a provider per order from a configuration file, as a platform would: Paiwise for
//! Swedish kronor, Twisto for Czech shoppers paying in koruna, a UK Checkout.com account for
//! pounds and an EU one for the rest.
//!
//! ```sh
//! cargo run --example router                                  # against the embedded simulator
//! PAYMUX_ROUTER_CONFIG=my-routing.toml cargo run --example router
//! ```

use std::process::ExitCode;

use paymux::{CreatePayment, Currency, Customer, Money, PaymentSource, Registry, RegistryConfig};
use paymux_sim::Simulator;
use serde::Deserialize;

/// The `[routing]` table of the file.
#[derive(Debug, Deserialize)]
struct Routing {
    default: String,
    #[serde(default)]
    rules: Vec<Rule>,
}

/// One rule: every field it sets must match.
#[derive(Debug, Deserialize)]
struct Rule {
    country: Option<String>,
    currency: Option<Currency>,
    provider: String,
}

#[derive(Debug, Deserialize)]
struct RouterFile {
    routing: Routing,
}

impl Routing {
    fn pick(&self, country: &str, currency: Currency) -> &str {
        self.rules
            .iter()
            .find(|r| {
                r.country
                    .as_deref()
                    .is_none_or(|c| c.eq_ignore_ascii_case(country))
                    && r.currency.is_none_or(|c| c == currency)
            })
            .map_or(self.default.as_str(), |r| r.provider.as_str())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("router: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (text, sim) = match std::env::var("PAYMUX_ROUTER_CONFIG") {
        Ok(path) => (std::fs::read_to_string(path)?, None),
        Err(_) => {
            let sim = Simulator::start().await?;
            // Say so: PAYMUX_CONFIG (the quickstart's variable) is not read here.
            println!(
                "router: PAYMUX_ROUTER_CONFIG is not set, so routing examples/router.toml against the embedded simulator at {}\n",
                sim.base_url()
            );
            let keys = sim.keys();
            let text = include_str!("router.toml")
                .replace("${PAIWISE_KEY}", &keys.paiwise)
                .replace("${PAIWISE_URL}", &sim.paiwise_base_url())
                .replace("${CHECKOUT_KEY}", &keys.checkout)
                .replace("${CHECKOUT_URL}", &sim.checkout_base_url())
                .replace("${TWISTO_KEY}", &keys.twisto)
                .replace("${TWISTO_URL}", &sim.twisto_base_url());
            (text, Some(sim))
        }
    };
    let registry = Registry::from_config(&RegistryConfig::from_toml_str(&text)?)?;
    let routing = toml::from_str::<RouterFile>(&text)?.routing;
    for name in
        std::iter::once(routing.default.as_str()).chain(routing.rules.iter().map(|r| r.provider.as_str()))
    {
        if registry.get(name).is_none() {
            return Err(format!("routing names provider {name:?}, which is not configured").into());
        }
    }

    let orders = [
        ("SE", "249.00", Currency::SEK),
        ("CZ", "1299.00", Currency::CZK),
        ("DE", "59.90", Currency::EUR),
        ("GB", "42.00", Currency::GBP),
        ("FR", "1000", Currency::JPY),
    ];
    println!("| order | country | amount | provider | kind | status | redirect |");
    println!("|---|---|---|---|---|---|---|");
    for (n, (country, amount, currency)) in orders.into_iter().enumerate() {
        let reference = format!("router-{}", n + 1);
        let amount = Money::parse(amount, currency)?;
        let name = routing.pick(country, currency);
        let provider = registry.get(name).ok_or("provider vanished")?;
        let mut request = CreatePayment::new(amount, &reference)
            .with_return_urls("https://shop.example/paid", "https://shop.example/cancelled")
            .with_customer(Customer::with_email("shopper@example.com"))
            .with_manual_capture();
        if provider.id() == "checkout" {
            request = request.with_source(PaymentSource::CardToken {
                token: "tok_visa".into(),
            });
        }
        match provider.create_payment(&request).await {
            Ok(p) => println!(
                "| {reference} | {country} | {amount} | {name} | {} | {} | {} |",
                provider.id(),
                p.status,
                p.redirect_url.as_deref().unwrap_or("-")
            ),
            Err(e) => println!(
                "| {reference} | {country} | {amount} | {name} | {} | error: {e} | - |",
                provider.id()
            ),
        }
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    Ok(())
}

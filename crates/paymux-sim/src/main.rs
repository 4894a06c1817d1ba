//! `paymux-sim` binary: run the simulator until Ctrl-C.
//!
//! Usage: `paymux-sim [--port PORT] [--checkout-webhook-url URL --checkout-webhook-key KEY]
//! [--twisto-webhook-url URL]`

use paymux_sim::{SimConfig, Simulator};

fn usage() -> ! {
    eprintln!(
        "usage: paymux-sim [--port PORT] [--checkout-webhook-url URL] [--checkout-webhook-key KEY] [--twisto-webhook-url URL]"
    );
    std::process::exit(2)
}

fn parse_args() -> SimConfig {
    let mut config = SimConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--port" | "-p" => config.port = Some(value().parse().unwrap_or_else(|_| usage())),
            "--checkout-webhook-url" => config.checkout_webhook_url = Some(value()),
            "--checkout-webhook-key" => config.checkout_webhook_key = Some(value()),
            "--twisto-webhook-url" => config.twisto_webhook_url = Some(value()),
            "--help" | "-h" => usage(),
            _ => usage(),
        }
    }
    config
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = parse_args();
    let sim = Simulator::start_with(config).await?;
    let k = sim.keys();
    println!("paymux-sim listening on {}", sim.base_url());
    println!(
        "  Paiwise       base URL {}   key {}",
        sim.paiwise_base_url(),
        k.paiwise
    );
    println!(
        "  Checkout.com  base URL {}   secret key {}   public key {}",
        sim.checkout_base_url(),
        k.checkout,
        k.checkout_public
    );
    println!(
        "  Twisto        base URL {}   token {}",
        sim.twisto_base_url(),
        k.twisto
    );
    println!(
        "  Control API   {}/_sim/...   hosted pages {}/_sim/pay/{{provider}}/{{id}}",
        sim.base_url(),
        sim.base_url()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}

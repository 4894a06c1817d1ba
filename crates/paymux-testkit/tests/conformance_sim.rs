//! The unified contract against every backend on the simulator, and against a real sandbox
//! where `PAYMUX_TEST_<PROVIDER>_API_KEY` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{contract_transport, sim_fixture, Backend, ROUND_TRIP};
use paymux_core::{async_trait, Payment, PaymentProvider, PaymentStatus};
use paymux_sim::Simulator;
use paymux_testkit::{run_contract, CustomerDriver, Fixture, Report, Verdict};

async fn run_on_sim(backend: Backend) -> Report {
    let sim = Arc::new(Simulator::start().await.expect("simulator starts"));
    let fixture = sim_fixture(&sim, backend, contract_transport()).await;
    let report = run_contract(&fixture).await;
    println!("{report}");
    println!("{}", report.summary());
    report
}

fn verdict<'r>(report: &'r Report, case: &str) -> &'r Verdict {
    &report
        .cases
        .iter()
        .find(|c| c.case == case)
        .expect("case present")
        .verdict
}

#[tokio::test]
async fn paiwise_passes_the_contract_on_the_simulator() {
    let report = run_on_sim(Backend::Paiwise).await;
    assert!(report.all_ok(), "{report}");
    // Paiwise says no to partial capture: the Unsupported case must have run, not skipped.
    assert_eq!(
        verdict(&report, "unsupported_never_reaches_provider"),
        &Verdict::Passed
    );
    assert_eq!(verdict(&report, "metadata_update"), &Verdict::Passed);
    assert_eq!(verdict(&report, "wrong_key_is_authentication"), &Verdict::Passed);
    assert_eq!(
        verdict(&report, "void_awaiting_customer_cancels"),
        &Verdict::Passed
    );
}

#[tokio::test]
async fn checkout_passes_the_contract_on_the_simulator() {
    let report = run_on_sim(Backend::Checkout).await;
    assert!(report.all_ok(), "{report}");
    assert_eq!(verdict(&report, "multiple_captures"), &Verdict::Passed);
    assert_eq!(verdict(&report, "refund_after_partial_capture"), &Verdict::Passed);
    assert_eq!(
        verdict(&report, "unsupported_never_reaches_provider"),
        &Verdict::Passed
    );
    assert_eq!(verdict(&report, "amounts_round_trip_exactly"), &Verdict::Passed);
}

#[tokio::test]
async fn twisto_passes_the_contract_on_the_simulator() {
    let report = run_on_sim(Backend::Twisto).await;
    assert!(report.all_ok(), "{report}");
    assert_eq!(
        verdict(&report, "unsupported_never_reaches_provider"),
        &Verdict::Passed
    );
    assert!(matches!(
        verdict(&report, "create_with_immediate_capture"),
        Verdict::Skipped(_)
    ));
    assert_eq!(verdict(&report, "void_authorization"), &Verdict::Passed);
    assert_eq!(
        verdict(&report, "void_awaiting_customer_cancels"),
        &Verdict::Passed
    );
}

/// Waits for a person (or a browser automation) to complete the customer step in a real
/// sandbox: prints the redirect URL and polls the payment for up to
/// `PAYMUX_TEST_CUSTOMER_WAIT_SECS` (default 0: fail at once with the URL).
struct SandboxDriver {
    provider: Arc<dyn PaymentProvider>,
    wait: Duration,
}

#[async_trait]
impl CustomerDriver for SandboxDriver {
    async fn approve(&self, payment: &Payment) -> Result<(), String> {
        self.wait_for_customer(payment, "approve").await
    }

    async fn decline(&self, payment: &Payment) -> Result<(), String> {
        self.wait_for_customer(payment, "decline").await
    }
}

impl SandboxDriver {
    async fn wait_for_customer(&self, payment: &Payment, what: &str) -> Result<(), String> {
        let url = payment.redirect_url.clone().unwrap_or_default();
        println!("sandbox: {what} payment {} at {url}", payment.id);
        let deadline = tokio::time::Instant::now() + self.wait;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let p = self
                .provider
                .get_payment(&payment.id)
                .await
                .map_err(|e| e.to_string())?;
            if !matches!(
                p.status,
                PaymentStatus::AwaitingCustomer | PaymentStatus::Pending | PaymentStatus::RequiresAction
            ) {
                return Ok(());
            }
        }
        Err(format!(
            "the customer step of {} needs a person: open {url} (set PAYMUX_TEST_CUSTOMER_WAIT_SECS to wait)",
            payment.id
        ))
    }
}

fn env(backend: Backend, suffix: &str) -> Option<String> {
    std::env::var(format!("PAYMUX_TEST_{}_{suffix}", backend.name().to_uppercase()))
        .ok()
        .filter(|v| !v.is_empty())
}

/// The same contract against a real sandbox for each provider whose variables are set:
/// `PAYMUX_TEST_<P>_API_KEY`, `PAYMUX_TEST_<P>_BASE_URL` (optional: the builder's default
/// otherwise). Skipped, saying so, where they are not.
#[tokio::test]
async fn real_sandboxes_when_configured() {
    for backend in Backend::ALL {
        let var = format!("PAYMUX_TEST_{}_API_KEY", backend.name().to_uppercase());
        let Some(key) = env(backend, "API_KEY") else {
            println!("skipped: {var} not set");
            continue;
        };
        let base = env(backend, "BASE_URL");
        let provider: Arc<dyn PaymentProvider> = match (backend, base) {
            (_, Some(base)) => backend.build(&key, &base, contract_transport()),
            (Backend::Paiwise, None) => Arc::new(
                paymux_paiwise::PaiwiseBuilder::new(key.as_str())
                    .with_transport(contract_transport())
                    .build()
                    .expect("paiwise builds"),
            ),
            (Backend::Checkout, None) => Arc::new(
                paymux_checkout::CheckoutBuilder::new(key.as_str())
                    .with_transport(contract_transport())
                    .build()
                    .expect("checkout builds"),
            ),
            (Backend::Twisto, None) => Arc::new(
                paymux_twisto::TwistoBuilder::new(key.as_str())
                    .with_transport(contract_transport())
                    .build()
                    .expect("twisto builds"),
            ),
        };
        let wait = env(backend, "CUSTOMER_WAIT_SECS")
            .or_else(|| std::env::var("PAYMUX_TEST_CUSTOMER_WAIT_SECS").ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let driver = Arc::new(SandboxDriver {
            provider: provider.clone(),
            wait: Duration::from_secs(wait),
        });
        let fixture = Fixture::new(
            format!("{}@sandbox", backend.name()),
            provider,
            driver,
            backend.currency(),
            backend.request_fn(),
        )
        .with_currencies(ROUND_TRIP)
        .with_unknown_id(backend.unknown_id())
        .with_case_timeout(Duration::from_secs(wait + 120));
        let report = run_contract(&fixture).await;
        println!("{report}");
        assert!(report.all_ok(), "{report}");
    }
}

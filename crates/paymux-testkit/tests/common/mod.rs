//! Shared by the simulator-based test files: building each backend against one in-process
//! simulator, the simulator-backed customer driver, and transport settings.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use paymux_core::{
    async_trait, CreatePayment, Currency, Customer, Money, Payment, PaymentProvider, PaymentSource,
    TransportConfig,
};
use paymux_sim::{SimProvider, Simulator};
use paymux_testkit::{Commits, CustomerDriver, Fixture, OfflineProbe, RequestFn, Tripwire};

/// The currencies whose amounts must survive every round trip.
pub const ROUND_TRIP: [Currency; 5] = [
    Currency::JPY,
    Currency::SEK,
    Currency::EUR,
    Currency::CZK,
    Currency::BHD,
];

/// The three HTTP backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Paiwise,
    Checkout,
    Twisto,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Paiwise, Backend::Checkout, Backend::Twisto];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Paiwise => "paiwise",
            Backend::Checkout => "checkout",
            Backend::Twisto => "twisto",
        }
    }

    pub fn sim(self) -> SimProvider {
        match self {
            Backend::Paiwise => SimProvider::Paiwise,
            Backend::Checkout => SimProvider::Checkout,
            Backend::Twisto => SimProvider::Twisto,
        }
    }

    /// The currency most cases use.
    pub fn currency(self) -> Currency {
        match self {
            Backend::Paiwise => Currency::SEK,
            Backend::Checkout => Currency::EUR,
            Backend::Twisto => Currency::CZK,
        }
    }

    /// A well-formed id of a payment that does not exist.
    pub fn unknown_id(self) -> &'static str {
        match self {
            Backend::Paiwise => "0123456789abcdef0123456789abcd",
            Backend::Checkout => "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa",
            Backend::Twisto => "00000000-0000-4000-8000-000000000000",
        }
    }

    /// A key in the provider's format that no simulator accepts.
    pub fn wrong_key(self) -> &'static str {
        match self {
            Backend::Paiwise => "pw_test_5eca1e7d0c0ffee5bad5eedfacade9a7",
            Backend::Checkout => "sk_sbox_wrongkeyzqxbadbadbadbadbadq",
            Backend::Twisto => "badc0ffee0ddf00d5eca1ed5a1fba5eba11fee7c",
        }
    }

    pub fn sim_key(self, sim: &Simulator) -> String {
        match self {
            Backend::Paiwise => sim.keys().paiwise.clone(),
            Backend::Checkout => sim.keys().checkout.clone(),
            Backend::Twisto => sim.keys().twisto.clone(),
        }
    }

    pub fn sim_base_url(self, sim: &Simulator) -> String {
        match self {
            Backend::Paiwise => sim.paiwise_base_url(),
            Backend::Checkout => sim.checkout_base_url(),
            Backend::Twisto => sim.twisto_base_url(),
        }
    }

    /// The base URL for a server root (the tripwire): Twisto's API lives under `/psp/v4`.
    pub fn base_url_at(self, root: &str) -> String {
        match self {
            Backend::Twisto => format!("{root}/psp/v4"),
            _ => root.to_owned(),
        }
    }

    /// Builds the backend through its builder.
    pub fn build(self, key: &str, base_url: &str, transport: TransportConfig) -> Arc<dyn PaymentProvider> {
        match self {
            Backend::Paiwise => Arc::new(
                paymux_paiwise::PaiwiseBuilder::new(key)
                    .with_base_url(base_url)
                    .with_transport(transport)
                    .build()
                    .expect("paiwise builds"),
            ),
            Backend::Checkout => Arc::new(
                paymux_checkout::CheckoutBuilder::new(key)
                    .with_base_url(base_url)
                    .with_transport(transport)
                    .build()
                    .expect("checkout builds"),
            ),
            Backend::Twisto => Arc::new(
                paymux_twisto::TwistoBuilder::new(key)
                    .with_base_url(base_url)
                    .with_transport(transport)
                    .build()
                    .expect("twisto builds"),
            ),
        }
    }

    /// The create request each provider needs: Checkout.com a 3-D Secure card token (so the
    /// customer has a step to approve or decline), Paiwise and Twisto a hosted page, Twisto a
    /// shopper email.
    pub fn request_fn(self) -> RequestFn {
        match self {
            Backend::Paiwise => Arc::new(|amount: Money, reference: &str, capture: bool| {
                capture_flag(
                    CreatePayment::new(amount, reference)
                        .with_description("paymux testkit")
                        .with_return_urls("https://shop.example/ok", "https://shop.example/cancel"),
                    capture,
                )
            }),
            Backend::Checkout => Arc::new(|amount: Money, reference: &str, capture: bool| {
                capture_flag(
                    CreatePayment::new(amount, reference)
                        .with_source(PaymentSource::CardToken {
                            token: "tok_3ds".into(),
                        })
                        .with_3ds()
                        .with_return_urls("https://shop.example/ok", "https://shop.example/cancel"),
                    capture,
                )
            }),
            Backend::Twisto => Arc::new(|amount: Money, reference: &str, capture: bool| {
                capture_flag(
                    CreatePayment::new(amount, reference)
                        .with_description("paymux testkit")
                        .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
                        .with_customer(Customer::with_email("shopper@example.com").name("Jana", "Novakova")),
                    capture,
                )
            }),
        }
    }
}

fn capture_flag(request: CreatePayment, capture: bool) -> CreatePayment {
    if capture {
        request
    } else {
        request.with_manual_capture()
    }
}

/// Acts as the customer through the simulator's control API.
pub struct SimDriver {
    pub sim: Arc<Simulator>,
    pub provider: SimProvider,
}

#[async_trait]
impl CustomerDriver for SimDriver {
    async fn approve(&self, payment: &Payment) -> Result<(), String> {
        self.sim
            .approve(self.provider, &payment.id)
            .map_err(|e| e.to_string())
    }

    async fn decline(&self, payment: &Payment) -> Result<(), String> {
        self.sim
            .decline(self.provider, &payment.id)
            .map_err(|e| e.to_string())
    }
}

/// Transport for contract runs: generous timeout, quick backoff.
pub fn contract_transport() -> TransportConfig {
    TransportConfig::default()
        .with_request_timeout(Duration::from_secs(10))
        .with_backoff(Duration::from_millis(20), Duration::from_millis(200))
}

/// Transport for fault runs: a 400 ms attempt timeout, 5 retries, short backoff, `Retry-After`
/// honoured up to 3 s.
pub fn fault_transport() -> TransportConfig {
    let mut t = TransportConfig::default()
        .with_request_timeout(Duration::from_millis(400))
        .with_connect_timeout(Duration::from_millis(400))
        .with_max_retries(5)
        .with_backoff(Duration::from_millis(50), Duration::from_millis(400));
    t.max_retry_after = Duration::from_secs(3);
    t
}

/// A fixture for `backend` against `sim`, with a wrong-key provider and an offline probe
/// (the same backend pointed at a tripwire).
pub async fn sim_fixture(sim: &Arc<Simulator>, backend: Backend, transport: TransportConfig) -> Fixture {
    let base = backend.sim_base_url(sim);
    let provider = backend.build(&backend.sim_key(sim), &base, transport.clone());
    let wrong = backend.build(backend.wrong_key(), &base, transport.clone());
    let tripwire = Tripwire::start().await.expect("tripwire binds");
    let offline = backend.build(
        &backend.sim_key(sim),
        &backend.base_url_at(tripwire.url()),
        transport.with_max_retries(0),
    );
    let counted = sim.clone();
    let sim_provider = backend.sim();
    Fixture::new(
        format!("{}@sim", backend.name()),
        provider,
        Arc::new(SimDriver {
            sim: sim.clone(),
            provider: backend.sim(),
        }),
        backend.currency(),
        backend.request_fn(),
    )
    .with_currencies(ROUND_TRIP)
    .with_wrong_key(wrong)
    .with_unknown_id(backend.unknown_id())
    .with_offline_probe(OfflineProbe {
        provider: offline,
        connections: tripwire.counter(),
    })
    .with_commit_counter(Arc::new(move |id: &str| {
        let c = counted.commits(sim_provider, id);
        Commits {
            captures: c.captures,
            refunds: c.refunds,
            voids: c.voids + c.cancels,
        }
    }))
    .with_case_timeout(Duration::from_secs(30))
}

/// Where summaries are written: `$CARGO_TARGET_DIR` or the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

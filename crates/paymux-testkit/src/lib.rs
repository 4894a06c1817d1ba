//! # paymux-testkit
//!
//! The unified [`PaymentProvider`] contract as reusable async test cases, run against every
//! backend (against the simulator, a real sandbox, or [`InMemoryProvider`](paymux_core::InMemoryProvider)).
//!
//! - [`Fixture`]: the provider under test, a [`CustomerDriver`] that completes hosted steps,
//!   a function building a [`CreatePayment`] the provider accepts, an optional provider with a
//!   wrong key, the currencies to round-trip, and an optional offline probe proving that
//!   unsupported calls never reach the network.
//! - [`cases`]: one `pub async fn` per rule of the contract, each returning
//!   [`CaseOutcome::Passed`] or [`CaseOutcome::Skipped`] when the provider's
//!   [`Capabilities`](paymux_core::Capabilities) say the rule does not apply (as OpenDAL's
//!   behaviour tests are gated on its `Capability`).
//! - [`run_contract`]: runs every case, each under a panic guard and a time limit, and
//!   returns a [`Report`]; [`Summary`] adds reports and fault-matrix figures up and prints
//!   them.
//! - [`check_payment_invariants`]: the rules every [`Payment`] must keep (amounts in one
//!   currency, none negative, refunds within captures, status agreeing with the amounts,
//!   events oldest first), and [`InvariantChecking`], a provider wrapper that applies them to
//!   every payment answered; [`run_contract`] checks every payment of every case with it.
//! - [`CountingProvider`] and [`Tripwire`]: prove that a call never reached the provider or
//!   the network.
//! - [`hostile`]: proptest strategies for arbitrary JSON, for decoder fuzzing.
//! - [`LogCapture`]: a `tracing` writer capturing every log line, for secret-leak checks.
//!
//! ```
//! use std::sync::Arc;
//! use paymux_core::{CreatePayment, Currency, InMemoryProvider, Money, Payment};
//! use paymux_testkit::{run_contract, CustomerDriver, Fixture};
//!
//! struct Driver(Arc<InMemoryProvider>);
//!
//! #[paymux_core::async_trait]
//! impl CustomerDriver for Driver {
//!     async fn approve(&self, p: &Payment) -> Result<(), String> {
//!         self.0.approve(&p.id).map_err(|e| e.to_string())
//!     }
//!     async fn decline(&self, p: &Payment) -> Result<(), String> {
//!         self.0.decline(&p.id).map_err(|e| e.to_string())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let memory = Arc::new(InMemoryProvider::new());
//! let fixture = Fixture::new(
//!     "memory",
//!     memory.clone(),
//!     Arc::new(Driver(memory)),
//!     Currency::SEK,
//!     Arc::new(|amount: Money, reference: &str, capture: bool| {
//!         let r = CreatePayment::new(amount, reference);
//!         if capture { r } else { r.with_manual_capture() }
//!     }),
//! );
//! let report = run_contract(&fixture).await;
//! assert!(report.all_ok(), "{report}");
//! # });
//! ```

pub mod cases;
mod counting;
pub mod hostile;
mod invariants;
mod logs;
mod report;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use paymux_core::{async_trait, CreatePayment, Currency, Money, Payment, PaymentProvider};

pub use counting::{CountingProvider, Tripwire};
pub use invariants::{check_payment_invariants, InvariantChecking};
pub use logs::{find_secrets, LogCapture};
pub use report::{CaseFailure, CaseOutcome, CaseRecord, CaseResult, Report, Summary, Verdict};

/// Acts as the customer on a hosted page or a 3-D Secure step: the simulator's control API,
/// [`InMemoryProvider::approve`](paymux_core::InMemoryProvider::approve), or a browser
/// automation against a real sandbox.
#[async_trait]
pub trait CustomerDriver: Send + Sync {
    /// Completes the customer's step successfully.
    ///
    /// # Errors
    /// A description of what failed.
    async fn approve(&self, payment: &Payment) -> Result<(), String>;

    /// Declines or abandons the customer's step.
    ///
    /// # Errors
    /// A description of what failed.
    async fn decline(&self, payment: &Payment) -> Result<(), String>;
}

/// Builds the create request a provider accepts for `amount`, `reference` and the capture
/// flag (`true`: capture when the customer approves; `false`: authorize only). Each provider
/// needs a different source: a card token (with 3-D Secure for a customer step) for
/// Checkout.com, a hosted page with return URLs for Paiwise and Twisto, a shopper email for
/// Twisto.
pub type RequestFn = Arc<dyn Fn(Money, &str, bool) -> CreatePayment + Send + Sync>;

/// Counts connections or requests that reached the network.
pub type ConnectionCounter = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Mutations the provider's test double committed for one payment (the simulator's
/// `Simulator::commits`): how often money actually moved, independent of what the backend
/// under test reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Commits {
    /// Captures committed.
    pub captures: u32,
    /// Refunds committed.
    pub refunds: u32,
    /// Voids, reservation releases and cancellations committed.
    pub voids: u32,
}

/// Reads [`Commits`] for a payment id.
pub type CommitCounter = Arc<dyn Fn(&str) -> Commits + Send + Sync>;

/// A second instance of the provider under test whose base URL points at a [`Tripwire`]:
/// any call that reaches the network shows in `connections`.
#[derive(Clone)]
pub struct OfflineProbe {
    /// The provider, configured against the tripwire.
    pub provider: Arc<dyn PaymentProvider>,
    /// Connections made so far.
    pub connections: ConnectionCounter,
}

/// Everything the contract cases need to know about one provider under test.
#[derive(Clone)]
pub struct Fixture {
    /// A name for reports (`"checkout@sim"`).
    pub name: String,
    /// The provider under test, as its backend builds it (not wrapped in `Checked`).
    pub provider: Arc<dyn PaymentProvider>,
    /// Completes customer steps.
    pub driver: Arc<dyn CustomerDriver>,
    /// Builds create requests.
    pub request: RequestFn,
    /// The currency most cases use.
    pub currency: Currency,
    /// Currencies whose amounts must survive every round trip exactly (those the provider
    /// does not support are skipped).
    pub currencies: Vec<Currency>,
    /// The same provider with a wrong API key, for the authentication case.
    pub wrong_key: Option<Arc<dyn PaymentProvider>>,
    /// A well-formed id of a payment that does not exist.
    pub unknown_id: String,
    /// Proof that unsupported calls make no HTTP call.
    pub offline: Option<OfflineProbe>,
    /// How long one case may take.
    pub case_timeout: Duration,
    /// The provider side's own count of committed mutations per payment, where the test
    /// double keeps one (the simulator): cases then prove that a refused or replayed call
    /// moved no money, not only that the backend says so.
    pub commits: Option<CommitCounter>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("currency", &self.currency)
            .field("currencies", &self.currencies)
            .field("wrong_key", &self.wrong_key.is_some())
            .field("unknown_id", &self.unknown_id)
            .field("offline", &self.offline.is_some())
            .field("commits", &self.commits.is_some())
            .finish_non_exhaustive()
    }
}

impl Fixture {
    /// A fixture with `currency` as the only round-trip currency, no wrong-key provider, no
    /// offline probe, no commit counter, an unknown id of `"pay_doesnotexist0000000000000"` and
    /// a 60 s case limit.
    pub fn new(
        name: impl Into<String>,
        provider: Arc<dyn PaymentProvider>,
        driver: Arc<dyn CustomerDriver>,
        currency: Currency,
        request: RequestFn,
    ) -> Self {
        Self {
            name: name.into(),
            provider,
            driver,
            request,
            currency,
            currencies: vec![currency],
            wrong_key: None,
            unknown_id: "pay_doesnotexist0000000000000".to_owned(),
            offline: None,
            case_timeout: Duration::from_secs(60),
            commits: None,
        }
    }

    /// Sets the round-trip currencies.
    pub fn with_currencies(mut self, currencies: impl IntoIterator<Item = Currency>) -> Self {
        self.currencies = currencies.into_iter().collect();
        self
    }

    /// Sets the wrong-key provider.
    pub fn with_wrong_key(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.wrong_key = Some(provider);
        self
    }

    /// Sets the id used for "unknown payment" checks (in the provider's id format).
    pub fn with_unknown_id(mut self, id: impl Into<String>) -> Self {
        self.unknown_id = id.into();
        self
    }

    /// Sets the offline probe.
    pub fn with_offline_probe(mut self, probe: OfflineProbe) -> Self {
        self.offline = Some(probe);
        self
    }

    /// Sets the commit counter (the simulator's per-payment commit counts).
    pub fn with_commit_counter(mut self, counter: CommitCounter) -> Self {
        self.commits = Some(counter);
        self
    }

    /// Sets the per-case time limit.
    pub fn with_case_timeout(mut self, timeout: Duration) -> Self {
        self.case_timeout = timeout;
        self
    }

    /// The create request for `amount` in this fixture's currency.
    pub fn create_request(&self, minor: i64, reference: &str, capture: bool) -> CreatePayment {
        (self.request)(Money::from_minor(minor, self.currency), reference, capture)
    }
}

/// Runs `future`, turning a panic into `Err(payload text)`. A panic is counted, not fatal.
///
/// # Errors
/// The panic payload as text.
pub async fn guarded<F: Future>(future: F) -> Result<F::Output, String> {
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|payload| panic_text(payload.as_ref()))
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".to_owned()
    }
}

/// Runs every case of [`cases::all`] against `fixture`, each under a panic guard and the
/// fixture's time limit, and reports how each ended.
pub async fn run_contract(fixture: &Fixture) -> Report {
    let mut report = Report::new(fixture.name.clone());
    for (name, case) in cases::all() {
        let verdict = run_case(fixture, case).await;
        report.push(name, verdict);
    }
    report
}

/// Runs one case under a panic guard and the fixture's time limit, with the fixture's
/// provider under [`InvariantChecking`]: a payment answered at any step that breaks
/// [`check_payment_invariants`] fails the case (also one that passed or was skipped).
pub async fn run_case(fixture: &Fixture, case: cases::CaseFn) -> Verdict {
    let limit = fixture.case_timeout;
    let checking = Arc::new(InvariantChecking::new(fixture.provider.clone()));
    let mut checked = fixture.clone();
    checked.provider = checking.clone();
    let verdict = match guarded(tokio::time::timeout(limit, case(&checked))).await {
        Ok(Ok(result)) => Verdict::from_result(result),
        Ok(Err(_)) => Verdict::Failed(format!("did not finish within {} ms", limit.as_millis())),
        Err(panic) => Verdict::Panicked(panic),
    };
    let violations = checking.violations();
    if violations.is_empty() {
        return verdict;
    }
    let found = violations.join("\n");
    match verdict {
        Verdict::Passed | Verdict::Skipped(_) => Verdict::Failed(found),
        Verdict::Failed(message) => Verdict::Failed(format!("{message}\n{found}")),
        Verdict::Panicked(message) => Verdict::Panicked(format!("{message}\n{found}")),
    }
}

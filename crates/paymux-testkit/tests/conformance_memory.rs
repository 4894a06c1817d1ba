//! The contract against the in-memory provider: once with every capability, once through a
//! wrapper that says no to most of them (to exercise the `Unsupported` gates).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use paymux_core::{
    async_trait, Capabilities, CaptureRequest, Checked, CreatePayment, Currency, CurrencySupport,
    InMemoryProvider, MetadataUpdate, Money, Payment, PaymentProvider, RefundRequest, VoidRequest,
};
use paymux_testkit::{run_contract, CustomerDriver, Fixture, Summary, Verdict};

struct MemoryDriver(Arc<InMemoryProvider>);

#[async_trait]
impl CustomerDriver for MemoryDriver {
    async fn approve(&self, payment: &Payment) -> Result<(), String> {
        self.0.approve(&payment.id).map_err(|e| e.to_string())
    }

    async fn decline(&self, payment: &Payment) -> Result<(), String> {
        self.0.decline(&payment.id).map_err(|e| e.to_string())
    }
}

fn hosted(amount: Money, reference: &str, capture: bool) -> CreatePayment {
    let r = CreatePayment::new(amount, reference)
        .with_return_urls("https://shop.example/ok", "https://shop.example/no");
    if capture {
        r
    } else {
        r.with_manual_capture()
    }
}

const ROUND_TRIP: [Currency; 5] = [
    Currency::JPY,
    Currency::SEK,
    Currency::EUR,
    Currency::CZK,
    Currency::BHD,
];

#[tokio::test]
async fn in_memory_provider_passes_the_contract() {
    let memory = Arc::new(InMemoryProvider::new());
    let fixture = Fixture::new(
        "memory",
        memory.clone(),
        Arc::new(MemoryDriver(memory)),
        Currency::SEK,
        Arc::new(hosted),
    )
    .with_currencies(ROUND_TRIP);
    let report = run_contract(&fixture).await;
    println!("{report}");
    assert!(report.all_ok(), "{report}");
    // Everything is supported, so only the Unsupported and wrong-key cases may skip.
    let skipped: Vec<_> = report
        .cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Skipped(_)))
        .map(|c| c.case.as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            "unsupported_never_reaches_provider",
            "wrong_key_is_authentication"
        ]
    );
    let mut summary = Summary::default();
    summary.add_report(&report);
    println!("{summary}");
    assert!(summary.is_clean());
}

/// The in-memory provider with most capabilities switched off, behind `Checked` (as the
/// facade registry builds every provider).
#[derive(Debug)]
struct Restricted {
    inner: Arc<InMemoryProvider>,
    caps: Capabilities,
}

#[async_trait]
impl PaymentProvider for Restricted {
    fn id(&self) -> &str {
        "memory"
    }
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }
    async fn create_payment(&self, r: &CreatePayment) -> paymux_core::Result<Payment> {
        self.inner.create_payment(r).await
    }
    async fn get_payment(&self, id: &str) -> paymux_core::Result<Payment> {
        self.inner.get_payment(id).await
    }
    async fn capture(&self, id: &str, r: &CaptureRequest) -> paymux_core::Result<Payment> {
        self.inner.capture(id, r).await
    }
    async fn refund(&self, id: &str, r: &RefundRequest) -> paymux_core::Result<Payment> {
        self.inner.refund(id, r).await
    }
    async fn void(&self, id: &str, r: &VoidRequest) -> paymux_core::Result<Payment> {
        self.inner.void(id, r).await
    }
    async fn update_metadata(&self, id: &str, u: &MetadataUpdate) -> paymux_core::Result<Payment> {
        self.inner.update_metadata(id, u).await
    }
}

#[tokio::test]
async fn restricted_capabilities_answer_unsupported_without_reaching_the_backend() {
    let memory = Arc::new(InMemoryProvider::new());
    let mut caps = memory.capabilities().clone();
    caps.immediate_capture = false;
    caps.partial_capture = false;
    caps.multiple_captures = false;
    caps.void = false;
    caps.metadata_update = false;
    caps.card_tokens = false;
    caps.currencies = CurrencySupport::Only(vec![Currency::CZK, Currency::EUR]);
    let provider = Arc::new(Checked::new(Restricted {
        inner: memory.clone(),
        caps,
    }));
    let fixture = Fixture::new(
        "memory(restricted)",
        provider,
        Arc::new(MemoryDriver(memory)),
        Currency::CZK,
        Arc::new(hosted),
    )
    .with_currencies(ROUND_TRIP);
    let report = run_contract(&fixture).await;
    println!("{report}");
    assert!(report.all_ok(), "{report}");
    let verdict = |name: &str| {
        report
            .cases
            .iter()
            .find(|c| c.case == name)
            .map(|c| c.verdict.clone())
            .unwrap()
    };
    assert_eq!(verdict("unsupported_never_reaches_provider"), Verdict::Passed);
    assert!(matches!(verdict("void_authorization"), Verdict::Skipped(_)));
    assert!(matches!(verdict("multiple_captures"), Verdict::Skipped(_)));
    assert!(matches!(
        verdict("create_with_immediate_capture"),
        Verdict::Skipped(_)
    ));
    assert_eq!(verdict("full_capture"), Verdict::Passed);
    assert_eq!(verdict("amounts_round_trip_exactly"), Verdict::Passed);
}

/// A deliberately broken provider must make the suite fail (the suite can fail), and a
/// panicking one must be counted, not abort the run.
#[derive(Debug)]
struct Broken {
    inner: InMemoryProvider,
}

#[async_trait]
impl PaymentProvider for Broken {
    fn id(&self) -> &str {
        "memory"
    }
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }
    async fn create_payment(&self, r: &CreatePayment) -> paymux_core::Result<Payment> {
        self.inner.create_payment(r).await
    }
    async fn get_payment(&self, id: &str) -> paymux_core::Result<Payment> {
        // Loses one minor unit on every read.
        let mut p = self.inner.get_payment(id).await?;
        p.amount = Money::from_minor(p.amount.minor() - 1, p.amount.currency());
        Ok(p)
    }
    async fn capture(&self, _: &str, _: &CaptureRequest) -> paymux_core::Result<Payment> {
        panic!("capture exploded")
    }
    async fn refund(&self, id: &str, r: &RefundRequest) -> paymux_core::Result<Payment> {
        self.inner.refund(id, r).await
    }
    async fn void(&self, id: &str, r: &VoidRequest) -> paymux_core::Result<Payment> {
        self.inner.void(id, r).await
    }
    async fn update_metadata(&self, id: &str, u: &MetadataUpdate) -> paymux_core::Result<Payment> {
        self.inner.update_metadata(id, u).await
    }
}

struct NoDriver;

#[async_trait]
impl CustomerDriver for NoDriver {
    async fn approve(&self, _: &Payment) -> Result<(), String> {
        Err("no customer".into())
    }
    async fn decline(&self, _: &Payment) -> Result<(), String> {
        Err("no customer".into())
    }
}

#[tokio::test]
async fn a_broken_provider_fails_and_panics_are_counted() {
    let provider = Arc::new(Broken {
        inner: InMemoryProvider::new(),
    });
    let fixture = Fixture::new(
        "broken",
        provider,
        Arc::new(NoDriver),
        Currency::SEK,
        Arc::new(hosted),
    );
    let report = run_contract(&fixture).await;
    println!("{report}");
    let summary = report.summary();
    assert!(summary.failed > 5, "{summary}");
    let get = report
        .cases
        .iter()
        .find(|c| c.case == "get_payment_round_trip")
        .unwrap();
    assert!(
        matches!(&get.verdict, Verdict::Failed(m) if m.contains("9999")),
        "{:?}",
        get.verdict
    );
    assert_eq!(summary.panics, 1, "the unknown-id capture panics once: {report}");
    assert!(!summary.is_clean());
}

/// Offers a payment awaiting its customer for capture, but only on a read: no case checks
/// that read by itself, so only the invariant check on every payment answered finds it.
#[derive(Debug)]
struct Inconsistent {
    inner: InMemoryProvider,
}

#[async_trait]
impl PaymentProvider for Inconsistent {
    fn id(&self) -> &str {
        "memory"
    }
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }
    async fn create_payment(&self, r: &CreatePayment) -> paymux_core::Result<Payment> {
        self.inner.create_payment(r).await
    }
    async fn get_payment(&self, id: &str) -> paymux_core::Result<Payment> {
        let mut p = self.inner.get_payment(id).await?;
        if p.status == paymux_core::PaymentStatus::AwaitingCustomer {
            p.capturable = Some(p.amount);
        }
        Ok(p)
    }
    async fn capture(&self, id: &str, r: &CaptureRequest) -> paymux_core::Result<Payment> {
        self.inner.capture(id, r).await
    }
    async fn refund(&self, id: &str, r: &RefundRequest) -> paymux_core::Result<Payment> {
        self.inner.refund(id, r).await
    }
    async fn void(&self, id: &str, r: &VoidRequest) -> paymux_core::Result<Payment> {
        self.inner.void(id, r).await
    }
    async fn update_metadata(&self, id: &str, u: &MetadataUpdate) -> paymux_core::Result<Payment> {
        self.inner.update_metadata(id, u).await
    }
}

#[tokio::test]
async fn every_payment_answered_is_checked_for_consistency() {
    let provider = Arc::new(Inconsistent {
        inner: InMemoryProvider::new(),
    });
    let fixture = Fixture::new(
        "inconsistent",
        provider,
        Arc::new(NoDriver),
        Currency::SEK,
        Arc::new(hosted),
    );
    let report = run_contract(&fixture).await;
    println!("{report}");
    let get = report
        .cases
        .iter()
        .find(|c| c.case == "get_payment_round_trip")
        .unwrap();
    assert!(
        matches!(&get.verdict, Verdict::Failed(m)
            if m.contains("get_payment answered an inconsistent payment")
                && m.contains("awaiting_customer permits no capture, yet capturable is 100.00 SEK")),
        "{:?}",
        get.verdict
    );
}

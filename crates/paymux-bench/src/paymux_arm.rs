//! The paymux arm: each backend built against the simulator and used through
//! `Arc<dyn PaymentProvider>`, as an application would.

use std::sync::Arc;

use paymux_core::{
    CaptureRequest, CreatePayment, Currency, Customer, Money, Payment, PaymentProvider, PaymentSource,
    PaymentStatus, RefundRequest,
};
use paymux_sim::Simulator;

use crate::flow::{Provider, CHECKOUT_AMOUNT, PAIWISE_AMOUNT};

/// The three backends behind the unified trait.
#[derive(Debug)]
pub struct Paymux {
    providers: Vec<(Provider, Arc<dyn PaymentProvider>)>,
}

type R<T> = Result<T, String>;

impl Paymux {
    /// Builds every backend that is available with the simulator's URLs and keys.
    ///
    /// # Errors
    /// A backend's build error.
    pub fn new(sim: &Simulator) -> R<Self> {
        let mut providers = Vec::new();
        for p in Provider::ALL {
            if let Some(backend) = build(p, sim)? {
                providers.push((p, backend));
            }
        }
        Ok(Self { providers })
    }

    /// Whether the backend for `provider` is available.
    pub fn has(&self, provider: Provider) -> bool {
        self.providers.iter().any(|(p, _)| *p == provider)
    }

    fn backend(&self, provider: Provider) -> R<&dyn PaymentProvider> {
        self.providers
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, b)| b.as_ref())
            .ok_or_else(|| format!("no paymux backend for {}", provider.name()))
    }

    /// `create_payment` with manual capture: the provider's id.
    pub async fn create(&self, provider: Provider, seq: u64) -> R<String> {
        let reference = format!("B-{seq}");
        let request = match provider {
            Provider::Paiwise => {
                CreatePayment::new(Money::from_minor(PAIWISE_AMOUNT, Currency::SEK), reference)
                    .with_description("Benchmark order")
                    .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
                    .with_manual_capture()
            }
            Provider::Checkout => {
                CreatePayment::new(Money::from_minor(CHECKOUT_AMOUNT, Currency::SEK), reference)
                    .with_source(PaymentSource::CardToken {
                        token: "tok_4gzeau5o2uqubbk6fufs3m7p54".to_owned(),
                    })
                    .with_manual_capture()
            }
            Provider::Twisto => CreatePayment::new(Money::from_minor(89_400, Currency::CZK), reference)
                .with_description("Benchmark order")
                .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
                .with_customer(Customer::with_email("jan@example.cz"))
                .with_manual_capture(),
        };
        let payment = self
            .backend(provider)?
            .create_payment(&request)
            .await
            .map_err(|e| e.to_string())?;
        expect(&payment, created(provider))?;
        Ok(payment.id)
    }

    /// `get_payment` of a payment just created: checks it still has the status `create`
    /// left.
    pub async fn get(&self, provider: Provider, id: &str) -> R<()> {
        let payment = self
            .backend(provider)?
            .get_payment(id)
            .await
            .map_err(|e| e.to_string())?;
        expect(&payment, created(provider))
    }

    /// `capture` in full.
    pub async fn capture(&self, provider: Provider, id: &str, _seq: u64) -> R<()> {
        let payment = self
            .backend(provider)?
            .capture(id, &CaptureRequest::full())
            .await
            .map_err(|e| e.to_string())?;
        expect(&payment, PaymentStatus::Captured)
    }

    /// `refund` in full.
    pub async fn refund(&self, provider: Provider, id: &str, _seq: u64) -> R<()> {
        let payment = self
            .backend(provider)?
            .refund(id, &RefundRequest::full())
            .await
            .map_err(|e| e.to_string())?;
        expect(&payment, PaymentStatus::Refunded)
    }
}

/// The status of a payment [`Paymux::create`] made.
fn created(provider: Provider) -> PaymentStatus {
    match provider {
        Provider::Checkout => PaymentStatus::Authorized,
        Provider::Paiwise | Provider::Twisto => PaymentStatus::AwaitingCustomer,
    }
}

fn expect(payment: &Payment, wanted: PaymentStatus) -> R<()> {
    if payment.status == wanted {
        Ok(())
    } else {
        Err(format!(
            "expected {wanted}, got {} ({})",
            payment.status, payment.raw_status
        ))
    }
}

/// The backend for `provider`, built with the simulator's base URL and key and the default
/// transport settings.
fn build(provider: Provider, sim: &Simulator) -> R<Option<Arc<dyn PaymentProvider>>> {
    let backend: Arc<dyn PaymentProvider> = match provider {
        Provider::Paiwise => Arc::new(
            paymux_paiwise::PaiwiseBuilder::new(sim.keys().paiwise.clone())
                .with_base_url(sim.paiwise_base_url())
                .build()
                .map_err(|e| e.to_string())?,
        ),
        Provider::Checkout => Arc::new(
            paymux_checkout::CheckoutBuilder::new(sim.keys().checkout.clone())
                .with_base_url(sim.checkout_base_url())
                .build()
                .map_err(|e| e.to_string())?,
        ),
        Provider::Twisto => Arc::new(
            paymux_twisto::TwistoBuilder::new(sim.keys().twisto.clone())
                .with_base_url(sim.twisto_base_url())
                .build()
                .map_err(|e| e.to_string())?,
        ),
    };
    Ok(Some(backend))
}

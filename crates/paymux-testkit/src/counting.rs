//! Proof that a call never reached a provider ([`CountingProvider`]) or the network
//! ([`Tripwire`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use paymux_core::{
    async_trait, Capabilities, CaptureRequest, CreatePayment, CustomerVault, MetadataUpdate, Payment,
    PaymentProvider, RefundRequest, Result, VoidRequest,
};

/// Wraps a provider and counts the calls that reached it. Put it under
/// [`Checked`](paymux_core::Checked) to show that a refused call never got to the backend.
///
/// ```
/// use std::sync::Arc;
/// use paymux_core::{Checked, InMemoryProvider, PaymentProvider, VoidRequest};
/// use paymux_testkit::CountingProvider;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let counting = Arc::new(CountingProvider::new(Arc::new(InMemoryProvider::new())));
/// let checked = Checked::from_arc(counting.clone());
/// assert!(checked.get_payment("").await.is_err()); // refused by Checked: bad id
/// assert_eq!(counting.calls(), 0);
/// # });
/// ```
#[derive(Debug)]
pub struct CountingProvider {
    inner: Arc<dyn PaymentProvider>,
    calls: AtomicU64,
}

impl CountingProvider {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn PaymentProvider>) -> Self {
        Self {
            inner,
            calls: AtomicU64::new(0),
        }
    }

    /// Calls (of any method but `id`, `capabilities` and `customers`) that reached the
    /// inner provider.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn hit(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl PaymentProvider for CountingProvider {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        self.hit();
        self.inner.create_payment(request).await
    }

    async fn get_payment(&self, id: &str) -> Result<Payment> {
        self.hit();
        self.inner.get_payment(id).await
    }

    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        self.hit();
        self.inner.capture(id, request).await
    }

    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        self.hit();
        self.inner.refund(id, request).await
    }

    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment> {
        self.hit();
        self.inner.void(id, request).await
    }

    async fn update_metadata(&self, id: &str, update: &MetadataUpdate) -> Result<Payment> {
        self.hit();
        self.inner.update_metadata(id, update).await
    }

    fn customers(&self) -> Option<&dyn CustomerVault> {
        self.inner.customers()
    }
}

/// A TCP listener on loopback that counts connections and closes them at once. Point a
/// backend's base URL at [`Tripwire::url`]: any HTTP call it makes shows in
/// [`Tripwire::connections`].
#[derive(Debug, Clone)]
pub struct Tripwire {
    url: String,
    connections: Arc<AtomicU64>,
}

impl Tripwire {
    /// Binds `127.0.0.1:0` and starts accepting in a background task (on the current Tokio
    /// runtime).
    ///
    /// # Errors
    /// The bind error.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let connections = Arc::new(AtomicU64::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Ok(Self { url, connections })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// A counter closure for [`OfflineProbe`](crate::OfflineProbe).
    pub fn counter(&self) -> crate::ConnectionCounter {
        let c = self.connections.clone();
        Arc::new(move || c.load(Ordering::SeqCst))
    }
}

//! One payment's life (create, get, the customer's approval, capture, refund) through either
//! arm, and batches of them at a given concurrency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paymux_sim::{SimProvider, Simulator};
use tokio::runtime::Handle;

use crate::hand::Hand;
use crate::paymux_arm::Paymux;

/// Paiwise amount in öre (10.00 SEK).
pub const PAIWISE_AMOUNT: i64 = 1000;
/// Checkout.com amount in öre (100.00 SEK; not ending in 05, which the simulator declines).
pub const CHECKOUT_AMOUNT: i64 = 10_000;
/// Twisto amount (CZK).
pub const TWISTO_AMOUNT: &str = "894.00";

/// A simulated provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Paiwise.
    Paiwise,
    /// Checkout.com.
    Checkout,
    /// Twisto.
    Twisto,
}

impl Provider {
    /// All three, in table order.
    pub const ALL: [Provider; 3] = [Provider::Paiwise, Provider::Checkout, Provider::Twisto];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Paiwise => "paiwise",
            Provider::Checkout => "checkout",
            Provider::Twisto => "twisto",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(text: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == text)
    }

    /// Whether the customer must approve on a hosted page before capture.
    fn needs_approval(self) -> Option<SimProvider> {
        match self {
            Provider::Paiwise => Some(SimProvider::Paiwise),
            // A token payment is authorised at once.
            Provider::Checkout => None,
            Provider::Twisto => Some(SimProvider::Twisto),
        }
    }
}

/// The simulator and the runtime it serves on.
///
/// The customer's approval is run on the simulator's runtime, not on the client thread
/// under test: at a real provider it happens in the provider's system, and run in place it
/// distorts the measurement. The client thread then takes the simulator's lock and frees
/// and grows memory the simulator's thread allocated, so the two threads' glibc arenas mix
/// and each waits on the other's arena lock (see docs/benchmarks.md, "Where the approval
/// runs").
#[derive(Debug)]
pub struct SimHost {
    sim: Arc<Simulator>,
    /// The simulator's own runtime; `None` when it shares the clients' runtime.
    runtime: Option<Handle>,
}

impl SimHost {
    /// `sim`, serving on `runtime` (`None`: on the clients' runtime).
    pub fn new(sim: Simulator, runtime: Option<Handle>) -> Self {
        Self {
            sim: Arc::new(sim),
            runtime,
        }
    }

    /// The simulator.
    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    /// The customer approves payment `id` on the hosted page.
    ///
    /// # Errors
    /// The simulator's refusal, or the approval task's failure.
    pub async fn approve(&self, provider: SimProvider, id: &str) -> Result<(), String> {
        let outcome = match &self.runtime {
            Some(runtime) => {
                let (sim, id) = (self.sim.clone(), id.to_owned());
                runtime
                    .spawn(async move { sim.approve(provider, &id) })
                    .await
                    .map_err(|e| format!("approve: {e}"))?
            }
            None => self.sim.approve(provider, id),
        };
        outcome.map_err(|e| format!("approve: {e}"))
    }
}

/// The client under test.
#[derive(Debug)]
pub enum Arm {
    /// paymux through `Arc<dyn PaymentProvider>`.
    Paymux(Paymux),
    /// Hand-written `reqwest` + `serde`.
    Hand(Hand),
}

/// Timed operations per flow: create, get, capture, refund.
pub const OPS_PER_FLOW: u64 = 4;

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Runs `f` and, when it succeeds, pushes its latency to `lat`. A failed operation is not
/// recorded: the figures count completed operations only (an arm failing fast would
/// otherwise read faster), and its flow is counted in [`Batch::errors`].
async fn timed<T>(
    lat: &mut Vec<u64>,
    f: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let started = Instant::now();
    let out = f.await;
    if out.is_ok() {
        lat.push(nanos(started.elapsed()));
    }
    out
}

/// Runs one flow, pushing the latency of each completed operation to `lat`. The
/// customer's approval ([`SimHost::approve`]) is outside the timed operations, identical for
/// both arms.
///
/// # Errors
/// The first failing operation's message.
pub async fn flow(
    arm: &Arm,
    provider: Provider,
    host: &SimHost,
    seq: u64,
    lat: &mut Vec<u64>,
) -> Result<(), String> {
    let id = match arm {
        Arm::Paymux(p) => timed(lat, p.create(provider, seq)).await?,
        Arm::Hand(h) => timed(lat, h.create(provider, seq)).await?,
    };
    match arm {
        Arm::Paymux(p) => timed(lat, p.get(provider, &id)).await?,
        Arm::Hand(h) => timed(lat, h.get(provider, &id)).await?,
    }
    if let Some(sp) = provider.needs_approval() {
        host.approve(sp, &id).await?;
    }
    match arm {
        Arm::Paymux(p) => timed(lat, p.capture(provider, &id, seq)).await?,
        Arm::Hand(h) => timed(lat, h.capture(provider, &id, seq)).await?,
    };
    match arm {
        Arm::Paymux(p) => timed(lat, p.refund(provider, &id, seq)).await?,
        Arm::Hand(h) => timed(lat, h.refund(provider, &id, seq)).await?,
    };
    Ok(())
}

/// The result of one batch.
#[derive(Debug, Default)]
pub struct Batch {
    /// Latency of every completed operation, nanoseconds.
    pub latencies: Vec<u64>,
    /// Wall time of the batch, nanoseconds.
    pub wall_nanos: u64,
    /// Failed flows.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
}

/// Runs `flows` flows with `concurrency` tasks. `seq` numbers flows uniquely across batches.
pub async fn batch(
    arm: Arc<Arm>,
    provider: Provider,
    host: Arc<SimHost>,
    flows: u64,
    concurrency: usize,
    seq: Arc<AtomicU64>,
) -> Batch {
    let started = Instant::now();
    let claimed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (arm, host, seq, claimed) = (arm.clone(), host.clone(), seq.clone(), claimed.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Batch {
                latencies: Vec::with_capacity(256),
                ..Batch::default()
            };
            while claimed.fetch_add(1, Ordering::Relaxed) < flows {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = flow(&arm, provider, &host, n, &mut out.latencies).await {
                    out.errors += 1;
                    out.first_error.get_or_insert(e);
                }
            }
            out
        }));
    }
    let mut total = Batch::default();
    for task in tasks {
        match task.await {
            Ok(b) => {
                total.latencies.extend(b.latencies);
                total.errors += b.errors;
                if total.first_error.is_none() {
                    total.first_error = b.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert(format!("task failed: {e}"));
            }
        }
    }
    total.wall_nanos = nanos(started.elapsed());
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed operation is not a completed one: counted as one, an arm that fails fast
    /// would read faster (operations ÷ wall time) and its failures would sit in its
    /// percentiles. Failures are counted per flow (`Batch::errors`).
    #[tokio::test]
    async fn only_completed_operations_are_timed() {
        let mut lat = Vec::new();
        assert_eq!(timed(&mut lat, async { Ok::<_, String>(7) }).await, Ok(7));
        assert_eq!(lat.len(), 1);
        let failed = timed(&mut lat, async { Err::<(), _>("HTTP 500".to_owned()) }).await;
        assert!(failed.is_err());
        assert_eq!(lat.len(), 1, "the failed operation was recorded as completed");
    }

    /// Every timed operation checks the status it reads, `get` too (a payment just created):
    /// an arm that read a wrong status would otherwise pass as a completed operation.
    #[tokio::test]
    async fn get_checks_the_status_it_reads() {
        let sim = Simulator::start().await.unwrap();
        let host = SimHost::new(sim, None);
        let arms = [
            Arm::Paymux(Paymux::new(host.sim()).unwrap()),
            Arm::Hand(Hand::new(host.sim(), crate::hand::Mode::Mirror).unwrap()),
            Arm::Hand(Hand::new(host.sim(), crate::hand::Mode::Minimal).unwrap()),
        ];
        let mut seq = 1;
        for (i, arm) in arms.iter().enumerate() {
            for provider in Provider::ALL {
                seq += 1;
                // Right after create, as in a flow: the expected status.
                let id = match arm {
                    Arm::Paymux(p) => p.create(provider, seq).await.unwrap(),
                    Arm::Hand(h) => h.create(provider, seq).await.unwrap(),
                };
                let get = |id: String| async move {
                    match arm {
                        Arm::Paymux(p) => p.get(provider, &id).await,
                        Arm::Hand(h) => h.get(provider, &id).await,
                    }
                };
                assert!(get(id.clone()).await.is_ok(), "arm {i}, {provider:?}");
                // Moved on: approved, or captured (Checkout.com needs no approval).
                match provider.needs_approval() {
                    Some(sp) => host.approve(sp, &id).await.unwrap(),
                    None => match arm {
                        Arm::Paymux(p) => p.capture(provider, &id, seq).await.unwrap(),
                        Arm::Hand(h) => h.capture(provider, &id, seq).await.unwrap(),
                    },
                }
                assert!(
                    get(id).await.is_err(),
                    "arm {i}, {provider:?}: status not checked"
                );
            }
        }
    }
}

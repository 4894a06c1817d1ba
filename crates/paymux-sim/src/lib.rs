//! `paymux-sim`: a stateful local simulator of three payment providers' HTTP APIs.
//!
//! It serves, on one loopback port:
//!
//! * **Paiwise / Neuro-Pay checkout** at `/checkout/...` (all `POST`, JSON,
//!   `Authorization: Bearer <key>`);
//! * **Checkout.com** at `/payments...` (`Authorization: Bearer sk_sbox_...` or the bare key);
//! * **Twisto PSP v4** at `/psp/v4/...` plus the merchant API at `/psp/smi/...`
//!   (`Authorization: Bearer <token>`);
//! * a **control API** at `/_sim/...` and **hosted pages** at `/_sim/pay/{provider}/{id}`.
//!
//! It is written from the providers' public documentation only and does not depend on any
//! paymux backend crate, so it catches the backends' mistakes instead of mirroring them.
//!
//! # Control API (HTTP)
//!
//! * `POST /_sim/{provider}/payments/{id}/approve` and `.../decline`: act as the customer.
//! * `GET /_sim/{provider}/payments/{id}/commits`, `GET /_sim/commits`: [`CommitCounts`].
//! * `POST /_sim/faults` with a [`FaultSpec`] JSON body, `DELETE /_sim/faults`,
//!   `GET /_sim/faults` (pending faults and the number served).
//! * `GET /_sim/pay/{provider}/{id}`: the hosted page (amount, reference, Approve/Decline forms
//!   posting to `/_sim/pay/{provider}/{id}/approve|decline`, which answer `303` to the merchant's
//!   return URL or show a result page).
//!
//! `{provider}` is `paiwise`, `checkout` or `twisto`. A [`FaultSpec`] looks like
//! `{"provider":"checkout","route":"capture","kind":{"type":"rate_limited","retry_after_secs":2},"times":1}`
//! (`times` defaults to 1; `kind.type` is the snake_case variant name).
//!
//! # Routes for faults
//!
//! | [`Route`] | Paiwise | Checkout.com | Twisto |
//! |---|---|---|---|
//! | `Create` | `/checkout/create` | `POST /payments` | `POST /psp/v4/checkouts` |
//! | `Get` | `/checkout/retrieve` | `GET /payments/{id}`, `GET /payments/{id}/actions`, `GET /payments`, `POST /payments/search` | `GET /checkouts...`, `GET /charges...`, `GET /refunds...`, `GET /batch...` |
//! | `Capture` | `/checkout/capture` | `POST /payments/{id}/captures` | `POST /charges`, `POST /psp/smi/charges/{id}/capture` |
//! | `Refund` | `/checkout/refund` | `POST /payments/{id}/refunds` | `POST /refunds` |
//! | `Void` | `/checkout/refund` (a refund of a reserved checkout releases it) | `POST /payments/{id}/voids`, `/reversals`, `/cancellations` | `POST /checkouts/{id}/cancel`, `POST /psp/smi/charges/{id}/cancel` |
//! | `Any` | every API route of the provider | | |
//!
//! Other API routes (Paiwise update/delete/customers, Checkout.com `/authorizations`) are only
//! matched by `Any`. Control and hosted-page routes never get faults.
//!
//! # Error bodies
//!
//! * Paiwise documents no error format. The simulator answers
//!   `{"error": {"code": "<snake_code>", "message": "..."}}` with 400 (validation), 401 (auth),
//!   404 (unknown checkout or customer) and 409 (not allowed in the current status).
//! * Checkout.com: 401 with an empty body; 404 with an empty body; 403 (action not allowed in the
//!   current state) with an empty body; 422
//!   `{"request_id", "error_type": "request_invalid", "error_codes": [...]}`; 409 for a
//!   `Cko-Idempotency-Key` still in flight with `{"request_id", "error_type": "duplicate_request"}`.
//!   Capturing more than is available answers 422 `amount_exceeds_balance`; refunding more than
//!   is available answers 422 `refund_amount_exceeds_balance`. An amount that breaks the
//!   currency's rule (a BHD/KWD/… amount whose last digit is not 0, a CLP amount that is not a
//!   multiple of 100) answers 422 `amount_invalid` on payments, incremental authorizations,
//!   captures and refunds alike. Every answer has `Cko-Request-Id`.
//! * Twisto documents no error format. The simulator answers
//!   `{"errors": [{"code": "...", "message": "...", "field": "..."}]}` (`field` may be null)
//!   with 400, 401, 404 and 409.
//!
//! # Magic values
//!
//! * Paiwise: an amount whose minor units end in `05` (e.g. `1005`) declines when the customer
//!   approves (status `failed`).
//! * Checkout.com: amount ending in `05` (e.g. `10005`) or `source.token == "tok_decline"`
//!   gives a 201 `Declined` (`20005`); `3ds.enabled: true` or `source.token == "tok_3ds"` gives
//!   a 202 `Pending` with a redirect to the hosted page (`_links.redirect`, also in `GET
//!   /payments/{id}` while it waits); `source.token == "tok_pending"` gives a 202 `Pending`
//!   without a redirect (asynchronous processing). Amount `0` is a card verification.
//!   Either `Pending` payment is settled by approve / decline (control API, or the hosted
//!   page for 3DS): approve authorizes it (`payment_approved`; the decline magic still
//!   declines, `payment_declined` `20005`), decline of a 3DS step is an authentication
//!   failure (`Declined`, `payment_authentication_failed`, `20151` "Cardholder failed 3DS
//!   authentication"), decline of an asynchronous payment an issuer decline
//!   (`payment_declined`, `20005`). Each `Pending` payment announces itself with
//!   `payment_pending`.
//! * Twisto: a shopper email containing `reject` is refused by scoring on approval
//!   (`cancelled`).
//!
//! # Behaviour choices where the docs are silent
//!
//! * Paiwise: `amount`, `currency`, `message`, `returnUrl` and `returnUrlCancel` are required
//!   (the docs mark the others optional; `message` may be empty, `metaData` may be left out);
//!   a customer decline gives `failed`; `delete` answers the checkout with status
//!   `canceled`, after which `retrieve` is 404. A refund without `amount` refunds what is left
//!   (`balance`; the docs say "the whole amount", which they do not define once part is
//!   refunded); a refund of a `reserved` checkout releases all of it, whatever `amount` names.
//!   `log` keys are whole seconds: an entry in a second already used is moved to the next
//!   free second, so no entry is lost (the real log, keyed by second, may keep only one). The
//!   refund that empties the balance is logged as `refunded` (the docs' example logs every
//!   refund named by amount as `partialRefund`, the status then being `refunded`). `revoked`
//!   (undocumented) is never reached.
//! * Checkout.com: a missing `amount` is a card verification (as documented); a missing source
//!   is `payment_source_required` (the OpenAPI example code). `capture_type` defaults to `Final`
//!   as documented, so a partial capture without `capture_type: "NonFinal"` closes the payment
//!   (status `Captured`, nothing left to capture). A 3DS payment's hosted page redirects to
//!   `success_url` / `failure_url` with `cko-session-id`. `/cancellations` answers 403 (the
//!   simulator never schedules retries). Automatic capture (`capture: true`) happens right after
//!   authorization, the 201 still says `Authorized`.
//! * Checkout.com incremental authorizations (`POST /payments/{id}/authorizations`, allowed
//!   while `Authorized`, so not after a capture) keep `amount` at the original payment amount
//!   (`PaymentDetails.amount`, "the original payment amount"): the increase shows in
//!   `balances.total_authorized`, `available_to_capture` and `available_to_void`, as an
//!   `Authorization` action of the increase (`authorization_type: Incremental`), and as the
//!   201 answer's own `amount` (the increase; 0 for a validity extension without an amount).
//!   The OpenAPI says a capture or refund without an amount takes "the full payment amount";
//!   Checkout.com's capture guide bounds captures by "the total authorized balance". The
//!   simulator reads that as a payments engineer would: a capture without an amount captures
//!   everything still available to capture (original amount plus increments, less earlier
//!   captures), captures may go beyond `amount` up to the authorized total, a `Final` capture
//!   or a void releases the rest of the whole authorization, and a refund without an amount
//!   refunds everything still available to refund.
//! * Twisto: create answers 201; charges and refunds 201; merchant-API capture/cancel 200.
//!   List endpoints (batch entries too) answer `{count, next, previous, items}`, paged by
//!   `limit` (1–1000, default 200) and `skip`. A settlement batch gathers one UTC day's
//!   captured charges (`order` entries) and refunds (`refund` entries) in one currency, never
//!   adding up amounts of different currencies; the batch and its entries name that
//!   `currency` (a field Twisto does not document), `amount` is `order_amount −
//!   refund_amount − margin_amount`, and the margin is 0. Scoring never ends in the checkout
//!   state `error`, and charges are never `rejected` or `error` (what Twisto does with the
//!   checkout then is not documented). A notification's `type` is the checkout's `type`
//!   (`standard`, `pay-in-three`) and `external_id` its `merchant_reference`.
//!
//! # Commit counters
//!
//! Every mutation the merchant commits increments the payment's [`CommitCounts`]: `creates`
//! (any create), `captures` (Paiwise capture, Checkout.com capture action, Twisto captured
//! charge or merchant-API capture), `refunds`, `voids` (Paiwise reserve release, Checkout.com
//! void or reversal-as-void, Twisto cancel of a checkout or an authorised charge), `cancels`
//! (Paiwise delete) and `metadata_updates` (Paiwise update). The customer's approval (and the
//! automatic capture it may trigger) is not counted. Idempotent replays and faults that do not
//! commit are not counted.
//!
//! # Idempotency
//!
//! Checkout.com honours `Cko-Idempotency-Key` on every `POST`, Twisto honours
//! `Idempotency-Key` on `POST /charges`, `POST /refunds` and `POST /checkouts/{id}/cancel`.
//! Keys are scoped per provider, method and path. Only 2xx answers are stored; a key still in
//! flight answers 409. Paiwise has no idempotency. The body is not compared with the first
//! request's: neither provider documents such a check (Checkout.com: "a replay returns the
//! same status and body"; Twisto: a retry "must send the same" key), so a key sent again with
//! another body (another amount, another Twisto checkout: `POST /charges` and `POST /refunds`
//! name the checkout in the body) is answered with what the key's first request got, and
//! commits nothing. That is the harsher reading for a backend, which must not take such an
//! answer for its own.

// Handlers return `Result<_, Response>` so that `?` yields a provider-shaped error answer; the
// error path is the response itself, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod checkout;
mod control;
mod faults;
mod paiwise;
mod server;
mod twisto;
mod util;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::util::lock;

/// Configuration of a [`Simulator`].
#[derive(Clone, Debug, Default)]
pub struct SimConfig {
    /// Port to bind on 127.0.0.1; `None` picks a free port.
    pub port: Option<u16>,
    /// Where Checkout.com webhooks are POSTed (nothing is sent when `None`).
    pub checkout_webhook_url: Option<String>,
    /// The key that signs Checkout.com webhooks (`Cko-Signature`, HMAC-SHA256 hex).
    /// Webhooks are only sent when both the URL and the key are set.
    pub checkout_webhook_key: Option<String>,
    /// Where Twisto notifications are POSTed (unsigned, like the real ones); `None` sends none.
    pub twisto_webhook_url: Option<String>,
}

/// The API keys a simulator instance accepts (random per instance, in the providers' formats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimKeys {
    /// Paiwise API key (`pw_test_` + 32 hex), sent as `Authorization: Bearer <key>`.
    pub paiwise: String,
    /// Checkout.com secret key (`sk_sbox_` + 27 base32 chars).
    pub checkout: String,
    /// Checkout.com public key (`pk_sbox_` + 27 chars); not accepted for `/payments`.
    pub checkout_public: String,
    /// Twisto bearer token (40 hex).
    pub twisto: String,
}

/// One of the simulated providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimProvider {
    /// Paiwise / Neuro-Pay checkout.
    Paiwise,
    /// Checkout.com `/payments`.
    Checkout,
    /// Twisto PSP v4.
    Twisto,
}

impl SimProvider {
    fn parse(s: &str) -> Option<SimProvider> {
        match s {
            "paiwise" => Some(SimProvider::Paiwise),
            "checkout" => Some(SimProvider::Checkout),
            "twisto" => Some(SimProvider::Twisto),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SimProvider::Paiwise => "paiwise",
            SimProvider::Checkout => "checkout",
            SimProvider::Twisto => "twisto",
        }
    }
}

/// A kind of API route, for fault injection (see the crate docs for the mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Create a payment / checkout.
    Create,
    /// Read a payment / checkout / lists.
    Get,
    /// Capture.
    Capture,
    /// Refund.
    Refund,
    /// Void / cancel / release.
    Void,
    /// Every API route of the provider.
    Any,
}

/// What an injected fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Sleep before answering normally.
    Latency {
        /// Delay in milliseconds.
        millis: u64,
    },
    /// Answer this status (500/502/503...) with the provider's error body; nothing committed.
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// 429 with `Retry-After`; nothing committed.
    RateLimited {
        /// Value of the `Retry-After` header.
        retry_after_secs: u64,
    },
    /// 409 (Checkout.com: duplicate request in flight); nothing committed.
    InFlightConflict,
    /// Perform the mutation for real, then close the connection without any HTTP response.
    DropAfterCommit,
    /// 502 with an HTML page (`text/html`); nothing committed.
    HtmlError,
    /// The real answer's status (200, 201, 202…) with an empty body, after committing.
    EmptyBody,
    /// The real answer's status with its JSON body cut in half, after committing.
    TruncatedJson,
    /// The real answer's status with amounts of the wrong JSON type (numbers as strings,
    /// strings as objects), after committing.
    WrongFieldTypes,
    /// The normal answer, but `status` / `state` replaced by `"Mystery State"`, after committing.
    UnknownStatus,
    /// 200 with the real (committed) JSON answer padded to `bytes` bytes.
    HugeBody {
        /// Target body size in bytes.
        bytes: usize,
    },
}

fn one() -> u32 {
    1
}

/// A fault applied to the next `times` matching requests, then gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// Which provider's API.
    pub provider: SimProvider,
    /// Which route (see the crate docs).
    pub route: Route,
    /// What happens.
    pub kind: FaultKind,
    /// How many matching requests get it (default 1 in JSON).
    #[serde(default = "one")]
    pub times: u32,
}

/// Mutations committed for a payment (or in total).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCounts {
    /// Payments / checkouts created.
    pub creates: u32,
    /// Captures.
    pub captures: u32,
    /// Refunds.
    pub refunds: u32,
    /// Voids / reservation releases / cancellations of an authorisation.
    pub voids: u32,
    /// Cancellations / deletions.
    pub cancels: u32,
    /// Metadata updates.
    pub metadata_updates: u32,
}

impl CommitCounts {
    fn add(&mut self, o: &CommitCounts) {
        self.creates += o.creates;
        self.captures += o.captures;
        self.refunds += o.refunds;
        self.voids += o.voids;
        self.cancels += o.cancels;
        self.metadata_updates += o.metadata_updates;
    }
}

/// Errors of the Rust control API.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    /// No such payment.
    #[error("payment not found")]
    NotFound,
    /// The payment is not in a state where this is possible.
    #[error("invalid state: {0}")]
    InvalidState(String),
}

/// What kind of committed mutation, for the counters.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Commit {
    Create,
    Capture,
    Refund,
    Void,
    Cancel,
    Metadata,
}

/// Stored answer for an idempotency key.
pub(crate) enum IdemEntry {
    InFlight,
    Done {
        status: u16,
        content_type: Option<String>,
        body: bytes::Bytes,
    },
}

/// Mutable state of all providers.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) paiwise: paiwise::Store,
    pub(crate) checkout: checkout::Store,
    pub(crate) twisto: twisto::Store,
    commits: HashMap<(SimProvider, String), CommitCounts>,
    pub(crate) idem: HashMap<(SimProvider, String, String), IdemEntry>,
}

impl State {
    pub(crate) fn commit(&mut self, provider: SimProvider, id: &str, what: Commit) {
        let c = self.commits.entry((provider, id.to_owned())).or_default();
        match what {
            Commit::Create => c.creates += 1,
            Commit::Capture => c.captures += 1,
            Commit::Refund => c.refunds += 1,
            Commit::Void => c.voids += 1,
            Commit::Cancel => c.cancels += 1,
            Commit::Metadata => c.metadata_updates += 1,
        }
    }
}

/// State shared by the server tasks and the [`Simulator`] handle.
pub(crate) struct Shared {
    pub(crate) keys: SimKeys,
    pub(crate) base_url: String,
    pub(crate) config: SimConfig,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Mutex<Vec<FaultSpec>>,
    pub(crate) faults_injected: AtomicU64,
    /// API requests received (every provider route; not the control API or hosted pages).
    pub(crate) requests: AtomicU64,
    pub(crate) http: reqwest::Client,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl Shared {
    pub(crate) fn hosted_page_url(&self, provider: SimProvider, id: &str) -> String {
        format!("{}/_sim/pay/{}/{}", self.base_url, provider.as_str(), id)
    }

    pub(crate) fn approve(&self, provider: SimProvider, id: &str, approve: bool) -> Result<(), SimError> {
        match provider {
            SimProvider::Paiwise => paiwise::customer_action(self, id, approve),
            SimProvider::Checkout => checkout::customer_action(self, id, approve),
            SimProvider::Twisto => twisto::customer_action(self, id, approve),
        }
    }

    pub(crate) fn commits(&self, provider: SimProvider, id: &str) -> CommitCounts {
        lock(&self.state)
            .commits
            .get(&(provider, id.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn total_commits(&self) -> CommitCounts {
        let st = lock(&self.state);
        let mut total = CommitCounts::default();
        for c in st.commits.values() {
            total.add(c);
        }
        total
    }
}

/// A running simulator. Dropping it (or [`Simulator::shutdown`]) stops the server.
pub struct Simulator {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::watch::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Start with [`SimConfig::default`] on a free port.
    ///
    /// # Errors
    /// The I/O error when 127.0.0.1 cannot be bound.
    pub async fn start() -> std::io::Result<Simulator> {
        Self::start_with(SimConfig::default()).await
    }

    /// Start with a configuration. Binds 127.0.0.1.
    ///
    /// # Errors
    /// The I/O error when the port (`config.port`, else a free one) cannot be bound.
    pub async fn start_with(config: SimConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port.unwrap_or(0))).await?;
        let port = listener.local_addr()?.port();
        let keys = SimKeys {
            paiwise: format!("pw_test_{}", util::hex_id(32)),
            checkout: format!("sk_sbox_{}", util::base32_id(27)),
            checkout_public: format!("pk_sbox_{}", util::base32_id(27)),
            twisto: util::hex_id(40),
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            keys,
            base_url: format!("http://127.0.0.1:{port}"),
            config,
            state: Mutex::new(State::default()),
            faults: Mutex::new(Vec::new()),
            faults_injected: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            http,
            runtime: tokio::runtime::Handle::current(),
        });
        let router = server::router(shared.clone());
        let (tx, rx) = tokio::sync::watch::channel(());
        let task = tokio::spawn(server::serve(listener, router, rx));
        Ok(Simulator {
            shared,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Paiwise base URL (the API paths are `/checkout/...`).
    pub fn paiwise_base_url(&self) -> String {
        self.base_url()
    }

    /// Checkout.com base URL (the API paths are `/payments...`).
    pub fn checkout_base_url(&self) -> String {
        self.base_url()
    }

    /// Twisto base URL: `base_url + "/psp/v4"` (the merchant API is at `base_url + "/psp/smi"`).
    pub fn twisto_base_url(&self) -> String {
        format!("{}/psp/v4", self.shared.base_url)
    }

    /// The keys this instance accepts.
    pub fn keys(&self) -> &SimKeys {
        &self.shared.keys
    }

    /// Act as the customer: complete the hosted step successfully (magic values may still
    /// decline, see the crate docs). For a Checkout.com payment processed asynchronously
    /// (`tok_pending`), act as the processor approving it.
    ///
    /// # Errors
    /// [`SimError::NotFound`] for an unknown id, [`SimError::InvalidState`] when the payment
    /// is no longer waiting for the customer.
    pub fn approve(&self, provider: SimProvider, id: &str) -> Result<(), SimError> {
        self.shared.approve(provider, id, true)
    }

    /// Act as the customer: decline / abandon the hosted step (Checkout.com: a failed 3DS
    /// step, `payment_authentication_failed`). For a Checkout.com payment processed
    /// asynchronously (`tok_pending`), act as the issuer declining it.
    ///
    /// # Errors
    /// As [`Simulator::approve`].
    pub fn decline(&self, provider: SimProvider, id: &str) -> Result<(), SimError> {
        self.shared.approve(provider, id, false)
    }

    /// The hosted page a customer would open for this payment.
    pub fn hosted_page_url(&self, provider: SimProvider, id: &str) -> String {
        self.shared.hosted_page_url(provider, id)
    }

    /// Committed mutations for that payment (default if unknown). Twisto payments are keyed by
    /// checkout id.
    pub fn commits(&self, provider: SimProvider, id: &str) -> CommitCounts {
        self.shared.commits(provider, id)
    }

    /// Committed mutations over all payments of all providers.
    pub fn total_commits(&self) -> CommitCounts {
        self.shared.total_commits()
    }

    /// Queue a fault.
    pub fn inject_fault(&self, fault: FaultSpec) {
        faults::inject(&self.shared, fault);
    }

    /// Remove all pending faults.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// How many fault answers were actually served.
    pub fn faults_injected(&self) -> u64 {
        self.shared.faults_injected.load(Ordering::SeqCst)
    }

    /// API requests received so far, over all providers (the control API and hosted pages
    /// are not counted).
    pub fn requests_received(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Stop the server and wait for the accept loop to end.
    pub async fn shutdown(mut self) {
        self.stop.take();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

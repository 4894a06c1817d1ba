//! [`PaiwiseProvider`]: the HTTP calls to every Paiwise endpoint, [`parse_error`], and the
//! unified [`PaymentProvider`] and [`CustomerVault`] implementations.

use async_trait::async_trait;
use std::sync::Arc;

use paymux_core::transport::{
    common_error, encode_json, ApiRequest, ApiResponse, BaseUrl, HttpTransport, RequestBody, RetryPolicy, Url,
};
use paymux_core::{
    Capabilities, CaptureRequest, CreatePayment, CurrencySupport, CustomerVault, Error, EventKind,
    MetadataUpdate, NewCustomer, Operation, Payment, PaymentEvent, PaymentProvider, PaymentStatus,
    RefundRequest, Result, StoredCustomer, TransportConfig, VoidRequest, WireUnitRule,
};
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde::Serialize;

use crate::config::{PaiwiseBuilder, PaiwiseConfig};
use crate::mapping;
use crate::model::{CheckoutIdBody, CreateCustomerBody, CustomerIdBody, RefundBody};
use crate::types::{PaiwiseCheckout, PaiwiseCreateOptions, PaiwiseCustomer, PaiwiseRefund};
use crate::PROVIDER;

/// The Paiwise (Neuro-Pay checkout) backend.
///
/// Implements [`PaymentProvider`] (hosted checkout, capture, refunds, release of
/// reservations, metadata) and [`CustomerVault`] (customers with saved cards), and exposes
/// every Paiwise endpoint as a typed method (`create_checkout`, `retrieve_checkout`,
/// `capture_checkout`, `refund_checkout`, `update_checkout`, `delete_checkout`,
/// `register_customer`, `retrieve_customer`, `remove_customer`).
///
/// Paiwise documents no idempotency: mutations are sent once ([`RetryPolicy::Never`]); a
/// create, capture or refund whose answer is lost is [`Error::OutcomeUnknown`] (with the
/// checkout id where known): call [`get_payment`](PaymentProvider::get_payment) to reconcile
/// before trying again.
///
/// ```
/// use paymux_core::PaymentProvider;
/// use paymux_paiwise::PaiwiseProvider;
/// let provider = PaiwiseProvider::builder("pw_test_key").build()?;
/// assert_eq!(provider.id(), "paiwise");
/// assert!(provider.capabilities().customers);
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PaiwiseProvider {
    base_url: BaseUrl,
    endpoints: Arc<Endpoints>,
    transport: HttpTransport,
    capabilities: Capabilities,
}

/// Paiwise's endpoints. Every one is a fixed path (ids travel in the body), so their URLs
/// are built once per provider instead of once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Create,
    Retrieve,
    Capture,
    Refund,
    Update,
    Delete,
    CreateCustomer,
    RetrieveCustomer,
    DeleteCustomer,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Self::Create => "/checkout/create",
            Self::Retrieve => "/checkout/retrieve",
            Self::Capture => "/checkout/capture",
            Self::Refund => "/checkout/refund",
            Self::Update => "/checkout/update",
            Self::Delete => "/checkout/delete",
            Self::CreateCustomer => "/checkout/create-customer",
            Self::RetrieveCustomer => "/checkout/retrieve-customer",
            Self::DeleteCustomer => "/checkout/delete-customer",
        }
    }

    /// Whether the id it takes is a customer's.
    fn is_customer(self) -> bool {
        matches!(
            self,
            Self::CreateCustomer | Self::RetrieveCustomer | Self::DeleteCustomer
        )
    }
}

/// The URL of every [`Endpoint`] under one base URL.
#[derive(Debug)]
struct Endpoints {
    create: Url,
    retrieve: Url,
    capture: Url,
    refund: Url,
    update: Url,
    delete: Url,
    create_customer: Url,
    retrieve_customer: Url,
    delete_customer: Url,
}

impl Endpoints {
    fn under(base: &BaseUrl) -> Self {
        let url = |e: Endpoint| base.endpoint(e.path());
        Self {
            create: url(Endpoint::Create),
            retrieve: url(Endpoint::Retrieve),
            capture: url(Endpoint::Capture),
            refund: url(Endpoint::Refund),
            update: url(Endpoint::Update),
            delete: url(Endpoint::Delete),
            create_customer: url(Endpoint::CreateCustomer),
            retrieve_customer: url(Endpoint::RetrieveCustomer),
            delete_customer: url(Endpoint::DeleteCustomer),
        }
    }

    fn url(&self, endpoint: Endpoint) -> &Url {
        match endpoint {
            Endpoint::Create => &self.create,
            Endpoint::Retrieve => &self.retrieve,
            Endpoint::Capture => &self.capture,
            Endpoint::Refund => &self.refund,
            Endpoint::Update => &self.update,
            Endpoint::Delete => &self.delete,
            Endpoint::CreateCustomer => &self.create_customer,
            Endpoint::RetrieveCustomer => &self.retrieve_customer,
            Endpoint::DeleteCustomer => &self.delete_customer,
        }
    }
}

/// What Paiwise can do (see `docs/providers/paiwise.md`).
pub fn capabilities() -> Capabilities {
    let mut caps = Capabilities::none();
    caps.hosted_checkout = true;
    caps.card_tokens = false;
    caps.manual_capture = true;
    caps.immediate_capture = true;
    caps.partial_capture = false;
    caps.multiple_captures = false;
    caps.partial_refund = true;
    caps.multiple_refunds = true;
    caps.void = true;
    caps.metadata_update = true;
    caps.customers = true;
    caps.server_idempotency = false;
    caps.webhooks = false;
    caps.signed_webhooks = false;
    caps.currencies = CurrencySupport::Any;
    caps
}

impl PaiwiseProvider {
    /// A provider from a configuration.
    ///
    /// # Errors
    /// As [`PaiwiseBuilder::build`].
    pub fn new(config: PaiwiseConfig) -> Result<Self> {
        PaiwiseBuilder::from_config(config).build()
    }

    /// A builder with `api_key`.
    pub fn builder(api_key: impl Into<String>) -> PaiwiseBuilder {
        PaiwiseBuilder::new(api_key)
    }

    pub(crate) fn with_transport_config(config: PaiwiseConfig, transport: TransportConfig) -> Result<Self> {
        config.validate()?;
        let auth = config.api_key.header_value("Bearer ")?;
        let transport = HttpTransport::new(PROVIDER, transport)?.with_auth(AUTHORIZATION, auth);
        let base_url = BaseUrl::parse(&config.base_url)?;
        Ok(Self {
            endpoints: Arc::new(Endpoints::under(&base_url)),
            base_url,
            transport,
            capabilities: capabilities(),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    // -----------------------------------------------------------------------------------------
    // Raw endpoints
    // -----------------------------------------------------------------------------------------

    /// `POST /checkout/create` with Paiwise-only options (`allowSaveCard`, `template`,
    /// `paymentMethods`). The unified [`create_payment`](PaymentProvider::create_payment)
    /// calls this with [`PaiwiseCreateOptions::default`].
    ///
    /// Mapping: `reference` → `identifier`, `description` → `message` (the reference when
    /// absent: `message` is required), `return_url`/`cancel_url` → `returnUrl`/
    /// `returnUrlCancel` (required), `capture`, `customer.id` → `customer_id`,
    /// `PaymentSource::SavedCard` → `customer_id` + `card_id` (automatic payment),
    /// `metadata` → `metaData`. Not sent: the customer's email, names and phone (`create`
    /// takes only `customer_id`: register the customer first), `line_items`, `require_3ds` (Paiwise's hosted page
    /// runs its own authentication) and `idempotency_key` (Paiwise has none).
    ///
    /// # Errors
    /// `InvalidRequest` before sending for a non-positive amount, a missing return or cancel
    /// URL, a saved card without customer id; `Unsupported` for card tokens;
    /// `OutcomeUnknown` (no checkout id) when the answer is lost; for a saved card its
    /// message warns that the card may have been charged (Paiwise pays an automatic payment
    /// inside `create`: find the checkout by its `identifier` in Neuro-Admin before creating
    /// another); provider errors.
    pub async fn create_checkout(
        &self,
        request: &CreatePayment,
        options: &PaiwiseCreateOptions,
    ) -> Result<PaiwiseCheckout> {
        self.create_as(request, options, mapping::decode_checkout_details)
            .await
    }

    async fn create_as<T>(
        &self,
        request: &CreatePayment,
        options: &PaiwiseCreateOptions,
        decode: Decoder<T>,
    ) -> Result<T> {
        let req = self.create_request(request, options)?;
        self.checkout_call(&req, decode)
            .await
            .map_err(|e| lost_automatic_payment(request, e))
    }

    fn create_request(&self, request: &CreatePayment, options: &PaiwiseCreateOptions) -> Result<ApiRequest> {
        let body = self.encode_create_checkout(request, options)?;
        Ok(self.assemble(
            Endpoint::Create,
            Operation::Create,
            RetryPolicy::Never,
            None,
            body,
        ))
    }

    /// The JSON body [`create_checkout`](Self::create_checkout) sends for `request` and
    /// `options`, checked as it checks them. Nothing is sent: for checking a request before
    /// it goes out (a dry run), for tests, and for the encoding benchmarks. The body is what
    /// Paiwise receives, customer id and metadata included: treat it as the request itself,
    /// not as a log line.
    ///
    /// ```
    /// use paymux_core::{Currency, CreatePayment, Money};
    /// use paymux_paiwise::{PaiwiseCreateOptions, PaiwiseProvider};
    /// let paiwise = PaiwiseProvider::builder("key").build()?;
    /// let request = CreatePayment::new(Money::from_minor(3000, Currency::SEK), "order-1")
    ///     .with_return_urls("https://shop.example/done", "https://shop.example/cancelled");
    /// let body = paiwise.encode_create_checkout(&request, &PaiwiseCreateOptions::default())?;
    /// let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    /// assert_eq!(json["amount"], 3000);
    /// assert_eq!(json["returnUrl"], "https://shop.example/done");
    /// # Ok::<(), paymux_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// What `create_checkout` refuses before sending: `InvalidRequest` for a non-positive
    /// amount, a missing return or cancel URL, a saved card without customer id;
    /// `Unsupported` for card tokens.
    pub fn encode_create_checkout(
        &self,
        request: &CreatePayment,
        options: &PaiwiseCreateOptions,
    ) -> Result<RequestBody> {
        encode_json(&mapping::create_body(request, options)?)
    }

    /// The JSON body [`create_payment`](PaymentProvider::create_payment) sends for
    /// `request`: [`encode_create_checkout`](Self::encode_create_checkout) with the default
    /// options.
    ///
    /// # Errors
    /// As [`encode_create_checkout`](Self::encode_create_checkout).
    pub fn encode_create_payment(&self, request: &CreatePayment) -> Result<RequestBody> {
        self.encode_create_checkout(request, &PaiwiseCreateOptions::default())
    }

    /// `POST /checkout/retrieve`: the checkout in its current state. Retried when safe.
    ///
    /// # Errors
    /// `NotFound`, `Authentication`, `Timeout`, `Decode`, provider errors.
    pub async fn retrieve_checkout(&self, checkout_id: &str) -> Result<PaiwiseCheckout> {
        self.retrieve_as(checkout_id, mapping::decode_checkout_details)
            .await
    }

    async fn retrieve_as<T>(&self, checkout_id: &str, decode: Decoder<T>) -> Result<T> {
        let body = CheckoutIdBody { checkout_id };
        let req = self.request(
            Endpoint::Retrieve,
            Operation::Get,
            RetryPolicy::Safe,
            Some(checkout_id),
            &body,
        )?;
        self.checkout_call(&req, decode).await
    }

    /// `POST /checkout/capture`: captures a `reserved` checkout in full (Paiwise takes no
    /// amount).
    ///
    /// # Errors
    /// `InvalidState` when Paiwise refuses it in the current status (HTTP 409),
    /// `OutcomeUnknown` with the checkout id when the answer is lost, `NotFound`, provider
    /// errors.
    pub async fn capture_checkout(&self, checkout_id: &str) -> Result<PaiwiseCheckout> {
        self.capture_as(checkout_id, mapping::decode_checkout_details)
            .await
    }

    async fn capture_as<T>(&self, checkout_id: &str, decode: Decoder<T>) -> Result<T> {
        let body = CheckoutIdBody { checkout_id };
        let req = self.request(
            Endpoint::Capture,
            Operation::Capture,
            RetryPolicy::Never,
            Some(checkout_id),
            &body,
        )?;
        self.checkout_call(&req, decode).await
    }

    /// `POST /checkout/refund` exactly as Paiwise takes it, with no status check: on a `paid`
    /// or `partialRefund` checkout it refunds `amount` (without one, Paiwise documents "the
    /// whole amount"; what that means once part is refunded is not documented, so name the
    /// amount left there, as the unified [`refund`](PaymentProvider::refund) does), on a
    /// `reserved` checkout it **releases the reservation** (`reserve released`). The unified
    /// [`refund`](PaymentProvider::refund) and [`void`](PaymentProvider::void) check the
    /// status first.
    ///
    /// # Errors
    /// `InvalidRequest` for a non-positive amount, `InvalidState` on HTTP 409,
    /// `OutcomeUnknown` with the checkout id when the answer is lost, provider errors. The
    /// amount's currency is not checked: its minor units are sent, and Paiwise takes them in
    /// the checkout's currency (the unified [`refund`](PaymentProvider::refund) refuses
    /// another currency before sending).
    pub async fn refund_checkout(
        &self,
        checkout_id: &str,
        refund: &PaiwiseRefund,
    ) -> Result<PaiwiseCheckout> {
        self.send_refund(
            checkout_id,
            refund.amount,
            refund.reason.map(|r| r.as_str()),
            refund.details.as_deref(),
            Operation::Refund,
            mapping::decode_checkout_details,
        )
        .await
    }

    async fn send_refund<T>(
        &self,
        checkout_id: &str,
        amount: Option<paymux_core::Money>,
        reason: Option<&'static str>,
        details: Option<&str>,
        operation: Operation,
        decode: Decoder<T>,
    ) -> Result<T> {
        let amount = match amount {
            Some(a) if !a.is_positive() => {
                return Err(Error::invalid(
                    "amount",
                    format!("must be greater than zero, got {a}"),
                ))
            }
            Some(a) => Some(
                a.to_wire_units(WireUnitRule::iso(a.currency()))
                    .map_err(|e| Error::money("amount", e))?,
            ),
            None => None,
        };
        let body = RefundBody {
            checkout_id,
            amount,
            reason,
            refund_details: details,
        };
        let req = self.request(
            Endpoint::Refund,
            operation,
            RetryPolicy::Never,
            Some(checkout_id),
            &body,
        )?;
        self.checkout_call(&req, decode).await
    }

    /// `POST /checkout/update`: sets metadata keys; `None` values are sent as `""`, which
    /// Paiwise documents as deleting the key. Works in every status.
    ///
    /// # Errors
    /// `InvalidRequest` for an empty key or a `Some("")` value (ambiguous), provider errors;
    /// a lost answer is `OutcomeUnknown`.
    pub async fn update_checkout(
        &self,
        checkout_id: &str,
        update: &MetadataUpdate,
    ) -> Result<PaiwiseCheckout> {
        self.update_as(checkout_id, update, mapping::decode_checkout_details)
            .await
    }

    async fn update_as<T>(
        &self,
        checkout_id: &str,
        update: &MetadataUpdate,
        decode: Decoder<T>,
    ) -> Result<T> {
        let body = mapping::update_body(checkout_id, update)?;
        let req = self.request(
            Endpoint::Update,
            Operation::UpdateMetadata,
            RetryPolicy::Never,
            Some(checkout_id),
            &body,
        )?;
        self.checkout_call(&req, decode).await
    }

    /// `POST /checkout/delete`: removes a checkout that is still `created`. Returns the
    /// checkout when Paiwise answers with the checkout object (`canceled`), `None` when it
    /// answers 204 or 2xx with other JSON that is not an error object (its answer is not
    /// documented).
    ///
    /// # Errors
    /// `InvalidState` when the checkout is no longer `created` (HTTP 409), `NotFound`,
    /// `OutcomeUnknown` when the answer is lost or is a 2xx that is not JSON (an HTML page,
    /// an empty or cut-off body: whether it was deleted is not known), provider errors
    /// (also for an error object in a 2xx).
    pub async fn delete_checkout(&self, checkout_id: &str) -> Result<Option<PaiwiseCheckout>> {
        let body = CheckoutIdBody { checkout_id };
        let req = self.request(
            Endpoint::Delete,
            Operation::Void,
            RetryPolicy::Never,
            Some(checkout_id),
            &body,
        )?;
        let resp = self.send(&req).await?;
        acknowledged(&req, &resp)?;
        Ok(mapping::decode_checkout_details(&resp.body).ok())
    }

    /// `POST /checkout/create-customer`. `first_name`, `last_name` and `email` are required
    /// by Paiwise.
    ///
    /// # Errors
    /// `InvalidRequest` naming a missing field before sending; a lost answer is
    /// `OutcomeUnknown`; provider errors.
    pub async fn register_customer(&self, customer: &NewCustomer) -> Result<PaiwiseCustomer> {
        let field = |name: &str, v: &'_ Option<String>| -> Result<()> {
            match v.as_deref().map(str::trim) {
                Some(s) if !s.is_empty() => Ok(()),
                _ => Err(Error::invalid(name, "required by Paiwise to create a customer")),
            }
        };
        field("first_name", &customer.first_name)?;
        field("last_name", &customer.last_name)?;
        field("email", &customer.email)?;
        let body = CreateCustomerBody {
            first_name: customer.first_name.as_deref().unwrap_or_default(),
            last_name: customer.last_name.as_deref().unwrap_or_default(),
            email: customer.email.as_deref().unwrap_or_default(),
            meta_data: Some(&customer.metadata).filter(|m| !m.is_empty()),
        };
        let req = self.request(
            Endpoint::CreateCustomer,
            Operation::Create,
            RetryPolicy::Never,
            None,
            &body,
        )?;
        let resp = self.send(&req).await?;
        self.decode_answer(&req, &resp, mapping::decode_customer)
    }

    /// `POST /checkout/retrieve-customer`: the customer with saved cards and `client_page`.
    ///
    /// # Errors
    /// `NotFound` (carrying the customer id), provider errors.
    pub async fn retrieve_customer(&self, customer_id: &str) -> Result<PaiwiseCustomer> {
        check_id("customer_id", customer_id)?;
        let body = CustomerIdBody { customer_id };
        let req = self.request(
            Endpoint::RetrieveCustomer,
            Operation::Get,
            RetryPolicy::Safe,
            Some(customer_id),
            &body,
        )?;
        let resp = self.send(&req).await?;
        self.decode_answer(&req, &resp, mapping::decode_customer)
    }

    /// `POST /checkout/delete-customer`. Returns the deleted customer when Paiwise answers
    /// with it (as documented), `None` for a 204 or other JSON that is not an error object.
    /// (Errors name the operation `void`: the core has no customer operations.)
    ///
    /// # Errors
    /// `NotFound`, `OutcomeUnknown` when the answer is lost or is a 2xx that is not JSON
    /// (whether the customer was deleted is not known: read it), provider errors (also for
    /// an error object in a 2xx).
    pub async fn remove_customer(&self, customer_id: &str) -> Result<Option<PaiwiseCustomer>> {
        check_id("customer_id", customer_id)?;
        let body = CustomerIdBody { customer_id };
        let req = self.request(
            Endpoint::DeleteCustomer,
            Operation::Void,
            RetryPolicy::Never,
            Some(customer_id),
            &body,
        )?;
        let resp = self.send(&req).await?;
        acknowledged(&req, &resp)?;
        Ok(mapping::decode_customer(&resp.body).ok())
    }

    // -----------------------------------------------------------------------------------------
    // Plumbing
    // -----------------------------------------------------------------------------------------

    fn request<B: Serialize>(
        &self,
        endpoint: Endpoint,
        operation: Operation,
        retry: RetryPolicy,
        id: Option<&str>,
        body: &B,
    ) -> Result<ApiRequest> {
        if let Some(id) = id {
            check_id(
                if endpoint.is_customer() {
                    "customer_id"
                } else {
                    "checkout_id"
                },
                id,
            )?;
        }
        Ok(self.assemble(endpoint, operation, retry, id, encode_json(body)?))
    }

    /// The request to `endpoint` with a body encoded already; `id` checked by the caller.
    fn assemble(
        &self,
        endpoint: Endpoint,
        operation: Operation,
        retry: RetryPolicy,
        id: Option<&str>,
        body: RequestBody,
    ) -> ApiRequest {
        let url = self.endpoints.url(endpoint).clone();
        let mut req = ApiRequest::new(Method::POST, url, operation, retry).encoded_json(body);
        if let Some(id) = id {
            req = req.payment(id);
        }
        req
    }

    /// Sends; non-2xx answers become errors through [`parse_error`].
    async fn send(&self, req: &ApiRequest) -> Result<ApiResponse> {
        let resp = self.transport.send(req).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(parse_error(req, &resp))
        }
    }

    /// Sends a checkout request and decodes the answer with `decode`: the unified methods
    /// decode only the [`Payment`], the Paiwise ones the whole [`PaiwiseCheckout`].
    ///
    /// Takes the request by reference: an `async fn` that owns it would hold a second copy
    /// in every caller's future (rustc keeps the moved-from local's space too).
    async fn checkout_call<T>(&self, req: &ApiRequest, decode: Decoder<T>) -> Result<T> {
        let resp = self.send(req).await?;
        self.decode_answer(req, &resp, decode)
    }

    /// The refund's checks against the checkout as Paiwise has it now (see
    /// [`refund`](PaymentProvider::refund)). Its own function so the checkout read here is
    /// gone before the refund is sent, and the refund's future stays small.
    ///
    /// Returns the amount to send: the caller's, or for a full refund of a checkout already
    /// partly refunded, what is left (Paiwise documents that a refund without an amount
    /// refunds "the whole amount", not what happens once part of it is refunded, so the
    /// rest is named rather than left to that reading). `None`: the whole amount.
    async fn check_refundable(
        &self,
        id: &str,
        request: &RefundRequest,
    ) -> Result<Option<paymux_core::Money>> {
        let p = self.retrieve_as(id, mapping::decode_checkout_state).await?;
        match &*p.raw_status {
            "paid" | "partialRefund" => {}
            "reserved" => {
                return Err(invalid_state(
                    Operation::Refund,
                    &p,
                    "nothing is captured yet; a Paiwise refund here would release the reservation: use void",
                ))
            }
            _ if p.status == PaymentStatus::Unknown => {}
            _ => {
                return Err(invalid_state(
                    Operation::Refund,
                    &p,
                    "refunds need a paid or partially refunded checkout",
                ))
            }
        }
        if let Some(asked) = request.amount {
            if asked.currency() != p.amount.currency() {
                return Err(Error::invalid(
                    "amount",
                    format!(
                        "currency {} differs from the checkout's {}",
                        asked.currency(),
                        p.amount.currency()
                    ),
                ));
            }
            if let Some(left) = p.refundable {
                if asked.minor() > left.minor() {
                    return Err(Error::invalid(
                        "amount",
                        format!("refund of {asked} exceeds the {left} still refundable"),
                    ));
                }
            }
            return Ok(Some(asked));
        }
        // A `paid` checkout whose answer does not say what was refunded (its `balance`
        // contradicts the status) may have been refunded in part: as for a partial refund,
        // "the whole amount" could refund more than is left.
        let refunded_unknown = p.raw_status == "paid" && p.refunded.is_none();
        if p.raw_status == "partialRefund" || refunded_unknown || p.refunded.is_some_and(|r| r.is_positive())
        {
            return match p.refundable {
                Some(left) if left.is_positive() => Ok(Some(left)),
                // Part refunded (or perhaps), and what is left unknown: refunding "the
                // whole amount" could refund more than was paid.
                _ => Err(invalid_state(
                    Operation::Refund,
                    &p,
                    "partly refunded, and Paiwise's answer does not say how much is left: refund an amount",
                )),
            };
        }
        // Nothing refunded yet: still named, so that a refund landing between this read and
        // the POST (another call racing this one) makes Paiwise refuse more than is left
        // rather than take "the whole amount", which it does not define once part is refunded.
        // A status paymux does not know leaves it to Paiwise.
        Ok(p.refundable.filter(|left| left.is_positive()))
    }

    /// Decodes a 2xx answer. An error object in a 2xx body is a provider error; an
    /// undecodable answer to a mutation is `OutcomeUnknown` (Paiwise said yes, but what it
    /// did cannot be read: reconcile), to a read `Decode`.
    fn decode_answer<T>(
        &self,
        req: &ApiRequest,
        resp: &ApiResponse,
        decode: impl Fn(&[u8]) -> Result<T>,
    ) -> Result<T> {
        match decode(&resp.body) {
            Ok(v) => Ok(v),
            Err(err) => {
                if let Some((code, message)) = error_object_fields(&resp.body) {
                    return Err(Error::Provider {
                        provider: PROVIDER.to_owned(),
                        http_status: resp.status.as_u16(),
                        code,
                        message,
                        request_id: resp.request_id.clone(),
                    });
                }
                let err = match err {
                    Error::Decode { message, excerpt, .. } => Error::Decode {
                        provider: PROVIDER.to_owned(),
                        message: format!("HTTP {}: {message}", resp.status.as_u16()),
                        excerpt,
                    },
                    other => other,
                };
                if req.operation.is_mutation() {
                    Err(Error::OutcomeUnknown {
                        provider: PROVIDER.to_owned(),
                        operation: req.operation,
                        payment_id: req.payment_id.clone(),
                        idempotency_key: None,
                        message: format!("Paiwise answered HTTP {} but {err}", resp.status.as_u16()),
                    })
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// A 2xx answer carrying an error object (`{"error": …}`, `{"success": false}`; see
/// [`error_object_fields`]) is Paiwise refusing: reported as
/// a provider error, not read as success (a delete taken as done would cancel an order the
/// customer can still pay).
fn refused_in_2xx(resp: &ApiResponse) -> Result<()> {
    match error_object_fields(&resp.body) {
        Some((code, message)) => Err(Error::Provider {
            provider: PROVIDER.to_owned(),
            http_status: resp.status.as_u16(),
            code,
            message,
            request_id: resp.request_id.clone(),
        }),
        None => Ok(()),
    }
}

/// A 2xx answer to a delete, whose body is not documented (checkout) or may differ from the
/// object documented (customer), is taken as done when it is a 204 or any JSON that is not an
/// error object. Anything else (an HTML page, an empty or cut-off body) does not say what
/// happened: `OutcomeUnknown`, so a checkout the customer can still pay is not reported
/// cancelled, nor a customer whose saved cards may still be stored reported deleted. The
/// body is not quoted: a customer's would carry personal data.
fn acknowledged(req: &ApiRequest, resp: &ApiResponse) -> Result<()> {
    refused_in_2xx(resp)?;
    if resp.status.as_u16() == 204 || serde_json::from_slice::<serde::de::IgnoredAny>(&resp.body).is_ok() {
        return Ok(());
    }
    Err(Error::OutcomeUnknown {
        provider: PROVIDER.to_owned(),
        operation: req.operation,
        payment_id: req.payment_id.clone(),
        idempotency_key: None,
        message: format!(
            "Paiwise answered the delete with HTTP {} and a body that is not JSON ({} bytes): whether it was deleted is not known",
            resp.status.as_u16(),
            resp.body.len()
        ),
    })
}

/// A create whose outcome is unknown, with a saved card: Paiwise pays an automatic payment
/// inside `create`, so unlike a hosted checkout (left `created`, moving no money) the lost
/// checkout may have charged the card, and a new create would charge it again. There is no
/// checkout id to read it back by: the message says so and names the `identifier` to look
/// for. Other errors, and other sources, pass unchanged.
fn lost_automatic_payment(request: &CreatePayment, err: Error) -> Error {
    if !matches!(request.source, paymux_core::PaymentSource::SavedCard { .. }) {
        return err;
    }
    match err {
        Error::OutcomeUnknown {
            provider,
            operation,
            payment_id,
            idempotency_key,
            message,
        } => {
            let find = if request.reference.is_empty() {
                "by customer and amount".to_owned()
            } else {
                format!("by its identifier {:?}", request.reference)
            };
            Error::OutcomeUnknown {
                provider,
                operation,
                payment_id,
                idempotency_key,
                message: format!(
                    "{message}; the saved card may have been charged (Paiwise pays with a saved card inside create): \
                     find the checkout {find} in Neuro-Admin before creating another, or the customer is charged twice"
                ),
            }
        }
        other => other,
    }
}

fn check_id(field: &str, id: &str) -> Result<()> {
    // Ids are ASCII in practice: check bytes, and decode characters only for other text.
    let control = if id.is_ascii() {
        id.bytes().any(|b| b.is_ascii_control())
    } else {
        id.chars().any(char::is_control)
    };
    if id.trim().is_empty() || id.len() > 256 || control {
        return Err(Error::invalid(
            field,
            "must be a non-empty Paiwise id without control characters",
        ));
    }
    Ok(())
}

/// A code and message from any JSON error body: `{"error": {"code", "message"}}`,
/// `{"error": "text"}`, `{"code", "message"}`, `{"message"}`, `{"errors": [{…}]}`. `None`
/// when the body is not JSON or has none of these. The message is scrubbed.
fn error_fields(body: &[u8]) -> Option<(Option<String>, String)> {
    error_fields_in(body, false)
}

/// As [`error_fields`], but only for a body that is an error object (`error` or `errors`
/// at the top, or `"success": false`): for a 2xx answer, where a top-level `message` is the
/// checkout's own text for the customer, not an error. A flag without a message
/// (`{"error": true}`, `{"success": false}`) is an error all the same, with a message that
/// names the flag (the body is not quoted: a customer's would carry personal data).
fn error_object_fields(body: &[u8]) -> Option<(Option<String>, String)> {
    error_fields_in(body, true)
}

fn error_fields_in(body: &[u8], only_error_objects: bool) -> Option<(Option<String>, String)> {
    use serde_json::Value;
    let value: Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    // `"error": null`, `false`, `0` (or an empty one) next to a success is no error.
    let holds = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    };
    // `{"success": true}` is taken as done (a delete's answer is not documented), so
    // `{"success": false}` is a refusal.
    let flag = if holds("error") || holds("errors") {
        Some("error")
    } else if obj.get("success") == Some(&Value::Bool(false)) {
        Some("success: false")
    } else {
        None
    };
    if only_error_objects && flag.is_none() {
        return None;
    }
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let from = |o: &serde_json::Map<String, Value>| -> (Option<String>, Option<String>) {
        (
            text(o.get("code")).or_else(|| text(o.get("error_code"))),
            text(o.get("message"))
                .or_else(|| text(o.get("error_description")))
                .or_else(|| text(o.get("detail"))),
        )
    };
    let (code, message) = match obj.get("error") {
        Some(Value::Object(inner)) => from(inner),
        Some(Value::String(s)) => (None, Some(s.clone())),
        _ => match obj.get("errors") {
            Some(Value::Array(list)) => list.first().and_then(Value::as_object).map_or((None, None), from),
            _ => from(obj),
        },
    };
    let message = match (message, &code) {
        (Some(m), _) => m,
        (None, Some(c)) => c.clone(),
        // A 2xx flagged as an error, saying no more: Paiwise refused all the same.
        (None, None) => match flag {
            Some(flag) if only_error_objects => {
                return Some((
                    None,
                    format!("Paiwise answered with an error flag ({flag}) and no message"),
                ))
            }
            _ => return None,
        },
    };
    Some((code, paymux_core::error::scrubbed_excerpt(message.as_bytes())))
}

/// Turns a non-2xx Paiwise answer into an [`Error`]. Paiwise documents no error format, so
/// any body is accepted: a JSON error object (`{"error": {"code", "message"}}` and similar)
/// gives the code and message, anything else (HTML, empty, other JSON) a scrubbed excerpt.
///
/// 401 → `Authentication`; 404 → `NotFound` (with the checkout or customer id); 409 →
/// `InvalidState` for operations on an existing checkout (Paiwise refuses it in the
/// current status), `Conflict` otherwise; 429 → `RateLimited`; 5xx on a mutation →
/// `OutcomeUnknown` (it may have been committed); other statuses → `Provider` with the HTTP
/// status, code and message.
pub fn parse_error(request: &ApiRequest, response: &ApiResponse) -> Error {
    let (code, message) = match error_fields(&response.body) {
        Some((code, message)) => (code, message),
        None => {
            let excerpt = paymux_core::error::scrubbed_excerpt(&response.body);
            let message = if excerpt.trim().is_empty() {
                format!("HTTP {} with an empty body", response.status.as_u16())
            } else {
                format!("HTTP {}: {excerpt}", response.status.as_u16())
            };
            (None, message)
        }
    };
    // A 409 for a request still in flight is a retryable conflict, and a read is never in an
    // invalid state: only other 409s on mutations mean "not allowed in this status". Paiwise
    // documents no error bodies; `request_in_progress` is the code paymux-sim uses, so against
    // the real API every 409 on a mutation is read as InvalidState (the safe reading).
    if response.status.as_u16() == 409
        && request.operation.is_mutation()
        && request.operation != Operation::Create
        && code.as_deref() != Some("request_in_progress")
    {
        return Error::InvalidState {
            operation: request.operation,
            status: None,
            message: format!(
                "Paiwise refused it in the checkout's current status{}: {message}",
                code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
            ),
        };
    }
    common_error(PROVIDER, request, response, code, Some(message))
}

fn invalid_state(operation: Operation, checkout: &Payment, message: &str) -> Error {
    Error::InvalidState {
        operation,
        status: Some(checkout.status),
        message: format!(
            "Paiwise checkout {} is {:?}: {message}",
            checkout.id, checkout.raw_status
        ),
    }
}

/// How an answer body becomes the caller's type.
type Decoder<T> = fn(&[u8]) -> Result<T>;

#[async_trait]
impl PaymentProvider for PaiwiseProvider {
    fn id(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// A saved card (`PaymentSource::SavedCard`) is charged inside this call (Paiwise's
    /// automatic payment): when its answer is lost, the `OutcomeUnknown` says so, and a new
    /// create would charge the card again.
    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        self.create_as(
            request,
            &PaiwiseCreateOptions::default(),
            mapping::decode_checkout,
        )
        .await
    }

    async fn get_payment(&self, id: &str) -> Result<Payment> {
        self.retrieve_as(id, mapping::decode_checkout).await
    }

    /// Captures a reserved checkout in full. Without an amount this is one call (Paiwise
    /// refuses other statuses: `InvalidState`). With an amount, the checkout is read first:
    /// the amount must be the whole reserved amount (another amount is `Unsupported`, as
    /// there is no partial capture; one in another currency `InvalidRequest` on `amount`).
    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        if let Some(asked) = request.amount {
            if !asked.is_positive() {
                return Err(Error::invalid(
                    "amount",
                    format!("must be greater than zero, got {asked}"),
                ));
            }
            let p = self.retrieve_as(id, mapping::decode_checkout_state).await?;
            if !p.status.permits(Operation::Capture) {
                return Err(invalid_state(
                    Operation::Capture,
                    &p,
                    "only a reserved checkout can be captured",
                ));
            }
            if asked.currency() != p.amount.currency() {
                return Err(Error::invalid(
                    "amount",
                    format!(
                        "is in {}, the payment in {}",
                        asked.currency(),
                        p.amount.currency()
                    ),
                ));
            }
            if asked != p.amount {
                return Err(Error::unsupported(
                    PROVIDER,
                    format!(
                        "partial capture: Paiwise captures the whole reserved {}",
                        p.amount
                    ),
                ));
            }
        }
        self.capture_as(id, mapping::decode_checkout).await
    }

    /// Reads the checkout first (a refund of a `reserved` checkout would release the
    /// reservation at Paiwise, which is a void: refused here with `InvalidState`), checks the
    /// amount against the balance, then refunds. Reasons are sent in Paiwise's spelling
    /// (`fraudolent`); `RefundReason::Other` text and the note go to `refundDetails`.
    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        if let Some(asked) = request.amount {
            if !asked.is_positive() {
                return Err(Error::invalid(
                    "amount",
                    format!("must be greater than zero, got {asked}"),
                ));
            }
        }
        let amount = self.check_refundable(id, request).await?;
        let (reason, details) = mapping::refund_reason(request.reason.as_ref(), request.note.as_deref());
        self.send_refund(
            id,
            amount,
            reason,
            details.as_deref(),
            Operation::Refund,
            mapping::decode_checkout,
        )
        .await
    }

    /// Reads the checkout first: a `reserved` checkout is released (`POST /checkout/refund`
    /// without an amount → `reserve released`); a `created` one is deleted
    /// (`POST /checkout/delete` → `canceled`; if Paiwise answers without the checkout object,
    /// the payment last read is returned as `Cancelled` with raw status `deleted`). Other
    /// statuses: `InvalidState`.
    ///
    /// The release is Paiwise's refund call: if a capture of the same checkout lands between
    /// the read and the release, Paiwise refunds it, and this answers `Ok` with status
    /// `Refunded` (the whole amount refunded). Paiwise documents no call that only releases;
    /// send one mutation at a time per checkout, and check the status answered.
    async fn void(&self, id: &str, _request: &VoidRequest) -> Result<Payment> {
        let current = self.retrieve_as(id, mapping::decode_checkout).await?;
        match &*current.raw_status {
            "reserved" => {
                self.send_refund(id, None, None, None, Operation::Void, mapping::decode_checkout)
                    .await
            }
            "created" => match self.delete_checkout(id).await? {
                Some(deleted) => Ok(deleted.payment),
                None => {
                    let mut p = current;
                    p.status = PaymentStatus::Cancelled;
                    p.raw_status = "deleted".into();
                    p.redirect_url = None;
                    p.capturable = p.capturable.map(|m| paymux_core::Money::zero(m.currency()));
                    p.events.push(PaymentEvent::new(EventKind::Cancelled, "deleted"));
                    Ok(p)
                }
            },
            _ => Err(invalid_state(
                Operation::Void,
                &current,
                "only a reserved checkout can be released, or a created one deleted",
            )),
        }
    }

    async fn update_metadata(&self, id: &str, update: &MetadataUpdate) -> Result<Payment> {
        self.update_as(id, update, mapping::decode_checkout).await
    }

    fn customers(&self) -> Option<&dyn CustomerVault> {
        Some(self)
    }
}

#[async_trait]
impl CustomerVault for PaiwiseProvider {
    async fn create_customer(&self, customer: &NewCustomer) -> Result<StoredCustomer> {
        Ok(self.register_customer(customer).await?.into_stored())
    }

    async fn get_customer(&self, id: &str) -> Result<StoredCustomer> {
        Ok(self.retrieve_customer(id).await?.into_stored())
    }

    async fn delete_customer(&self, id: &str) -> Result<()> {
        self.remove_customer(id).await.map(|_| ())
    }
}

//! [`CheckoutProvider`]: the HTTP calls and [`parse_error`].

use std::collections::BTreeMap;

use async_trait::async_trait;
use paymux_core::transport::{
    common_error, encode_json, ApiRequest, ApiResponse, BaseUrl, HttpTransport, RequestBody, RetryPolicy, Url,
};
use paymux_core::{
    Capabilities, CaptureRequest, CreatePayment, Currency, CurrencySupport, Error, IdempotencyKey, LineItem,
    MetadataUpdate, Operation, Payment, PaymentEvent, PaymentProvider, PaymentSource, RefundReason,
    RefundRequest, Result, VoidRequest,
};
use reqwest::header::{HeaderName, AUTHORIZATION};
use reqwest::Method;

use crate::config::CheckoutConfig;
use crate::mapping::{self, decode_payment, to_wire_amount};
use crate::model::{
    ActionAcceptedWire, ActionRequestWire, CustomerWire, ErrorWire, ItemWire, PagedWire, PaymentIdWire,
    PaymentRequestWire, PaymentWire, PhoneWire, SearchRequestWire, SourceWire, ThreeDsWire,
};
use crate::request::{
    check_len, check_metadata, check_processing_channel, ActionAccepted, ActionRequest, CaptureType,
    CheckoutCustomer, CheckoutPaymentRequest, CheckoutSource, PaymentPage, PaymentType, SearchPage,
    SearchRequest,
};
use crate::PROVIDER;

/// The idempotency header sent on every POST.
pub const IDEMPOTENCY_HEADER: &str = "cko-idempotency-key";
/// The response header carrying Checkout.com's request id.
pub const REQUEST_ID_HEADER: &str = "cko-request-id";

/// A Checkout.com account behind [`PaymentProvider`].
///
/// Mutations (`capture`, `refund`, `void`, and the reversal, incremental authorization and
/// retry cancellation methods) POST the action, which Checkout.com accepts with `202
/// {action_id}`, and then **fetch the payment again** (`GET /payments/{id}`) and return that
/// [`Payment`]; the accepted action's id is among [`Payment::events`]. The `*_action` methods
/// return the bare [`ActionAccepted`] without the second call.
///
/// Once Checkout.com has accepted an action, the action stands: if the payment then cannot
/// be read back (the `GET` fails after its retries, times out, or its answer cannot be
/// decoded), the call returns [`Error::OutcomeUnknown`] with the action's idempotency key
/// (the caller's or the generated one), the payment id and the accepted action id in the
/// message — never the read's own error, which would invite a new call with a new key and a
/// second capture or refund. Repeat the call with that key, or reconcile with
/// [`get_payment`](PaymentProvider::get_payment).
///
/// Every POST carries `Cko-Idempotency-Key` (the caller's key or a UUID v4 generated once per
/// call), and is retried with the same key on timeouts, 409, 429 and 5xx.
#[derive(Debug, Clone)]
pub struct CheckoutProvider {
    transport: HttpTransport,
    base_url: BaseUrl,
    processing_channel_id: Option<String>,
    capabilities: Capabilities,
}

fn capabilities() -> Capabilities {
    let mut caps = Capabilities::none();
    caps.card_tokens = true;
    // Stored instruments (`source.type = id`), though paymux has no vault for them.
    caps.saved_cards = true;
    caps.hosted_checkout = false;
    caps.manual_capture = true;
    caps.immediate_capture = true;
    caps.partial_capture = true;
    caps.multiple_captures = true;
    caps.partial_refund = true;
    caps.multiple_refunds = true;
    caps.void = true;
    caps.metadata_update = false;
    caps.customers = false;
    caps.server_idempotency = true;
    caps.webhooks = true;
    caps.signed_webhooks = true;
    let mut excluded = vec![Currency::CLF];
    if let Ok(uyw) = Currency::from_code("UYW") {
        excluded.push(uyw);
    }
    caps.currencies = CurrencySupport::AllExcept(excluded);
    caps
}

fn check_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 256
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::invalid(
            "id",
            "must be a Checkout.com id such as pay_... (letters, digits, '_' and '-')",
        ));
    }
    Ok(())
}

/// The card fields Checkout.com constrains: `expiry_month` 1–12, a four-digit
/// `expiry_year`, a `cvv` of 3 or 4 characters.
fn check_source(source: Option<&CheckoutSource>) -> Result<()> {
    let cvv = match source {
        Some(CheckoutSource::Card(card)) => {
            if !(1..=12).contains(&card.expiry_month) {
                return Err(Error::invalid("expiry_month", "must be 1 to 12"));
            }
            if !(1000..=9999).contains(&card.expiry_year) {
                return Err(Error::invalid("expiry_year", "must have four digits (e.g. 2030)"));
            }
            card.cvv.as_ref()
        }
        Some(CheckoutSource::Instrument { cvv, .. }) => cvv.as_ref(),
        _ => None,
    };
    if cvv.is_some_and(|c| !(3..=4).contains(&c.expose().chars().count())) {
        return Err(Error::invalid("cvv", "must be 3 or 4 characters"));
    }
    Ok(())
}

/// `items` of a payment request, checked: at most 1000 lines, each in the payment's
/// currency, `unit_price` not negative (Checkout.com's minimum is 0), quantity at least 1,
/// name and reference at most 255 characters.
fn items_wire(items: &[LineItem], currency: Currency) -> Result<Vec<ItemWire<'_>>> {
    if items.len() > 1000 {
        return Err(Error::invalid(
            "line_items",
            "Checkout.com takes at most 1000 items",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let field = |k: &str| format!("line_items[{i}].{k}");
            if line.unit_amount.currency() != currency {
                return Err(Error::invalid(
                    field("unit_amount"),
                    format!("is in {}, the payment in {currency}", line.unit_amount.currency()),
                ));
            }
            if line.unit_amount.is_negative() {
                return Err(Error::invalid(
                    field("unit_amount"),
                    format!(
                        "is {}: Checkout.com's unit_price cannot be negative (discount and store-credit lines cannot be sent)",
                        line.unit_amount
                    ),
                ));
            }
            if line.quantity == 0 {
                return Err(Error::invalid(field("quantity"), "must be at least 1"));
            }
            check_len(&field("name"), Some(&line.name), 255)?;
            check_len(&field("reference"), line.reference.as_deref(), 255)?;
            Ok(ItemWire {
                name: &line.name,
                quantity: line.quantity,
                unit_price: to_wire_amount(&field("unit_amount"), line.unit_amount, true)?,
                reference: line.reference.as_deref(),
            })
        })
        .collect()
}

fn idempotency_header() -> HeaderName {
    HeaderName::from_static(IDEMPOTENCY_HEADER)
}

/// The error for a success answer to `POST /payments` that cannot be decoded. The payment
/// was created, so this is not [`Error::Decode`] (a new call with a new key would create a
/// second payment) but [`Error::OutcomeUnknown`] with the key that was sent, and the payment
/// id when the answer still names one.
fn created_but_unreadable(request: &ApiRequest, response: &ApiResponse, decode: &Error) -> Error {
    let key = request.idempotency.as_ref().map(|(_, k)| k.as_str());
    let accepted = format!(
        "Checkout.com accepted the payment request (HTTP {})",
        response.status.as_u16()
    );
    let id = serde_json::from_slice::<PaymentIdWire>(&response.body)
        .ok()
        .and_then(|w| w.id);
    Error::after_accepted(PROVIDER, Operation::Create, id.as_deref(), key, accepted, decode)
}

/// Maps an answer that is not a success: 401 → `Authentication`, 422 → `InvalidRequest` with
/// every `error_codes` entry and the request id, 403 → `InvalidState` for an action on a
/// payment (not allowed in its state) and `Authentication` for a read or a payment request
/// (the key may not do it), 404 → `NotFound`,
/// 409 and 429 `duplicate_request` → `Conflict` (the same idempotency key is still in flight:
/// retry later), other 429 → `RateLimited`, 5xx and the rest → `Provider` with
/// `Cko-Request-Id`. (A final 5xx to a mutation never gets here: the transport makes it
/// [`Error::OutcomeUnknown`] with the idempotency key.)
pub fn parse_error(request: &ApiRequest, response: &ApiResponse) -> Error {
    let body: ErrorWire = serde_json::from_slice(&response.body).unwrap_or_default();
    let request_id = response.request_id.clone().or(body.request_id.clone());
    let codes = body.error_codes.join(", ");
    let rid = request_id
        .as_deref()
        .map(|r| format!(" (request id {r})"))
        .unwrap_or_default();
    let duplicate = body.error_type.as_deref() == Some("duplicate_request")
        || body.error_codes.iter().any(|c| c == "duplicate_request");
    match response.status.as_u16() {
        422 => {
            let field = body
                .error_codes
                .first()
                .map(|c| {
                    let field = [
                        "_invalid",
                        "_required",
                        "_too_long",
                        "_not_supported",
                        "_exceeds_limit",
                        "_exceeds_balance",
                    ]
                    .iter()
                    .find_map(|s| c.strip_suffix(s))
                    .unwrap_or("request");
                    // `refund_amount_exceeds_balance`: the request's field is `amount`.
                    if field.ends_with("_amount") {
                        "amount".to_owned()
                    } else {
                        field.to_owned()
                    }
                })
                .unwrap_or_else(|| "request".to_owned());
            Error::InvalidRequest {
                field,
                message: format!(
                    "Checkout.com rejected the request: {}: {}{rid}",
                    body.error_type.as_deref().unwrap_or("request_invalid"),
                    if codes.is_empty() {
                        "no error codes"
                    } else {
                        &codes
                    },
                ),
            }
        }
        // A read (`GET /payments/{id}`, its actions, the search) and a payment request (no
        // payment yet) have no state to refuse: their 403 "Forbidden" is the key's (a key or
        // OAuth client without the `gateway:payment` or `gateway:payment-details` scope, a
        // payment of another entity, a processing channel the key may not use).
        403 if !request.operation.is_mutation() || request.payment_id.is_none() => Error::Authentication {
            provider: PROVIDER.to_owned(),
            message: format!(
                "Checkout.com refused this key access (HTTP 403 Forbidden): check its scopes (gateway:payment for payment requests and actions, gateway:payment-details for reads){rid}"
            ),
        },
        403 => Error::InvalidState {
            operation: request.operation,
            status: None,
            message: format!("Checkout.com does not allow it (HTTP 403){rid}"),
        },
        409 => Error::Conflict {
            provider: PROVIDER.to_owned(),
            message: format!("a request with the same idempotency key is still in flight; retry later{rid}"),
        },
        429 if duplicate => Error::Conflict {
            provider: PROVIDER.to_owned(),
            message: format!(
                "duplicate_request: the same idempotency key is still in flight; retry later{rid}"
            ),
        },
        _ => {
            let mut err = common_error(
                PROVIDER,
                request,
                response,
                (!codes.is_empty()).then_some(codes),
                None,
            );
            if let Error::Provider {
                request_id: rid @ None,
                ..
            } = &mut err
            {
                *rid = request_id;
            }
            err
        }
    }
}

impl CheckoutProvider {
    /// A provider for `config`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an invalid configuration (see
    /// [`CheckoutConfig::validate`]), [`Error::Transport`] when the HTTP client cannot be built.
    pub fn new(config: CheckoutConfig) -> Result<Self> {
        config.validate()?;
        let base_url = BaseUrl::parse(&config.resolved_base_url()?)?;
        let auth = config.api_key.header_value(config.key_style.header_prefix())?;
        let transport = HttpTransport::new(PROVIDER, config.transport_config())?
            .with_auth(AUTHORIZATION, auth)
            .with_request_id_header(HeaderName::from_static(REQUEST_ID_HEADER));
        Ok(Self {
            transport,
            base_url,
            processing_channel_id: config.processing_channel_id,
            capabilities: capabilities(),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    fn url(&self, path: &str) -> Url {
        self.base_url.endpoint(path)
    }

    fn post(&self, path: &str, operation: Operation, key: Option<&IdempotencyKey>) -> ApiRequest {
        let key = key.cloned().unwrap_or_else(IdempotencyKey::new);
        ApiRequest::new(Method::POST, self.url(path), operation, RetryPolicy::Idempotent)
            .idempotency_key(idempotency_header(), key)
    }

    async fn send_ok(&self, request: &ApiRequest) -> Result<ApiResponse> {
        let response = self.transport.send(request).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(parse_error(request, &response))
        }
    }

    /// Sends a full Checkout.com payment request (`POST /payments`).
    ///
    /// A `201` decodes to the payment as processed: `Authorized` (or `Captured` with capture),
    /// or `Declined` when `approved` is false — a decline is `Ok` with
    /// [`Payment::decline`] holding `response_code` and `response_summary`, not an error. A
    /// `202` is `Pending`, or `RequiresAction` with [`Payment::redirect_url`] set from
    /// `_links.redirect.href` (3-D Secure or a redirect payment method).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before sending for a negative amount or one breaking the
    /// currency's rule, too long text fields, or a bad processing channel; after sending, as
    /// [`parse_error`], and [`Error::OutcomeUnknown`] with the idempotency key when no
    /// definite answer came after the retries or when Checkout.com accepted the payment but
    /// its answer cannot be decoded (the payment id is in the error when the answer names it).
    pub async fn request_payment(&self, request: &CheckoutPaymentRequest) -> Result<Payment> {
        let req = self.payment_request(request)?;
        let response = self.send_ok(&req).await?;
        decode_payment(&response.body, Some(request.amount))
            .map_err(|e| created_but_unreadable(&req, &response, &e))
    }

    /// The checked and encoded `POST /payments`. Built outside the `async` functions so the
    /// request body's wire struct is not part of the future that waits for the answer.
    fn payment_request(&self, request: &CheckoutPaymentRequest) -> Result<ApiRequest> {
        let body = self.encode_payment_request(request)?;
        Ok(self
            .post("/payments", Operation::Create, request.idempotency_key.as_ref())
            .encoded_json(body))
    }

    /// The JSON body [`request_payment`](Self::request_payment) sends for `request`, checked
    /// as it checks it (the configured processing channel filled in). Nothing is sent: for
    /// checking a request before it goes out (a dry run), for tests, and for the encoding
    /// benchmarks.
    ///
    /// The body is what Checkout.com receives: with a [`CheckoutSource::Card`] source it
    /// holds the card number and CVV in clear, which must never be logged or stored (PCI DSS).
    /// Treat it as the request itself, not as a log line; its `Debug` shows only its length.
    ///
    /// ```
    /// use paymux_checkout::{CheckoutBuilder, CheckoutPaymentRequest, CheckoutSource};
    /// use paymux_core::{Currency, Money};
    /// let checkout = CheckoutBuilder::new("sk_sbox_xxx").build()?;
    /// let request = CheckoutPaymentRequest::new(Money::from_minor(6540, Currency::USD))
    ///     .with_source(CheckoutSource::Token("tok_4gzeau5o2uqubbk6fufs3m7p54".into()))
    ///     .with_reference("ORD-5023-4E89");
    /// let body = checkout.encode_payment_request(&request)?;
    /// let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    /// assert_eq!(json["amount"], 6540);
    /// assert_eq!(json["source"]["type"], "token");
    /// # Ok::<(), paymux_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// What `request_payment` refuses before sending: [`Error::InvalidRequest`] for a
    /// negative amount or one breaking the currency's rule, too long text fields, bad
    /// metadata, items or phone number, a bad processing channel, or a merchant-initiated
    /// payment of type `Regular`.
    pub fn encode_payment_request(&self, request: &CheckoutPaymentRequest) -> Result<RequestBody> {
        let amount = to_wire_amount("amount", request.amount, true)?;
        check_len("reference", request.reference.as_deref(), 80)?;
        check_len("description", request.description.as_deref(), 100)?;
        check_len("success_url", request.success_url.as_deref(), 1024)?;
        check_len("failure_url", request.failure_url.as_deref(), 1024)?;
        check_len("previous_payment_id", request.previous_payment_id.as_deref(), 100)?;
        check_metadata(&request.metadata)?;
        let channel = request
            .processing_channel_id
            .as_deref()
            .or(self.processing_channel_id.as_deref());
        if let Some(pc) = channel {
            check_processing_channel(pc)?;
        }
        let source = request.source.as_ref().map(|s| match s {
            CheckoutSource::Token(token) => SourceWire::Token { token },
            CheckoutSource::Instrument { id, cvv } => SourceWire::Id {
                id,
                cvv: cvv.as_ref().map(|c| c.expose()),
            },
            CheckoutSource::Card(card) => SourceWire::Card {
                number: card.number.expose(),
                expiry_month: card.expiry_month,
                expiry_year: card.expiry_year,
                name: card.name.as_deref(),
                cvv: card.cvv.as_ref().map(|c| c.expose()),
            },
            CheckoutSource::Customer(id) => SourceWire::Customer { id },
        });
        check_source(request.source.as_ref())?;
        if request.merchant_initiated == Some(true)
            && matches!(request.payment_type, None | Some(PaymentType::Regular))
        {
            // Checkout.com: "If you set this field to true, the value for payment_type must
            // not be set to Regular", and Regular is the default.
            return Err(Error::invalid(
                "payment_type",
                "a merchant-initiated payment needs a payment type other than Regular (the default), e.g. Recurring or Unscheduled",
            ));
        }
        if let Some(c) = &request.customer {
            check_len("customer.email", c.email.as_deref(), 255)?;
            check_len("customer.name", c.name.as_deref(), 255)?;
            if let Some(phone) = c.phone.as_deref() {
                let n = phone.chars().count();
                if !(6..=25).contains(&n) {
                    return Err(Error::invalid(
                        "customer.phone",
                        format!("Checkout.com takes a phone number of 6 to 25 characters, got {n}"),
                    ));
                }
            }
        }
        let items = items_wire(&request.items, request.amount.currency())?;
        let customer = request
            .customer
            .as_ref()
            .map(|c: &CheckoutCustomer| CustomerWire {
                id: c.id.as_deref(),
                email: c.email.as_deref(),
                name: c.name.clone(),
                phone: c.phone.as_deref().map(|number| PhoneWire { number }),
            });
        let wire = PaymentRequestWire {
            source,
            amount,
            currency: request.amount.currency().code(),
            payment_type: request.payment_type.map(|p| p.as_str()),
            merchant_initiated: request.merchant_initiated,
            reference: request.reference.as_deref(),
            description: request.description.as_deref(),
            capture: request.capture,
            capture_on: request
                .capture_on
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            customer,
            three_ds: request.three_ds.map(|t| ThreeDsWire {
                enabled: t.enabled,
                attempt_n3d: t.attempt_n3d,
            }),
            processing_channel_id: channel,
            previous_payment_id: request.previous_payment_id.as_deref(),
            success_url: request.success_url.as_deref(),
            failure_url: request.failure_url.as_deref(),
            metadata: (!request.metadata.is_empty()).then_some(&request.metadata),
            items,
        };
        encode_json(&wire)
    }

    /// The JSON body [`create_payment`](PaymentProvider::create_payment) sends for
    /// `request`: [`checkout_request`](Self::checkout_request) encoded by
    /// [`encode_payment_request`](Self::encode_payment_request). Nothing is sent.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an amount that is not positive; then as
    /// [`checkout_request`](Self::checkout_request) and
    /// [`encode_payment_request`](Self::encode_payment_request).
    pub fn encode_create_payment(&self, request: &CreatePayment) -> Result<RequestBody> {
        if !request.amount.is_positive() {
            return Err(Error::invalid(
                "amount",
                format!("must be greater than zero, got {}", request.amount),
            ));
        }
        self.encode_payment_request(&Self::checkout_request(request)?)
    }

    /// `GET /payments/{id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id, others as [`parse_error`], [`Error::Decode`].
    pub async fn fetch_payment(&self, id: &str) -> Result<Payment> {
        check_id(id)?;
        let req = ApiRequest::new(
            Method::GET,
            self.url(&format!("/payments/{id}")),
            Operation::Get,
            RetryPolicy::Safe,
        )
        .payment(id);
        let response = self.send_ok(&req).await?;
        mapping::decode_payment_details(&response.body)
    }

    /// `GET /payments/{id}/actions`: the payment's actions as events, oldest first, amounts in
    /// `currency` (the payment's).
    ///
    /// # Errors
    /// As [`fetch_payment`](Self::fetch_payment).
    pub async fn payment_actions(&self, id: &str, currency: Currency) -> Result<Vec<PaymentEvent>> {
        check_id(id)?;
        let req = ApiRequest::new(
            Method::GET,
            self.url(&format!("/payments/{id}/actions")),
            Operation::Get,
            RetryPolicy::Safe,
        )
        .payment(id);
        let response = self.send_ok(&req).await?;
        mapping::decode_payment_actions(&response.body, currency)
    }

    /// The payment with its full action history: `GET /payments/{id}` then
    /// `GET /payments/{id}/actions`, whose actions (with amounts and times) replace the
    /// summaries in [`Payment::events`].
    ///
    /// # Errors
    /// As [`fetch_payment`](Self::fetch_payment).
    pub async fn get_payment_with_history(&self, id: &str) -> Result<Payment> {
        let mut payment = self.fetch_payment(id).await?;
        payment.events = self
            .payment_actions(&payment.id, payment.amount.currency())
            .await?;
        if let Some(latest) = payment.events.iter().filter_map(|e| e.at).max() {
            payment.updated_at = Some(latest);
        }
        Ok(payment)
    }

    /// `GET /payments?reference=&limit=&skip=`: payments with `reference`, most recent first.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for `limit` outside 1–100, `skip` above 999 999 999 or an
    /// empty reference; others as [`parse_error`].
    pub async fn list_payments(
        &self,
        reference: &str,
        limit: Option<u32>,
        skip: Option<u64>,
    ) -> Result<PaymentPage> {
        if reference.is_empty() {
            return Err(Error::invalid("reference", "must not be empty"));
        }
        if limit.is_some_and(|l| !(1..=100).contains(&l)) {
            return Err(Error::invalid("limit", "must be 1 to 100"));
        }
        if skip.is_some_and(|s| s > 999_999_999) {
            return Err(Error::invalid("skip", "must be at most 999999999"));
        }
        let (limit, skip) = (limit.map(|l| l.to_string()), skip.map(|s| s.to_string()));
        let mut query = vec![("reference", reference)];
        query.extend(limit.as_deref().map(|l| ("limit", l)));
        query.extend(skip.as_deref().map(|s| ("skip", s)));
        let url = self.base_url.endpoint_with_query("/payments", &query);
        let req = ApiRequest::new(Method::GET, url, Operation::Get, RetryPolicy::Safe);
        let response = self.send_ok(&req).await?;
        let body = &response.body;
        let wire: PagedWire<PaymentWire> = paymux_core::transport::parse_json(body)
            .map_err(|e| Error::decode(PROVIDER, format!("payment list: {e}"), body))?;
        let payments = wire
            .data
            .into_iter()
            .map(|p| mapping::payment_from_wire(p, body, None, None))
            .collect::<Result<Vec<_>>>()?;
        Ok(PaymentPage {
            limit: wire.limit,
            skip: wire.skip,
            total_count: wire.total_count,
            payments,
        })
    }

    /// `POST /payments/search`. A read: sent with an idempotency key like every POST, and
    /// retried freely.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty or too long query, `limit` outside 1–1000, or
    /// only one of `from`/`to`; others as [`parse_error`].
    pub async fn search_payments(&self, search: &SearchRequest) -> Result<SearchPage> {
        if search.query.is_empty() {
            return Err(Error::invalid("query", "must not be empty"));
        }
        check_len("query", Some(&search.query), 1024)?;
        if search.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
            return Err(Error::invalid("limit", "must be 1 to 1000"));
        }
        if search.from.is_some() != search.to.is_some() {
            return Err(Error::invalid("from", "from and to must be given together"));
        }
        // The instants as given: cut to whole seconds, a `to` of 14:15:22.999 would become
        // 14:15:22 and leave out the payments of that last second.
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let wire = SearchRequestWire {
            query: &search.query,
            limit: search.limit,
            from: search.from.map(fmt),
            to: search.to.map(fmt),
        };
        let req = ApiRequest::new(
            Method::POST,
            self.url("/payments/search"),
            Operation::Get,
            RetryPolicy::Safe,
        )
        .idempotency_key(idempotency_header(), IdempotencyKey::new())
        .json(&wire)?;
        let response = self.send_ok(&req).await?;
        let body = &response.body;
        let wire: PagedWire<PaymentWire> = paymux_core::transport::parse_json(body)
            .map_err(|e| Error::decode(PROVIDER, format!("search results: {e}"), body))?;
        let payments = wire
            .data
            .into_iter()
            .map(|p| mapping::payment_from_wire(p, body, None, None))
            .collect::<Result<Vec<_>>>()?;
        Ok(SearchPage {
            payments,
            next: wire.links.and_then(|l| l.next).and_then(|n| n.href),
        })
    }

    /// `InvalidRequest` on `amount` when payment `id` is in another currency than `asked`
    /// (read with `GET /payments/{id}`): a capture or refund names no currency.
    async fn ensure_currency(&self, id: &str, asked: paymux_core::Money) -> Result<()> {
        let current = self.fetch_payment(id).await?;
        if asked.currency() == current.amount.currency() {
            Ok(())
        } else {
            Err(Error::invalid(
                "amount",
                format!(
                    "is in {}, payment {id} is in {} (Checkout.com actions take the payment's currency)",
                    asked.currency(),
                    current.amount.currency()
                ),
            ))
        }
    }

    /// `GET /payments/{id}` after Checkout.com accepted `accepted`. The action stands even
    /// when the read fails, so a failure is not the read's (retryable) error but
    /// [`Error::OutcomeUnknown`] with the action's idempotency key: a new call with a new key
    /// could capture or refund twice.
    async fn refetch(&self, accepted: ActionAccepted, operation: Operation, what: &str) -> Result<Payment> {
        self.fetch_payment(&accepted.payment_id).await.map_err(|read| {
            let action = accepted
                .action_id
                .as_deref()
                .map(|a| format!(" (action {a})"))
                .unwrap_or_default();
            Error::after_accepted(
                PROVIDER,
                operation,
                Some(accepted.payment_id.as_str()),
                Some(accepted.idempotency_key.as_str()),
                format_args!("Checkout.com accepted the {what}{action}"),
                &read,
            )
        })
    }

    /// [`Error::InvalidState`] for a trait `capture`, `refund` or `void` Checkout.com answered
    /// 200 "Payment is already captured / refunded / voided": that call moved no money (a repeat with the same
    /// idempotency key gets the first answer back, not this one). The payment is read for its
    /// status; when that read fails the status is left out.
    #[cold]
    async fn already_done(&self, accepted: &ActionAccepted, operation: Operation, what: &str) -> Error {
        let status = self
            .fetch_payment(&accepted.payment_id)
            .await
            .ok()
            .map(|p| p.status);
        let shown = status.map(|s| format!(" (now {s})")).unwrap_or_default();
        Error::InvalidState {
            operation,
            status,
            message: format!(
                "Checkout.com answered that payment {} had its {what} done already{shown}: this call moved no money",
                accepted.payment_id
            ),
        }
    }

    async fn action(
        &self,
        id: &str,
        path: &str,
        operation: Operation,
        what: &str,
        key: Option<&IdempotencyKey>,
        body: &ActionRequestWire<'_>,
    ) -> Result<ActionAccepted> {
        check_id(id)?;
        let req = self
            .post(&format!("/payments/{id}/{path}"), operation, key)
            .payment(id)
            .json(body)?;
        let response = self.send_ok(&req).await?;
        let wire: ActionAcceptedWire = if response.body.iter().all(u8::is_ascii_whitespace) {
            ActionAcceptedWire::default()
        } else {
            // A success answer: the action was accepted even if its answer cannot be read,
            // so a decode failure is OutcomeUnknown with the key, never Decode.
            paymux_core::transport::parse_json(&response.body).map_err(|e| {
                let decode = Error::decode(PROVIDER, format!("action answer: {e}"), &response.body);
                Error::after_accepted(
                    PROVIDER,
                    operation,
                    Some(id),
                    req.idempotency.as_ref().map(|(_, k)| k.as_str()),
                    format_args!(
                        "Checkout.com accepted the {what} (HTTP {})",
                        response.status.as_u16()
                    ),
                    &decode,
                )
            })?
        };
        if wire.approved == Some(false) {
            // An incremental authorization the issuer refused: 201 with `approved: false`.
            // The payment keeps its earlier authorization, so reading it back would not show
            // the refusal; it is a decline of this action.
            let action = wire
                .action_id
                .as_deref()
                .map(|a| format!(" (action {a})"))
                .unwrap_or_default();
            let rid = response
                .request_id
                .as_deref()
                .map(|r| format!(" (request id {r})"))
                .unwrap_or_default();
            return Err(Error::Declined {
                code: wire.response_code.map(|c| c.0.into_owned()),
                message: format!(
                    "Checkout.com declined the {what}{action}: {}{rid}",
                    wire.response_summary.as_deref().unwrap_or("no response summary")
                ),
            });
        }
        let key = req
            .idempotency
            .map(|(_, k)| k)
            .unwrap_or_else(IdempotencyKey::new);
        Ok(ActionAccepted {
            payment_id: id.to_owned(),
            action_id: wire.action_id,
            reference: wire.reference,
            already_done: response.status.as_u16() == 200,
            request_id: response.request_id,
            idempotency_key: key,
        })
    }

    /// `POST /payments/{id}/captures` without re-fetching: the accepted action.
    ///
    /// Sends `amount` (absent for a full capture) and `capture_type` (`Final` when
    /// `request.final_capture`, else `NonFinal`).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an amount breaking the rules; [`Error::InvalidState`]
    /// (403) when the payment cannot be captured; others as [`parse_error`];
    /// [`Error::OutcomeUnknown`] with the idempotency key when no definite answer came after
    /// the retries, or when Checkout.com accepted the action but its answer cannot be decoded.
    pub async fn capture_action(&self, id: &str, request: &CaptureRequest) -> Result<ActionAccepted> {
        let capture_type = if request.final_capture {
            CaptureType::Final
        } else {
            CaptureType::NonFinal
        };
        self.capture_with_type(id, request, capture_type).await
    }

    /// As [`capture_action`](Self::capture_action) with an explicit [`CaptureType`].
    ///
    /// # Errors
    /// As [`capture_action`](Self::capture_action).
    pub async fn capture_with_type(
        &self,
        id: &str,
        request: &CaptureRequest,
        capture_type: CaptureType,
    ) -> Result<ActionAccepted> {
        check_len("reference", request.reference.as_deref(), 80)?;
        let body = ActionRequestWire {
            amount: request
                .amount
                .map(|a| to_wire_amount("amount", a, false))
                .transpose()?,
            capture_type: Some(capture_type.as_str()),
            reference: request.reference.as_deref(),
            metadata: None,
        };
        self.action(
            id,
            "captures",
            Operation::Capture,
            "capture",
            request.idempotency_key.as_ref(),
            &body,
        )
        .await
    }

    /// `POST /payments/{id}/refunds` without re-fetching. `reason` and `note` have no field
    /// at Checkout.com: they are sent as metadata `refund_reason` and `refund_note` (so each
    /// is at most 255 characters, a metadata value's limit: `InvalidRequest` on `reason` or
    /// `note` otherwise).
    ///
    /// # Errors
    /// As [`capture_action`](Self::capture_action).
    pub async fn refund_action(&self, id: &str, request: &RefundRequest) -> Result<ActionAccepted> {
        check_len("reference", request.reference.as_deref(), 80)?;
        let mut metadata = BTreeMap::new();
        if let Some(RefundReason::Other(text)) = &request.reason {
            check_len("reason", Some(text), 255)?;
        }
        check_len("note", request.note.as_deref(), 255)?;
        if let Some(reason) = &request.reason {
            let text = match reason {
                RefundReason::Duplicate => "duplicate".to_owned(),
                RefundReason::RequestedByCustomer => "requested_by_customer".to_owned(),
                RefundReason::Fraudulent => "fraudulent".to_owned(),
                RefundReason::Other(t) => t.clone(),
                _ => "other".to_owned(),
            };
            metadata.insert("refund_reason".to_owned(), text);
        }
        if let Some(note) = &request.note {
            metadata.insert("refund_note".to_owned(), note.clone());
        }
        check_metadata(&metadata)?;
        let body = ActionRequestWire {
            amount: request
                .amount
                .map(|a| to_wire_amount("amount", a, false))
                .transpose()?,
            capture_type: None,
            reference: request.reference.as_deref(),
            metadata: (!metadata.is_empty()).then_some(metadata),
        };
        self.action(
            id,
            "refunds",
            Operation::Refund,
            "refund",
            request.idempotency_key.as_ref(),
            &body,
        )
        .await
    }

    /// `POST /payments/{id}/voids` without re-fetching.
    ///
    /// # Errors
    /// As [`capture_action`](Self::capture_action).
    pub async fn void_action(&self, id: &str, request: &VoidRequest) -> Result<ActionAccepted> {
        check_len("reference", request.reference.as_deref(), 80)?;
        let body = ActionRequestWire {
            reference: request.reference.as_deref(),
            ..ActionRequestWire::default()
        };
        self.action(
            id,
            "voids",
            Operation::Void,
            "void",
            request.idempotency_key.as_ref(),
            &body,
        )
        .await
    }

    fn no_amount(request: &ActionRequest, what: &str) -> Result<()> {
        if request.amount.is_some() {
            return Err(Error::invalid("amount", format!("a {what} takes no amount")));
        }
        check_len("reference", request.reference.as_deref(), 80)?;
        check_metadata(&request.metadata)
    }

    /// `POST /payments/{id}/reversals` (Checkout.com voids, refunds or cancels as the state
    /// requires) without re-fetching.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when an amount is given; others as [`parse_error`];
    /// [`Error::OutcomeUnknown`] as for [`capture_action`](Self::capture_action).
    pub async fn reversal_action(&self, id: &str, request: &ActionRequest) -> Result<ActionAccepted> {
        Self::no_amount(request, "reversal")?;
        let body = ActionRequestWire {
            reference: request.reference.as_deref(),
            metadata: (!request.metadata.is_empty()).then(|| request.metadata.clone()),
            ..ActionRequestWire::default()
        };
        self.action(
            id,
            "reversals",
            Operation::Void,
            "reversal",
            request.idempotency_key.as_ref(),
            &body,
        )
        .await
    }

    /// Reverses the payment, then returns it re-fetched.
    ///
    /// # Errors
    /// As [`reversal_action`](Self::reversal_action); when the reversal was accepted but the
    /// payment cannot be read back, [`Error::OutcomeUnknown`] with the reversal's idempotency
    /// key (see [`CheckoutProvider`]).
    pub async fn reverse(&self, id: &str, request: &ActionRequest) -> Result<Payment> {
        let accepted = self.reversal_action(id, request).await?;
        self.refetch(accepted, Operation::Void, "reversal").await
    }

    /// `POST /payments/{id}/authorizations` (incremental authorization: `amount` is the
    /// increase; none extends the validity) without re-fetching.
    ///
    /// Checkout.com answers `201` with the authorization's outcome: an increase the issuer
    /// refuses (`approved: false`, status `Declined`) is [`Error::Declined`] with its
    /// `response_code` and `response_summary` (and the action id in the message), not an
    /// accepted action. The payment keeps its earlier authorization.
    ///
    /// The amount is sent as it is given: the action names no currency, so it must be in the
    /// payment's ([`increment_authorization`](Self::increment_authorization) checks that).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a negative amount or one breaking the rules (at most
    /// 99 999 999 wire units here); [`Error::Declined`] when the increase is refused; others
    /// as [`parse_error`]; [`Error::OutcomeUnknown`] as for
    /// [`capture_action`](Self::capture_action).
    pub async fn increment_authorization_action(
        &self,
        id: &str,
        request: &ActionRequest,
    ) -> Result<ActionAccepted> {
        let amount = request
            .amount
            .map(|a| to_wire_amount("amount", a, true))
            .transpose()?;
        if amount.is_some_and(|a| a > 99_999_999) {
            return Err(Error::invalid(
                "amount",
                "an incremental authorization is at most 99999999 wire units",
            ));
        }
        check_len("reference", request.reference.as_deref(), 80)?;
        check_metadata(&request.metadata)?;
        let body = ActionRequestWire {
            amount,
            reference: request.reference.as_deref(),
            metadata: (!request.metadata.is_empty()).then(|| request.metadata.clone()),
            ..ActionRequestWire::default()
        };
        self.action(
            id,
            "authorizations",
            Operation::Capture,
            "incremental authorization",
            request.idempotency_key.as_ref(),
            &body,
        )
        .await
    }

    /// Increments the authorization, then returns the payment re-fetched. With an amount, the
    /// payment is read first (as for [`capture`](PaymentProvider::capture)): the action names
    /// no currency, so 10.00 EUR against a JPY payment would add ¥1 000; an amount in another
    /// currency than the payment's is refused before anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on `amount` for an amount in another currency than the
    /// payment's; otherwise as
    /// [`increment_authorization_action`](Self::increment_authorization_action) (a refused
    /// increase is [`Error::Declined`]); when the increment was accepted but the payment
    /// cannot be read back, [`Error::OutcomeUnknown`] with its idempotency key (see
    /// [`CheckoutProvider`]).
    pub async fn increment_authorization(&self, id: &str, request: &ActionRequest) -> Result<Payment> {
        if let Some(asked) = request.amount {
            // The amount's own rules first: nothing is read for an amount no action takes.
            to_wire_amount("amount", asked, true)?;
            Box::pin(self.ensure_currency(id, asked)).await?;
        }
        let accepted = self.increment_authorization_action(id, request).await?;
        self.refetch(accepted, Operation::Capture, "incremental authorization")
            .await
    }

    /// `POST /payments/{id}/cancellations` (cancels a scheduled retry) without re-fetching.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when an amount or metadata is given; others as
    /// [`parse_error`]; [`Error::OutcomeUnknown`] as for
    /// [`capture_action`](Self::capture_action).
    pub async fn cancellation_action(&self, id: &str, request: &ActionRequest) -> Result<ActionAccepted> {
        Self::no_amount(request, "cancellation")?;
        if !request.metadata.is_empty() {
            return Err(Error::invalid("metadata", "a cancellation takes no metadata"));
        }
        let body = ActionRequestWire {
            reference: request.reference.as_deref(),
            ..ActionRequestWire::default()
        };
        self.action(
            id,
            "cancellations",
            Operation::Void,
            "cancellation",
            request.idempotency_key.as_ref(),
            &body,
        )
        .await
    }

    /// Cancels a scheduled retry, then returns the payment re-fetched.
    ///
    /// # Errors
    /// As [`cancellation_action`](Self::cancellation_action); when the cancellation was
    /// accepted but the payment cannot be read back, [`Error::OutcomeUnknown`] with its
    /// idempotency key (see [`CheckoutProvider`]).
    pub async fn cancel_scheduled_retry(&self, id: &str, request: &ActionRequest) -> Result<Payment> {
        let accepted = self.cancellation_action(id, request).await?;
        self.refetch(accepted, Operation::Void, "cancellation").await
    }

    /// The Checkout.com request for a unified [`CreatePayment`]: source, capture, reference,
    /// description, metadata, customer (id, email, "first last" name, phone as
    /// `phone.number`), `return_url`/`cancel_url` as `success_url`/`failure_url`,
    /// `require_3ds` as `3ds.enabled`, `line_items` as `items`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for `PaymentSource::Hosted` (Checkout.com's hosted payments page
    /// is a separate API) and sources this backend does not know; [`Error::InvalidRequest`] on
    /// `customer.id` when it differs from a saved card's customer id.
    pub fn checkout_request(request: &CreatePayment) -> Result<CheckoutPaymentRequest> {
        let mut out = CheckoutPaymentRequest::new(request.amount);
        let mut customer = None;
        match &request.source {
            PaymentSource::CardToken { token } => out.source = Some(CheckoutSource::Token(token.clone())),
            PaymentSource::SavedCard { customer_id, card_id } => {
                let other = request.customer.as_ref().and_then(|c| c.id.as_deref());
                if other.is_some_and(|c| !c.is_empty() && c != customer_id) {
                    return Err(Error::invalid(
                        "customer.id",
                        "differs from the saved card's customer id",
                    ));
                }
                out.source = Some(CheckoutSource::Instrument {
                    id: card_id.clone(),
                    cvv: None,
                });
                customer = Some(CheckoutCustomer::default().id(customer_id.clone()));
            }
            PaymentSource::Hosted => return Err(Error::unsupported(PROVIDER, "hosted checkout")),
            _ => return Err(Error::unsupported(PROVIDER, "this payment source")),
        }
        if let Some(c) = &request.customer {
            let mut cc = customer.unwrap_or_default();
            cc.id = cc.id.or_else(|| c.id.clone());
            cc.email = c.email.clone();
            let name = [c.first_name.as_deref(), c.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            cc.name = (!name.is_empty()).then_some(name);
            cc.phone = c.phone.clone();
            customer = Some(cc);
        }
        out.customer = customer;
        out.capture = Some(request.capture);
        out.reference = Some(request.reference.clone());
        out.description = request.description.clone();
        out.metadata = request.metadata.clone();
        out.success_url = request.return_url.clone();
        out.failure_url = request.cancel_url.clone();
        out.items = request.line_items.clone();
        if request.require_3ds {
            out = out.with_3ds();
        }
        out.idempotency_key = request.idempotency_key.clone();
        Ok(out)
    }
}

#[async_trait]
impl PaymentProvider for CheckoutProvider {
    fn id(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        // Encoded before the await, so the future holds the request but not its inputs.
        let body = self.encode_create_payment(request)?;
        let req = self
            .post("/payments", Operation::Create, request.idempotency_key.as_ref())
            .encoded_json(body);
        let response = self.send_ok(&req).await?;
        decode_payment(&response.body, Some(request.amount))
            .map_err(|e| created_but_unreadable(&req, &response, &e))
    }

    async fn get_payment(&self, id: &str) -> Result<Payment> {
        self.fetch_payment(id).await
    }

    /// `POST /payments/{id}/captures`, then the payment is read. With an amount, the payment
    /// is read first: the action names no currency, so 10.00 EUR against a JPY payment would
    /// capture ¥1 000; another currency is `InvalidRequest` before anything is sent.
    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        if let Some(asked) = request.amount {
            // The amount's own rules first: nothing is read for an amount no action takes.
            to_wire_amount("amount", asked, false)?;
            Box::pin(self.ensure_currency(id, asked)).await?;
        }
        let accepted = self.capture_action(id, request).await?;
        if accepted.already_done {
            return Err(self.already_done(&accepted, Operation::Capture, "capture").await);
        }
        self.refetch(accepted, Operation::Capture, "capture").await
    }

    /// `POST /payments/{id}/refunds`, then the payment is read; with an amount, read first
    /// too (see `capture`).
    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        if let Some(asked) = request.amount {
            to_wire_amount("amount", asked, false)?;
            Box::pin(self.ensure_currency(id, asked)).await?;
        }
        let accepted = self.refund_action(id, request).await?;
        if accepted.already_done {
            return Err(self.already_done(&accepted, Operation::Refund, "refund").await);
        }
        self.refetch(accepted, Operation::Refund, "refund").await
    }

    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment> {
        let accepted = self.void_action(id, request).await?;
        if accepted.already_done {
            return Err(self.already_done(&accepted, Operation::Void, "void").await);
        }
        self.refetch(accepted, Operation::Void, "void").await
    }

    async fn update_metadata(&self, _id: &str, _update: &MetadataUpdate) -> Result<Payment> {
        Err(Error::unsupported(PROVIDER, "metadata update"))
    }
}

//! [`TwistoProvider`]: the HTTP calls, the unified [`PaymentProvider`] implementation, the
//! Twisto-specific API (charges, refunds, settlement batches, the merchant API) and
//! [`parse_error`].

use std::borrow::Cow;

use bytes::Bytes;
use paymux_core::checked::check_create;
use paymux_core::error::scrubbed_excerpt;
use paymux_core::transport::{
    common_error, encode_json, ApiRequest, ApiResponse, BaseUrl, HttpTransport, RequestBody, RetryPolicy, Url,
};
use paymux_core::{
    async_trait, Capabilities, CaptureRequest, CreatePayment, Currency, CurrencySupport, Error,
    IdempotencyKey, MetadataUpdate, Money, Operation, Payment, PaymentProvider, RefundRequest, Result,
    VoidRequest,
};
use reqwest::header::{HeaderName, AUTHORIZATION};
use reqwest::Method;
use serde::Deserialize;

use crate::config::TwistoConfig;
use crate::mapping;
use crate::model;
use crate::types::{
    CheckoutListQuery, PageQuery, TwistoBatch, TwistoBatchEntry, TwistoCharge, TwistoCheckoutOptions,
    TwistoPage, TwistoRefund,
};
use crate::PROVIDER;

/// The header carrying idempotency keys on `POST /charges`, `POST /refunds` and
/// `POST /checkouts/{id}/cancel`.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Largest page Twisto serves (documented for `/checkouts`); lists paymux walks itself
/// (refunds of a checkout, authorised charges) ask for it.
const MAX_LIMIT: u32 = 1000;
/// Pages walked at most when paymux lists on its own behalf.
const MAX_PAGES: u32 = 50;

/// Where the page after one of `received` items starting at `skip` starts, or `None` when
/// the walk ends: the page said there is no `next`, or was empty (a server may serve fewer
/// items than asked for, so a short page alone does not end it).
fn next_skip(skip: u32, received: usize, next: Option<&str>) -> Option<u32> {
    if next.is_none() || received == 0 {
        return None;
    }
    Some(skip.saturating_add(u32::try_from(received).unwrap_or(u32::MAX)))
}

/// The ids of the pages walked so far, kept only while another page follows (a one-page
/// list stores nothing). A server that ignores `skip` answers the same page again with
/// `next` set: its items must not count twice, and the walk stops at a page of nothing new.
#[derive(Default)]
struct SeenIds(Vec<String>);

impl SeenIds {
    /// Whether `id` is new; remembered when `more` pages follow.
    fn first_time(&mut self, id: &str, more: bool) -> bool {
        if self.0.iter().any(|seen| seen == id) {
            return false;
        }
        if more {
            self.0.push(id.to_owned());
        }
        true
    }
}

fn idempotency_header() -> HeaderName {
    HeaderName::from_static("idempotency-key")
}

/// What Twisto can do, as paymux drives it.
///
/// Twisto charges only when the merchant calls `POST /charges` after the shopper's checkout
/// is approved, so `immediate_capture` is false: create with manual capture and call
/// `capture`. Charges are for the full amount only. Currencies: CZK and PLN (Twisto's
/// markets) and EUR (accepted by the API's currency field; whether an account can use it is
/// not documented).
pub fn capabilities() -> Capabilities {
    let mut c = Capabilities::none();
    c.hosted_checkout = true;
    c.card_tokens = false;
    c.manual_capture = true;
    c.immediate_capture = false;
    c.partial_capture = false;
    c.multiple_captures = false;
    c.partial_refund = true;
    c.multiple_refunds = true;
    c.void = true;
    c.metadata_update = false;
    c.customers = false;
    c.server_idempotency = true;
    c.webhooks = true;
    c.signed_webhooks = false;
    c.currencies = CurrencySupport::Only(vec![Currency::CZK, Currency::PLN, Currency::EUR]);
    c
}

/// The Twisto PSP v4 backend.
///
/// The unified payment id is the Twisto **checkout** id. See `docs/providers/twisto.md` for
/// which calls each method makes.
///
/// ```
/// use paymux_core::PaymentProvider;
/// use paymux_twisto::TwistoProvider;
/// let twisto = TwistoProvider::builder("token").with_base_url("http://127.0.0.1:9/psp/v4").build()?;
/// assert_eq!(twisto.id(), "twisto");
/// assert!(!twisto.capabilities().partial_capture);
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TwistoProvider {
    base: BaseUrl,
    smi: Option<BaseUrl>,
    http: HttpTransport,
    caps: Capabilities,
}

/// Maps a Twisto error answer to an [`Error`]. Twisto documents no error body; this reads
/// `{"errors": [{"code", "message", "field"}]}` (and a top-level `code`/`message`/`detail`)
/// leniently and accepts any other body (HTML, empty) as an excerpt. Every message is
/// scrubbed as an excerpt is (at most 120 characters each, with anything that looks like a
/// token, a key or card data `[REDACTED]`): an answer that echoes the `Authorization` header
/// puts no token into the error.
///
/// | HTTP | error |
/// |---|---|
/// | 400, 422 | `InvalidRequest` with the first `field` (else `request`) and every message |
/// | 401 | `Authentication` |
/// | 404 | `NotFound` with the id asked for |
/// | 409 | `InvalidState` for a mutation; `Conflict` (retryable) on a read or with the code `request_in_progress` |
/// | others | core's `common_error` (429 `RateLimited`, 5xx `Provider`…) |
pub fn parse_error(request: &ApiRequest, response: &ApiResponse) -> Error {
    let parsed: Option<model::ErrorBody> = serde_json::from_slice(&response.body).ok();
    let mut messages = Vec::new();
    let mut first_field = None;
    let mut first_code = None;
    if let Some(body) = &parsed {
        for e in &body.errors {
            if first_field.is_none() {
                first_field.clone_from(&e.field);
            }
            if first_code.is_none() {
                first_code.clone_from(&e.code);
            }
            let mut m = String::new();
            if let Some(code) = &e.code {
                m.push_str(code);
            }
            if let Some(msg) = &e.message {
                if !m.is_empty() {
                    m.push_str(": ");
                }
                m.push_str(msg);
            }
            if let Some(field) = &e.field {
                m.push_str(&format!(" ({field})"));
            }
            if !m.is_empty() {
                messages.push(scrubbed_excerpt(m.as_bytes()));
            }
        }
        if first_code.is_none() {
            first_code.clone_from(&body.code);
        }
        for m in [&body.message, &body.detail].into_iter().flatten() {
            messages.push(scrubbed_excerpt(m.as_bytes()));
        }
    }
    let message = (!messages.is_empty()).then(|| messages.join("; "));
    match response.status.as_u16() {
        400 | 422 => Error::InvalidRequest {
            field: first_field.unwrap_or_else(|| "request".to_owned()),
            message: format!(
                "Twisto refused the request (HTTP {}): {}",
                response.status.as_u16(),
                message.unwrap_or_else(|| scrubbed_excerpt(&response.body))
            ),
        },
        // A 409 for a request still in flight is a retryable conflict (common_error: Conflict),
        // and a read is never in an invalid state. Twisto documents no error bodies;
        // `request_in_progress` is the code paymux-sim uses, so against the real API every 409
        // on a mutation is read as InvalidState (the safe reading).
        409 if request.operation.is_mutation() && first_code.as_deref() != Some("request_in_progress") => {
            Error::InvalidState {
                operation: request.operation,
                status: None,
                message: message.unwrap_or_else(|| scrubbed_excerpt(&response.body)),
            }
        }
        _ => common_error(PROVIDER, request, response, first_code, message),
    }
}

fn decode<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T> {
    paymux_core::transport::parse_json(body)
        .map_err(|e| Error::decode(PROVIDER, format!("{what}: {e}"), body))
}

/// Whether `checkout` may have refunds: it is charged (`completed`). Refunds are only
/// fetched then.
fn may_have_refunds(checkout: &model::Checkout<'_>) -> bool {
    checkout.state == "completed"
}

/// The checkout in a `GET /checkouts/{id}` answer, borrowing its text. Boxed: callers hold
/// it across further requests, and inline it would make each of their futures (boxed per
/// call by `async_trait`) larger than the allocator's fast per-thread cache takes.
fn checkout_of(body: &[u8]) -> Result<Box<model::Checkout<'_>>> {
    decode("checkout", body).map(Box::new)
}

fn key_of(key: Option<&IdempotencyKey>) -> IdempotencyKey {
    key.cloned().unwrap_or_else(IdempotencyKey::new)
}

/// The idempotency key `req` was sent with.
fn sent_key(req: &ApiRequest) -> Option<&str> {
    req.idempotency.as_ref().map(|(_, key)| key.as_str())
}

/// What a mutation Twisto accepted answered, for [`Error::after_accepted`] when that answer
/// cannot be read: `what` (`"charge"`, `"refund"`) with the answer's `id` where one can be
/// picked out, else `known_id` (the charge asked for). Only built on that error path.
fn accepted(what: &str, known_id: Option<&str>, answer: &ApiResponse) -> String {
    let status = answer.status.as_u16();
    let id = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| match v.get("id") {
            Some(serde_json::Value::String(id)) => Some(scrubbed_excerpt(id.as_bytes())),
            Some(serde_json::Value::Number(id)) => Some(id.to_string()),
            _ => None,
        })
        .filter(|id| !id.is_empty())
        .or_else(|| known_id.map(str::to_owned));
    match id {
        Some(id) => format!("Twisto accepted {what} {id} (HTTP {status})"),
        None => format!("Twisto accepted the {what} (HTTP {status})"),
    }
}

/// The error for refund `refund_id`, which Twisto accepted for checkout `id` (sent with
/// `key`), when what follows it fails with `error`: see [`Error::after_accepted`].
/// The charge in a 2xx answer to `req`, with the key it was sent with; an answer that
/// cannot be read is [`Error::after_accepted`] (Twisto made the charge).
fn charge_answer(
    req: &mut ApiRequest,
    resp: &ApiResponse,
    operation: Operation,
    payment_id: &str,
    charge_id: Option<&str>,
) -> Result<Accepted<TwistoCharge>> {
    match decode("charge", &resp.body).and_then(|c: model::Charge<'_>| mapping::charge(&c, &resp.body)) {
        Ok(charge) => Ok(Accepted {
            value: charge,
            key: req.idempotency.take().map(|(_, key)| key),
        }),
        Err(e) => Err(Error::after_accepted(
            PROVIDER,
            operation,
            Some(payment_id),
            sent_key(req),
            accepted("charge", charge_id, resp),
            &e,
        )),
    }
}

fn refund_accepted(id: &str, key: Option<&IdempotencyKey>, refund_id: &str, error: &Error) -> Error {
    Error::after_accepted(
        PROVIDER,
        Operation::Refund,
        Some(id),
        key.map(IdempotencyKey::as_str),
        format_args!("Twisto accepted refund {refund_id}"),
        error,
    )
}

/// Whether `charge`, answered to a `POST /charges` that sent `sent_reference` for the full
/// `amount` of a checkout, is the charge that call asked for, where the answer names them. A
/// key used before may be answered with the charge made then, for whatever checkout it was.
fn charge_asked_for(charge: &TwistoCharge, sent_reference: &str, amount: Money) -> bool {
    let reference_matches = charge
        .reference
        .as_deref()
        .is_none_or(|answered| answered == sent_reference);
    // Money equality: another currency is another request's charge too.
    reference_matches && charge.amount == amount
}

/// The reference a `POST /charges` for `checkout` sends: the caller's, else the order's.
fn sent_charge_reference(checkout: &model::Checkout<'_>, reference: Option<&str>) -> String {
    reference.map_or_else(|| mapping::order_reference(checkout), str::to_owned)
}

/// Checks a refund's own fields before anything is read or sent: a positive `amount`
/// (where one is given) and a reference Twisto takes.
fn check_refund(amount: Option<Money>, request: &RefundRequest) -> Result<()> {
    if let Some(amount) = amount {
        if !amount.is_positive() {
            return Err(Error::invalid(
                "amount",
                format!("must be greater than zero, got {amount}"),
            ));
        }
    }
    if let Some(r) = &request.reference {
        if r.chars().count() > mapping::MAX_REFERENCE {
            return Err(Error::invalid(
                "reference",
                "Twisto allows at most 200 characters",
            ));
        }
    }
    Ok(())
}

/// What a refund of `asked` (`None`: all that is left) posts on checkout `id`, which stands
/// at `current`. `POST /refunds` names no currency, so an amount in another currency than
/// the checkout's is refused rather than refunded as the checkout's.
///
/// # Errors
/// `InvalidRequest` on `amount` for another currency or more than is left; `InvalidState`
/// when nothing is left to refund.
fn refund_to_post(id: &str, asked: Option<Money>, current: &mapping::Standing) -> Result<Money> {
    let currency = current.amount.currency();
    if let Some(asked) = asked {
        if asked.currency() != currency {
            return Err(Error::invalid(
                "amount",
                format!(
                    "is in {}, the payment in {currency} (Twisto refunds in the checkout's currency)",
                    asked.currency()
                ),
            ));
        }
    }
    let left = match current.refundable {
        Some(left) if left.is_positive() => left,
        _ => {
            return Err(Error::InvalidState {
                operation: Operation::Refund,
                status: Some(current.status),
                message: format!("nothing left to refund on checkout {id} ({})", current.raw_status),
            })
        }
    };
    match asked {
        Some(asked) if asked > left => Err(Error::invalid(
            "amount",
            format!("{asked} is more than the {left} left to refund on checkout {id}"),
        )),
        Some(asked) => Ok(asked),
        None => Ok(left),
    }
}

/// A mutation Twisto accepted: its answer, read, and the idempotency key it was sent with
/// (moved out of the request, not copied), for [`Error::after_accepted`] should what
/// follows fail.
struct Accepted<T> {
    value: T,
    key: Option<IdempotencyKey>,
}

impl TwistoProvider {
    /// A provider from `config`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty token or a bad URL, [`Error::Transport`] when
    /// the HTTP client cannot be created.
    pub fn new(config: TwistoConfig) -> Result<Self> {
        config.validate()?;
        let auth = config.api_key.header_value("Bearer ")?;
        let http = HttpTransport::new(PROVIDER, config.transport_config())?.with_auth(AUTHORIZATION, auth);
        Ok(Self {
            base: BaseUrl::parse(&config.effective_base_url())?,
            smi: config
                .effective_smi_base_url()
                .map(|smi| BaseUrl::parse_for("smi_base_url", &smi))
                .transpose()?,
            http,
            caps: capabilities(),
        })
    }

    /// A builder with the bearer `token`.
    pub fn builder(token: impl Into<String>) -> crate::TwistoBuilder {
        crate::TwistoBuilder::new(token)
    }

    /// The PSP v4 base URL in use.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The merchant API (`…/psp/smi`) base URL in use, where one is known.
    pub fn smi_base_url(&self) -> Option<&str> {
        self.smi.as_ref().map(BaseUrl::as_str)
    }

    fn url(&self, path: &str) -> Url {
        self.base.endpoint(path)
    }

    fn url_with(&self, path: &str, query: &[(&str, String)]) -> Url {
        self.base.endpoint_with_query(path, query)
    }

    /// `id` as one path segment: percent-encoded where needed, refused when empty, longer
    /// than 256 bytes, holding a control character, or `.` or `..` (dot segments, which the
    /// URL library resolves: `void("..")` would post to `/psp/v4/cancel`).
    fn path_id<'a>(field: &str, id: &'a str) -> Result<Cow<'a, str>> {
        if id == "." || id == ".." {
            return Err(Error::invalid(field, "must be an id, not \".\" or \"..\""));
        }
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        // Twisto's ids (UUIDs) are unreserved characters only: nothing to encode, and no
        // control character to look for.
        if !id.is_empty() && id.len() <= 256 && id.bytes().all(unreserved) {
            return Ok(Cow::Borrowed(id));
        }
        if id.is_empty() || id.len() > 256 || id.chars().any(|c| c.is_control()) {
            return Err(Error::invalid(
                field,
                "must be a non-empty id without control characters",
            ));
        }
        let ser = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
        // form encoding writes spaces as '+'; a path needs %20.
        Ok(Cow::Owned(ser.replace('+', "%20")))
    }

    /// Sends; a non-2xx answer becomes an error. Takes the request by reference: an
    /// `async fn` owning it would make every caller's future hold it twice.
    async fn call(&self, request: &ApiRequest) -> Result<ApiResponse> {
        let response = self.http.send(request).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(parse_error(request, &response))
        }
    }

    fn page_params(page: PageQuery) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(l) = page.limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(s) = page.skip {
            q.push(("skip", s.to_string()));
        }
        q
    }

    /// `GET /checkouts/{id}`: the answer, for [`checkout_of`] to read.
    async fn fetch_checkout(&self, id: &str) -> Result<Bytes> {
        let url = self.url(&format!("/checkouts/{}", Self::path_id("id", id)?));
        let req = ApiRequest::new(Method::GET, url, Operation::Get, RetryPolicy::Safe).payment(id);
        Ok(self.call(&req).await?.body)
    }

    /// Every refund of a checkout (`GET /refunds?checkoutId=`): pages of up to 1000 while
    /// `next` is set and the page was not empty, at most 50 pages.
    async fn fetch_refunds(&self, checkout_id: &str) -> Result<Vec<model::Refund>> {
        let mut out = Vec::new();
        let mut seen = SeenIds::default();
        let mut skip = 0;
        for _ in 0..MAX_PAGES {
            let url = self.url_with(
                "/refunds",
                &[
                    ("checkoutId", checkout_id.to_owned()),
                    ("limit", MAX_LIMIT.to_string()),
                    ("skip", skip.to_string()),
                ],
            );
            let req =
                ApiRequest::new(Method::GET, url, Operation::Get, RetryPolicy::Safe).payment(checkout_id);
            let resp = self.call(&req).await?;
            let page: model::Page<model::Refund> = decode("refund list", &resp.body)?;
            let n = page.items.len();
            let more = page.next.is_some();
            let mut fresh = 0;
            for r in page.items {
                if !seen.first_time(&r.id, more) {
                    continue;
                }
                fresh += 1;
                // Keep only this checkout's refunds, should a server ignore the filter.
                if r.checkout_id.as_deref().is_none_or(|c| c == checkout_id) {
                    out.push(r);
                }
            }
            if fresh == 0 {
                break;
            }
            match next_skip(skip, n, page.next.as_deref()) {
                Some(next) => skip = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// Reads checkout `id` and, once it may have been charged, its refunds, and maps them.
    async fn fetch_payment(&self, id: &str) -> Result<Payment> {
        let body = self.fetch_checkout(id).await?;
        let checkout = checkout_of(&body)?;
        let refunds = if may_have_refunds(&checkout) {
            Some(self.fetch_refunds(id).await?)
        } else {
            None
        };
        mapping::payment(&checkout, &body, None, refunds.as_deref())
    }

    /// Checkout `id` as `charge`, made just now, left it. The checkout was `approved`, so
    /// nothing had been captured and nothing refunded: its refunds are not fetched (one made
    /// by someone else from now on shows on the next `get_payment`). A `captured` charge has
    /// none refunded; any other stands by its own `refunded_amount` (a charge answered
    /// already `refunded` is not read as "nothing refunded"). `authorised_earlier`: the
    /// charge was authorised before and captured just now (the merchant API), so its
    /// `created_date` dates the authorisation, not the capture.
    async fn fetch_charged(
        &self,
        id: &str,
        charge: &TwistoCharge,
        authorised_earlier: bool,
    ) -> Result<Payment> {
        let body = self.fetch_checkout(id).await?;
        let checkout = checkout_of(&body)?;
        let refunds = (charge.state == "captured").then_some(&[][..]);
        let mut payment = mapping::payment(&checkout, &body, Some(charge), refunds)?;
        if authorised_earlier {
            mapping::captured_after_authorisation(&mut payment.events, charge);
        }
        Ok(payment)
    }

    /// Creates a checkout with Twisto-specific options (`pay-in-three`, personal id, birth
    /// date, billing address, statistics). [`PaymentProvider::create_payment`] calls this
    /// with [`TwistoCheckoutOptions::default`].
    ///
    /// `POST /checkouts` is freely repeatable per Twisto, so it is retried like a read.
    ///
    /// # Errors
    /// `Unsupported` for immediate capture (create with manual capture, then `capture`),
    /// card sources, other currencies or metadata; `InvalidRequest` for a missing
    /// `customer.email` or `return_url`, over-long fields, amounts outside Twisto's pattern,
    /// and line items that do not sum to the amount; then the provider's errors.
    pub async fn create_checkout(
        &self,
        request: &CreatePayment,
        options: &TwistoCheckoutOptions,
    ) -> Result<Payment> {
        // Encoded before the await: the wire body is not kept in the (boxed) future.
        let body = self.encode_create_checkout(request, options)?;
        let req = ApiRequest::new(
            Method::POST,
            self.url("/checkouts"),
            Operation::Create,
            RetryPolicy::Safe,
        )
        .encoded_json(body);
        let resp = self.call(&req).await?;
        let (_, payment) = mapping::decode_checkout_body(&resp.body)?;
        Ok(payment)
    }

    /// The JSON body [`create_checkout`](Self::create_checkout) sends for `request` and
    /// `options`, checked as it checks them. Nothing is sent: for checking a request before
    /// it goes out (a dry run), for tests, and for the encoding benchmarks. The body is what
    /// Twisto receives, the shopper's email, phone, birth date and personal id included:
    /// treat it as the request itself, not as a log line.
    ///
    /// ```
    /// use paymux_core::{Currency, CreatePayment, Customer, Money};
    /// use paymux_twisto::{TwistoCheckoutOptions, TwistoProvider};
    /// let twisto = TwistoProvider::builder("token").build()?;
    /// let request = CreatePayment::new(Money::from_minor(89_400, Currency::CZK), "order-1")
    ///     .with_manual_capture()
    ///     .with_return_urls("https://shop.example/done", "https://shop.example/cancelled")
    ///     .with_customer(Customer::with_email("shopper@example.com"));
    /// let body = twisto.encode_create_checkout(&request, &TwistoCheckoutOptions::default())?;
    /// let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    /// assert_eq!(json["order"]["amount"], "894.00");
    /// # Ok::<(), paymux_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// What `create_checkout` refuses before sending: `Unsupported` for immediate capture,
    /// card sources, other currencies or metadata; `InvalidRequest` for a missing
    /// `customer.email` or `return_url`, over-long fields, amounts outside Twisto's pattern,
    /// and line items that do not sum to the amount.
    pub fn encode_create_checkout(
        &self,
        request: &CreatePayment,
        options: &TwistoCheckoutOptions,
    ) -> Result<RequestBody> {
        check_create(PROVIDER, &self.caps, request)?;
        if !request.metadata.is_empty() {
            return Err(Error::unsupported(
                PROVIDER,
                "metadata (Twisto checkouts carry none)",
            ));
        }
        encode_json(&mapping::checkout_body(request, options)?)
    }

    /// The JSON body [`create_payment`](PaymentProvider::create_payment) sends for
    /// `request`: [`encode_create_checkout`](Self::encode_create_checkout) with the default
    /// options.
    ///
    /// # Errors
    /// As [`encode_create_checkout`](Self::encode_create_checkout).
    pub fn encode_create_payment(&self, request: &CreatePayment) -> Result<RequestBody> {
        self.encode_create_checkout(request, &TwistoCheckoutOptions::default())
    }

    /// Lists checkouts (`GET /checkouts?dateFrom&dateTo&limit&skip`), each mapped without
    /// its charge or refunds (so a refunded checkout shows `Captured`: call `get_payment`
    /// for the refunds).
    ///
    /// # Errors
    /// The provider's errors; `Decode` for a checkout whose amounts break the pattern.
    pub async fn list_checkouts(&self, query: &CheckoutListQuery) -> Result<TwistoPage<Payment>> {
        // The instants as given: cut to whole seconds, a `dateTo` of 23:59:59.999 would
        // become 23:59:59 and leave out what was created in that last second. Whole seconds
        // are still written without a fraction.
        let mut q = Vec::new();
        if let Some(d) = query.date_from {
            q.push(("dateFrom", d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
        }
        if let Some(d) = query.date_to {
            q.push(("dateTo", d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
        }
        q.extend(Self::page_params(query.page));
        let req = ApiRequest::new(
            Method::GET,
            self.url_with("/checkouts", &q),
            Operation::Get,
            RetryPolicy::Safe,
        );
        let resp = self.call(&req).await?;
        let page: model::Page<serde_json::Value> = decode("checkout list", &resp.body)?;
        mapping::page(page, &resp.body, |value, _| {
            let raw = serde_json::to_vec(&value).map_err(|e| Error::decode(PROVIDER, e.to_string(), b""))?;
            mapping::decode_checkout_body(&raw).map(|(_, p)| p)
        })
    }

    /// Creates a charge for the full amount of an approved checkout (`POST /charges`, with an
    /// `Idempotency-Key`): `capture: true` charges at once, `capture: false` only authorises
    /// (capture it later with [`capture_charge`](Self::capture_charge)). The charge's
    /// `reference` defaults to the checkout's order reference, which is how
    /// [`find_authorised_charge`](Self::find_authorised_charge) finds it again.
    ///
    /// # Errors
    /// `NotFound`, `InvalidState` (checkout not approved or already charged), the provider's
    /// errors; `OutcomeUnknown` with the key sent when no definite answer came, or when
    /// Twisto accepted the charge but its answer cannot be read (reconcile; retry with the
    /// same key); `OutcomeUnknown` too when Twisto answers with a charge for another
    /// reference or amount (the key was used before, for another request: reconcile, then
    /// charge with a new key).
    pub async fn create_charge(
        &self,
        checkout_id: &str,
        capture: bool,
        reference: Option<&str>,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<TwistoCharge> {
        let body = self.fetch_checkout(checkout_id).await?;
        let checkout = checkout_of(&body)?;
        let amount = mapping::checkout_amount(&checkout, &body)?;
        let operation = if capture {
            Operation::Capture
        } else {
            Operation::Create
        };
        let Accepted { value: charge, key } = self
            .post_charge(&checkout, amount, reference, capture, operation, idempotency_key)
            .await?;
        // A key used before may be answered with the charge made then, for another checkout
        // (a charge names none): returned as this checkout's, it would read as charged, and
        // capturing it would capture the other's.
        if !charge_asked_for(&charge, &sent_charge_reference(&checkout, reference), amount) {
            return Err(Error::OutcomeUnknown {
                provider: PROVIDER.to_owned(),
                operation,
                payment_id: Some(checkout_id.to_owned()),
                idempotency_key: key.map(|k| k.as_str().to_owned()),
                message: format!(
                    "Twisto answered with charge {} (reference {:?}, {}), made for another request with this idempotency key, not a charge of checkout {checkout_id}: read the checkout (find_authorised_charge) and charge with a new key",
                    charge.id,
                    charge.reference.as_deref().unwrap_or(""),
                    charge.amount
                ),
            });
        }
        Ok(charge)
    }

    /// `POST /charges`. An answer that cannot be read is `OutcomeUnknown`
    /// ([`Error::after_accepted`]): Twisto took the charge.
    async fn post_charge(
        &self,
        checkout: &model::Checkout<'_>,
        amount: Money,
        reference: Option<&str>,
        capture: bool,
        operation: Operation,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Accepted<TwistoCharge>> {
        let mut req = {
            let order_ref = mapping::order_reference(checkout);
            let body = mapping::charge_body(&checkout.id, amount, &order_ref, reference, capture)?;
            ApiRequest::new(
                Method::POST,
                self.url("/charges"),
                operation,
                RetryPolicy::Idempotent,
            )
            .json(&body)?
            .idempotency_key(idempotency_header(), key_of(idempotency_key))
            .payment(checkout.id.to_string())
        };
        let resp = self.call(&req).await?;
        charge_answer(&mut req, &resp, operation, &checkout.id, None)
    }

    /// Lists charges (`GET /charges`, optionally `state`-filtered).
    ///
    /// # Errors
    /// The provider's errors; `Decode` for amounts that break the pattern or are below zero.
    pub async fn list_charges(
        &self,
        state: Option<&str>,
        page: PageQuery,
    ) -> Result<TwistoPage<TwistoCharge>> {
        let resp = self.call(&self.charges_request(state, page)).await?;
        let page: model::Page<model::Charge<'_>> = decode("charge list", &resp.body)?;
        mapping::page(page, &resp.body, |c, body| mapping::charge(&c, body))
    }

    /// `GET /charges`, optionally `state`-filtered.
    fn charges_request(&self, state: Option<&str>, page: PageQuery) -> ApiRequest {
        let mut q = Vec::new();
        if let Some(s) = state {
            q.push(("state", s.to_owned()));
        }
        q.extend(Self::page_params(page));
        ApiRequest::new(
            Method::GET,
            self.url_with("/charges", &q),
            Operation::Get,
            RetryPolicy::Safe,
        )
    }

    /// The authorised (not yet captured) charge of a checkout, if any: walks
    /// `GET /charges?state=authorised` and matches the charge `reference` against the
    /// checkout's order reference (the charge object names no checkout), and its amount and
    /// currency against the checkout's (a charge is for the full amount only, so one with the
    /// reference but another amount belongs to another checkout made with that reference).
    /// Costs one list call per page of outstanding authorisations (up to 1000 a page, while
    /// `next` is set; at most 50 pages).
    ///
    /// # Errors
    /// The provider's errors; `Decode` for a checkout whose amount breaks the pattern.
    pub async fn find_authorised_charge(&self, checkout_id: &str) -> Result<Option<TwistoCharge>> {
        let body = self.fetch_checkout(checkout_id).await?;
        let checkout = checkout_of(&body)?;
        let amount = mapping::checkout_amount(&checkout, &body)?;
        self.find_authorised(&checkout, amount).await
    }

    /// Walks the authorised charges for the one made for `checkout` (of `amount`): its
    /// reference, and the full amount in the checkout's currency. Only that charge is
    /// mapped (its amounts checked); the others on the page are decoded without copying
    /// their text, and a bad amount on another order's charge does not stop this one.
    async fn find_authorised(
        &self,
        checkout: &model::Checkout<'_>,
        amount: Money,
    ) -> Result<Option<TwistoCharge>> {
        let wanted = mapping::order_reference(checkout);
        let is_this = |c: &model::Charge<'_>| {
            c.state == "authorised"
                && c.reference.as_deref() == Some(wanted.as_str())
                && c.currency == amount.currency().code()
                && mapping::parse_amount(&c.amount, amount.currency()) == Ok(amount)
        };
        let mut seen = SeenIds::default();
        let mut skip = 0;
        for _ in 0..MAX_PAGES {
            let req = self.charges_request(Some("authorised"), PageQuery::new(MAX_LIMIT, skip));
            let resp = self.call(&req).await?;
            let page: model::Page<model::Charge<'_>> = decode("charge list", &resp.body)?;
            if let Some(c) = page.items.iter().find(|c| is_this(c)) {
                return mapping::charge(c, &resp.body).map(Some);
            }
            let more = page.next.is_some();
            // Counted without short-circuiting, so every id of the page is remembered.
            let fresh = page.items.iter().filter(|c| seen.first_time(&c.id, more)).count();
            if fresh == 0 {
                break;
            }
            match next_skip(skip, page.items.len(), page.next.as_deref()) {
                Some(next) => skip = next,
                None => break,
            }
        }
        Ok(None)
    }

    fn smi_url(&self, charge_id: &str, action: &str) -> Result<Url> {
        let base = self.smi.as_ref().ok_or_else(|| {
            Error::invalid(
                "smi_base_url",
                "the base URL does not end in /v4, so the merchant API URL cannot be derived; set smi_base_url",
            )
        })?;
        Ok(base.endpoint(&format!(
            "/charges/{}/{action}",
            Self::path_id("charge_id", charge_id)?
        )))
    }

    /// `POST /psp/smi/charges/{charge_id}/{action}` about payment `payment_id` (the charge
    /// itself, or the checkout `capture` charges). An answer that cannot be read is
    /// `OutcomeUnknown` ([`Error::after_accepted`]).
    async fn smi(
        &self,
        charge_id: &str,
        action: &str,
        operation: Operation,
        payment_id: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Accepted<TwistoCharge>> {
        // The merchant API documents no idempotency: the key is sent, but the call is never
        // repeated automatically once it may have reached Twisto.
        let mut req = ApiRequest::new(
            Method::POST,
            self.smi_url(charge_id, action)?,
            operation,
            RetryPolicy::Never,
        )
        .json(&serde_json::json!({}))?
        .idempotency_key(idempotency_header(), key_of(idempotency_key))
        .payment(payment_id);
        let resp = self.call(&req).await?;
        charge_answer(&mut req, &resp, operation, payment_id, Some(charge_id))
    }

    /// Captures an authorised charge in full (`POST /psp/smi/charges/{id}/capture`).
    ///
    /// # Errors
    /// `InvalidRequest` when no merchant API URL is known; `NotFound`; `InvalidState` when
    /// the charge is not authorised; `OutcomeUnknown` with the key sent when no answer came
    /// (not retried) or the answer cannot be read.
    pub async fn capture_charge(
        &self,
        charge_id: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<TwistoCharge> {
        self.smi(
            charge_id,
            "capture",
            Operation::Capture,
            charge_id,
            idempotency_key,
        )
        .await
        .map(|accepted| accepted.value)
    }

    /// Cancels an authorised charge (`POST /psp/smi/charges/{id}/cancel`).
    ///
    /// # Errors
    /// As [`capture_charge`](Self::capture_charge).
    pub async fn cancel_charge(
        &self,
        charge_id: &str,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<TwistoCharge> {
        self.smi(charge_id, "cancel", Operation::Void, charge_id, idempotency_key)
            .await
            .map(|accepted| accepted.value)
    }

    /// Creates a refund of `amount` on checkout `checkout_id` (`GET /checkouts/{id}`, then
    /// `POST /refunds` with an `Idempotency-Key`) and returns it. `POST /refunds` names no
    /// currency, so the checkout is read first and an `amount` in another currency than the
    /// checkout's is refused rather than refunded as the checkout's (10.00 EUR on a CZK
    /// checkout would refund 10.00 CZK).
    ///
    /// # Errors
    /// `InvalidRequest` for a non-positive amount, one outside the pattern, or one in another
    /// currency than the checkout's (on `amount`, nothing posted); `NotFound` for an unknown
    /// checkout; `Decode` for a checkout whose amount breaks the pattern; the provider's
    /// errors (`InvalidState` when nothing was captured); `OutcomeUnknown` with the key sent
    /// when no definite answer came, or when Twisto accepted the refund but its answer
    /// cannot be read (or names an amount below zero); `OutcomeUnknown` too when Twisto
    /// answers with a refund of another checkout or amount (the key was used before, for
    /// another request: reconcile, then refund with a new key).
    pub async fn create_refund(
        &self,
        checkout_id: &str,
        amount: Money,
        request: &RefundRequest,
    ) -> Result<TwistoRefund> {
        check_refund(Some(amount), request)?;
        let currency = {
            let body = self.fetch_checkout(checkout_id).await?;
            mapping::checkout_amount(&*checkout_of(&body)?, &body)?.currency()
        };
        if amount.currency() != currency {
            return Err(Error::invalid(
                "amount",
                format!(
                    "is in {}, checkout {checkout_id} in {currency} (Twisto refunds in the checkout's currency)",
                    amount.currency()
                ),
            ));
        }
        let Accepted {
            value: (refund, answer),
            key,
        } = self.post_refund(checkout_id, amount, request).await?;
        let answered = mapping::refund_amount(&refund, amount.currency(), &answer)
            .map_err(|e| refund_accepted(checkout_id, key.as_ref(), &refund.id, &e))?;
        // A key used before is answered with the refund made then, for whatever checkout and
        // amount it was: returned as this one, the caller would take money as refunded that
        // was not (as `refund` guards, and `create_charge`).
        if refund.checkout_id.as_deref().is_some_and(|c| c != checkout_id) || answered != amount {
            return Err(Error::OutcomeUnknown {
                provider: PROVIDER.to_owned(),
                operation: Operation::Refund,
                payment_id: Some(checkout_id.to_owned()),
                idempotency_key: key.map(|k| k.as_str().to_owned()),
                message: format!(
                    "Twisto answered with refund {} (checkout {:?}, {answered}), made for another request with this idempotency key, not a refund of {amount} on checkout {checkout_id}: read the refunds (list_refunds) and refund with a new key",
                    refund.id,
                    refund.checkout_id.as_deref().unwrap_or(""),
                ),
            });
        }
        mapping::refund(&refund, &answer)
            .map_err(|e| refund_accepted(checkout_id, key.as_ref(), &refund.id, &e))
    }

    /// `POST /refunds` of `amount`, checked by the caller ([`check_refund`]): the refund as
    /// answered, and the answer. An answer that cannot be read is `OutcomeUnknown`
    /// ([`Error::after_accepted`]): Twisto took the refund.
    async fn post_refund(
        &self,
        checkout_id: &str,
        amount: Money,
        request: &RefundRequest,
    ) -> Result<Accepted<(model::Refund, Bytes)>> {
        // Encoded in its own scope: the wire body is gone before the await.
        let mut req = {
            let body = model::CreateRefund {
                checkout_id: checkout_id.to_owned(),
                reference: request.reference.clone(),
                reason: mapping::refund_reason(request.reason.as_ref(), request.note.as_deref()),
                amount: mapping::format_amount(amount).map_err(|e| Error::money("amount", e))?,
            };
            ApiRequest::new(
                Method::POST,
                self.url("/refunds"),
                Operation::Refund,
                RetryPolicy::Idempotent,
            )
            .json(&body)?
            .idempotency_key(idempotency_header(), key_of(request.idempotency_key.as_ref()))
            .payment(checkout_id)
        };
        let resp = self.call(&req).await?;
        match decode::<model::Refund>("refund", &resp.body) {
            Ok(refund) => Ok(Accepted {
                value: (refund, resp.body),
                key: req.idempotency.take().map(|(_, key)| key),
            }),
            Err(e) => Err(Error::after_accepted(
                PROVIDER,
                Operation::Refund,
                Some(checkout_id),
                sent_key(&req),
                accepted("refund", None, &resp),
                &e,
            )),
        }
    }

    /// The refunds of a checkout (`GET /refunds?checkoutId=`, all pages).
    ///
    /// # Errors
    /// `InvalidRequest` on `checkout_id` for an id that is empty, longer than 256 bytes or
    /// holds a control character (an empty `checkoutId` filters by nothing, and the answer
    /// would read as "no refunds"); the provider's errors; `Decode` for amounts that break
    /// the pattern or are below zero.
    pub async fn list_refunds(&self, checkout_id: &str) -> Result<Vec<TwistoRefund>> {
        Self::path_id("checkout_id", checkout_id)?;
        let list = self.fetch_refunds(checkout_id).await?;
        let body = b"refund list";
        list.iter().map(|r| mapping::refund(r, body)).collect()
    }

    /// One refund (`GET /refunds/{id}`).
    ///
    /// # Errors
    /// `NotFound`; the provider's errors; `Decode` for an amount that breaks the pattern or
    /// is below zero.
    pub async fn get_refund(&self, refund_id: &str) -> Result<TwistoRefund> {
        let url = self.url(&format!("/refunds/{}", Self::path_id("refund_id", refund_id)?));
        let req = ApiRequest::new(Method::GET, url, Operation::Get, RetryPolicy::Safe).payment(refund_id);
        let resp = self.call(&req).await?;
        let refund: model::Refund = decode("refund", &resp.body)?;
        mapping::refund(&refund, &resp.body)
    }

    /// Settlement batches (`GET /batch`).
    ///
    /// # Errors
    /// The provider's errors; `Decode` for amounts that break the pattern.
    pub async fn list_batches(&self, page: PageQuery) -> Result<TwistoPage<TwistoBatch>> {
        let url = self.url_with("/batch", &Self::page_params(page));
        let req = ApiRequest::new(Method::GET, url, Operation::Get, RetryPolicy::Safe);
        let resp = self.call(&req).await?;
        let page: model::Page<model::Batch> = decode("batch list", &resp.body)?;
        mapping::page(page, &resp.body, |b, body| mapping::batch(&b, body))
    }

    /// The entries (orders and refunds) of a settlement batch (`GET /batch/{id}/entry`).
    ///
    /// # Errors
    /// `NotFound`; the provider's errors; `Decode` for amounts that break the pattern.
    pub async fn batch_entries(
        &self,
        batch_id: &str,
        page: PageQuery,
    ) -> Result<TwistoPage<TwistoBatchEntry>> {
        let url = self.url_with(
            &format!("/batch/{}/entry", Self::path_id("batch_id", batch_id)?),
            &Self::page_params(page),
        );
        let req = ApiRequest::new(Method::GET, url, Operation::Get, RetryPolicy::Safe).payment(batch_id);
        let resp = self.call(&req).await?;
        let page: model::Page<serde_json::Value> = decode("batch entries", &resp.body)?;
        mapping::page(page, &resp.body, mapping::batch_entry)
    }

    /// A refund through [`PaymentProvider::refund`]: reads the checkout and its refunds as
    /// `get_payment` does, checks the amount asked for (`None`: what is left) against that
    /// reading ([`refund_to_post`]), posts it, and maps the payment from that reading plus
    /// the new refund. A refund does not change the checkout's state, so nothing is read
    /// again; a refund someone else posts meanwhile shows on the next `get_payment`. If
    /// Twisto answers with a refund other than the one asked for (an idempotency key used
    /// before), the payment is read again. Once Twisto has answered the `POST`, every error
    /// is `OutcomeUnknown` with the key sent.
    async fn refund_checked(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        check_refund(request.amount, request)?;
        let body = self.fetch_checkout(id).await?;
        let checkout = checkout_of(&body)?;
        let mut refunds = if may_have_refunds(&checkout) {
            Some(self.fetch_refunds(id).await?)
        } else {
            None
        };
        let amount = {
            let current = mapping::standing(&checkout, &body, None, refunds.as_deref())?;
            refund_to_post(id, request.amount, &current)?
        };
        let Accepted {
            value: (refund, answer),
            key,
        } = self.post_refund(id, amount, request).await?;
        // From here on Twisto has taken the refund: whatever fails is OutcomeUnknown with
        // the key, never an error that invites a fresh call (a second refund).
        // Checked against its own answer, so a bad amount or currency is reported with it.
        let answered = mapping::refund_amount(&refund, amount.currency(), &answer)
            .map_err(|e| refund_accepted(id, key.as_ref(), &refund.id, &e))?;
        // Added to the reading only when it is the refund asked for: of this checkout, for
        // the amount posted, and not listed already. An idempotency key used before (for another
        // amount or checkout) is answered with that earlier refund; then the payment is read
        // again, as it stands.
        let asked_for = refund.checkout_id.as_deref().is_none_or(|c| c == id)
            && answered == amount
            && !refunds
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|r| r.id == refund.id);
        if !asked_for {
            return Box::pin(self.fetch_payment(id))
                .await
                .map_err(|e| refund_accepted(id, key.as_ref(), &refund.id, &e));
        }
        let refunds = refunds.get_or_insert_with(Vec::new);
        refunds.push(refund);
        mapping::payment(&checkout, &body, None, Some(refunds.as_slice())).map_err(|e| {
            let refund_id = refunds.last().map_or("", |r| r.id.as_str());
            refund_accepted(id, key.as_ref(), refund_id, &e)
        })
    }
}

#[async_trait]
impl PaymentProvider for TwistoProvider {
    fn id(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// `POST /checkouts` (see [`TwistoProvider::create_checkout`]). Answers
    /// `AwaitingCustomer` with the checkout `uri` as redirect URL.
    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        self.create_checkout(request, &TwistoCheckoutOptions::default())
            .await
    }

    /// `GET /checkouts/{id}`, plus `GET /refunds?checkoutId={id}` when the checkout is
    /// `completed` (refunds are only possible then).
    async fn get_payment(&self, id: &str) -> Result<Payment> {
        self.fetch_payment(id).await
    }

    /// Charges the full amount of an approved checkout: `GET /checkouts/{id}`, a look-up of
    /// an authorised charge (`GET /charges?state=authorised`), then the merchant API's
    /// capture of that charge, or else `POST /charges` with `capture: true`; then the checkout
    /// is read again (its refunds are not: it had none). A rejected charge answers a payment
    /// with status `Declined`. A charge answered for another reference or amount (an
    /// idempotency key used before, for another checkout) is not this checkout's: the
    /// payment is read again and shows what Twisto holds. Once Twisto has accepted the
    /// charge, a failure to read its answer or the checkout after it is `OutcomeUnknown`
    /// with the key sent ([`Error::after_accepted`]), never a retryable error.
    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        let body = self.fetch_checkout(id).await?;
        let checkout = checkout_of(&body)?;
        let amount = mapping::checkout_amount(&checkout, &body)?;
        if let Some(asked) = request.amount {
            if asked.currency() != amount.currency() {
                return Err(Error::invalid(
                    "amount",
                    format!("is in {}, the payment in {}", asked.currency(), amount.currency()),
                ));
            }
            if asked != amount {
                return Err(Error::unsupported(
                    PROVIDER,
                    format!("partial capture ({asked} of {amount}): Twisto charges the full amount only"),
                ));
            }
        }
        if checkout.state != "approved" {
            let status = mapping::unified_status(&checkout.state, None, amount, None);
            return Err(Error::InvalidState {
                operation: Operation::Capture,
                status: Some(status),
                message: format!(
                    "Twisto charges only approved checkouts; checkout {id} is {}",
                    checkout.state
                ),
            });
        }
        // Only its id is kept. Held across the next request, the whole charge made this
        // future (boxed per call by `async_trait`) 1 184 bytes, past what glibc's per-thread
        // cache serves (1 032); it is 848.
        let authorised = self.find_authorised(&checkout, amount).await?.map(|c| c.id);
        let authorised_earlier = authorised.is_some();
        let Accepted { value: charge, key } = match authorised {
            Some(charge_id) => {
                self.smi(
                    &charge_id,
                    "capture",
                    Operation::Capture,
                    id,
                    request.idempotency_key.as_ref(),
                )
                .await?
            }
            None => {
                let accepted = self
                    .post_charge(
                        &checkout,
                        amount,
                        request.reference.as_deref(),
                        true,
                        Operation::Capture,
                        request.idempotency_key.as_ref(),
                    )
                    .await?;
                // A key used before may be answered with the charge made then (Twisto
                // documents no check of the body against the key), and a charge names no
                // checkout: one for another reference or amount is another
                // request's (the key was used for another checkout), not a charge of this
                // one. Paired with this checkout it would read as captured, never charged.
                let sent = sent_charge_reference(&checkout, request.reference.as_deref());
                if !charge_asked_for(&accepted.value, &sent, amount) {
                    return Box::pin(self.fetch_payment(id)).await.map_err(|e| {
                        Error::after_accepted(
                            PROVIDER,
                            Operation::Capture,
                            Some(id),
                            accepted.key.as_ref().map(IdempotencyKey::as_str),
                            format_args!(
                                "Twisto answered the capture with charge {} of another request (this idempotency key was used before)",
                                accepted.value.id
                            ),
                            &e,
                        )
                    });
                }
                accepted
            }
        };
        // Twisto charged: a read that fails now must not invite a fresh call (a fresh key).
        self.fetch_charged(id, &charge, authorised_earlier)
            .await
            .map_err(|e| {
                Error::after_accepted(
                    PROVIDER,
                    Operation::Capture,
                    Some(id),
                    key.as_ref().map(IdempotencyKey::as_str),
                    format_args!(
                        "Twisto answered the capture with charge {} ({})",
                        charge.id, charge.state
                    ),
                    &e,
                )
            })
    }

    /// `GET /checkouts/{id}` and, once it is `completed`, `GET /refunds?checkoutId={id}`;
    /// then `POST /refunds` of `request.amount` (with none: all that is left). An amount in
    /// another currency than the checkout's, or above what is left, is refused before the
    /// `POST` (`InvalidRequest` on `amount`), and `InvalidState` when nothing is left. The
    /// payment is that reading plus the new refund (a refund does not change the checkout's
    /// state, so nothing is read again), or read again when Twisto answers with another
    /// refund (an idempotency key used before). Once Twisto has answered the `POST`, a
    /// failure is `OutcomeUnknown` with the key sent ([`Error::after_accepted`]).
    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        Box::pin(self.refund_checked(id, request)).await
    }

    /// `POST /checkouts/{id}/cancel` with an `Idempotency-Key`: cancels a checkout that is
    /// not yet charged, including one whose charge is only authorised. The answer is the
    /// checkout (`Cancelled`); if Twisto answers without one, the checkout is fetched, and
    /// if that read fails the error is `OutcomeUnknown` with the key sent
    /// ([`Error::after_accepted`]): Twisto took the cancel.
    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment> {
        let url = self.url(&format!("/checkouts/{}/cancel", Self::path_id("id", id)?));
        let req = ApiRequest::new(Method::POST, url, Operation::Void, RetryPolicy::Idempotent)
            .idempotency_key(idempotency_header(), key_of(request.idempotency_key.as_ref()))
            .payment(id);
        let resp = self.call(&req).await?;
        match mapping::decode_checkout_body(&resp.body) {
            Ok((_, p)) if p.id == id => Ok(p),
            _ => self.fetch_payment(id).await.map_err(|e| {
                Error::after_accepted(
                    PROVIDER,
                    Operation::Void,
                    Some(id),
                    sent_key(&req),
                    format_args!("Twisto accepted the cancel of checkout {id}"),
                    &e,
                )
            }),
        }
    }

    /// Unsupported: Twisto checkouts carry no metadata.
    async fn update_metadata(&self, _id: &str, _update: &MetadataUpdate) -> Result<Payment> {
        Err(Error::unsupported(PROVIDER, "metadata update"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_for_another_reference_amount_or_currency_is_not_the_one_asked_for() {
        use paymux_core::Currency;
        let czk = Money::from_minor(89_400, Currency::CZK);
        let charge = |reference: Option<&str>, amount: Money| TwistoCharge {
            id: "ch_1".into(),
            reference: reference.map(str::to_owned),
            amount,
            captured: None,
            refunded: None,
            created_at: None,
            receipt_number: None,
            product: None,
            state: "captured".into(),
        };
        assert!(charge_asked_for(&charge(Some("O-1"), czk), "O-1", czk));
        // Twisto may leave the reference out: the amount still has to match.
        assert!(charge_asked_for(&charge(None, czk), "O-1", czk));
        assert!(!charge_asked_for(&charge(Some("O-2"), czk), "O-1", czk));
        assert!(!charge_asked_for(
            &charge(Some("O-1"), Money::from_minor(1, Currency::CZK)),
            "O-1",
            czk
        ));
        assert!(!charge_asked_for(
            &charge(Some("O-1"), Money::from_minor(89_400, Currency::PLN)),
            "O-1",
            czk
        ));
    }

    #[test]
    fn error_messages_that_echo_the_token_do_not_carry_it() {
        let token = "0f6b3c1e9a4d4f1a8c2e5b7d9e1f3a2c";
        let url = Url::parse("https://api.twisto.cz/psp/v4/charges").unwrap();
        for (status, body, operation) in [
            (
                401,
                format!(r#"{{"detail":"Invalid token: Bearer {token}"}}"#),
                Operation::Get,
            ),
            (
                400,
                format!(
                    r#"{{"errors":[{{"code":"invalid","message":"header Authorization: Bearer {token} is malformed","field":"authorization"}}]}}"#
                ),
                Operation::Capture,
            ),
            (
                409,
                format!(r#"{{"code":"conflict","message":"token={token} cannot cancel"}}"#),
                Operation::Void,
            ),
            (
                403,
                format!(r#"{{"message":"access_token: {token} has no access to this merchant"}}"#),
                Operation::Refund,
            ),
        ] {
            let request = ApiRequest::new(Method::POST, url.clone(), operation, RetryPolicy::Idempotent);
            let response = ApiResponse {
                status: reqwest::StatusCode::from_u16(status).unwrap(),
                headers: reqwest::header::HeaderMap::new(),
                body: Bytes::from(body),
                request_id: None,
                attempts: 1,
            };
            let err = parse_error(&request, &response);
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains(token), "HTTP {status}: the token in {text}");
            }
        }
    }

    #[test]
    fn path_ids_are_encoded_only_when_needed() {
        let uuid = "0f6b3c1e-9a4d-4f1a-8c2e-5b7d9e1f3a2c";
        assert!(matches!(TwistoProvider::path_id("id", uuid), Ok(Cow::Borrowed(s)) if s == uuid));
        assert_eq!(TwistoProvider::path_id("id", "a b/c?d").unwrap(), "a%20b%2Fc%3Fd");
        assert_eq!(TwistoProvider::path_id("id", "é").unwrap(), "%C3%A9");
        assert!(TwistoProvider::path_id("id", "").is_err());
        assert!(TwistoProvider::path_id("id", "a\nb").is_err());
        assert!(TwistoProvider::path_id("id", &"a".repeat(257)).is_err());
        // The URL library resolves dot segments: ".." would reach another endpoint.
        for dots in [".", ".."] {
            assert!(
                matches!(TwistoProvider::path_id("id", dots), Err(Error::InvalidRequest { field, .. }) if field == "id"),
                "{dots:?}"
            );
        }
        assert!(matches!(
            TwistoProvider::path_id("id", "..."),
            Ok(Cow::Borrowed("..."))
        ));
        assert!(matches!(
            TwistoProvider::path_id("id", "a..b"),
            Ok(Cow::Borrowed("a..b"))
        ));
    }
}

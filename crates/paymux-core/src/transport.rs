//! The small HTTP layer every backend uses: one `reqwest` client (rustls), timeouts, bounded
//! retries with exponential backoff and jitter that honour `Retry-After`, idempotency keys,
//! `tracing` spans, a response size cap, and secrets that never reach `Debug`, logs or errors.
//!
//! Retries follow the request's [`RetryPolicy`]:
//!
//! | policy | connection not opened | timeout / connection lost after sending | 408, 429, 500, 502, 503, 504 | 409 |
//! |---|---|---|---|---|
//! | `Safe` (reads) | retried | retried, then [`Error::Timeout`] ([`Error::Transport`] if the connection was lost) | retried | retried |
//! | `Idempotent` (mutation with a key the provider honours) | retried | retried with the same key, then [`Error::OutcomeUnknown`] | retried with the same key | retried (key in flight) |
//! | `Never` (mutation without server idempotency) | retried (nothing reached the provider) | [`Error::OutcomeUnknown`] at once | returned (5xx as [`Error::OutcomeUnknown`]) | returned |
//!
//! A mutation (`Idempotent` or `Never`) that ends without a definite answer is
//! [`Error::OutcomeUnknown`] with its idempotency key, never an error that invites a fresh
//! call (which would carry a new key and could charge, capture or refund twice): a final
//! 5xx; a final 408, 409 or 429, or a connection that could not be opened, after an earlier
//! attempt that got no answer or a 5xx; and an answer larger than the size cap.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, Instant};

pub use bytes::Bytes;
use bytes::BytesMut;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
/// The parsed URL type requests carry (re-exported from `reqwest`, which takes it as is).
pub use reqwest::Url;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::status::Operation;

/// An API key or token. `Debug` and `Display` never show it; read it with
/// [`ApiKey::expose`] only to build an auth header.
///
/// ```
/// use paymux_core::ApiKey;
/// let key = ApiKey::new("sk_sbox_secret");
/// assert_eq!(format!("{key:?}"), "ApiKey([REDACTED])");
/// ```
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(SecretString::from(key.into()))
    }

    /// The key itself. Use only to build the auth header.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// A sensitive header value `"{prefix}{key}"` (`"Bearer "` or `""`), marked so `reqwest`
    /// and `http` never print it.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `api_key` when the key has characters a header
    /// cannot carry (the message does not contain the key).
    pub fn header_value(&self, prefix: &str) -> Result<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.expose())).map_err(|_| {
            Error::invalid(
                "api_key",
                "the key contains characters not allowed in an HTTP header",
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(ApiKey::new)
    }
}

/// An idempotency key sent with a mutation and reused on every retry of that one call.
/// Not a secret: it is shown in `Debug` and in [`Error::OutcomeUnknown`] so callers can
/// retry with it. Serialised as the plain string; deserialising checks it as
/// [`from_string`](Self::from_string) does.
///
/// ```
/// use paymux_core::IdempotencyKey;
/// let generated = IdempotencyKey::new();
/// assert_eq!(generated.as_str().len(), 36); // UUID v4
/// assert!(IdempotencyKey::from_string("order-1001-capture-1").is_ok());
/// assert!(IdempotencyKey::from_string("").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct IdempotencyKey(String);

impl TryFrom<String> for IdempotencyKey {
    type Error = Error;

    /// As [`IdempotencyKey::from_string`].
    fn try_from(key: String) -> Result<Self> {
        Self::from_string(key)
    }
}

impl IdempotencyKey {
    /// A fresh UUID v4 key.
    #[allow(clippy::new_without_default)] // a default that is random would surprise
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The caller's own key: 1 to 255 visible ASCII characters.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `idempotency_key` otherwise.
    pub fn from_string(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(
                "idempotency_key",
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(key))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Timeouts, retries and limits of a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Time for one attempt, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// Retries after the first attempt (0 = no retries).
    pub max_retries: u32,
    /// First backoff; doubles per retry, with jitter.
    pub initial_backoff: Duration,
    /// Longest backoff between attempts.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the 429 is returned.
    pub max_retry_after: Duration,
    /// Answers larger than this are refused without reading the rest, so a hostile or
    /// broken server cannot exhaust memory: [`Error::Decode`], or [`Error::OutcomeUnknown`]
    /// for a mutation sent as `Idempotent` or `Never` (it was answered, so it may have
    /// taken effect).
    pub max_response_bytes: usize,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_retries: 2,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
            max_response_bytes: 2 * 1024 * 1024,
            user_agent: format!("paymux/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl TransportConfig {
    /// Sets the per-attempt timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the backoff bounds.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Applies the optional `timeout_ms`, `connect_timeout_ms` and `max_retries` settings every
    /// backend configuration offers; `None` keeps the current value.
    pub fn with_settings(
        mut self,
        timeout_ms: Option<u64>,
        connect_timeout_ms: Option<u64>,
        max_retries: Option<u32>,
    ) -> Self {
        if let Some(ms) = timeout_ms {
            self.request_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = connect_timeout_ms {
            self.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = max_retries {
            self.max_retries = n;
        }
        self
    }

    /// Sets the response size cap.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }
}

/// Whether a request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPolicy {
    /// A read: repeat freely.
    Safe,
    /// A mutation carrying an idempotency key the provider honours: repeat with the same key.
    Idempotent,
    /// A mutation the provider cannot de-duplicate: never repeated once it may have been sent.
    Never,
}

/// A provider's base URL, parsed once when the backend is built.
///
/// Each request then gets its URL from [`endpoint`](Self::endpoint), which appends a path
/// to the parsed base instead of parsing scheme and host again: parsing a whole URL (host,
/// IDNA, IP address) is one of the larger costs of a request on the client side.
///
/// ```
/// use paymux_core::transport::BaseUrl;
/// let base = BaseUrl::parse("http://127.0.0.1:8080/psp/v4/")?;
/// assert_eq!(base.as_str(), "http://127.0.0.1:8080/psp/v4");
/// assert_eq!(base.endpoint("/checkouts").as_str(), "http://127.0.0.1:8080/psp/v4/checkouts");
/// let list = base.endpoint_with_query("/refunds", &[("checkoutId", "a b&c")]);
/// assert_eq!(list.as_str(), "http://127.0.0.1:8080/psp/v4/refunds?checkoutId=a+b%26c");
/// assert!(BaseUrl::parse("ftp://example.com").is_err());
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
    /// The base's own path without a trailing `/` (`""` for a bare host).
    prefix: String,
    /// The base as configured, without a trailing `/`.
    text: String,
}

impl BaseUrl {
    /// Parses an `http://` or `https://` base URL; a trailing `/` is ignored.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `base_url` when the text is not an absolute
    /// `http(s)` URL with a host, or has a query, a fragment or credentials.
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_for("base_url", text)
    }

    /// As [`parse`](Self::parse), naming `field` in the error (for a second base URL such
    /// as Twisto's `smi_base_url`).
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_for(field: &str, text: &str) -> Result<Self> {
        let text = text.trim().trim_end_matches('/');
        let bad = |why: String| Error::invalid(field, why);
        // The text is echoed only when it cannot hold credentials (`user:secret@host`).
        let shown = if text.contains('@') {
            "(not shown)".to_owned()
        } else {
            format!("{text:?}")
        };
        let url = Url::parse(text).map_err(|e| bad(format!("{e}: {shown}")))?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(bad(format!("must be an http:// or https:// URL, got {shown}")));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment".to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Not echoed: the text holds the credentials.
            return Err(bad(
                "must not carry credentials; configure the API key instead".to_owned()
            ));
        }
        let prefix = url.path().trim_end_matches('/').to_owned();
        Ok(Self {
            url,
            prefix,
            text: text.to_owned(),
        })
    }

    /// The base URL without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL of `path` (which starts with `/`) under the base. Characters a path cannot
    /// hold are percent-encoded, `?` and `#` included: ids go into paths safely.
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        if self.prefix.is_empty() {
            url.set_path(path);
        } else {
            let mut full = String::with_capacity(self.prefix.len() + path.len());
            full.push_str(&self.prefix);
            full.push_str(path);
            url.set_path(&full);
        }
        url
    }

    /// As [`endpoint`](Self::endpoint), with a form-encoded query of `pairs` (none when
    /// `pairs` is empty).
    pub fn endpoint_with_query<K, V>(&self, path: &str, pairs: &[(K, V)]) -> Url
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut url = self.endpoint(path);
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        url
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One logical call to a provider.
///
/// `Debug` shows the body's length, never the body: a card payment's body holds the card
/// number and CVV in clear.
#[derive(Clone)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: Method,
    /// Full URL, parsed (see [`BaseUrl::endpoint`]).
    pub url: Url,
    /// The unified operation, for logs and errors.
    pub operation: Operation,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// JSON body, already encoded.
    pub body: Option<Bytes>,
    /// Extra headers (not auth: the transport adds it).
    pub headers: HeaderMap,
    /// Idempotency header and key, sent identically on every attempt.
    pub idempotency: Option<(HeaderName, IdempotencyKey)>,
    /// The payment concerned, for [`Error::OutcomeUnknown`].
    pub payment_id: Option<String>,
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("operation", &self.operation)
            .field("retry", &self.retry)
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|b| format!("[{} bytes, not shown]", b.len())),
            )
            .field("headers", &self.headers)
            .field("idempotency", &self.idempotency)
            .field("payment_id", &self.payment_id)
            .finish()
    }
}

impl ApiRequest {
    /// A request with no body, headers or idempotency key.
    pub fn new(method: Method, url: Url, operation: Operation, retry: RetryPolicy) -> Self {
        Self {
            method,
            url,
            operation,
            retry,
            body: None,
            headers: HeaderMap::new(),
            idempotency: None,
            payment_id: None,
        }
    }

    /// Sets a JSON body.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] if the value cannot be encoded.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        self.body = Some(encode_json(body)?.into_bytes());
        Ok(self)
    }

    /// Sets a JSON body encoded already (by [`encode_json`]), as a backend's public encoder
    /// returns it.
    pub fn encoded_json(mut self, body: RequestBody) -> Self {
        self.body = Some(body.into_bytes());
        self
    }

    /// Sets the idempotency header and key.
    pub fn idempotency_key(mut self, header: HeaderName, key: IdempotencyKey) -> Self {
        self.idempotency = Some((header, key));
        self
    }

    /// Sets the payment id.
    pub fn payment(mut self, id: impl Into<String>) -> Self {
        self.payment_id = Some(id.into());
        self
    }
}

/// A provider's answer, whatever its HTTP status.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (at most `max_response_bytes`).
    pub body: Bytes,
    /// The provider's request id, if its header was present.
    pub request_id: Option<String>,
    /// Attempts made, 1 when not retried.
    pub attempts: u32,
}

impl ApiResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The wait the `Retry-After` header asks for, in seconds or until an HTTP-date, if
    /// present and readable.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

/// Encodes a request body as JSON, the way every backend sends it.
///
/// ```
/// let body = paymux_core::transport::encode_json(&serde_json::json!({"amount": 3000}))?;
/// assert_eq!(body.as_bytes(), br#"{"amount":3000}"#);
/// # Ok::<(), paymux_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidRequest`] on `body` if the value cannot be encoded (a map with
/// non-string keys, a failing `Serialize` impl).
pub fn encode_json<T: Serialize + ?Sized>(body: &T) -> Result<RequestBody> {
    // Room for a usual payment body up front: `to_vec` starts at 128 bytes and would grow
    // (allocate and copy) twice on the way to one of 300-500.
    let mut bytes = Vec::with_capacity(512);
    serde_json::to_writer(&mut bytes, body).map_err(|e| Error::invalid("body", e.to_string()))?;
    Ok(RequestBody(Bytes::from(bytes)))
}

/// An encoded request body, as a backend sends it (see the backends' `encode_create_payment`).
///
/// Its `Debug` shows the length only: a body can hold a card number and CVV (a Checkout.com
/// card payment) or a customer's personal data, which must not reach a log or a panic
/// message through `{:?}`. Read the bytes with [`as_bytes`](Self::as_bytes), or through
/// `Deref<Target = [u8]>`.
///
/// ```
/// let body = paymux_core::transport::encode_json(&serde_json::json!({"cvv": "737"}))?;
/// assert_eq!(format!("{body:?}"), "RequestBody([13 bytes, not shown])");
/// assert_eq!(&body[..], br#"{"cvv":"737"}"#);
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RequestBody(Bytes);

impl RequestBody {
    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The encoded bytes, owned (no copy).
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for RequestBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for RequestBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestBody([{} bytes, not shown])", self.0.len())
    }
}

/// Parses a provider's JSON answer, borrowing text from `body` where `T` allows.
///
/// The body is checked as UTF-8 once, then parsed with `serde_json::from_str`:
/// `from_slice` checks again every string it reads, which costs more than the whole check.
///
/// ```
/// let v: std::collections::BTreeMap<String, i64> = paymux_core::transport::parse_json(br#"{"a": 1}"#)?;
/// assert_eq!(v["a"], 1);
/// assert!(paymux_core::transport::parse_json::<serde_json::Value>(b"\xff").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
/// A `serde_json::Error` when the body is not UTF-8 or not a `T`.
pub fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> serde_json::Result<T> {
    let text = std::str::from_utf8(body).map_err(|e| {
        <serde_json::Error as serde::de::Error>::custom(format_args!("answer is not UTF-8: {e}"))
    })?;
    serde_json::from_str(text)
}

/// For backends' wire types: an optional text field borrowed from the answer when it has no
/// escapes, copied when it has. serde borrows a field only when its type is exactly
/// `Cow<str>`; inside an `Option`, `#[serde(borrow)]` alone copies every string.
///
/// ```
/// use std::borrow::Cow;
///
/// #[derive(serde::Deserialize)]
/// struct Answer<'a> {
///     #[serde(default, borrow, deserialize_with = "paymux_core::transport::opt_borrowed_str")]
///     status: Option<Cow<'a, str>>,
/// }
///
/// let a: Answer = paymux_core::transport::parse_json(br#"{"status": "Authorized"}"#)?;
/// assert!(matches!(a.status, Some(Cow::Borrowed("Authorized"))));
/// let a: Answer = paymux_core::transport::parse_json(br#"{"status": null}"#)?;
/// assert!(a.status.is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
/// The deserializer's error when the value is neither a string nor `null`.
pub fn opt_borrowed_str<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Cow<'a, str>>, D::Error> {
    Option::<BorrowedStr<'a>>::deserialize(deserializer).map(|text| text.map(|t| t.0))
}

struct BorrowedStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        deserializer.deserialize_str(V).map(BorrowedStr)
    }
}

/// `Retry-After` (RFC 9110 §10.2.3): a number of seconds, or an HTTP-date (the wait is the
/// time left until it; a date already past is no wait). A number of seconds too large for a
/// `u64` is still a wait, the longest there is. Anything else is no hint.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(text.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = http_date(text)?;
    Some((at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP-date in any of the three forms a recipient must accept: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`), all in UTC.
fn http_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc2822(text) {
        return Some(at.with_timezone(&chrono::Utc));
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
        .map(|at| at.and_utc())
}

/// The shared HTTP client of a backend instance: auth header, timeouts, retries, size cap,
/// tracing. Cheap to clone (the `reqwest` client is shared).
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    /// Whether `request_timeout` must be set on each request: a client built here carries it
    /// already; a caller's client may not.
    timeout_per_request: bool,
    provider: &'static str,
    auth: Option<(HeaderName, HeaderValue)>,
    request_id_header: Option<HeaderName>,
    config: TransportConfig,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("provider", &self.provider)
            .field(
                "auth",
                &self.auth.as_ref().map(|(name, _)| format!("{name}: [REDACTED]")),
            )
            .field("config", &self.config)
            .finish()
    }
}

/// What [`HttpTransport::send_with_retries`] does after an attempt.
enum Next {
    Done(Result<ApiResponse>),
    RetryAfter(Duration),
}

enum AttemptFailure {
    /// Nothing reached the provider (connection refused, DNS, TLS).
    NotSent(String),
    /// Sent, but no complete answer (timeout, connection dropped).
    Lost(String, bool),
    /// The answer was larger than allowed.
    TooLarge(Bytes),
    /// The request could not be built (a malformed URL or header): nothing was sent, and
    /// sending it again would fail the same way.
    Unsendable(String),
}

impl HttpTransport {
    /// A transport for `provider` with its own `reqwest` client.
    ///
    /// The client follows no redirects (a 3xx is returned like any other answer: re-sending
    /// a payment request to another address is not something to do silently) and has
    /// `reqwest`'s own retries switched off, since this transport decides what may be sent
    /// again (see the module table).
    ///
    /// # Errors
    /// [`Error::Transport`] if the TLS backend cannot be initialised.
    pub fn new(provider: &'static str, config: TransportConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .build()
            .map_err(|e| Error::Transport {
                provider: provider.to_owned(),
                message: e.to_string(),
            })?;
        let mut transport = Self::with_client(provider, client, config);
        transport.timeout_per_request = false;
        Ok(transport)
    }

    /// A transport over an existing `reqwest` client (to share one pool across backends).
    /// `request_timeout` is set on every request, whatever the client's own timeout.
    ///
    /// Everything else is the client's own: `connect_timeout` and `user_agent` are not
    /// applied, and neither are [`new`](Self::new)'s redirect and retry settings, which a
    /// request cannot override. A client from `reqwest::Client::new()` follows redirects:
    /// a 307 or 308 answer to a capture or refund is then sent again, body and all, to the
    /// address it names, and the caller sees only that address's answer. To keep the
    /// guarantee that a payment request goes only where it was sent, build the client with
    /// `.redirect(reqwest::redirect::Policy::none())`.
    ///
    /// ```
    /// use paymux_core::transport::HttpTransport;
    /// use paymux_core::TransportConfig;
    /// let shared = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let transport = HttpTransport::with_client("checkout", shared, TransportConfig::default());
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn with_client(provider: &'static str, client: reqwest::Client, config: TransportConfig) -> Self {
        Self {
            client,
            timeout_per_request: true,
            provider,
            auth: None,
            request_id_header: None,
            config,
        }
    }

    /// Sets the auth header sent on every request (marked sensitive).
    pub fn with_auth(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.auth = Some((name, value));
        self
    }

    /// Sets the response header that carries the provider's request id.
    pub fn with_request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id_header = Some(name);
        self
    }

    /// The provider kind.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The configuration.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Sends `request`, retrying as its [`RetryPolicy`] allows (see the module table), and
    /// returns the provider's answer whatever its HTTP status.
    ///
    /// # Errors
    /// [`Error::Transport`] when no connection could be made (or a read's connection was
    /// lost), [`Error::Timeout`] when a read got no answer in time, [`Error::Decode`] when a
    /// read's answer exceeds `max_response_bytes`, [`Error::InvalidRequest`] when the
    /// request cannot be built. A mutation sent as `Idempotent` or `Never` that ends
    /// without a definite answer is [`Error::OutcomeUnknown`] instead: no answer, a final
    /// 5xx, an answer over the cap, or a final 408, 409, 429 or refused connection after an
    /// earlier attempt that may have taken effect (see the module table).
    pub async fn send(&self, request: &ApiRequest) -> Result<ApiResponse> {
        let span = tracing::info_span!(
            "paymux.http",
            provider = self.provider,
            operation = request.operation.as_str(),
            method = %request.method,
            path = tracing::field::Empty,
            http.status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Only worth working out when someone listens.
        if !span.is_disabled() {
            span.record("path", request.url.path());
        }
        // Boxed: the exchange's state (reqwest's future, the answer being read) is ~760
        // bytes, and every backend future that awaits it would carry it inline. Boxed here,
        // both this and the callers' `async_trait` boxes stay small enough for the
        // allocator's fast per-thread cache; one large box per call (over 1 KiB) took
        // glibc's slow path, which merges free chunks on every such allocation. The
        // reqwest request is built outside it (`http_request`) for the same reason.
        let exchange = self.send_with_retries(request, !span.is_disabled());
        if span.is_disabled() {
            // Nobody listens: entering and leaving a disabled span on every poll still
            // costs calls (into `log`, when tracing's `log` feature is on).
            Box::pin(exchange).await
        } else {
            Box::pin(exchange.instrument(span)).await
        }
    }

    /// `traced`: whether the span listens; the clock is read (for `latency_ms`) only then.
    async fn send_with_retries(&self, request: &ApiRequest, traced: bool) -> Result<ApiResponse> {
        let started = traced.then(Instant::now);
        let mut attempt: u32 = 0;
        let mut uncertain = false;
        loop {
            attempt += 1;
            let outcome = self.attempt(request).await;
            match self.after_attempt(request, attempt, started, &mut uncertain, outcome) {
                Next::Done(result) => return result,
                Next::RetryAfter(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// What one attempt's outcome means: the answer or error to return, or a wait before
    /// the next attempt. Kept out of the `async` loop (and not inlined into it) so the
    /// state machine every request polls stays small; the retry and error paths are cold.
    /// `started` is set when the request's span listens (see `send_with_retries`).
    /// `uncertain` records, across the attempts of one call, that an earlier attempt may
    /// have reached the provider and taken effect (no answer, or a 5xx): a mutation that then ends without a definite answer is
    /// [`Error::OutcomeUnknown`], never an error that invites a fresh call.
    #[inline(never)]
    fn after_attempt(
        &self,
        request: &ApiRequest,
        attempt: u32,
        started: Option<Instant>,
        uncertain: &mut bool,
        outcome: std::result::Result<(StatusCode, HeaderMap, Bytes), AttemptFailure>,
    ) -> Next {
        let may_retry = attempt <= self.config.max_retries;
        // Only looked up when it listens: finding the current span costs a dispatcher lookup.
        let span = started.map(|started| {
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record(
                "latency_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            span
        });
        match outcome {
            Ok((status, headers, body)) => {
                if let Some(span) = &span {
                    span.record("http.status", status.as_u16());
                }
                if may_retry && self.status_is_retryable(status, request.retry) {
                    let hint = retry_after(&headers);
                    if hint.is_none_or(|h| h <= self.config.max_retry_after) {
                        let wait = self.backoff(attempt).max(hint.unwrap_or_default());
                        tracing::debug!(
                            status = status.as_u16(),
                            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            "retrying"
                        );
                        // A 409 alone says another request with this key is in flight, which
                        // this call need not have sent: only a 5xx makes this call's own
                        // outcome uncertain.
                        *uncertain |= status.is_server_error();
                        return Next::RetryAfter(wait);
                    }
                }
                if let Some(err) = self.unsettled(request, status, &headers, *uncertain, &body) {
                    tracing::warn!(status = status.as_u16(), "outcome unknown");
                    return Next::Done(Err(err));
                }
                tracing::debug!(status = status.as_u16(), "answered");
                let request_id = self
                    .request_id_header
                    .as_ref()
                    .and_then(|h| headers.get(h))
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Next::Done(Ok(ApiResponse {
                    status,
                    headers,
                    body,
                    request_id,
                    attempts: attempt,
                }))
            }
            Err(AttemptFailure::NotSent(message)) => {
                if may_retry {
                    tracing::debug!(%message, "connection failed, retrying");
                    return Next::RetryAfter(self.backoff(attempt));
                }
                if *uncertain && self.settles_money(request) {
                    // This attempt was not sent, but an earlier one was.
                    let message = format!("an earlier attempt got no definite answer, then: {message}");
                    return Next::Done(Err(self.lost_error(request, message, false)));
                }
                Next::Done(Err(Error::Transport {
                    provider: self.provider.to_owned(),
                    message,
                }))
            }
            Err(AttemptFailure::Lost(message, timed_out)) => {
                let retry_allowed = request.retry != RetryPolicy::Never;
                if may_retry && retry_allowed {
                    tracing::debug!(%message, "no answer, retrying");
                    *uncertain = true;
                    return Next::RetryAfter(self.backoff(attempt));
                }
                tracing::warn!(%message, "no answer");
                Next::Done(Err(self.lost_error(request, message, timed_out)))
            }
            Err(AttemptFailure::Unsendable(message)) => Next::Done(Err(Error::invalid("url", message))),
            Err(AttemptFailure::TooLarge(prefix)) => {
                let message = format!("response larger than {} bytes", self.config.max_response_bytes);
                if self.settles_money(request) {
                    // The provider answered, so the mutation may well have taken effect.
                    return Next::Done(Err(self.lost_error(request, message, false)));
                }
                Next::Done(Err(Error::decode(self.provider, message, &prefix)))
            }
        }
    }

    /// A mutation whose repetition is not harmless: a lost or unclear answer to it leaves
    /// its outcome unknown. (`Safe` mutations, such as Twisto's checkout creation, may be
    /// repeated freely, so their errors stay as they are.)
    fn settles_money(&self, request: &ApiRequest) -> bool {
        request.operation.is_mutation() && request.retry != RetryPolicy::Safe
    }

    /// [`Error::OutcomeUnknown`] for a final answer that does not settle a mutation: a 5xx
    /// (the provider may have committed before failing), or a 408, 409 or 429 after an
    /// earlier attempt that may have taken effect (the key is in flight, or the last try
    /// learnt nothing). `None` for anything else, which the backend maps itself.
    fn unsettled(
        &self,
        request: &ApiRequest,
        status: StatusCode,
        headers: &HeaderMap,
        uncertain: bool,
        body: &[u8],
    ) -> Option<Error> {
        if !self.settles_money(request) {
            return None;
        }
        let code = status.as_u16();
        let what = if status.is_server_error() {
            "after the request was sent"
        } else if uncertain && matches!(code, 408 | 409 | 429) {
            "after an earlier attempt that may have taken effect"
        } else {
            return None;
        };
        let request_id = self
            .request_id_header
            .as_ref()
            .and_then(|h| headers.get(h))
            .and_then(|v| v.to_str().ok())
            .map(|id| format!(" (request id {id})"))
            .unwrap_or_default();
        let message = format!(
            "HTTP {code}{request_id} {what}: {}",
            crate::error::scrubbed_excerpt(body)
        );
        Some(self.lost_error(request, message, false))
    }

    fn lost_error(&self, request: &ApiRequest, message: String, timed_out: bool) -> Error {
        if request.operation.is_mutation() {
            Error::OutcomeUnknown {
                provider: self.provider.to_owned(),
                operation: request.operation,
                payment_id: request.payment_id.clone(),
                idempotency_key: request.idempotency.as_ref().map(|(_, k)| k.as_str().to_owned()),
                message,
            }
        } else if timed_out {
            Error::Timeout {
                provider: self.provider.to_owned(),
                operation: request.operation,
            }
        } else {
            Error::Transport {
                provider: self.provider.to_owned(),
                message,
            }
        }
    }

    fn status_is_retryable(&self, status: StatusCode, policy: RetryPolicy) -> bool {
        match policy {
            RetryPolicy::Never => false,
            RetryPolicy::Safe | RetryPolicy::Idempotent => match status.as_u16() {
                408 | 429 | 500 | 502 | 503 | 504 => true,
                // A read or a keyed mutation can wait out a request still in flight.
                409 => true,
                _ => false,
            },
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .config
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.config.max_backoff);
        // Full jitter in [exp/2, exp].
        let half = exp / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(0);
        half + Duration::from_millis(if jitter_ms == 0 {
            0
        } else {
            rand::thread_rng().gen_range(0..=jitter_ms)
        })
    }

    /// The `reqwest` request for one attempt. Built outside the `async fn` so the request
    /// (264 bytes) is not kept in the exchange's state.
    fn http_request(&self, request: &ApiRequest) -> std::result::Result<reqwest::Request, AttemptFailure> {
        // Assembled in place: `RequestBuilder`'s by-value chain moves the whole request on
        // every call.
        let mut http_request = reqwest::Request::new(request.method.clone(), request.url.clone());
        let headers = http_request.headers_mut();
        if !request.headers.is_empty() {
            headers.extend(request.headers.clone());
        }
        if let Some((name, value)) = &self.auth {
            headers.insert(name.clone(), value.clone());
        }
        if let Some((name, key)) = &request.idempotency {
            let value = HeaderValue::from_str(key.as_str())
                .map_err(|e| AttemptFailure::Unsendable(format!("idempotency key: {e}")))?;
            headers.insert(name.clone(), value);
        }
        if let Some(body) = &request.body {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            *http_request.body_mut() = Some(body.clone().into());
        }
        // reqwest's timeout covers the whole exchange, body included. The client built in
        // `new` has it already; setting it per request costs an allocation.
        if self.timeout_per_request {
            *http_request.timeout_mut() = Some(self.config.request_timeout);
        }
        Ok(http_request)
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
    ) -> std::result::Result<(StatusCode, HeaderMap, Bytes), AttemptFailure> {
        let http_request = self.http_request(request)?;
        let cap = self.config.max_response_bytes;
        let mut response = self.client.execute(http_request).await.map_err(classify)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        match response.content_length() {
            Some(len) if len > cap as u64 => return Err(AttemptFailure::TooLarge(Bytes::new())),
            // The length is known and allowed: read it in one go.
            Some(_) => {
                let body = response.bytes().await.map_err(classify)?;
                return Ok((status, headers, body));
            }
            None => {}
        }
        // Unknown length (chunked): gather up to the cap.
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > cap {
                body.extend_from_slice(&chunk[..cap.saturating_sub(body.len())]);
                return Err(AttemptFailure::TooLarge(body.freeze()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body.freeze()))
    }
}

fn classify(err: reqwest::Error) -> AttemptFailure {
    // reqwest's Display does not include headers, so no key can leak through it; the URL is
    // dropped anyway to keep query strings out of logs.
    let unsendable = err.is_builder();
    let not_sent = err.is_connect();
    let timed_out = err.is_timeout();
    let message = error_chain(&err.without_url());
    if unsendable {
        AttemptFailure::Unsendable(message)
    } else if not_sent {
        AttemptFailure::NotSent(message)
    } else {
        AttemptFailure::Lost(message, timed_out)
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Maps an answer that is not a success to the common errors, for backends to use after
/// their own provider-specific cases: 401 → `Authentication`, 404 → `NotFound`,
/// 409 → `Conflict`, 429 → `RateLimited`, 5xx on a mutation that cannot be retried safely →
/// `OutcomeUnknown` (the provider may have committed before failing), anything else →
/// `Provider` with a scrubbed excerpt of the body. ([`HttpTransport::send`] already turns
/// the answers that leave a mutation unsettled into `OutcomeUnknown`; see the module
/// table.)
pub fn common_error(
    provider: &str,
    request: &ApiRequest,
    response: &ApiResponse,
    code: Option<String>,
    message: Option<String>,
) -> Error {
    let message = message.unwrap_or_else(|| crate::error::scrubbed_excerpt(&response.body));
    match response.status.as_u16() {
        401 => Error::Authentication {
            provider: provider.to_owned(),
            message: if message.is_empty() {
                "credentials refused (HTTP 401)".to_owned()
            } else {
                message
            },
        },
        404 => Error::NotFound {
            provider: provider.to_owned(),
            id: request
                .payment_id
                .clone()
                .unwrap_or_else(|| "resource".to_owned()),
        },
        409 => Error::Conflict {
            provider: provider.to_owned(),
            message,
        },
        429 => Error::RateLimited {
            provider: provider.to_owned(),
            retry_after: response.retry_after(),
        },
        s if s >= 500 && request.operation.is_mutation() && request.retry == RetryPolicy::Never => {
            Error::OutcomeUnknown {
                provider: provider.to_owned(),
                operation: request.operation,
                payment_id: request.payment_id.clone(),
                idempotency_key: None,
                message: format!("HTTP {s} after the request was sent: {message}"),
            }
        }
        s => Error::Provider {
            provider: provider.to_owned(),
            http_status: s,
            code,
            message,
            request_id: response.request_id.clone(),
        },
    }
}

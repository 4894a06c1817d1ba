//! The one error type every provider returns.

use std::time::Duration;

use crate::money::MoneyError;
use crate::status::{Operation, PaymentStatus};

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a provider. No variant ever holds an API key.
///
/// Match with a wildcard arm: variants may be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller's request is invalid; nothing was sent.
    #[error("invalid request: {field}: {message}")]
    InvalidRequest {
        /// The offending field (`"amount"`, `"card_id"`, …).
        field: String,
        /// What is wrong, including every provider code where the provider said so.
        message: String,
    },
    /// The provider (or this backend) does not support the operation; nothing was sent.
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// Provider kind.
        provider: String,
        /// What was asked for.
        operation: String,
    },
    /// The provider refused the credentials.
    #[error("authentication failed at {provider}: {message}")]
    Authentication {
        /// Provider kind.
        provider: String,
        /// What the provider said (never the key).
        message: String,
    },
    /// No such payment (or customer) at the provider.
    #[error("{provider}: {id} not found")]
    NotFound {
        /// Provider kind.
        provider: String,
        /// The id looked up.
        id: String,
    },
    /// The payment's state does not allow the operation.
    #[error("cannot {operation} a payment that is {}: {message}", status.map_or("in its current state", |s| s.as_str()))]
    InvalidState {
        /// What was attempted.
        operation: Operation,
        /// The known status, where paymux knows it before calling.
        status: Option<PaymentStatus>,
        /// Detail.
        message: String,
    },
    /// The issuer or provider declined an operation that has no payment status of its own
    /// to show it (Checkout.com's incremental authorization). A declined *payment* is not an
    /// error: `create_payment` and `get_payment` answer `Ok` with
    /// [`PaymentStatus::Declined`] and [`Payment::decline`](crate::Payment::decline) set.
    #[error("declined{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Declined {
        /// Provider response code.
        code: Option<String>,
        /// Provider message.
        message: String,
    },
    /// Too many requests; retry after the given time if the provider said.
    #[error("rate limited by {provider}{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Provider kind.
        provider: String,
        /// From `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// A conflicting request (for example the same idempotency key still in flight).
    #[error("conflict at {provider}: {message}")]
    Conflict {
        /// Provider kind.
        provider: String,
        /// Detail.
        message: String,
    },
    /// The provider answered with an error paymux has no narrower variant for.
    #[error("{provider} error (HTTP {http_status}{}{}): {message}",
        code.as_deref().map(|c| format!(", code {c}")).unwrap_or_default(),
        request_id.as_deref().map(|r| format!(", request id {r}")).unwrap_or_default())]
    Provider {
        /// Provider kind.
        provider: String,
        /// HTTP status.
        http_status: u16,
        /// Provider error code(s), if any.
        code: Option<String>,
        /// Scrubbed message or body excerpt.
        message: String,
        /// The provider's request id for support (`Cko-Request-Id`, …).
        request_id: Option<String>,
    },
    /// The request could not be sent or the connection failed before it was sent.
    #[error("transport error talking to {provider}: {message}")]
    Transport {
        /// Provider kind.
        provider: String,
        /// Detail.
        message: String,
    },
    /// A read timed out; nothing changed, so it can be retried.
    #[error("{provider} {operation} timed out")]
    Timeout {
        /// Provider kind.
        provider: String,
        /// What timed out.
        operation: Operation,
    },
    /// A mutation was sent but no answer came (timeout, dropped connection, server error): it
    /// may or may not have taken effect. Fetch the payment (`get_payment`) to reconcile before
    /// trying again; retrying with the same `idempotency_key` is safe only where the provider
    /// honours keys.
    #[error("outcome of {provider} {operation} is unknown{}: {message}; reconcile with get_payment before retrying",
        payment_id.as_deref().map(|p| format!(" for payment {p}")).unwrap_or_default())]
    OutcomeUnknown {
        /// Provider kind.
        provider: String,
        /// What was attempted.
        operation: Operation,
        /// The payment concerned, where known.
        payment_id: Option<String>,
        /// The idempotency key that was sent, where one was.
        idempotency_key: Option<String>,
        /// What happened.
        message: String,
    },
    /// The provider's answer could not be read.
    #[error("could not decode {provider} response: {message}; body starts {excerpt:?}")]
    Decode {
        /// Provider kind.
        provider: String,
        /// What failed.
        message: String,
        /// A short excerpt of the body with anything key-like scrubbed.
        excerpt: String,
    },
}

impl Error {
    /// The idempotency key an [`Error::OutcomeUnknown`] carries, ready to send again: repeat
    /// the call with it (after reconciling with `get_payment`) and a provider that keeps keys
    /// answers from its cache instead of acting twice. `None` for other errors and for an
    /// outcome-unknown call that carried no key (Paiwise: read the payment and decide).
    ///
    /// ```
    /// use paymux_core::{CaptureRequest, Error, Operation};
    /// let lost = Error::OutcomeUnknown {
    ///     provider: "checkout".into(),
    ///     operation: Operation::Capture,
    ///     payment_id: Some("pay_1".into()),
    ///     idempotency_key: Some("order-1002-capture".into()),
    ///     message: "timed out".into(),
    /// };
    /// let key = lost.idempotency_key().expect("the key sent");
    /// assert_eq!(key.as_str(), "order-1002-capture");
    /// // The same call again, with the same key:
    /// let again = CaptureRequest::full().with_idempotency_key(key);
    /// assert_eq!(again.idempotency_key.map(|k| k.as_str().to_owned()).as_deref(), Some("order-1002-capture"));
    /// ```
    pub fn idempotency_key(&self) -> Option<crate::transport::IdempotencyKey> {
        match self {
            Error::OutcomeUnknown {
                idempotency_key: Some(key),
                ..
            } => crate::transport::IdempotencyKey::from_string(key.clone()).ok(),
            _ => None,
        }
    }

    /// Whether the same call may simply be tried again (after a pause): rate limits,
    /// in-flight conflicts, timeouts of reads, transport failures before sending, and 5xx
    /// provider errors. `OutcomeUnknown` is **not** retryable: reconcile first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Conflict { .. } | Error::Timeout { .. } => true,
            Error::Transport { .. } => true,
            Error::Provider { http_status, .. } => *http_status >= 500,
            _ => false,
        }
    }

    /// A `Retry-After` hint, where the provider gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Shorthand for [`Error::InvalidRequest`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(provider: impl Into<String>, operation: impl Into<String>) -> Self {
        Error::Unsupported {
            provider: provider.into(),
            operation: operation.into(),
        }
    }

    /// Shorthand for [`Error::Decode`] with a scrubbed excerpt of `body`.
    pub fn decode(provider: impl Into<String>, message: impl Into<String>, body: &[u8]) -> Self {
        Error::Decode {
            provider: provider.into(),
            message: message.into(),
            excerpt: scrubbed_excerpt(body),
        }
    }

    /// The error for a mutation the provider accepted whose result could not be read: the
    /// read that follows it failed (`read_error`), or its answer could not be decoded.
    /// Reporting that error as it is would say "retry", and a fresh call carries a fresh
    /// idempotency key: a second charge, capture or refund. So it is
    /// [`Error::OutcomeUnknown`] with the key the mutation was sent with (repeating the call
    /// with it is answered from the provider's cache) and `accepted`, what the provider
    /// said, in the message.
    ///
    /// ```
    /// use paymux_core::{Error, Operation};
    /// let read = Error::Timeout { provider: "checkout".into(), operation: Operation::Get };
    /// let err = Error::after_accepted("checkout", Operation::Refund, Some("pay_1"), Some("key-1"), "refund act_1 accepted", &read);
    /// assert!(matches!(&err, Error::OutcomeUnknown { idempotency_key: Some(k), .. } if k == "key-1"));
    /// assert!(err.to_string().contains("refund act_1 accepted"));
    /// assert!(!err.is_retryable());
    /// ```
    pub fn after_accepted(
        provider: impl Into<String>,
        operation: Operation,
        payment_id: Option<&str>,
        idempotency_key: Option<&str>,
        accepted: impl std::fmt::Display,
        read_error: &Error,
    ) -> Self {
        Error::OutcomeUnknown {
            provider: provider.into(),
            operation,
            payment_id: payment_id.map(str::to_owned),
            idempotency_key: idempotency_key.map(str::to_owned),
            message: format!("{accepted}, but its result could not be read: {read_error}"),
        }
    }

    /// Shorthand for an [`Error::InvalidRequest`] on field `field` from a money error.
    pub fn money(field: impl Into<String>, err: MoneyError) -> Self {
        Error::invalid(field, err.to_string())
    }
}

impl From<MoneyError> for Error {
    fn from(err: MoneyError) -> Self {
        Error::money("amount", err)
    }
}

/// At most this many characters of a body go into an error.
pub const EXCERPT_CHARS: usize = 120;

/// A short excerpt of a response body for error messages: at most [`EXCERPT_CHARS`]
/// characters, control characters replaced, and anything that looks like a secret or card
/// data replaced by `[REDACTED]`: `sk_…`, `pk_…`, `Bearer …`, long hex or base32 tokens,
/// runs of 12 or more digits (card numbers, also written in groups: `4242 4242 …`,
/// `4242-4242-…`), and the value given to a key that names one (`"cvv": "…"`,
/// `number=…`, `"token": "…"`, `Authorization: …`; see [`SECRET_KEYS`]).
///
/// ```
/// let ex = paymux_core::error::scrubbed_excerpt(
///     br#"{"source":{"type":"card","number":"4242424242424242","cvv":"737"}}"#,
/// );
/// assert!(!ex.contains("4242424242424242") && !ex.contains("737"), "{ex}");
/// ```
pub fn scrubbed_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let text = mask_card_numbers(&text);
    let mut out = String::with_capacity(EXCERPT_CHARS);
    let mut chars = 0;
    // Set after `Bearer`/`Basic`: the next word is a credential, whatever it looks like.
    let mut credential_next = false;
    // Set after a key that names a secret (`cvv`, …), and then after the `:` or `=` that
    // gives it a value: that value is a secret, whatever it looks like.
    let mut secret_key = false;
    let mut secret_value_next = false;
    for word in text.split_inclusive(is_separator) {
        let (token, sep) = match word.char_indices().last() {
            Some((i, c)) if is_separator(c) => word.split_at(i),
            _ => (word, ""),
        };
        let secret = (!token.is_empty() && (credential_next || secret_value_next)) || looks_secret(token);
        if !token.is_empty() {
            credential_next = token.eq_ignore_ascii_case("bearer") || token.eq_ignore_ascii_case("basic");
            secret_key = is_secret_key(token);
            secret_value_next = false;
        }
        if secret_key && matches!(sep, ":" | "=") {
            secret_key = false;
            secret_value_next = true;
        }
        let piece = if secret { "[REDACTED]" } else { token };
        for c in piece.chars().chain(sep.chars()) {
            if chars >= EXCERPT_CHARS {
                out.push('…');
                return out;
            }
            out.push(if c.is_control() { ' ' } else { c });
            chars += 1;
        }
    }
    out
}

/// Keys whose value [`scrubbed_excerpt`] never shows (compared without case): card data
/// (PCI DSS: a CVV is never logged, a card number only masked) and credentials.
pub const SECRET_KEYS: &[&str] = &[
    "number",
    "card_number",
    "cardnumber",
    "pan",
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cvn",
    "security_code",
    "token",
    "access_token",
    "password",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "secret_key",
    "webhook_key",
    "authorization",
];

fn is_secret_key(token: &str) -> bool {
    SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(token))
}

/// The fewest digits of a run [`mask_card_numbers`] hides: card numbers have 12 to 19.
const CARD_DIGITS: usize = 12;

/// `text` with every run of at least [`CARD_DIGITS`] digits replaced by `[REDACTED]`. A run
/// may be written in groups joined by one space or `-` (`4242 4242 4242 4242`), and stands
/// apart from letters on both sides (a digit run inside a hex id is part of the id).
fn mask_card_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_run = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts_run {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0;
        let mut end = i;
        while end < bytes.len() {
            if bytes[end].is_ascii_digit() {
                digits += 1;
                end += 1;
            } else if matches!(bytes[end], b' ' | b'-') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
            {
                end += 1;
            } else {
                break;
            }
        }
        let apart = bytes.get(end).is_none_or(|b| !b.is_ascii_alphabetic());
        if digits >= CARD_DIGITS && apart {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(&text[copied..start]);
            buf.push_str("[REDACTED]");
            copied = end;
        }
        i = end;
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            std::borrow::Cow::Owned(buf)
        }
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// What ends a word in a body: whitespace and the punctuation that quotes, brackets or
/// assigns a value (`'sk_…'`, `` `sk_…` ``, `[sk_…]`, `key=sk_…&`, `<b>Bearer …</b>`), so a
/// credential written that way is still a word of its own. `+`, `/`, `.`, `-` and `_` stay
/// inside words: base64, JWTs and ids use them.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | ','
                | ':'
                | ';'
                | '='
                | '&'
                | '?'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '|'
        )
}

fn looks_secret(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    if ["sk_", "pk_", "pw_", "tw_"].iter().any(|p| lower.starts_with(p)) && token.len() > 6 {
        return true;
    }
    // A JSON web token: a base64url header that starts `{"`.
    if lower.starts_with("eyj") && token.len() > 20 {
        return true;
    }
    // Long opaque tokens (keys, tokens) but not ids we want to keep, which carry prefixes
    // like `pay_`/`act_`.
    token.len() >= 32 && token.chars().all(|c| c.is_ascii_alphanumeric()) && !token.contains('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_outcome_unknown_with_a_key_gives_one_back() {
        let lost = |key: Option<&str>| Error::OutcomeUnknown {
            provider: "twisto".into(),
            operation: Operation::Refund,
            payment_id: Some("c1".into()),
            idempotency_key: key.map(str::to_owned),
            message: "no answer".into(),
        };
        assert_eq!(
            lost(Some("k-1")).idempotency_key().map(|k| k.as_str().to_owned()),
            Some("k-1".to_owned())
        );
        assert!(lost(None).idempotency_key().is_none());
        let timeout = Error::Timeout {
            provider: "twisto".into(),
            operation: Operation::Get,
        };
        assert!(timeout.idempotency_key().is_none());
    }

    #[test]
    fn excerpts_are_short_and_scrubbed() {
        let body = br#"{"error":"bad key sk_sbox_abcdefghijklmnopqrstuvwxyz2 given","token":"0123456789abcdef0123456789abcdef01234567"}"#;
        let ex = scrubbed_excerpt(body);
        assert!(!ex.contains("sk_sbox_abc"), "{ex}");
        assert!(!ex.contains("0123456789abcdef0123456789abcdef"), "{ex}");
        assert!(ex.contains("[REDACTED]"));
        let long = vec![b'a'; 10_000];
        assert!(scrubbed_excerpt(&long).chars().count() <= EXCERPT_CHARS + 1);
        assert_eq!(
            scrubbed_excerpt(b"<html>\n<body>Bad Gateway"),
            "<html> <body>Bad Gateway"
        );
    }

    #[test]
    fn credentials_after_bearer_or_basic_and_tokens_are_scrubbed() {
        for (body, secret) in [
            (&b"Authorization: Bearer 6f1c2a9e-4b7d-4e1f"[..], "6f1c2a9e"),
            (b"authorization: bearer short", "short"),
            (b"Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
            (b"{\"token\":\"tw_live_abcdefghijk\"}", "tw_live"),
            (b"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGci"),
        ] {
            let ex = scrubbed_excerpt(body);
            assert!(!ex.contains(secret), "{ex}");
            assert!(ex.contains("[REDACTED]"), "{ex}");
        }
        // Ids stay readable.
        let ex = scrubbed_excerpt(
            b"payment pay_mbabizu24mvu3mela5njyhpit4 checkout 0f6b3c1e-9a4d-4f1a-8c2e-5b7d9e1f3a2c",
        );
        assert!(
            ex.contains("pay_mbabizu24mvu3mela5njyhpit4") && ex.contains("0f6b3c1e-9a4d"),
            "{ex}"
        );
    }

    #[test]
    fn secrets_inside_quotes_brackets_or_after_equals_are_scrubbed() {
        for (body, secret) in [
            (
                &b"{\"message\":\"The API key 'sk_sbox_abcdefghijklmnop' is invalid\"}"[..],
                "sk_sbox_abc",
            ),
            (b"key: `sk_sbox_abcdefghijklmnop`", "sk_sbox_abc"),
            (b"[sk_sbox_abcdefghijklmnop]", "sk_sbox_abc"),
            (b"api_key=sk_sbox_abcdefghijklmnop&x=1", "sk_sbox_abc"),
            (b"token=0123456789abcdef0123456789abcdef0123", "0123456789abcdef"),
            (b"Authorization=Bearer abcdefgh", "abcdefgh"),
            (b"(Bearer abcdefgh)", "abcdefgh"),
            (b"<p>Basic dXNl+cjpw/YXNz==</p>", "dXNl"),
        ] {
            let ex = scrubbed_excerpt(body);
            assert!(!ex.contains(secret), "{ex}");
            assert!(ex.contains("[REDACTED]"), "{ex}");
        }
    }

    #[test]
    fn card_numbers_and_card_codes_are_scrubbed() {
        // Error bodies that echo the request back (a gateway's or a proxy's validation
        // answer): neither the card number nor the CVV may reach an error message.
        for (body, secrets) in [
            (
                &br#"{"source":{"type":"card","number":"4242424242424242","expiry_month":12,"expiry_year":2030,"cvv":"737"}}"#[..],
                &["4242424242424242", "737"][..],
            ),
            (b"card 4111 1111 1111 1111 was refused", &["4111 1111 1111 1111", "1111 1111"]),
            (b"number=5555-5555-5555-4444&cvc=1234", &["5555-5555-5555-4444", "5555-5555", "1234"]),
            (
                b"{\"message\":\"Card number 378282246310005 is invalid\"}",
                &["378282246310005"],
            ),
            (
                b"{\"card_number\": \"6011000990139424\", \"security_code\": \"321\"}",
                &["6011000990139424", "321"],
            ),
            (b"Authorization: my-short-key", &["my-short-key"]),
            (b"{\"token\":\"tok_4gzeau5o2uqubbk6fufs3m7p54\"}", &["tok_4gzeau5o2uqubbk6fufs3m7p54"]),
        ] {
            let ex = scrubbed_excerpt(body);
            for secret in secrets {
                assert!(!ex.contains(secret), "{secret} in {ex}");
            }
            assert!(ex.contains("[REDACTED]"), "{ex}");
        }
        // What an error needs stays: codes, request ids, amounts, dates, short numbers.
        for body in [
            &br#"{"request_id":"0HL80RJLS76I7","error_type":"request_invalid","error_codes":["card_number_invalid","cvv_invalid"]}"#[..],
            br#"{"amount":6540,"currency":"EUR","receipt_number":"0000012345","requested_on":"2026-11-21T10:00:00Z"}"#,
            b"checkout 4fe796fc6b25e536eb6256aa744bfe is not reserved",
        ] {
            let ex = scrubbed_excerpt(body);
            assert!(!ex.contains("[REDACTED]"), "{ex}");
        }
    }

    #[test]
    fn retryability() {
        assert!(Error::RateLimited {
            provider: "x".into(),
            retry_after: None
        }
        .is_retryable());
        assert!(!Error::OutcomeUnknown {
            provider: "x".into(),
            operation: Operation::Capture,
            payment_id: None,
            idempotency_key: None,
            message: String::new()
        }
        .is_retryable());
        assert!(!Error::invalid("amount", "negative").is_retryable());
    }
}

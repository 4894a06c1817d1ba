//! Paiwise wire types ↔ the unified model. All status and amount mapping lives here.
//!
//! # Statuses
//!
//! | Paiwise `status` | [`PaymentStatus`] | notes |
//! |---|---|---|
//! | `created` | `AwaitingCustomer` | the customer has not completed the hosted checkout (`redirectUrl`) |
//! | `reserved` | `Authorized` | `capture: false`; capture with `/checkout/capture`, release with `/checkout/refund` |
//! | `reserve released` | `Voided` | a refund of a reserved checkout released the reservation |
//! | `paid` | `Captured` | captured in full (Paiwise has no partial capture) |
//! | `partialRefund` | `PartiallyRefunded` | part of the captured amount refunded; `balance` is what is left |
//! | `refunded` | `Refunded` | the whole captured amount refunded (`balance` 0) |
//! | `revoked` | `Failed` | undocumented by Paiwise; read as "withdrawn by Paiwise or the card side". Mapped to a terminal, unsuccessful status so nothing is shipped or captured on it, but **not** `Cancelled`, which would claim no money moved; amounts are left unknown: reconcile in Neuro-Admin |
//! | `failed` | `Failed` | the customer's payment failed |
//! | `canceled` | `Cancelled` | cancelled before any money moved (also what a deleted checkout answers) |
//! | anything else | `Unknown` | the raw text is kept in `raw_status` |
//!
//! # Amounts
//!
//! Amounts are integers in the currency's ISO 4217 minor unit ([`WireUnitRule::iso`]):
//! `3000` SEK is 30.00 SEK. `balance` is what is left of the captured amount after refunds.
//!
//! | status | captured | refunded | capturable | refundable |
//! |---|---|---|---|---|
//! | `created`, `failed`, `canceled`, `reserve released` | 0 | 0 | 0 | 0 |
//! | `reserved` | 0 | 0 | `amount` | 0 |
//! | `paid`, `partialRefund`, `refunded` | `amount` | `amount − balance` | 0 | `balance` |
//! | `revoked`, unknown | unknown | unknown | 0 / unknown | unknown |
//!
//! For the captured statuses `balance` is preferred (it is Paiwise's current figure). Where it
//! is missing or outside `0..=amount`, the sum of the log's `amountRefund` is used when it is
//! within `0..=amount` (and no refund in it is negative or lacks `amountRefund`), and for
//! `refunded` the whole amount;
//! otherwise refunded and refundable are left unknown (`None`) rather than guessed. A figure
//! that contradicts the status (`paid` with something refunded, `partialRefund` with nothing
//! or everything refunded, `refunded` with something left) is not used either.
//!
//! # Log
//!
//! The `log` object (UTC timestamp → `{action, details}`) becomes [`Payment::events`], sorted
//! by time (entries without a readable time last, in document order): `created` → `Created`,
//! `reserved` → `Authorized`, `paid` → `Captured`, `partialRefund`/`refunded` → `Refunded`
//! with `amountRefund` as the amount, `reserve released` → `Voided`, `canceled` → `Cancelled`,
//! `failed` → `Failed`, anything else → `Other`. `reason` and `refundDetails` become the
//! event's detail (`"reason; details"`).

use chrono::{DateTime, NaiveDate, Utc};
use paymux_core::{
    CardSummary, CreatePayment, CustomerSummary, DeclineReason, Error, EventKind, MetadataUpdate, Money,
    Payment, PaymentEvent, PaymentSource, PaymentStatus, RefundReason, Result, WireUnitRule,
};

use paymux_core::payment::known_word;

use crate::model::{
    CardWire, CheckoutStateWire, CheckoutWire, CreateBody, CustomerWire, LogEntryWire, Text, UpdateBody,
};
use crate::types::{PaiwiseCheckout, PaiwiseCreateOptions, PaiwiseCustomer, PaiwiseSavedCard};
use crate::PROVIDER;

/// Every status Paiwise documents, in the order of its docs.
pub const DOCUMENTED_STATUSES: [&str; 9] = [
    "created",
    "reserved",
    "reserve released",
    "paid",
    "refunded",
    "partialRefund",
    "revoked",
    "failed",
    "canceled",
];

/// The unified status of a Paiwise `status` (see the [module table](self)). Unknown text
/// maps to [`PaymentStatus::Unknown`]; it never fails.
///
/// ```
/// use paymux_core::PaymentStatus;
/// use paymux_paiwise::mapping::map_status;
/// assert_eq!(map_status("reserve released"), PaymentStatus::Voided);
/// assert_eq!(map_status("Mystery State"), PaymentStatus::Unknown);
/// ```
pub fn map_status(raw: &str) -> PaymentStatus {
    match raw {
        "created" => PaymentStatus::AwaitingCustomer,
        "reserved" => PaymentStatus::Authorized,
        "reserve released" => PaymentStatus::Voided,
        "paid" => PaymentStatus::Captured,
        "partialRefund" => PaymentStatus::PartiallyRefunded,
        "refunded" => PaymentStatus::Refunded,
        "revoked" | "failed" => PaymentStatus::Failed,
        "canceled" => PaymentStatus::Cancelled,
        _ => PaymentStatus::Unknown,
    }
}

/// The unified event kind of a log `action`.
pub fn map_log_action(action: &str) -> EventKind {
    match action {
        "created" => EventKind::Created,
        "reserved" => EventKind::Authorized,
        "paid" => EventKind::Captured,
        "partialRefund" | "refunded" => EventKind::Refunded,
        "reserve released" => EventKind::Voided,
        "canceled" => EventKind::Cancelled,
        "failed" => EventKind::Failed,
        _ => EventKind::Other,
    }
}

/// Parses a Paiwise timestamp: UTC `YYYY-MM-DD HH:MM:SS` (also accepted: a `T` separator, and
/// RFC 3339 with an offset). `None` when it is none of these.
///
/// ```
/// use paymux_paiwise::mapping::parse_timestamp;
/// let t = parse_timestamp("2023-04-14 09:06:38").unwrap();
/// assert_eq!(t.to_rfc3339(), "2023-04-14T09:06:38+00:00");
/// assert!(parse_timestamp("yesterday").is_none());
/// ```
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() == 19 && b[4] == b'-' && b[7] == b'-' && (b[10] == b' ' || b[10] == b'T') {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut n: u32 = 0;
            for &c in b.get(r)? {
                if !c.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u32::from(c - b'0');
            }
            Some(n)
        };
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let year = i32::try_from(num(0..4)?).ok()?;
        let date = NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
        let time = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
        return Some(time.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Decodes a checkout object (the answer of every checkout endpoint) into a unified
/// [`Payment`], without HTTP. `Payment::raw` holds `body` verbatim.
///
/// ```
/// let body = br#"{"checkout_id": "4fe7", "status": "paid", "amount": 1000, "currency": "SEK", "balance": 1000}"#;
/// let payment = paymux_paiwise::decode_checkout(body)?;
/// assert_eq!(payment.status, paymux_core::PaymentStatus::Captured);
/// assert_eq!(payment.refundable.map(|m| m.minor()), Some(1000));
/// # Ok::<(), paymux_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Decode`] (with a scrubbed excerpt) when the body is not a JSON object of the
/// checkout shape, lacks `checkout_id`, `amount` or `currency`, has an unknown or
/// exponent-less currency, a negative or fractional amount. Unknown statuses do not fail.
pub fn decode_checkout(body: &[u8]) -> Result<Payment> {
    let (wire, text) = parse_checkout(body)?;
    Ok(checkout_to_payment(wire, text, body)?.0)
}

/// A checkout's id, status and amounts, for the checks before a refund or a capture: a
/// [`Payment`] without events, card, customer, metadata or `raw`.
///
/// Decodes only those fields when it can: when the amounts need the log (a `paid`,
/// `partialRefund` or `refunded` checkout whose `balance` is missing or out of range), or
/// anything in them is off, it decodes the whole checkout with [`decode_checkout`], so the
/// status and amounts are the same. What it skips (the log, card, customer and metadata) is
/// not checked: a fault there, which [`decode_checkout`] would report, shows in the
/// operation's own answer instead.
///
/// # Errors
/// As [`decode_checkout`], for the fields it reads.
pub(crate) fn decode_checkout_state(body: &[u8]) -> Result<Payment> {
    let wire: Option<CheckoutStateWire<'_>> = std::str::from_utf8(body)
        .ok()
        .and_then(|text| serde_json::from_str(text).ok());
    match wire.and_then(state_from_wire) {
        Some(payment) => Ok(payment),
        None => decode_checkout(body),
    }
}

/// `None` when the state cannot be had from these fields alone (see
/// [`decode_checkout_state`]).
fn state_from_wire(wire: CheckoutStateWire<'_>) -> Option<Payment> {
    let id = opt(wire.checkout_id).filter(|s| !s.is_empty())?;
    let currency = paymux_core::Currency::from_code(wire.currency?.as_str()).ok()?;
    let minor = wire.amount?.0;
    if minor < 0 {
        return None;
    }
    let rule = WireUnitRule::iso(currency);
    let amount = Money::from_wire_units(minor, currency, rule).ok()?;
    let balance = wire.balance.map(|b| b.0);
    if let Some(b) = balance {
        Money::from_wire_units(b, currency, rule).ok()?;
    }
    let raw_status = wire
        .status
        .map(|t| known_word(t.as_str(), &DOCUMENTED_STATUSES))
        .unwrap_or_default();
    let settled = matches!(&*raw_status, "paid" | "partialRefund" | "refunded");
    if settled && !balance.is_some_and(|b| (0..=minor).contains(&b)) {
        // The refunded amount would come from the log.
        return None;
    }
    let amounts = amounts(&raw_status, amount, balance, 0);
    let status = map_status(&raw_status);
    let mut payment = Payment::new(PROVIDER, id, amount, status, raw_status);
    payment.captured = amounts.captured;
    payment.refunded = amounts.refunded;
    payment.capturable = amounts.capturable;
    payment.refundable = amounts.refundable;
    Some(payment)
}

/// As [`decode_checkout`], keeping the Paiwise fields the unified model has no room for
/// (`authCode`, `mode`, `balance`, return URLs, the customer with saved cards).
///
/// # Errors
/// As [`decode_checkout`].
pub fn decode_checkout_details(body: &[u8]) -> Result<PaiwiseCheckout> {
    let (wire, text) = parse_checkout(body)?;
    let (payment, extra) = checkout_to_payment(wire, text, body)?;
    Ok(PaiwiseCheckout {
        payment,
        auth_code: opt(extra.auth_code),
        mode: opt(extra.mode),
        capture: extra.capture,
        balance: extra.balance,
        message: opt(extra.message),
        return_url: opt(extra.return_url),
        return_url_cancel: opt(extra.return_url_cancel),
        customer: extra.customer,
    })
}

/// Decodes a customer object (`create-customer`, `retrieve-customer`, `delete-customer`).
///
/// # Errors
/// [`Error::Decode`] when the body is not a customer object with a `customer_id`.
///
/// A customer object is personal data (names, email, card holder): the error's excerpt and
/// message keep its keys and numbers but no text value, as errors end up in logs.
pub fn decode_customer(body: &[u8]) -> Result<PaiwiseCustomer> {
    let personal = |message: String| {
        let text = paymux_core::payment::body_text(body);
        Error::decode(
            PROVIDER,
            without_text_values(&message),
            without_text_values(&text).as_bytes(),
        )
    };
    let wire: CustomerWire =
        paymux_core::transport::parse_json(body).map_err(|e| personal(format!("customer object: {e}")))?;
    customer_from_wire(wire).ok_or_else(|| personal("customer object without customer_id".to_owned()))
}

/// `text` with the content of every JSON string that is not an object key replaced by `…`
/// (an unterminated string too): the shape of a body without its personal data.
fn without_text_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let mut escaped = false;
        let close = rest.char_indices().find_map(|(i, c)| {
            let end = !escaped && c == '"';
            escaped = !escaped && c == '\\';
            end.then_some(i)
        });
        let Some(close) = close else {
            out.push('…');
            return out;
        };
        if rest[close + 1..].trim_start().starts_with(':') {
            out.push_str(&rest[..close]);
        } else {
            out.push('…');
        }
        out.push('"');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The checkout object, borrowing its text from `body`, and `body` as text.
fn parse_checkout(body: &[u8]) -> Result<(CheckoutWire<'_>, &str)> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::decode(PROVIDER, "checkout object is not UTF-8", body))?;
    let wire = serde_json::from_str(text)
        .map_err(|e| Error::decode(PROVIDER, format!("checkout object: {e}"), body))?;
    Ok((wire, text))
}

/// What a checkout carries beyond the unified payment, still borrowed from the answer: only
/// [`decode_checkout_details`] turns it into owned text.
struct Extra<'a> {
    auth_code: Option<Text<'a>>,
    mode: Option<Text<'a>>,
    capture: Option<bool>,
    balance: Option<Money>,
    message: Option<Text<'a>>,
    return_url: Option<Text<'a>>,
    return_url_cancel: Option<Text<'a>>,
    customer: Option<PaiwiseCustomer>,
}

/// Amounts derived from status, amount, balance and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Amounts {
    pub captured: Option<Money>,
    pub refunded: Option<Money>,
    pub capturable: Option<Money>,
    pub refundable: Option<Money>,
}

/// See the module's amount table.
pub(crate) fn amounts(raw_status: &str, amount: Money, balance: Option<i64>, log_refunded: i64) -> Amounts {
    let cur = amount.currency();
    let m = |minor: i64| Some(Money::from_minor(minor, cur));
    let total = amount.minor();
    let within = |v: i64| (0..=total).contains(&v);
    match raw_status {
        "created" | "failed" | "canceled" | "reserve released" => Amounts {
            captured: m(0),
            refunded: m(0),
            capturable: m(0),
            refundable: m(0),
        },
        "reserved" => Amounts {
            captured: m(0),
            refunded: m(0),
            capturable: m(total),
            refundable: m(0),
        },
        "paid" | "partialRefund" | "refunded" => {
            // What each status says of the refunded amount: a figure that contradicts it
            // (a `paid` checkout with money refunded, a `refunded` one with money left) is
            // no reading of it, and would make the payment say two things at once.
            let fits = |r: i64| match raw_status {
                "paid" => r == 0,
                "partialRefund" => 0 < r && r < total,
                _ => r == total,
            };
            let refunded = match balance {
                Some(b) if within(b) => Some(total - b).filter(|r| fits(*r)),
                _ if raw_status == "refunded" => Some(total),
                // A partial refund that the log shows none of: the log is incomplete, and
                // reading it as "nothing refunded" would offer the whole amount again.
                _ if raw_status == "partialRefund" && log_refunded == 0 => None,
                _ if within(log_refunded) => Some(log_refunded).filter(|r| fits(*r)),
                _ => None,
            };
            Amounts {
                captured: m(total),
                refunded: refunded.and_then(m),
                capturable: m(0),
                refundable: refunded.and_then(|r| m(total - r)),
            }
        }
        "revoked" => Amounts {
            captured: None,
            refunded: None,
            capturable: m(0),
            refundable: None,
        },
        _ => Amounts {
            captured: None,
            refunded: None,
            capturable: None,
            refundable: None,
        },
    }
}

fn opt(t: Option<Text<'_>>) -> Option<String> {
    t.map(Text::into_string)
}

fn checkout_to_payment<'a>(wire: CheckoutWire<'a>, text: &str, body: &[u8]) -> Result<(Payment, Extra<'a>)> {
    let id = opt(wire.checkout_id)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::decode(PROVIDER, "checkout object without checkout_id", body))?;
    let code = wire
        .currency
        .ok_or_else(|| Error::decode(PROVIDER, "checkout without currency", body))?;
    let currency = paymux_core::Currency::from_code(code.as_str())
        .map_err(|e| Error::decode(PROVIDER, format!("currency: {e}"), body))?;
    let rule = WireUnitRule::iso(currency);
    let minor = wire
        .amount
        .ok_or_else(|| Error::decode(PROVIDER, "checkout without amount", body))?
        .0;
    if minor < 0 {
        return Err(Error::decode(PROVIDER, format!("negative amount {minor}"), body));
    }
    let amount = Money::from_wire_units(minor, currency, rule)
        .map_err(|e| Error::decode(PROVIDER, format!("amount: {e}"), body))?;
    let balance_minor = wire.balance.map(|b| b.0);
    let balance = balance_minor
        .map(|b| Money::from_wire_units(b, currency, rule))
        .transpose()
        .map_err(|e| Error::decode(PROVIDER, format!("balance: {e}"), body))?;

    // Log actions and statuses share one vocabulary: neither allocates when documented.
    let raw_status = wire
        .status
        .map(|t| known_word(t.as_str(), &DOCUMENTED_STATUSES))
        .unwrap_or_default();
    let status = map_status(&raw_status);

    // The log, oldest first.
    // The sum of the log's refunds; `None` once an entry makes it meaningless (a negative
    // refund: netting it in would report less refunded than was paid back; a refund
    // without `amountRefund`: its size is unknown).
    let mut log_refunded: Option<i64> = Some(0);
    let mut events = Vec::with_capacity(wire.log.0.len());
    let mut decline = None;
    for (at_text, entry) in wire.log.0 {
        let at = at_text.as_ref().and_then(|t| parse_timestamp(t.as_str()));
        let event = log_event(at, entry, currency, rule, &mut log_refunded, body)?;
        if event.kind == EventKind::Failed && event.detail.is_some() {
            let mut reason = DeclineReason::default();
            reason.message = event.detail.clone();
            decline = Some(reason);
        }
        events.push(event);
    }
    // Stable: equal times keep document order; entries without a time go last. Paiwise
    // writes its log in order, so the sort is usually skipped.
    if !events.is_sorted_by_key(|e| (e.at.is_none(), e.at)) {
        events.sort_by_key(|e| (e.at.is_none(), e.at));
    }

    // `i64::MIN` is outside every amount: an unusable log settles nothing.
    let amounts = amounts(
        &raw_status,
        amount,
        balance_minor,
        log_refunded.unwrap_or(i64::MIN),
    );
    if let (Some(b), Some(r)) = (balance_minor, amounts.refunded) {
        if log_refunded != Some(0) && Some(amount.minor() - b) != log_refunded {
            tracing::debug!(
                checkout_id = %id,
                balance = b,
                log_refunded = ?log_refunded,
                refunded = r.minor(),
                "Paiwise balance and log refunds disagree; using balance"
            );
        }
    }

    let mut payment = Payment::new(PROVIDER, id, amount, status, raw_status);
    payment.reference = opt(wire.identifier);
    payment.captured = amounts.captured;
    payment.refunded = amounts.refunded;
    payment.capturable = amounts.capturable;
    payment.refundable = amounts.refundable;
    payment.redirect_url = opt(wire.redirect_url).filter(|u| !u.is_empty());
    payment.card = wire.used_card.0.map(|mut c| card_summary(&mut c));
    if status == PaymentStatus::Failed {
        payment.decline = decline;
    }
    payment.metadata = wire.meta_data.0;
    payment.created_at = events
        .iter()
        .find(|e| e.kind == EventKind::Created && e.at.is_some())
        .or_else(|| events.iter().find(|e| e.at.is_some()))
        .and_then(|e| e.at);
    payment.updated_at = wire
        .status_changed
        .as_ref()
        .and_then(|t| parse_timestamp(t.as_str()))
        .or_else(|| events.iter().rev().find_map(|e| e.at));
    payment.events = events;

    let customer = wire.customer.0.and_then(customer_from_wire);
    payment.customer = customer.as_ref().map(|c| {
        let mut s = CustomerSummary::with_id(c.id.clone());
        s.email = c.email.clone();
        s.name = match (c.first_name.as_deref(), c.last_name.as_deref()) {
            (Some(f), Some(l)) if !f.is_empty() && !l.is_empty() => Some(format!("{f} {l}")),
            (Some(n), _) | (_, Some(n)) if !n.is_empty() => Some(n.to_owned()),
            _ => None,
        };
        s
    });
    payment.raw = Some(text.to_owned());

    let extra = Extra {
        auth_code: wire.auth_code,
        mode: wire.mode,
        capture: wire.capture.map(|f| f.0),
        balance,
        message: wire.message,
        return_url: wire.return_url,
        return_url_cancel: wire.return_url_cancel,
        customer,
    };
    Ok((payment, extra))
}

fn log_event(
    at: Option<DateTime<Utc>>,
    entry: LogEntryWire<'_>,
    currency: paymux_core::Currency,
    rule: WireUnitRule,
    log_refunded: &mut Option<i64>,
    body: &[u8],
) -> Result<PaymentEvent> {
    let action = entry
        .action
        .map(|t| known_word(t.as_str(), &DOCUMENTED_STATUSES))
        .unwrap_or_default();
    let kind = map_log_action(&action);
    let mut event = PaymentEvent::new(kind, action);
    event.at = at;
    let sized = entry
        .details
        .0
        .as_ref()
        .is_some_and(|d| d.amount_refund.is_some());
    if kind == EventKind::Refunded && !sized {
        // A refund of unknown size: the log no longer says what was refunded (the sum of
        // the others would understate it and offer the difference again).
        *log_refunded = None;
    }
    if let Some(details) = entry.details.0 {
        if let Some(a) = details.amount_refund {
            let money = Money::from_wire_units(a.0, currency, rule)
                .map_err(|e| Error::decode(PROVIDER, format!("log amountRefund: {e}"), body))?;
            if kind == EventKind::Refunded {
                *log_refunded = match *log_refunded {
                    Some(sum) if a.0 >= 0 => Some(sum.saturating_add(a.0)),
                    _ => None,
                };
            }
            event.amount = Some(money);
        }
        event.detail = match (opt(details.reason), opt(details.refund_details)) {
            (Some(r), Some(d)) => Some(format!("{r}; {d}")),
            (r, d) => r.or(d),
        };
    }
    Ok(event)
}

/// `usedCard` / a saved card → the unified summary. What the summary has no room for
/// (`expires` as written, `integration`, `card_holder`) stays in `c` for the callers that
/// keep it, so the unified path copies none of it.
fn card_summary(c: &mut CardWire<'_>) -> CardSummary {
    let mut card = CardSummary::default();
    card.id = opt(c.card_id.take());
    card.brand = opt(c.brand.take());
    card.country = opt(c.country.take());
    card.funding = opt(c.funding.take());
    card.last4 = opt(c.last4.take()).map(last4);
    if let Some((m, y)) = c.expires.as_ref().and_then(|e| parse_expiry(e.as_str())) {
        card.expiry_month = Some(m);
        card.expiry_year = Some(y);
    }
    card
}

/// `last4` as four digits: one sent as a JSON integer (which the model accepts) has lost
/// the leading zeros of a card number ending `0042`, so one to three digits are padded back.
/// Anything else is kept as sent.
fn last4(text: String) -> String {
    if (1..4).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        format!("{text:0>4}")
    } else {
        text
    }
}

/// `M/YYYY` (also `MM/YY`) → (month, four-digit year).
fn parse_expiry(text: &str) -> Option<(u8, u16)> {
    let (m, y) = text.trim().split_once('/')?;
    let month: u8 = m.trim().parse().ok().filter(|m| (1..=12).contains(m))?;
    let y = y.trim();
    let year: u16 = y.parse().ok()?;
    let year = match y.len() {
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    Some((month, year))
}

fn customer_from_wire(c: CustomerWire<'_>) -> Option<PaiwiseCustomer> {
    let id = opt(c.customer_id).filter(|s| !s.is_empty())?;
    Some(PaiwiseCustomer {
        id,
        first_name: opt(c.first_name),
        last_name: opt(c.last_name),
        email: opt(c.email),
        client_page: opt(c.client_page),
        metadata: c.meta_data.0,
        saved_cards: c
            .saved_cards
            .0
            .into_iter()
            .map(|mut w| PaiwiseSavedCard {
                card: card_summary(&mut w),
                expires: opt(w.expires),
                integration: opt(w.integration),
                card_holder: opt(w.card_holder),
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

fn non_empty<'a>(field: &str, value: Option<&'a str>, why: &str) -> Result<&'a str> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Error::invalid(field, why)),
    }
}

/// Builds the `create` body, checking the caller's input first.
///
/// # Errors
/// `InvalidRequest` for a non-positive amount, a missing `return_url`/`cancel_url`, a saved
/// card without `customer_id` (or `card_id`), a customer id that contradicts the saved card's;
/// `Unsupported` for card tokens.
pub(crate) fn create_body<'a>(
    request: &'a CreatePayment,
    options: &'a PaiwiseCreateOptions,
) -> Result<CreateBody<'a>> {
    if !request.amount.is_positive() {
        return Err(Error::invalid(
            "amount",
            format!("must be greater than zero, got {}", request.amount),
        ));
    }
    let currency = request.amount.currency();
    let amount = request
        .amount
        .to_wire_units(WireUnitRule::iso(currency))
        .map_err(|e| Error::money("amount", e))?;
    let return_url = non_empty(
        "return_url",
        request.return_url.as_deref(),
        "Paiwise requires returnUrl: where the customer returns after paying",
    )?;
    let return_url_cancel = non_empty(
        "cancel_url",
        request.cancel_url.as_deref(),
        "Paiwise requires returnUrlCancel: where the customer returns after cancelling",
    )?;
    let customer_id = request
        .customer
        .as_ref()
        .and_then(|c| c.id.as_deref())
        .filter(|s| !s.is_empty());
    let (customer_id, card_id) = match &request.source {
        PaymentSource::Hosted => (customer_id, None),
        PaymentSource::SavedCard {
            customer_id: card_owner,
            card_id,
        } => {
            if card_id.trim().is_empty() {
                return Err(Error::invalid(
                    "card_id",
                    "a saved-card payment needs the card's id",
                ));
            }
            if card_owner.trim().is_empty() {
                return Err(Error::invalid(
                    "customer_id",
                    "Paiwise requires customer_id with card_id (automatic payment with a saved card)",
                ));
            }
            if customer_id.is_some_and(|c| c != card_owner) {
                return Err(Error::invalid(
                    "customer_id",
                    "the request's customer id differs from the saved card's customer id",
                ));
            }
            (Some(card_owner.as_str()), Some(card_id.as_str()))
        }
        PaymentSource::CardToken { .. } => {
            return Err(Error::unsupported(PROVIDER, "card tokens"));
        }
        _ => return Err(Error::unsupported(PROVIDER, "this payment source")),
    };
    let message = request
        .description
        .as_deref()
        .filter(|d| !d.is_empty())
        .unwrap_or(&request.reference);
    Ok(CreateBody {
        identifier: Some(request.reference.as_str()).filter(|r| !r.is_empty()),
        amount,
        currency: currency.code(),
        message,
        capture: request.capture,
        allow_save_card: options.allow_save_card,
        return_url,
        return_url_cancel,
        customer_id,
        card_id,
        template: options.template.map(|t| t.as_str()),
        meta_data: Some(&request.metadata).filter(|m| !m.is_empty()),
        payment_methods: options.payment_methods.as_deref(),
    })
}

/// The unified refund reason and note → Paiwise `reason` and `refundDetails`.
/// [`RefundReason::Other`] is not an admitted reason: its text goes to `refundDetails`
/// (before the note, separated by `"; "`).
pub(crate) fn refund_reason(
    reason: Option<&RefundReason>,
    note: Option<&str>,
) -> (Option<&'static str>, Option<String>) {
    let note = note.filter(|n| !n.is_empty());
    match reason {
        Some(RefundReason::Duplicate) => (Some("duplicate"), note.map(str::to_owned)),
        Some(RefundReason::RequestedByCustomer) => (Some("requested_by_customer"), note.map(str::to_owned)),
        Some(RefundReason::Fraudulent) => (Some("fraudolent"), note.map(str::to_owned)),
        Some(RefundReason::Other(text)) if !text.is_empty() => (
            None,
            Some(match note {
                Some(n) => format!("{text}; {n}"),
                None => text.clone(),
            }),
        ),
        _ => (None, note.map(str::to_owned)),
    }
}

/// The `update` body: `Some(v)` sets, `None` sends `""` (Paiwise deletes keys with an empty
/// value).
///
/// # Errors
/// `InvalidRequest` on `metadata` for an empty key or `Some("")` (ambiguous: Paiwise would
/// delete the key; use [`MetadataUpdate::remove`]).
pub(crate) fn update_body<'a>(checkout_id: &'a str, update: &'a MetadataUpdate) -> Result<UpdateBody<'a>> {
    let mut meta = std::collections::BTreeMap::new();
    for (k, v) in &update.changes {
        if k.is_empty() {
            return Err(Error::invalid("metadata", "metadata keys must not be empty"));
        }
        match v.as_deref() {
            Some("") => {
                return Err(Error::invalid(
                    format!("metadata.{k}"),
                    "an empty value deletes the key at Paiwise; use MetadataUpdate::remove to delete it",
                ))
            }
            Some(v) => meta.insert(k.as_str(), v),
            None => meta.insert(k.as_str(), ""),
        };
    }
    Ok(UpdateBody {
        checkout_id,
        meta_data: meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use paymux_core::Currency;

    #[test]
    fn status_table() {
        use PaymentStatus::*;
        let expected = [
            AwaitingCustomer,
            Authorized,
            Voided,
            Captured,
            Refunded,
            PartiallyRefunded,
            Failed,
            Failed,
            Cancelled,
        ];
        for (raw, want) in DOCUMENTED_STATUSES.iter().zip(expected) {
            assert_eq!(map_status(raw), want, "{raw}");
        }
        assert_eq!(map_status("Reserved"), Unknown);
        assert_eq!(map_status(""), Unknown);
    }

    #[test]
    fn amounts_follow_balance_then_log() {
        let amount = Money::from_minor(1000, Currency::SEK);
        let a = amounts("partialRefund", amount, Some(300), 700);
        assert_eq!(a.refunded.map(|m| m.minor()), Some(700));
        assert_eq!(a.refundable.map(|m| m.minor()), Some(300));
        let a = amounts("partialRefund", amount, None, 250);
        assert_eq!(a.refunded.map(|m| m.minor()), Some(250));
        let a = amounts("partialRefund", amount, Some(5000), 5000);
        assert_eq!(a.refunded, None);
        assert_eq!(a.captured.map(|m| m.minor()), Some(1000));
        let a = amounts("refunded", amount, None, 0);
        assert_eq!(a.refundable.map(|m| m.minor()), Some(0));
        let a = amounts("reserved", amount, Some(0), 0);
        assert_eq!(a.capturable.map(|m| m.minor()), Some(1000));
        assert_eq!(amounts("who knows", amount, Some(0), 0).captured, None);
    }

    /// The state read before a refund or capture agrees with the whole checkout's: from the
    /// fields alone when `balance` settles the amounts, from the whole object otherwise.
    #[test]
    fn checkout_state_agrees_with_the_whole_checkout() {
        let log = r#""log": {"2023-04-14 09:06:38": {"action": "paid"},
            "2023-04-14 09:07:00": {"action": "partialRefund", "details": {"amountRefund": 250}}}"#;
        let cases = [
            format!(
                r#"{{"checkout_id": "c1", "status": "partialRefund", "amount": 1000, "currency": "SEK", "balance": 750, {log}}}"#
            ),
            // No balance: the refunded amount comes from the log.
            format!(
                r#"{{"checkout_id": "c1", "status": "partialRefund", "amount": 1000, "currency": "SEK", {log}}}"#
            ),
            // A balance out of range: the log again.
            format!(
                r#"{{"checkout_id": "c1", "status": "paid", "amount": 1000, "currency": "SEK", "balance": 4000, {log}}}"#
            ),
            r#"{"checkout_id": "c1", "status": "reserved", "amount": 1000, "currency": "SEK", "balance": 0}"#
                .to_owned(),
            r#"{"checkout_id": 7, "status": "moonwalk", "amount": "1000", "currency": "BHD"}"#.to_owned(),
        ];
        for body in &cases {
            let whole = decode_checkout(body.as_bytes()).unwrap();
            let state = decode_checkout_state(body.as_bytes()).unwrap();
            assert_eq!(
                (&state.id, state.status, &state.raw_status, state.amount),
                (&whole.id, whole.status, &whole.raw_status, whole.amount),
                "{body}"
            );
            assert_eq!(
                (state.captured, state.refunded, state.capturable, state.refundable),
                (whole.captured, whole.refunded, whole.capturable, whole.refundable),
                "{body}"
            );
        }
        let no_balance = decode_checkout_state(cases[1].as_bytes()).unwrap();
        assert_eq!(no_balance.refundable.map(|m| m.minor()), Some(750));
        // What the whole decode refuses, so does the state.
        for bad in [
            r#"{"status": "paid", "amount": 1000, "currency": "SEK"}"#,
            r#"{"checkout_id": "c1", "status": "paid", "amount": 10.5, "currency": "SEK"}"#,
            r#"{"checkout_id": "c1", "status": "paid", "amount": -1, "currency": "SEK", "balance": 0}"#,
            r#"{"checkout_id": "c1", "status": "paid", "amount": 1000, "currency": "XXX"}"#,
            "not json",
        ] {
            let err = decode_checkout_state(bad.as_bytes()).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{bad}: {err:?}");
        }
    }

    #[test]
    fn timestamps_and_expiry() {
        assert!(parse_timestamp("2023-02-30 10:00:00").is_none());
        assert!(parse_timestamp("2023-04-14 25:00:00").is_none());
        assert!(parse_timestamp("2023-04-14T09:06:38Z").is_some());
        assert_eq!(parse_expiry("4/2024"), Some((4, 2024)));
        assert_eq!(parse_expiry("12/30"), Some((12, 2030)));
        assert_eq!(parse_expiry("13/2024"), None);
        assert_eq!(parse_expiry("soon"), None);
    }

    #[test]
    fn text_values_are_left_out_keys_and_numbers_kept() {
        assert_eq!(
            without_text_values(
                r#"{"email": "a@b.c", "n": 3, "q": "say \"hi\"", "l": ["x", "y"], "k" :"v"}"#
            ),
            r#"{"email": "…", "n": 3, "q": "…", "l": ["…", "…"], "k" :"…"}"#
        );
        assert_eq!(without_text_values(r#"{"email": "andrea@exa"#), r#"{"email": "…"#);
        assert_eq!(without_text_values("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(without_text_values(r#"{"a\"b": 1}"#), r#"{"a\"b": 1}"#);
    }

    #[test]
    fn refund_reasons_use_paiwise_spelling() {
        assert_eq!(
            refund_reason(Some(&RefundReason::Fraudulent), None),
            (Some("fraudolent"), None)
        );
        assert_eq!(
            refund_reason(Some(&RefundReason::Other("broken".into())), Some("box")),
            (None, Some("broken; box".into()))
        );
        assert_eq!(refund_reason(None, Some("n")), (None, Some("n".into())));
    }
}

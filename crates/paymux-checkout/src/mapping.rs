//! Checkout.com wire types ↔ the unified model. All amount and status mapping lives here.
//!
//! # Status table
//!
//! `status` is decoded as free text (an open set): a value not in this table never fails
//! decoding, it maps to [`PaymentStatus::Unknown`] and the text is kept in
//! [`Payment::raw_status`].
//!
//! | Checkout.com `status` | unified [`PaymentStatus`] | note |
//! |---|---|---|
//! | `Pending` with `_links.redirect.href` | `RequiresAction` | 3DS or redirect step; `redirect_url` set |
//! | `Pending` without a redirect | `Pending` | asynchronous processing; `approved: false` here is "not yet", never a decline |
//! | `Authorized` | `Authorized` | |
//! | `Card Verified` | `Authorized` | zero-amount card verification: approved, but `capturable` is 0 |
//! | `Voided` | `Voided` | |
//! | `Partially Captured` | `PartiallyCaptured` | |
//! | `Captured` | `Captured` | |
//! | `Partially Refunded` | `PartiallyRefunded` | |
//! | `Refunded` | `Refunded` | |
//! | `Declined` | `Declined` | `decline` holds `response_code` / `response_summary` (read back with `GET`: the latest declined action's code; summaries carry no `approved`, so on a declined payment its authorizations are the declined attempts) |
//! | `Canceled` | `Cancelled` | |
//! | `Expired` | `Expired` | |
//! | `Paid` | `Captured` | APMs and payouts: the money moved |
//! | `Retry Scheduled` | `Pending` | declined attempt with an asynchronous retry scheduled |
//! | `Active` | `Pending` | a payment or series still in progress at the provider |
//! | `Requested` | `Pending` | requested, not processed yet |
//! | `Returned` | `Refunded` | the funds went back (bank returns) |
//! | anything else | `Unknown` | raw text kept |
//!
//! # Amount table
//!
//! Checkout.com amounts are integers with their own exponents, which differ from ISO 4217:
//!
//! | currencies | wire value | rule |
//! |---|---|---|
//! | BIF DJF GNF ISK JPY KMF KRW PYG RWF UGX VUV VND XAF XOF XPF | full value | exponent 0 |
//! | BHD IQD JOD KWD LYD OMR TND | value × 1000 | exponent 3, last digit must be 0 |
//! | CLP | value × 100 | exponent 2, multiple of 100 (ISO gives CLP no decimals) |
//! | CLF, UYW | — | unsupported: no documented rule |
//! | every other currency | value × 100 | exponent 2 |
//!
//! Every amount sent must be at most 9 999 999 999 wire units and greater than zero (zero is
//! allowed where the API takes it: a card verification, an item's price, an incremental
//! authorization). Breaking a rule is [`Error::InvalidRequest`] naming
//! the rule, before anything is sent; an amount from Checkout.com that breaks the rule, or is
//! below zero, is [`Error::Decode`].

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use paymux_core::{
    CardSummary, Currency, CustomerSummary, DeclineReason, Error, EventKind, Money, Payment, PaymentEvent,
    PaymentStatus, Result, WireUnitRule,
};

use paymux_core::payment::known_word;

use crate::model::{ActionWire, ActionsWire, BalancesWire, PaymentWire};
use crate::PROVIDER;

/// Currencies Checkout.com sends in full units.
pub const FULL_VALUE_CURRENCIES: [&str; 15] = [
    "BIF", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VUV", "VND", "XAF", "XOF", "XPF",
];
/// Currencies Checkout.com sends × 1000 with a last digit of 0.
pub const THREE_DECIMAL_CURRENCIES: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
/// Currencies without a documented Checkout.com rule.
pub const UNSUPPORTED_CURRENCIES: [&str; 2] = ["CLF", "UYW"];
/// The largest amount the API accepts (`PaymentRequest.amount` maximum).
pub const MAX_WIRE_AMOUNT: i64 = 9_999_999_999;

/// Checkout.com's wire rule for `currency`, or `None` for CLF and UYW, which it does not
/// document.
///
/// ```
/// use paymux_checkout::mapping::amount_rule;
/// use paymux_core::{Currency, Money};
/// let clp = amount_rule(Currency::CLP).unwrap();
/// assert_eq!(Money::from_minor(15, Currency::CLP).to_wire_units(clp)?, 1500);
/// assert!(amount_rule(Currency::CLF).is_none());
/// # Ok::<(), paymux_core::MoneyError>(())
/// ```
pub fn amount_rule(currency: Currency) -> Option<WireUnitRule> {
    // Most answers are in a two-decimal currency, and none of those is in the lists below:
    // answer them without the string comparisons.
    if currency.exponent() == 2 {
        return Some(WireUnitRule {
            exponent: 2,
            multiple_of: 1,
        });
    }
    let code = currency.code();
    if UNSUPPORTED_CURRENCIES.contains(&code) {
        None
    } else if FULL_VALUE_CURRENCIES.contains(&code) {
        Some(WireUnitRule {
            exponent: 0,
            multiple_of: 1,
        })
    } else if THREE_DECIMAL_CURRENCIES.contains(&code) {
        Some(WireUnitRule {
            exponent: 3,
            multiple_of: 10,
        })
    } else if code == "CLP" {
        Some(WireUnitRule {
            exponent: 2,
            multiple_of: 100,
        })
    } else {
        Some(WireUnitRule {
            exponent: 2,
            multiple_of: 1,
        })
    }
}

fn describe(rule: WireUnitRule) -> String {
    match (rule.exponent, rule.multiple_of) {
        (0, _) => "Checkout.com sends this currency in full units (no decimals)".to_owned(),
        (3, 10) => "Checkout.com sends this currency × 1000 and the last digit must be 0".to_owned(),
        (2, 100) => "Checkout.com sends CLP × 100, so only whole pesos can be sent".to_owned(),
        _ => format!("Checkout.com wire rule: {rule}"),
    }
}

/// The wire integer for `amount` in field `field`. `allow_zero` is for card verifications
/// and incremental authorizations that only extend validity.
///
/// # Errors
/// [`Error::InvalidRequest`] on `field` for a negative (or, unless allowed, zero) amount, an
/// unsupported currency (CLF, UYW), a value the currency's rule cannot express (a BHD amount
/// whose last wire digit is not 0, CLP with decimals) or a value above 9 999 999 999.
pub fn to_wire_amount(field: &str, amount: Money, allow_zero: bool) -> Result<i64> {
    let currency = amount.currency();
    let rule = amount_rule(currency).ok_or_else(|| {
        Error::invalid(
            field,
            format!("currency {currency} is unsupported: Checkout.com documents no amount rule for it"),
        )
    })?;
    if amount.is_negative() || (!allow_zero && amount.is_zero()) {
        return Err(Error::invalid(
            field,
            format!("must be greater than zero, got {amount}"),
        ));
    }
    let wire = amount.to_wire_units(rule).map_err(|e| match e {
        paymux_core::MoneyError::Overflow => Error::invalid(
            field,
            format!("{amount} exceeds the maximum of {MAX_WIRE_AMOUNT} wire units"),
        ),
        other => Error::invalid(field, format!("{other} ({})", describe(rule))),
    })?;
    if wire > MAX_WIRE_AMOUNT {
        return Err(Error::invalid(
            field,
            format!("{amount} is {wire} wire units, above the maximum of {MAX_WIRE_AMOUNT}"),
        ));
    }
    Ok(wire)
}

/// The [`Money`] for a wire integer from Checkout.com.
///
/// # Errors
/// [`Error::Decode`] (with an excerpt of `body`) when the currency has no rule, the value
/// breaks it, or it is below zero (no Checkout.com amount or balance is).
pub fn from_wire_amount(wire: i64, currency: Currency, body: &[u8]) -> Result<Money> {
    if wire < 0 {
        return Err(Error::decode(
            PROVIDER,
            format!("amount {wire} {currency} is below zero"),
            body,
        ));
    }
    let rule = amount_rule(currency).ok_or_else(|| {
        Error::decode(
            PROVIDER,
            format!("currency {currency} has no Checkout.com amount rule"),
            body,
        )
    })?;
    Money::from_wire_units(wire, currency, rule)
        .map_err(|e| Error::decode(PROVIDER, format!("amount {wire} {currency}: {e}"), body))
}

/// Every `status` word [`map_status`] knows: these are kept without copying.
const KNOWN_STATUSES: [&str; 16] = [
    "Pending",
    "Retry Scheduled",
    "Active",
    "Requested",
    "Authorized",
    "Card Verified",
    "Voided",
    "Partially Captured",
    "Captured",
    "Paid",
    "Partially Refunded",
    "Refunded",
    "Returned",
    "Declined",
    "Canceled",
    "Expired",
];

/// Every action `type` Checkout.com documents: kept without copying.
const KNOWN_ACTION_TYPES: [&str; 7] = [
    "Authorization",
    "Card Verification",
    "Void",
    "Capture",
    "Refund",
    "Payout",
    "Return",
];

/// The unified status for Checkout.com's `status` text (see the table in the module docs).
/// `has_redirect` is whether the answer carried `_links.redirect.href`.
pub fn map_status(raw: &str, has_redirect: bool) -> PaymentStatus {
    match raw {
        "Pending" if has_redirect => PaymentStatus::RequiresAction,
        "Pending" | "Retry Scheduled" | "Active" | "Requested" => PaymentStatus::Pending,
        "Authorized" | "Card Verified" => PaymentStatus::Authorized,
        "Voided" => PaymentStatus::Voided,
        "Partially Captured" => PaymentStatus::PartiallyCaptured,
        "Captured" | "Paid" => PaymentStatus::Captured,
        "Partially Refunded" => PaymentStatus::PartiallyRefunded,
        "Refunded" | "Returned" => PaymentStatus::Refunded,
        "Declined" => PaymentStatus::Declined,
        "Canceled" => PaymentStatus::Cancelled,
        "Expired" => PaymentStatus::Expired,
        _ => PaymentStatus::Unknown,
    }
}

/// The unified event kind of an action `type` (`Authorization`, `Card Verification`, `Void`,
/// `Capture`, `Refund`, `Payout`, `Return`); an action with `approved: false` is `Declined`
/// for authorizations and verifications and `Failed` otherwise.
pub fn map_action_kind(kind: &str, approved: Option<bool>) -> EventKind {
    if approved == Some(false) {
        return match kind {
            "Authorization" | "Card Verification" => EventKind::Declined,
            _ => EventKind::Failed,
        };
    }
    match kind {
        "Authorization" => EventKind::Authorized,
        "Capture" => EventKind::Captured,
        "Refund" => EventKind::Refunded,
        "Void" => EventKind::Voided,
        _ => EventKind::Other,
    }
}

/// An RFC 3339 timestamp; text that is not one is dropped (timestamps are informative).
pub(crate) fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn currency_of(code: &str, body: &[u8]) -> Result<Currency> {
    Currency::from_code(code).map_err(|e| Error::decode(PROVIDER, format!("currency: {e}"), body))
}

/// Decodes a payment answer (`PaymentResponse`, `PaymentAcceptedResponse`, `PaymentDetails`)
/// into the unified [`Payment`]. `fallback` is the requested amount, used when the answer has
/// none (a 202 `Pending` answer).
pub(crate) fn decode_payment(body: &[u8], fallback: Option<Money>) -> Result<Payment> {
    // Checked once here and kept as the raw text: `Payment::keep_raw` would check the
    // (1–2 KiB) answer again.
    let text = std::str::from_utf8(body)
        .map_err(|e| Error::decode(PROVIDER, format!("payment: answer is not UTF-8: {e}"), body))?;
    let wire: PaymentWire =
        serde_json::from_str(text).map_err(|e| Error::decode(PROVIDER, format!("payment: {e}"), body))?;
    payment_from_wire(wire, body, fallback, Some(text))
}

pub(crate) fn payment_from_wire(
    mut wire: PaymentWire<'_>,
    body: &[u8],
    fallback: Option<Money>,
    raw: Option<&str>,
) -> Result<Payment> {
    let currency = match (&wire.currency, fallback) {
        (Some(code), _) => currency_of(code, body)?,
        (None, Some(m)) => m.currency(),
        (None, None) => return Err(Error::decode(PROVIDER, "payment without currency", body)),
    };
    let amount = match (wire.amount, fallback) {
        (Some(a), _) => from_wire_amount(a, currency, body)?,
        (None, Some(m)) if m.currency() == currency => m,
        _ => return Err(Error::decode(PROVIDER, "payment without amount", body)),
    };
    let redirect_url = wire
        .links
        .as_ref()
        .and_then(|l| l.redirect.as_ref())
        .and_then(|r| r.href.clone());
    let raw_status = wire
        .status
        .map(|s| known_word(&s, &KNOWN_STATUSES))
        .unwrap_or_default();
    let status = map_status(&raw_status, redirect_url.is_some());
    let mut payment = Payment::new(PROVIDER, wire.id, amount, status, raw_status);
    payment.redirect_url = redirect_url;
    payment.reference = wire.reference;
    if let Some(b) = &wire.balances {
        apply_balances(&mut payment, b, currency, body)?;
    }
    if let Some(src) = wire.source {
        if src.kind.as_deref().is_none_or(|k| k == "card") && (src.last4.is_some() || src.id.is_some()) {
            let mut card = CardSummary::default();
            card.id = src.id;
            card.brand = src.scheme;
            card.last4 = src.last4;
            // `CardSummary` promises a month 1–12 and a four-digit year: a figure outside
            // them is not an expiry anyone can show, so it is left unknown.
            card.expiry_month = src.expiry_month.filter(|m| (1..=12).contains(m));
            card.expiry_year = src.expiry_year.filter(|y| (1000..=9999).contains(y));
            card.country = src.issuer_country;
            card.funding = src.card_type.map(|f| f.to_ascii_lowercase());
            payment.card = Some(card);
        }
    }
    if let Some(c) = wire.customer {
        let mut customer = CustomerSummary::default();
        customer.id = c.id;
        customer.email = c.email;
        customer.name = c.name;
        payment.customer = Some(customer);
    }
    if let Some(meta) = wire.metadata {
        payment.metadata = meta.into_iter().map(|(k, v)| (k, v.into_string())).collect();
    }
    let response_code = wire.response_code.map(|c| c.0);
    // `approved: false` is a decline on a processed payment, but on one still in progress
    // (`Pending`: waiting for 3-D Secure or processed asynchronously; `Active`, `Requested`)
    // it only means "not approved yet": such a payment has no decline.
    let in_progress = matches!(&*payment.raw_status, "Pending" | "Active" | "Requested");
    let not_approved = wire.approved == Some(false) || payment.status == PaymentStatus::Declined;
    let declined = not_approved && !in_progress;
    if not_approved {
        // `GET /payments/{id}` lists action summaries, which carry no `approved`
        // (`PaymentActionSummary`: id, type, response_code, response_summary). A payment is
        // declined only when its authorization (or card verification) was, so on a declined
        // payment those summaries are the declined attempts: not `Authorized` events, and
        // the decline's code is theirs. The same holds for a payment not approved yet (a
        // soft decline upgraded to 3DS waits with its declined attempt), which has no
        // decline of its own.
        for action in wire.actions.iter_mut().flatten() {
            if action.approved.is_none() && matches!(&*action.kind, "Authorization" | "Card Verification") {
                action.approved = Some(false);
            }
        }
    }
    // PaymentDetails has no response code of its own: a decline read back takes the latest
    // declined action's (actions come latest first).
    let action_code = match (&response_code, &wire.actions) {
        (None, Some(actions)) if declined => actions
            .iter()
            .find(|a| map_action_kind(&a.kind, a.approved) == EventKind::Declined)
            .and_then(|a| a.response_code.as_ref())
            .map(|c| c.0.to_string()),
        _ => None,
    };
    let mut events = match wire.actions {
        Some(actions) => events_from_actions(actions, currency, body)?,
        None => Vec::new(),
    };
    let processed_at = parse_time(wire.processed_on.as_deref());
    if events.is_empty() {
        // A 201/202 answer names the action it created; keep it as the first event.
        if let Some(action_id) = wire.action_id {
            let (kind, raw) = match (wire.approved, payment.status) {
                (Some(false), _) => (EventKind::Declined, "Authorization"),
                (_, PaymentStatus::Pending | PaymentStatus::RequiresAction) => {
                    (EventKind::Created, "Request")
                }
                (_, PaymentStatus::Captured) => (EventKind::Captured, "Capture"),
                _ => (EventKind::Authorized, "Authorization"),
            };
            let mut ev = PaymentEvent::new(kind, raw);
            ev.id = Some(action_id);
            ev.at = processed_at;
            ev.amount = Some(amount);
            ev.detail = wire.response_summary.clone();
            events.push(ev);
        }
    }
    if declined {
        let mut decline = DeclineReason::default();
        let own_code = response_code.map(Cow::into_owned);
        decline.message = wire.response_summary;
        if own_code.is_none() {
            // PaymentDetails has no response code: take the latest declined action's.
            if let Some(ev) = events.iter().rev().find(|e| e.kind == EventKind::Declined) {
                decline.message = decline.message.or_else(|| ev.detail.clone());
            }
        }
        decline.code = own_code.or(action_code);
        payment.decline = Some(decline);
    }
    payment.created_at = parse_time(wire.requested_on.as_deref()).or(processed_at);
    payment.updated_at = events.iter().filter_map(|e| e.at).max().or(processed_at);
    payment.events = events;
    payment.raw = raw.map(str::to_owned);
    Ok(payment)
}

fn apply_balances(payment: &mut Payment, b: &BalancesWire, currency: Currency, body: &[u8]) -> Result<()> {
    let conv = |v: Option<i64>| -> Result<Option<Money>> {
        v.map(|w| from_wire_amount(w, currency, body)).transpose()
    };
    payment.captured = conv(b.total_captured)?;
    payment.refunded = conv(b.total_refunded)?;
    payment.capturable = conv(b.available_to_capture)?;
    payment.refundable = conv(b.available_to_refund)?;
    Ok(())
}

/// Actions as events, oldest first (Checkout.com lists them latest first).
pub(crate) fn events_from_actions(
    mut actions: Vec<ActionWire<'_>>,
    currency: Currency,
    body: &[u8],
) -> Result<Vec<PaymentEvent>> {
    actions.reverse();
    actions
        .into_iter()
        .map(|a| {
            let kind = map_action_kind(&a.kind, a.approved);
            let mut ev = PaymentEvent::new(kind, known_word(&a.kind, &KNOWN_ACTION_TYPES));
            ev.id = Some(a.id);
            ev.at = parse_time(a.processed_on.as_deref());
            ev.amount = a
                .amount
                .map(|w| from_wire_amount(w, currency, body))
                .transpose()?;
            let code = a.response_code.map(|c| c.0);
            ev.detail = match (a.response_summary, code, a.reference) {
                (Some(s), Some(c), _) if c != "10000" => Some(format!("{c}: {s}")),
                (Some(s), _, None) => Some(s),
                (Some(s), _, Some(r)) => Some(format!("{s} (reference {r})")),
                (None, Some(c), _) => Some(c.into_owned()),
                (None, None, r) => r,
            };
            Ok(ev)
        })
        .collect()
}

/// Decodes a `GET /payments/{id}` answer (`PaymentDetails`) into the unified [`Payment`],
/// without any HTTP: statuses and amounts mapped as in the tables above, balances as
/// captured/refunded/capturable/refundable, action summaries as events (oldest first), and
/// the body kept verbatim in [`Payment::raw`].
///
/// ```
/// let body = br#"{"id":"pay_mbabizu24mvu3mela5njyhpit4","amount":1500,"currency":"BHD",
///   "status":"Partially Captured","approved":true,"requested_on":"2019-08-24T14:15:22Z",
///   "balances":{"total_captured":1000,"available_to_capture":500}}"#;
/// let p = paymux_checkout::decode_payment_details(body)?;
/// assert_eq!(p.status, paymux_core::PaymentStatus::PartiallyCaptured);
/// assert_eq!(p.amount.to_decimal_string(), "1.500");
/// assert_eq!(p.captured.map(|m| m.minor()), Some(1000));
/// # Ok::<(), paymux_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Decode`] when the body is not a payment, has no amount or currency, or an amount
/// breaks Checkout.com's rule for its currency or is below zero. An unknown `status` is
/// **not** an error.
pub fn decode_payment_details(body: &[u8]) -> Result<Payment> {
    decode_payment(body, None)
}

/// Decodes a `GET /payments/{id}/actions` answer into events, oldest first. Amounts are in
/// `currency` (the payment's).
///
/// # Errors
/// [`Error::Decode`] when the body is not a list of actions or an amount breaks the rule.
pub fn decode_payment_actions(body: &[u8], currency: Currency) -> Result<Vec<PaymentEvent>> {
    let wire: ActionsWire = paymux_core::transport::parse_json(body)
        .map_err(|e| Error::decode(PROVIDER, format!("actions: {e}"), body))?;
    let actions = match wire {
        ActionsWire::Many(a) => a,
        ActionsWire::One(a) => vec![a],
    };
    events_from_actions(actions, currency, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_decimal_shortcut_skips_no_listed_currency() {
        let listed = FULL_VALUE_CURRENCIES
            .iter()
            .chain(&THREE_DECIMAL_CURRENCIES)
            .chain(&UNSUPPORTED_CURRENCIES)
            .chain(&["CLP"]);
        for code in listed {
            if let Ok(c) = Currency::from_code(code) {
                assert_ne!(c.exponent(), 2, "{code} would bypass its Checkout.com rule");
            }
        }
    }

    #[test]
    fn open_status_set() {
        assert_eq!(map_status("Pending", true), PaymentStatus::RequiresAction);
        assert_eq!(map_status("Pending", false), PaymentStatus::Pending);
        assert_eq!(map_status("Something New", false), PaymentStatus::Unknown);
        assert_eq!(map_status("", false), PaymentStatus::Unknown);
        assert_eq!(map_status("captured", false), PaymentStatus::Unknown);
    }

    #[test]
    fn every_known_word_maps_and_escaped_text_still_decodes() {
        for s in KNOWN_STATUSES {
            assert_ne!(map_status(s, false), PaymentStatus::Unknown, "{s}");
        }
        // Words, currency and timestamps are borrowed from the answer when they can be;
        // JSON escapes make serde copy them, which must change nothing.
        let body = br#"{"id":"pay_1","amount":100,"currency":"S\u0045K","status":"Captur\u0065d",
          "requested_on":"2019-08-24T14:15:22\u005a","source":{"type":"c\u0061rd",
          "last4":"4242","card_type":"CRE\u0044IT"},"actions":[{"id":"act_1",
          "type":"Captur\u0065","processed_on":"2019-08-24T14:16:00Z","amount":100}]}"#;
        let p = decode_payment_details(body).expect("decodes");
        assert_eq!(p.status, PaymentStatus::Captured);
        assert_eq!(p.raw_status, "Captured");
        assert_eq!(p.amount, Money::from_minor(100, Currency::SEK));
        assert_eq!(p.created_at, parse_time(Some("2019-08-24T14:15:22Z")));
        assert_eq!(p.card.and_then(|c| c.funding).as_deref(), Some("credit"));
        assert_eq!(p.events.len(), 1);
        assert_eq!(p.events[0].kind, EventKind::Captured);
        assert_eq!(p.events[0].raw_kind, "Capture");
        // Response codes come as strings or numbers.
        let body = br#"{"id":"pay_3","amount":1,"currency":"SEK","status":"Declined","approved":false,
          "response_code":20005,"response_summary":"Declined - Do Not Honour",
          "actions":[{"id":"act_1","type":"Authorization","approved":false,"response_code":"20051",
          "response_summary":"Insufficient Funds"},{"id":"act_0","type":"Authorization",
          "approved":false,"response_code":20005}]}"#;
        let p = decode_payment_details(body).expect("decodes");
        let decline = p.decline.expect("declined");
        assert_eq!(decline.code.as_deref(), Some("20005"));
        assert_eq!(decline.message.as_deref(), Some("Declined - Do Not Honour"));
        let details: Vec<_> = p.events.iter().map(|e| e.detail.as_deref()).collect();
        assert_eq!(details, [Some("20005"), Some("20051: Insufficient Funds")]);
        // An unknown word is kept as sent.
        let p = decode_payment_details(br#"{"id":"pay_2","amount":1,"currency":"SEK","status":"Brand New"}"#)
            .expect("decodes");
        assert_eq!((p.status, &*p.raw_status), (PaymentStatus::Unknown, "Brand New"));
    }
}

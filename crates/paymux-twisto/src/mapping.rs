//! Twisto wire types ↔ the unified model: every amount and every status mapping.
//!
//! # Amounts
//!
//! Twisto writes amounts as decimal strings matching `^-?\d{0,8}(?:\.\d{0,2})?$`. paymux
//! sends them with exactly two decimals (`"894.00"`) through [`Money::to_wire_decimal`] with
//! [`AMOUNT_RULE`]; a value that needs a ninth integer digit (≥ 100 000 000) or a third
//! decimal is refused before sending. Received strings are first checked against the pattern
//! itself ([`matches_amount_pattern`]); forms the pattern allows but that are unusual
//! (`".5"`, `"1."`) are read as `0.5` and `1`; anything else (`"1e3"`, `" 1.00"`, `"1,00"`,
//! `"1.001"`, `"123456789"`, an empty string) is a [`MoneyError`], which the backend reports
//! as [`Error::Decode`], never a rounded number.
//!
//! # Status
//!
//! The unified status combines the checkout `state`, the charge `state` where paymux knows
//! the charge, and the refunded amount where it fetched the refunds
//! ([`unified_status`]). A known charge decides first; otherwise the checkout does:
//!
//! | checkout `state` | charge `state` | refunded | unified |
//! |---|---|---|---|
//! | `created` | — | — | `AwaitingCustomer` |
//! | `approved` | none | — | `Authorized` (scoring accepted; capture creates the charge) |
//! | any known | `authorised` | — | `Authorized` |
//! | `completed` | none or `captured` | 0 or unknown | `Captured` |
//! | `completed` | none or `captured` | 0 < r < amount | `PartiallyRefunded` |
//! | `completed` | none or `captured` | r ≥ amount | `Refunded` |
//! | any known | `refunded` | — | `Refunded` |
//! | any known | `cancelled` | — | `Voided` (an authorised charge was released) |
//! | any known | `rejected` | — | `Declined` |
//! | any known | `error` | — | `Failed` |
//! | `cancelled` | none | — | `Cancelled` (scoring rejected or merchant cancelled) |
//! | `error` | none | — | `Failed` (scoring failed) |
//! | anything else | anything else | — | `Unknown` |
//!
//! `Payment::raw_status` is `checkout:<state>`, followed by `/charge:<state>` when the charge
//! was known (`checkout:approved/charge:authorised`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use paymux_core::payment::{
    CreatePayment, CustomerSummary, DeclineReason, EventKind, LineItemKind, Payment, PaymentEvent,
    RefundReason,
};
use paymux_core::{Currency, Decimal, DecimalStringRule, Error, Money, MoneyError, PaymentStatus, Result};

use crate::model;
use crate::types::{
    ShopperStatistics, TwistoBatch, TwistoCharge, TwistoCheckoutOptions, TwistoPage, TwistoRefund,
};
use crate::PROVIDER;

/// Twisto's amount format: at most 8 integer digits, 2 decimals (always sent with both).
pub const AMOUNT_RULE: DecimalStringRule = DecimalStringRule {
    max_integer_digits: 8,
    fraction_digits: 2,
};

/// Longest names (`first_name`, `middle_name`, `last_name`, `last_name2`).
pub const MAX_NAME: usize = 40;
/// Longest `phone`.
pub const MAX_PHONE: usize = 20;
/// Longest `personal_id`.
pub const MAX_PERSONAL_ID: usize = 11;
/// Longest item `name`.
pub const MAX_ITEM_NAME: usize = 255;
/// Longest references (`order.reference`, item `reference`, `merchant_reference`).
pub const MAX_REFERENCE: usize = 200;
/// Longest `config.redirect_uri`.
pub const MAX_REDIRECT_URI: usize = 1000;

/// Whether `text` matches Twisto's documented amount pattern `^-?\d{0,8}(?:\.\d{0,2})?$`
/// and has at least one digit.
///
/// ```
/// use paymux_twisto::matches_amount_pattern;
/// assert!(matches_amount_pattern("894.00"));
/// assert!(matches_amount_pattern("-0.5"));
/// assert!(!matches_amount_pattern("1.001"));
/// assert!(!matches_amount_pattern("123456789"));
/// assert!(!matches_amount_pattern("1e3"));
/// ```
pub fn matches_amount_pattern(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    digits(int, 8) && digits(frac, 2) && (int.len() + frac.len()) > 0
}

/// The pattern-checked text with an empty integer part or a trailing point made explicit.
fn normalized(text: &str) -> std::result::Result<Cow<'_, str>, MoneyError> {
    if !matches_amount_pattern(text) {
        return Err(MoneyError::InvalidFormat {
            input: text.chars().take(40).collect(),
            reason: "does not match Twisto's amount pattern ^-?\\d{0,8}(?:\\.\\d{0,2})?$",
        });
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    // What Twisto sends ("894.00") is already explicit: no copy.
    if !int.is_empty() && !body.ends_with('.') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len() + 1);
    if negative {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Ok(Cow::Owned(out))
}

/// Parses a Twisto amount string exactly into [`Money`].
///
/// ```
/// use paymux_core::Currency;
/// use paymux_twisto::parse_amount;
/// assert_eq!(parse_amount("894.00", Currency::CZK)?.minor(), 89_400);
/// assert!(parse_amount("1.001", Currency::CZK).is_err());
/// # Ok::<(), paymux_core::MoneyError>(())
/// ```
///
/// # Errors
/// [`MoneyError::InvalidFormat`] when the text breaks the pattern, [`MoneyError::ExcessPrecision`]
/// when it has decimals the currency lacks.
pub fn parse_amount(text: &str, currency: Currency) -> std::result::Result<Money, MoneyError> {
    // Twisto's currencies (CZK, PLN, EUR) have two decimals, as its pattern does: the minor
    // units come straight from the digits. Every answer carries several amounts.
    if currency.exponent() == 2 {
        if let Some(minor) = pattern_hundredths(text) {
            return Ok(Money::from_minor(minor, currency));
        }
    }
    parse_amount_general(text, currency)
}

/// The general reading, which also says why a text is refused.
fn parse_amount_general(text: &str, currency: Currency) -> std::result::Result<Money, MoneyError> {
    Money::from_wire_decimal(&normalized(text)?, currency, AMOUNT_RULE)
}

/// `text` in hundredths when it matches Twisto's pattern (`^-?\d{0,8}(?:\.\d{0,2})?$`, not
/// empty), else `None`.
fn pattern_hundredths(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.len() > 8 || frac.len() > 2 || int.len() + frac.len() == 0 {
        return None;
    }
    let mut value: i64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(b - b'0');
    }
    let hundredths = match frac.len() {
        0 => value * 100,
        1 => value * 10,
        _ => value,
    };
    Some(if negative { -hundredths } else { hundredths })
}

/// Parses a Twisto amount string exactly into a [`Decimal`] (for amounts without a currency:
/// settlement batches, refunds, notifications).
///
/// # Errors
/// [`MoneyError::InvalidFormat`] when the text breaks the pattern.
pub fn parse_decimal(text: &str) -> std::result::Result<Decimal, MoneyError> {
    let norm = normalized(text)?;
    Decimal::from_str_exact(&norm).map_err(|_| MoneyError::InvalidFormat {
        input: text.chars().take(40).collect(),
        reason: "not a decimal number",
    })
}

/// Formats money as Twisto wants it: exactly two decimals, at most 8 integer digits.
///
/// ```
/// use paymux_core::{Currency, Money};
/// use paymux_twisto::format_amount;
/// assert_eq!(format_amount(Money::from_minor(89_400, Currency::CZK))?, "894.00");
/// assert!(format_amount(Money::from_minor(10_000_000_000, Currency::CZK)).is_err());
/// # Ok::<(), paymux_core::MoneyError>(())
/// ```
///
/// # Errors
/// [`MoneyError::NotRepresentable`] when the value does not fit the pattern.
pub fn format_amount(money: Money) -> std::result::Result<String, MoneyError> {
    money.to_wire_decimal(AMOUNT_RULE)
}

fn send_amount(field: &str, money: Money) -> Result<String> {
    format_amount(money).map_err(|e| Error::money(field, e))
}

fn decode_amount(field: &str, text: &str, currency: Currency, body: &[u8]) -> Result<Money> {
    parse_amount(text, currency).map_err(|e| Error::decode(PROVIDER, format!("{field}: {e}"), body))
}

fn decode_decimal(field: &str, text: Option<&str>, body: &[u8]) -> Result<Option<Decimal>> {
    text.map(|t| parse_decimal(t).map_err(|e| Error::decode(PROVIDER, format!("{field}: {e}"), body)))
        .transpose()
}

fn decode_currency(field: &str, code: &str, body: &[u8]) -> Result<Currency> {
    Currency::from_code(code).map_err(|e| Error::decode(PROVIDER, format!("{field}: {e}"), body))
}

/// A date-time as Twisto sends it (RFC 3339); anything else is `None` (dates are
/// informational, unlike amounts).
pub(crate) fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text?;
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// The unified status of a checkout in `checkout_state`, with its charge in `charge_state`
/// when known, and `refunded` of `amount` refunded when known (see the module table).
///
/// ```
/// use paymux_core::{Currency, Money, PaymentStatus};
/// use paymux_twisto::unified_status;
/// let amount = Money::from_minor(10_000, Currency::CZK);
/// let part = Some(Money::from_minor(2_500, Currency::CZK));
/// assert_eq!(unified_status("completed", None, amount, part), PaymentStatus::PartiallyRefunded);
/// assert_eq!(unified_status("approved", Some("authorised"), amount, None), PaymentStatus::Authorized);
/// assert_eq!(unified_status("created", None, amount, None), PaymentStatus::AwaitingCustomer);
/// ```
pub fn unified_status(
    checkout_state: &str,
    charge_state: Option<&str>,
    amount: Money,
    refunded: Option<Money>,
) -> PaymentStatus {
    if !CHECKOUT_STATES.contains(&checkout_state) {
        return PaymentStatus::Unknown;
    }
    let by_refunds = || match refunded {
        Some(r) if r.is_positive() => {
            if r.checked_cmp(&amount).is_ok_and(|o| o.is_ge()) {
                PaymentStatus::Refunded
            } else {
                PaymentStatus::PartiallyRefunded
            }
        }
        _ => PaymentStatus::Captured,
    };
    match charge_state {
        Some("authorised") => PaymentStatus::Authorized,
        Some("captured") => by_refunds(),
        Some("refunded") => PaymentStatus::Refunded,
        Some("cancelled") => PaymentStatus::Voided,
        Some("rejected") => PaymentStatus::Declined,
        Some("error") => PaymentStatus::Failed,
        Some(_) => PaymentStatus::Unknown,
        None => match checkout_state {
            "created" => PaymentStatus::AwaitingCustomer,
            "approved" => PaymentStatus::Authorized,
            "completed" => by_refunds(),
            "cancelled" => PaymentStatus::Cancelled,
            _ => PaymentStatus::Failed,
        },
    }
}

/// The documented checkout states.
const CHECKOUT_STATES: [&str; 5] = ["created", "approved", "completed", "cancelled", "error"];

/// The documented charge states.
const CHARGE_STATES: [&str; 6] = [
    "authorised",
    "captured",
    "refunded",
    "cancelled",
    "rejected",
    "error",
];

/// `checkout:<state>[/charge:<state>]`.
pub fn raw_status(checkout_state: &str, charge_state: Option<&str>) -> String {
    match charge_state {
        Some(c) => format!("checkout:{checkout_state}/charge:{c}"),
        None => format!("checkout:{checkout_state}"),
    }
}

/// [`raw_status`] without an allocation for the documented combinations, which every
/// decoded payment names.
fn raw_status_word(checkout_state: &str, charge_state: Option<&str>) -> Cow<'static, str> {
    // Every documented combination, spelled once: `checkout:<c>` then `checkout:<c>/charge:<h>`.
    static WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut words = Vec::with_capacity(CHECKOUT_STATES.len() * (CHARGE_STATES.len() + 1));
        for c in CHECKOUT_STATES {
            words.push(raw_status(c, None));
            words.extend(CHARGE_STATES.iter().map(|h| raw_status(c, Some(h))));
        }
        words
    });
    let checkout = CHECKOUT_STATES.iter().position(|s| *s == checkout_state);
    let charge = match charge_state {
        None => Some(0),
        Some(h) => CHARGE_STATES.iter().position(|s| *s == h).map(|i| i + 1),
    };
    match (checkout, charge) {
        (Some(c), Some(h)) => Cow::Borrowed(WORDS[c * (CHARGE_STATES.len() + 1) + h].as_str()),
        _ => Cow::Owned(raw_status(checkout_state, charge_state)),
    }
}

fn check_len(field: &str, value: &str, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n > max {
        return Err(Error::invalid(
            field,
            format!("Twisto allows at most {max} characters, got {n}"),
        ));
    }
    Ok(())
}

fn opt_len<'a>(field: &str, value: Option<&'a String>, max: usize) -> Result<Option<&'a str>> {
    match value {
        Some(v) => {
            check_len(field, v, max)?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

fn item_type(kind: LineItemKind) -> Result<&'static str> {
    Ok(match kind {
        LineItemKind::Sku => "sku",
        LineItemKind::Tax => "tax",
        LineItemKind::Shipping => "shipping",
        LineItemKind::Discount => "discount",
        LineItemKind::StoreCredit => "store_credit",
        _ => {
            return Err(Error::invalid(
                "line_items.kind",
                "a line kind Twisto does not know",
            ))
        }
    })
}

/// `text`, cut to `max` characters where it is longer.
fn truncated(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((end, _)) => Cow::Borrowed(&text[..end]),
        None => Cow::Borrowed(text),
    }
}

fn statistics(stats: &ShopperStatistics) -> Result<model::Statistics> {
    let amounts = [
        ("statistics.sales_total_amount", stats.sales_total_amount),
        ("statistics.sales_avg_amount", stats.sales_avg_amount),
        ("statistics.sales_max_amount", stats.sales_max_amount),
        ("statistics.refunds_total_amount", stats.refunds_total_amount),
    ];
    let mut currency: Option<Currency> = None;
    let mut out = [None, None, None, None];
    for (slot, (field, money)) in out.iter_mut().zip(amounts) {
        if let Some(m) = money {
            match currency {
                Some(c) if c != m.currency() => {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "statistics amounts must share one currency: {c} and {}",
                            m.currency()
                        ),
                    ))
                }
                _ => currency = Some(m.currency()),
            }
            *slot = Some(send_amount(field, m)?);
        }
    }
    let [sales_total_amount, sales_avg_amount, sales_max_amount, refunds_total_amount] = out;
    Ok(model::Statistics {
        account_created: stats.account_created.clone(),
        last_login: stats.last_login.clone(),
        sales_total_count: stats.sales_total_count,
        sales_total_amount,
        sales_avg_amount,
        sales_max_amount,
        refunds_total_amount,
        currency: currency.map(|c| c.code().to_owned()),
        has_previous_purchases: stats.has_previous_purchases,
        previous_chargeback: stats.previous_chargeback,
        fraud_check_result: stats.fraud_check_result.clone(),
    })
}

/// Builds the `POST /checkouts` body, refusing before sending what Twisto would refuse:
/// missing email or return URL, over-long fields, amounts outside the pattern, line items in
/// another currency, and items that do not sum to the amount.
pub(crate) fn checkout_body<'a>(
    request: &'a CreatePayment,
    options: &'a TwistoCheckoutOptions,
) -> Result<model::CreateCheckout<'a>> {
    let currency = request.amount.currency();
    let customer = request.customer.as_ref();
    let email = customer
        .and_then(|c| c.email.as_deref())
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| Error::invalid("customer.email", "Twisto requires the shopper's email"))?;
    let redirect_uri = request
        .return_url
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::invalid("return_url", "Twisto requires config.redirect_uri"))?;
    check_len("return_url", redirect_uri, MAX_REDIRECT_URI)?;
    if request.reference.is_empty() {
        return Err(Error::invalid("reference", "must not be empty"));
    }
    check_len("reference", &request.reference, MAX_REFERENCE)?;
    let amount = send_amount("amount", request.amount)?;

    let mut items = Vec::with_capacity(request.line_items.len().max(1));
    let mut sum = Money::zero(currency);
    for (i, line) in request.line_items.iter().enumerate() {
        let field = |k: &str| format!("line_items[{i}].{k}");
        if line.unit_amount.currency() != currency {
            return Err(Error::invalid(
                field("unit_amount"),
                format!("is in {}, the order in {currency}", line.unit_amount.currency()),
            ));
        }
        if line.quantity == 0 {
            return Err(Error::invalid(field("quantity"), "must be at least 1"));
        }
        if line.name.is_empty() {
            return Err(Error::invalid(field("name"), "must not be empty"));
        }
        check_len(&field("name"), &line.name, MAX_ITEM_NAME)?;
        let reference = opt_len(&field("reference"), line.reference.as_ref(), MAX_REFERENCE)?;
        let line_total = Money::from_minor(
            line.unit_amount
                .minor()
                .checked_mul(i64::from(line.quantity))
                .ok_or_else(|| Error::invalid(field("quantity"), "line total overflows"))?,
            currency,
        );
        sum = sum
            .checked_add(line_total)
            .map_err(|e| Error::money("line_items", e))?;
        items.push(model::Item {
            name: Cow::Borrowed(&line.name),
            amount: Cow::Owned(send_amount(&field("unit_amount"), line.unit_amount)?),
            quantity: u64::from(line.quantity),
            reference,
            kind: item_type(line.kind)?,
        });
    }
    if items.is_empty() {
        let name = request
            .description
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or(&request.reference);
        items.push(model::Item {
            name: truncated(name, MAX_ITEM_NAME),
            amount: Cow::Owned(amount.clone()),
            quantity: 1,
            reference: Some(&request.reference),
            kind: "sku",
        });
    } else if sum != request.amount {
        return Err(Error::invalid(
            "line_items",
            format!(
                "the items sum to {sum} (Σ unit_amount × quantity) but the order amount is {}; Twisto requires them to be equal",
                request.amount
            ),
        ));
    }

    let shopper = model::Shopper {
        first_name: opt_len(
            "customer.first_name",
            customer.and_then(|c| c.first_name.as_ref()),
            MAX_NAME,
        )?,
        middle_name: opt_len("options.middle_name", options.middle_name.as_ref(), MAX_NAME)?,
        last_name: opt_len(
            "customer.last_name",
            customer.and_then(|c| c.last_name.as_ref()),
            MAX_NAME,
        )?,
        last_name2: opt_len("options.last_name2", options.last_name2.as_ref(), MAX_NAME)?,
        phone: opt_len(
            "customer.phone",
            customer.and_then(|c| c.phone.as_ref()),
            MAX_PHONE,
        )?,
        birth_date: options.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        billing_address: options.billing_address.as_ref(),
        statistics: options.statistics.as_ref().map(statistics).transpose()?,
        personal_id: opt_len(
            "options.personal_id",
            options.personal_id.as_ref(),
            MAX_PERSONAL_ID,
        )?,
        email,
    };
    Ok(model::CreateCheckout {
        kind: options.checkout_type.as_str(),
        config: model::CheckoutConfig { redirect_uri },
        shopper,
        order: model::Order {
            reference: Some(&request.reference),
            amount,
            currency: currency.code(),
            items,
        },
        merchant_reference: &request.reference,
    })
}

/// The `POST /charges` body for the full amount of `checkout`.
pub(crate) fn charge_body(
    checkout_id: &str,
    amount: Money,
    order_reference: &str,
    reference: Option<&str>,
    capture: bool,
) -> Result<model::CreateCharge> {
    let reference = reference.unwrap_or(order_reference);
    check_len("reference", reference, MAX_REFERENCE)?;
    Ok(model::CreateCharge {
        authority: model::Authority {
            kind: "checkout_id",
            value: checkout_id.to_owned(),
        },
        reference: reference.to_owned(),
        amount: send_amount("amount", amount)?,
        currency: amount.currency().code().to_owned(),
        capture,
        order: model::ChargeOrder {
            reference: order_reference.to_owned(),
        },
    })
}

/// The `reason` text of a refund: the unified reason and the note, `"reason; note"` when
/// both are given (Twisto's refund has one free-text field, so neither is dropped).
pub(crate) fn refund_reason(reason: Option<&RefundReason>, note: Option<&str>) -> Option<String> {
    let reason = match reason {
        Some(RefundReason::Duplicate) => Some("duplicate"),
        Some(RefundReason::RequestedByCustomer) => Some("requested_by_customer"),
        Some(RefundReason::Fraudulent) => Some("fraudulent"),
        Some(RefundReason::Other(text)) => Some(text.as_str()),
        Some(_) | None => None,
    }
    .filter(|r| !r.is_empty());
    match (reason, note.filter(|n| !n.is_empty())) {
        (Some(r), Some(n)) => Some(format!("{r}; {n}")),
        (Some(r), None) => Some(r.to_owned()),
        (None, n) => n.map(str::to_owned),
    }
}

/// Owned text of a borrowed optional field.
fn owned(text: &Option<Cow<'_, str>>) -> Option<String> {
    text.as_deref().map(str::to_owned)
}

/// The checkout's amount.
pub(crate) fn checkout_amount(checkout: &model::Checkout<'_>, body: &[u8]) -> Result<Money> {
    let currency = decode_currency("order.currency", &checkout.order.currency, body)?;
    let amount = decode_amount("order.amount", &checkout.order.amount, currency, body)?;
    // The pattern allows a sign; a checkout of nothing or less is no payment (and is never
    // charged: the charge carries this amount).
    if !amount.is_positive() {
        return Err(Error::decode(
            PROVIDER,
            format!("order.amount must be greater than zero, got {amount}"),
            body,
        ));
    }
    Ok(amount)
}

/// The reference a charge of this checkout is made (and found) with: the order reference,
/// else the merchant reference, else the checkout id.
pub(crate) fn order_reference(checkout: &model::Checkout<'_>) -> String {
    checkout
        .order
        .reference
        .as_deref()
        .or(checkout.merchant_reference.as_deref())
        .unwrap_or(&checkout.id)
        .to_owned()
}

/// A charge, its amounts parsed in its own currency. None may be below zero (the pattern
/// allows a sign): a charge of -894.00, or that much captured or refunded, is no figure.
pub(crate) fn charge(charge: &model::Charge<'_>, body: &[u8]) -> Result<TwistoCharge> {
    let currency = decode_currency("charge.currency", &charge.currency, body)?;
    let not_negative = |field: &str, text: &str| {
        let money = decode_amount(field, text, currency, body)?;
        if money.is_negative() {
            return Err(Error::decode(
                PROVIDER,
                format!("charge {}: {field} {money} is below zero", charge.id),
                body,
            ));
        }
        Ok(money)
    };
    let amount = not_negative("charge.amount", &charge.amount)?;
    let opt =
        |field: &str, v: &Option<Cow<'_, str>>| v.as_deref().map(|t| not_negative(field, t)).transpose();
    Ok(TwistoCharge {
        id: charge.id.to_string(),
        reference: owned(&charge.reference),
        amount,
        captured: opt("charge.captured_amount", &charge.captured_amount)?,
        refunded: opt("charge.refunded_amount", &charge.refunded_amount)?,
        created_at: parse_time(charge.created_date.as_deref()),
        receipt_number: owned(&charge.receipt_number),
        product: owned(&charge.product),
        state: charge.state.to_string(),
    })
}

/// A refund. Its amount may not be below zero: Twisto refunds only amounts above zero, and
/// a payment refuses such a refund too ([`refund_amount`]).
pub(crate) fn refund(refund: &model::Refund, body: &[u8]) -> Result<TwistoRefund> {
    let amount = decode_decimal("refund.amount", Some(&refund.amount), body)?.unwrap_or(Decimal::ZERO);
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(Error::decode(
            PROVIDER,
            format!("refund {} has a negative amount {amount}", refund.id),
            body,
        ));
    }
    let currency = refund
        .currency
        .as_deref()
        .map(|c| decode_currency("refund.currency", c, body))
        .transpose()?;
    Ok(TwistoRefund {
        id: refund.id.clone(),
        checkout_id: refund.checkout_id.clone(),
        reference: refund.reference.clone(),
        reason: refund.reason.clone(),
        amount,
        currency,
        created_at: parse_time(refund.created_date.as_deref()),
    })
}

/// A batch's `settlement_date`: `YYYY-MM-DD`, or an RFC 3339 date-time (as Twisto writes
/// its other dates), whose date is taken as written, in its own offset; anything else is
/// `None`.
fn settlement_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(text).ok().map(|d| d.date_naive()))
}

/// A settlement batch.
pub(crate) fn batch(batch: &model::Batch, body: &[u8]) -> Result<TwistoBatch> {
    Ok(TwistoBatch {
        id: batch.id.clone(),
        state: batch.state.clone(),
        settlement_date: batch.settlement_date.as_deref().and_then(settlement_date),
        currency: batch
            .currency
            .as_deref()
            .map(|c| decode_currency("batch.currency", c, body))
            .transpose()?,
        amount: decode_decimal("batch.amount", batch.amount.as_deref(), body)?,
        order_amount: decode_decimal("batch.order_amount", batch.order_amount.as_deref(), body)?,
        refund_amount: decode_decimal("batch.refund_amount", batch.refund_amount.as_deref(), body)?,
        margin_amount: decode_decimal("batch.margin_amount", batch.margin_amount.as_deref(), body)?,
    })
}

/// A settlement batch entry, read from its JSON value.
pub(crate) fn batch_entry(value: serde_json::Value, body: &[u8]) -> Result<crate::types::TwistoBatchEntry> {
    let text = |k: &str| {
        value
            .get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let kind = text("type").ok_or_else(|| Error::decode(PROVIDER, "batch entry without type", body))?;
    let amount = match value.get("amount") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => decode_decimal("entry.amount", Some(s), body)?,
        Some(_) => return Err(Error::decode(PROVIDER, "entry.amount is not a string", body)),
    };
    let currency = match value.get("currency") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(c)) => Some(decode_currency("entry.currency", c, body)?),
        Some(_) => return Err(Error::decode(PROVIDER, "entry.currency is not a string", body)),
    };
    Ok(crate::types::TwistoBatchEntry {
        kind,
        checkout_id: text("checkout_id"),
        merchant_reference: text("merchant_reference"),
        amount,
        currency,
        created_at: parse_time(text("created_date").as_deref()),
        raw: value,
    })
}

/// A page of `T` mapped with `f`.
pub(crate) fn page<W, T>(
    page: model::Page<W>,
    body: &[u8],
    f: impl Fn(W, &[u8]) -> Result<T>,
) -> Result<TwistoPage<T>> {
    Ok(TwistoPage {
        count: page.count,
        next: page.next,
        previous: page.previous,
        items: page
            .items
            .into_iter()
            .map(|w| f(w, body))
            .collect::<Result<_>>()?,
    })
}

fn charge_event(c: &TwistoCharge) -> PaymentEvent {
    let kind = match c.state.as_str() {
        "authorised" => EventKind::Authorized,
        "captured" | "refunded" => EventKind::Captured,
        "cancelled" => EventKind::Voided,
        "rejected" => EventKind::Declined,
        "error" => EventKind::Failed,
        _ => EventKind::Other,
    };
    let raw_kind = match c.state.as_str() {
        "authorised" => Cow::Borrowed("charge:authorised"),
        "captured" => Cow::Borrowed("charge:captured"),
        "refunded" => Cow::Borrowed("charge:refunded"),
        "cancelled" => Cow::Borrowed("charge:cancelled"),
        "rejected" => Cow::Borrowed("charge:rejected"),
        "error" => Cow::Borrowed("charge:error"),
        other => Cow::Owned(format!("charge:{other}")),
    };
    let mut e = PaymentEvent::new(kind, raw_kind);
    e.at = c.created_at;
    e.id = Some(c.id.clone());
    e.amount = Some(c.amount);
    e.detail = c.receipt_number.as_ref().map(|r| format!("receipt {r}"));
    e
}

/// For `charge`, authorised earlier and captured just now: its `created_date` is when it
/// was authorised (Twisto's charge has no capture time), so its event in `events` becomes
/// the authorisation at that time, followed by the capture, undated.
pub(crate) fn captured_after_authorisation(events: &mut Vec<PaymentEvent>, charge: &TwistoCharge) {
    let Some(i) = events
        .iter()
        .position(|e| e.kind == EventKind::Captured && e.id.as_deref() == Some(charge.id.as_str()))
    else {
        return;
    };
    let mut authorised = PaymentEvent::new(EventKind::Authorized, "charge:authorised");
    authorised.at = events[i].at.take();
    authorised.id = Some(charge.id.clone());
    authorised.amount = Some(charge.amount);
    events.insert(i, authorised);
}

/// Where a checkout stands: its amount, unified status and the amounts captured, refunded
/// and still refundable, as [`payment`] reports them, checked the same way but without the
/// events and text a `Payment` carries. For checks before a mutation, such as what a
/// refund may still take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Standing {
    pub(crate) amount: Money,
    pub(crate) status: PaymentStatus,
    /// The provider's words for the state, as [`raw_status`] spells them.
    pub(crate) raw_status: Cow<'static, str>,
    pub(crate) captured: Option<Money>,
    pub(crate) refunded: Option<Money>,
    pub(crate) refundable: Option<Money>,
}

/// The [`Standing`] of `checkout` (verbatim `body`), with its charge and its refunds where
/// they were fetched. Refund amounts are read in the checkout's currency.
///
/// # Errors
/// [`Error::Decode`] when an amount or currency breaks the documented format, a charge or
/// refund is in another currency than the checkout, or a charge captured more than the
/// checkout's amount.
pub(crate) fn standing(
    checkout: &model::Checkout<'_>,
    body: &[u8],
    charge: Option<&TwistoCharge>,
    refunds: Option<&[model::Refund]>,
) -> Result<Standing> {
    let amount = checkout_amount(checkout, body)?;
    let currency = amount.currency();
    for (i, item) in checkout.order.items.iter().enumerate() {
        // The field is named only on failure: formatting it per item cost an allocation.
        parse_amount(&item.amount, currency)
            .map_err(|e| Error::decode(PROVIDER, format!("order.items[{i}].amount: {e}"), body))?;
    }
    if let Some(c) = charge {
        if c.amount.currency() != currency {
            return Err(Error::decode(
                PROVIDER,
                format!("charge in {} for a checkout in {currency}", c.amount.currency()),
                body,
            ));
        }
        // A charge is for the checkout's full amount at most: more captured would be
        // reported as captured, and offered for refund.
        if let Some(captured) = c
            .captured
            .filter(|m| m.checked_cmp(&amount).is_ok_and(|o| o.is_gt()))
        {
            return Err(Error::decode(
                PROVIDER,
                format!("charge {} captured {captured} of a checkout of {amount}", c.id),
                body,
            ));
        }
    }
    // A charge's own figures, where they agree with its state: a charge is for the full
    // amount only, so one `captured` or `refunded` has captured something, and one
    // `authorised`, `cancelled`, `rejected` or `error` nothing (and refunded nothing). A
    // figure that contradicts the state (0.00 captured on a captured charge, 894.00 on a
    // rejected one) is no reading of it: unknown, not reported.
    let charge_captured = charge.and_then(|c| match c.state.as_str() {
        "captured" | "refunded" => match c.captured {
            None => Some(c.amount),
            Some(m) => Some(m).filter(Money::is_positive),
        },
        "authorised" | "cancelled" | "rejected" | "error" => c.captured.filter(Money::is_zero),
        _ => c.captured,
    });
    let charge_refunded = charge.and_then(|c| match c.state.as_str() {
        "refunded" => c
            .refunded
            .filter(|r| r.is_positive() && charge_captured.is_none_or(|cap| *r >= cap)),
        "authorised" | "cancelled" | "rejected" | "error" => c.refunded.filter(Money::is_zero),
        _ => c.refunded,
    });
    let refunded_total = match refunds {
        Some(list) => {
            let mut total = Money::zero(currency);
            for r in list {
                total = total
                    .checked_add(refund_amount(r, currency, body)?)
                    .map_err(|e| Error::decode(PROVIDER, e.to_string(), body))?;
            }
            Some(total)
        }
        None => charge_refunded,
    };

    let state = &*checkout.state;
    let charge_state = charge.map(|c| c.state.as_str());
    let status = unified_status(state, charge_state, amount, refunded_total);
    let zero = Money::zero(currency);
    let captured = match (charge, state) {
        (Some(_), _) => charge_captured,
        (None, "completed") => Some(amount),
        (None, "created" | "approved" | "cancelled" | "error") => Some(zero),
        _ => None,
    };
    let refunded = refunded_total.or(match state {
        "created" | "approved" | "cancelled" | "error" if charge.is_none() => Some(zero),
        _ => None,
    });
    let refundable = match (captured, refunded) {
        (Some(c), Some(r)) => Some(c.checked_sub(r).unwrap_or(zero).max_zero()),
        _ => None,
    };
    Ok(Standing {
        amount,
        status,
        raw_status: raw_status_word(state, charge_state),
        captured,
        refunded,
        refundable,
    })
}

/// A refund's amount, which must be in the checkout's `currency` and not negative: Twisto
/// refunds only amounts above zero, and a negative one summed in would report less refunded
/// and more refundable than was captured.
pub(crate) fn refund_amount(refund: &model::Refund, currency: Currency, body: &[u8]) -> Result<Money> {
    if let Some(code) = &refund.currency {
        if code != currency.code() {
            return Err(Error::decode(
                PROVIDER,
                format!("refund {} in {code} for a checkout in {currency}", refund.id),
                body,
            ));
        }
    }
    let amount = decode_amount("refund.amount", &refund.amount, currency, body)?;
    if amount.is_negative() {
        return Err(Error::decode(
            PROVIDER,
            format!("refund {} has a negative amount {amount}", refund.id),
            body,
        ));
    }
    Ok(amount)
}

/// The unified payment of `checkout` (verbatim `body`), with its charge and its refunds
/// where they were fetched: its [`Standing`], events, customer and text.
///
/// # Errors
/// As [`standing`].
pub(crate) fn payment(
    checkout: &model::Checkout<'_>,
    body: &[u8],
    charge: Option<&TwistoCharge>,
    refunds: Option<&[model::Refund]>,
) -> Result<Payment> {
    let standing = standing(checkout, body, charge, refunds)?;
    let amount = standing.amount;
    let currency = amount.currency();
    let state = &*checkout.state;

    let mut events = Vec::with_capacity(2 + refunds.map_or(0, <[_]>::len));
    let created_at = parse_time(checkout.created.as_deref());
    let mut created = PaymentEvent::new(EventKind::Created, "checkout:created");
    created.at = created_at;
    created.amount = Some(amount);
    events.push(created);
    if let Some(c) = charge {
        events.push(charge_event(c));
    } else if state == "completed" {
        // Undated: the checkout gives no time for its charge. `settled` is when Twisto
        // transferred the funds to the merchant (a payout, days later and after any refund
        // made before it), not when the shopper was charged.
        let mut e = PaymentEvent::new(EventKind::Captured, "checkout:completed");
        e.amount = Some(amount);
        events.push(e);
    } else if state == "cancelled" {
        events.push(PaymentEvent::new(EventKind::Cancelled, "checkout:cancelled"));
    } else if state == "error" {
        events.push(PaymentEvent::new(EventKind::Failed, "checkout:error"));
    } else if state == "approved" {
        events.push(PaymentEvent::new(EventKind::Authorized, "checkout:approved"));
    }
    let first_refund = events.len();
    for r in refunds.unwrap_or_default() {
        let mut e = PaymentEvent::new(EventKind::Refunded, "refund");
        e.at = parse_time(r.created_date.as_deref());
        e.id = Some(r.id.clone());
        e.amount = Some(refund_amount(r, currency, body)?);
        e.detail = r.reason.clone().filter(|s| !s.is_empty());
        events.push(e);
    }
    // Events are oldest first, and Twisto documents no order for its refund list. Refunds
    // follow the charge whatever their dates, so only they are ordered: the dated ones by
    // time, among the places dated ones hold, and an undated one (which could be anywhere)
    // where Twisto listed it.
    if let Some(refund_events) = events.get_mut(first_refund..) {
        oldest_first(refund_events);
    }

    let mut p = Payment::new(
        PROVIDER,
        checkout.id.to_string(),
        amount,
        standing.status,
        standing.raw_status,
    );
    p.reference = owned(&checkout.merchant_reference);
    p.captured = standing.captured;
    p.refunded = standing.refunded;
    p.capturable = Some(if standing.status == PaymentStatus::Authorized {
        amount
    } else {
        Money::zero(currency)
    });
    p.refundable = standing.refundable;
    p.redirect_url = if state == "created" {
        owned(&checkout.uri)
    } else {
        None
    };
    p.customer = checkout.shopper.as_ref().map(|s| {
        let first = s.first_name.as_deref().filter(|n| !n.is_empty());
        let last = s.last_name.as_deref().filter(|n| !n.is_empty());
        let mut c = CustomerSummary::default();
        c.email = owned(&s.email);
        c.name = match (first, last) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.to_owned()),
            (None, None) => None,
        };
        c
    });
    if let Some(c) = charge {
        if matches!(c.state.as_str(), "rejected" | "error") {
            let mut d = DeclineReason::default();
            d.code = Some(c.state.clone());
            d.message = Some(format!("Twisto charge {} is {}", c.id, c.state));
            p.decline = Some(d);
        }
    }
    p.metadata = BTreeMap::new();
    // When the status last changed: the last event's time (events are oldest first, the
    // undated ones where they happened). Where that event is undated (an approval,
    // cancellation or completion Twisto gives no time for) it is unknown, not the creation
    // time.
    p.updated_at = events.last().and_then(|e| e.at);
    p.events = events;
    p.created_at = created_at;
    p.keep_raw(body);
    Ok(p)
}

/// Orders the dated events of `events` by time (stable), within the places dated events
/// hold; undated events keep their places.
fn oldest_first(events: &mut [PaymentEvent]) {
    if events.iter().filter_map(|e| e.at).is_sorted() {
        return;
    }
    let slots: Vec<usize> = (0..events.len()).filter(|&i| events[i].at.is_some()).collect();
    let mut dated: Vec<PaymentEvent> = slots.iter().map(|&i| events[i].clone()).collect();
    dated.sort_by_key(|e| e.at);
    for (slot, event) in slots.into_iter().zip(dated) {
        events[slot] = event;
    }
}

trait MaxZero {
    fn max_zero(self) -> Self;
}

impl MaxZero for Money {
    fn max_zero(self) -> Self {
        if self.is_negative() {
            Money::zero(self.currency())
        } else {
            self
        }
    }
}

/// Parses a checkout body and maps it (no charge, no refunds).
pub(crate) fn decode_checkout_body(body: &[u8]) -> Result<(model::Checkout<'_>, Payment)> {
    let checkout: model::Checkout = paymux_core::transport::parse_json(body)
        .map_err(|e| Error::decode(PROVIDER, format!("checkout: {e}"), body))?;
    let p = payment(&checkout, body, None, None)?;
    Ok((checkout, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_status_words_are_static_for_documented_states() {
        for c in CHECKOUT_STATES {
            for h in std::iter::once(None).chain(CHARGE_STATES.iter().map(|h| Some(*h))) {
                let word = raw_status_word(c, h);
                assert_eq!(word, raw_status(c, h));
                assert!(matches!(word, Cow::Borrowed(_)), "{word}");
            }
        }
        let odd = raw_status_word("paused", Some("authorised"));
        assert_eq!(odd, "checkout:paused/charge:authorised");
        assert!(matches!(odd, Cow::Owned(_)));
        assert_eq!(
            raw_status_word("completed", Some("held")),
            "checkout:completed/charge:held"
        );
    }

    proptest::proptest! {
        /// The two-decimal shortcut reads every text exactly as the general parser does,
        /// pattern or not.
        #[test]
        fn the_shortcut_agrees_with_the_general_reading(
            text in "-?[0-9]{0,9}(\\.[0-9]{0,3})?|[-+ .,e0-9٣]{0,12}|\\PC{0,12}",
            cur in proptest::prop_oneof![
                proptest::strategy::Just(Currency::CZK),
                proptest::strategy::Just(Currency::EUR),
                proptest::strategy::Just(Currency::JPY),
                proptest::strategy::Just(Currency::BHD)
            ],
        ) {
            proptest::prop_assert_eq!(parse_amount(&text, cur), parse_amount_general(&text, cur));
        }
    }

    #[test]
    fn the_shortcut_reads_each_form_the_pattern_allows() {
        for (text, minor) in [
            ("894.00", 89_400),
            ("894.5", 89_450),
            ("894.", 89_400),
            ("894", 89_400),
            (".5", 50),
            ("-.05", -5),
            ("-0", 0),
            ("99999999.99", 9_999_999_999),
        ] {
            assert_eq!(pattern_hundredths(text), Some(minor), "{text}");
            assert_eq!(
                parse_amount(text, Currency::CZK).map(|m| m.minor()),
                Ok(minor),
                "{text}"
            );
        }
        for text in [
            "",
            "-",
            ".",
            "-.",
            "123456789",
            "1.001",
            "+1",
            " 1",
            "1,00",
            "1e3",
            "٣",
        ] {
            assert_eq!(pattern_hundredths(text), None, "{text:?}");
            assert!(parse_amount(text, Currency::CZK).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_default_item_is_named_by_the_description_cut_to_twistos_limit() {
        let request = |description: &str| {
            CreatePayment::new(Money::from_minor(89_400, Currency::CZK), "order-1")
                .with_description(description)
                .with_customer(paymux_core::Customer::with_email("jan@example.cz"))
                .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
                .with_manual_capture()
        };
        let options = TwistoCheckoutOptions::default();
        // 300 two-byte characters: cut at 255 characters, not bytes.
        let long = request(&"č".repeat(300));
        let body = checkout_body(&long, &options).unwrap();
        let name = &body.order.items[0].name;
        assert_eq!(name.chars().count(), MAX_ITEM_NAME);
        assert_eq!(name.len(), 2 * MAX_ITEM_NAME);
        let exact = request(&"č".repeat(MAX_ITEM_NAME));
        let body = checkout_body(&exact, &options).unwrap();
        assert_eq!(body.order.items[0].name, "č".repeat(MAX_ITEM_NAME));
        // The caller's text is sent as it is, not copied.
        let short = request("Coffee");
        let body = checkout_body(&short, &options).unwrap();
        assert!(matches!(body.order.items[0].name, Cow::Borrowed("Coffee")));
        assert_eq!(body.order.items[0].amount, "894.00");
        assert_eq!(body.order.items[0].reference, Some("order-1"));
    }

    #[test]
    fn standing_is_what_the_payment_reports() {
        let fixture = include_str!("../tests/fixtures/checkout_realistic.json");
        let refunds: Vec<model::Refund> = serde_json::from_str(
            r#"[{"id":"r1","amount":"100.50","currency":"CZK"},{"id":"r2","amount":".5"}]"#,
        )
        .unwrap();
        for state in CHECKOUT_STATES {
            let body = fixture.replace(r#""state": "created""#, &format!(r#""state": "{state}""#));
            let checkout: model::Checkout = serde_json::from_str(&body).unwrap();
            for refunds in [None, Some(&refunds[..1]), Some(&refunds[..])] {
                let s = standing(&checkout, body.as_bytes(), None, refunds).unwrap();
                let p = payment(&checkout, body.as_bytes(), None, refunds).unwrap();
                let reported = (
                    p.amount,
                    p.status,
                    p.raw_status,
                    p.captured,
                    p.refunded,
                    p.refundable,
                );
                assert_eq!(
                    (
                        s.amount,
                        s.status,
                        s.raw_status,
                        s.captured,
                        s.refunded,
                        s.refundable
                    ),
                    reported,
                    "{state} {refunds:?}"
                );
            }
        }
        let body = fixture.replace(r#""state": "created""#, r#""state": "completed""#);
        let checkout: model::Checkout = serde_json::from_str(&body).unwrap();
        let euro: Vec<model::Refund> =
            serde_json::from_str(r#"[{"id":"r9","amount":"1.00","currency":"EUR"}]"#).unwrap();
        assert!(standing(&checkout, body.as_bytes(), None, Some(&euro)).is_err());
        // A negative refund is refused, not netted into the sum, by both readings.
        let negative: Vec<model::Refund> =
            serde_json::from_str(r#"[{"id":"r1","amount":"100.50"},{"id":"r2","amount":"-.5"}]"#).unwrap();
        assert!(standing(&checkout, body.as_bytes(), None, Some(&negative)).is_err());
        assert!(payment(&checkout, body.as_bytes(), None, Some(&negative)).is_err());
    }

    #[test]
    fn amounts_are_copied_only_to_make_them_explicit() {
        for plain in ["894.00", "-1.5", "12", "0.05"] {
            assert!(matches!(normalized(plain), Ok(Cow::Borrowed(t)) if t == plain));
        }
        for (edge, explicit) in [(".5", "0.5"), ("1.", "1"), ("-.05", "-0.05"), ("-7.", "-7")] {
            assert!(matches!(normalized(edge), Ok(Cow::Owned(t)) if t == explicit));
        }
        assert!(normalized("1.001").is_err());
    }

    #[test]
    fn pattern_edge_forms() {
        assert_eq!(parse_amount(".5", Currency::CZK).map(|m| m.minor()), Ok(50));
        assert_eq!(parse_amount("1.", Currency::CZK).map(|m| m.minor()), Ok(100));
        assert_eq!(parse_amount("-.05", Currency::CZK).map(|m| m.minor()), Ok(-5));
        for bad in [
            "",
            "-",
            ".",
            "-.",
            "+1",
            "1.001",
            "123456789",
            "1e3",
            " 1.00",
            "1,00",
            "1.00 ",
        ] {
            assert!(parse_amount(bad, Currency::CZK).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_decimal("894.00").map(|d| d.to_string()),
            Ok("894.00".to_owned())
        );
    }
}

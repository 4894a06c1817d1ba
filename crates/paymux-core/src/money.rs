//! Currencies and exact money amounts.
//!
//! [`Money`] is an `i64` count of a currency's minor units (öre, cents, fils) with its
//! [`Currency`]. There is no floating point anywhere in this module: conversions to and from
//! decimal strings and [`Decimal`] are exact, and a value with more fractional digits than the
//! currency has is an error ([`MoneyError::ExcessPrecision`]), never a silent rounding. Callers who
//! want rounding ask for it by name with [`Money::from_decimal_rounded`] or [`Money::round`].
//!
//! Providers that put amounts on the wire in their own way use the wire helpers:
//! [`Money::to_wire_units`] / [`Money::from_wire_units`] with a [`WireUnitRule`] (for example
//! Checkout.com sends CLP × 100 although ISO 4217 gives it no decimals), and
//! [`Money::to_wire_decimal`] / [`Money::from_wire_decimal`] with a [`DecimalStringRule`] (for
//! example Twisto's `^-?\d{0,8}(?:\.\d{0,2})?$`).
#![deny(clippy::float_arithmetic)]

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest ISO 4217 exponent in use (CLF and UYW have 4).
const MAX_EXPONENT: u8 = 4;

/// Powers of ten that fit an `i64`.
const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

fn pow10(exp: u32) -> Result<i64, MoneyError> {
    POW10.get(exp as usize).copied().ok_or(MoneyError::Overflow)
}

/// An error building, converting or combining money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The code is not an ISO 4217 currency.
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    /// The currency has no minor unit in ISO 4217 (gold, SDRs, testing codes), so it cannot
    /// make a [`Money`].
    #[error("currency {0} has no ISO 4217 minor unit and cannot be used for payments")]
    NoMinorUnit(&'static str),
    /// More fractional digits than the currency (or the wire format) has.
    #[error("{currency} allows at most {allowed} fractional digit(s), got {found} in {input:?}")]
    ExcessPrecision {
        /// Currency code.
        currency: &'static str,
        /// Digits the currency or format allows.
        allowed: u8,
        /// Digits found.
        found: u32,
        /// The value as given (shortened).
        input: String,
    },
    /// The value does not fit an `i64` count of minor units.
    #[error("amount overflows the range of minor units")]
    Overflow,
    /// Two amounts in different currencies were combined or compared.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch {
        /// Left-hand currency.
        left: &'static str,
        /// Right-hand currency.
        right: &'static str,
    },
    /// The text is not a plain decimal number.
    #[error("invalid decimal amount {input:?}: {reason}")]
    InvalidFormat {
        /// The text as given (shortened).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The value cannot be expressed exactly under a provider's wire rule.
    #[error("{amount} cannot be sent exactly: {rule}")]
    NotRepresentable {
        /// The amount, formatted.
        amount: String,
        /// The rule it breaks.
        rule: String,
    },
}

fn shorten(input: &str) -> String {
    const MAX: usize = 40;
    if input.len() <= MAX {
        return input.to_owned();
    }
    let mut end = MAX;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &input[..end])
}

/// An ISO 4217 currency that has a minor unit, with its exponent (0, 2, 3 or 4).
///
/// Serialises as its three-letter code.
///
/// ```
/// use paymux_core::Currency;
/// let sek = Currency::from_code("SEK")?;
/// assert_eq!(sek.exponent(), 2);
/// assert_eq!(Currency::from_code("JPY")?.exponent(), 0);
/// assert!(Currency::from_code("XAU").is_err()); // gold has no minor unit
/// # Ok::<(), paymux_core::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    iso: iso_currency::Currency,
    exponent: u8,
}

macro_rules! currency_consts {
    ($($code:ident = $exp:literal),* $(,)?) => {
        $(
            #[doc = concat!("ISO 4217 `", stringify!($code), "` (", stringify!($exp), " decimals).")]
            pub const $code: Currency = Currency { iso: iso_currency::Currency::$code, exponent: $exp };
        )*
    };
}

impl Currency {
    currency_consts!(
        SEK = 2,
        EUR = 2,
        USD = 2,
        GBP = 2,
        CZK = 2,
        PLN = 2,
        NOK = 2,
        DKK = 2,
        CHF = 2,
        JPY = 0,
        ISK = 0,
        KRW = 0,
        CLP = 0,
        BHD = 3,
        KWD = 3,
        JOD = 3,
        CLF = 4,
    );

    /// The currency for a three-letter ISO 4217 code (upper case).
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for an unknown code, [`MoneyError::NoMinorUnit`] for a
    /// code without a minor unit (XAU, XDR, XXX…).
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        // Every provider answer names its currency, so this is on the decoding hot path:
        // a binary search over the codes beats `iso_currency`'s string match by ~10x.
        if let Ok(key) = <[u8; 3]>::try_from(code.as_bytes()) {
            let table = code_table();
            if let Ok(i) = table.binary_search_by(|(k, _)| k.cmp(&key)) {
                return Ok(table[i].1);
            }
        }
        let iso = iso_currency::Currency::from_code(code)
            .ok_or_else(|| MoneyError::UnknownCurrency(shorten(code)))?;
        Self::from_iso(iso)
    }

    /// Wraps an `iso_currency` value.
    ///
    /// # Errors
    /// [`MoneyError::NoMinorUnit`] where ISO 4217 gives the currency no exponent.
    pub fn from_iso(iso: iso_currency::Currency) -> Result<Self, MoneyError> {
        match iso.exponent() {
            Some(e) if e <= u16::from(MAX_EXPONENT) => Ok(Self {
                iso,
                exponent: u8::try_from(e).map_err(|_| MoneyError::NoMinorUnit(iso.code()))?,
            }),
            _ => Err(MoneyError::NoMinorUnit(iso.code())),
        }
    }

    /// The three-letter code, e.g. `"SEK"`.
    pub fn code(&self) -> &'static str {
        self.iso.code()
    }

    /// Number of fractional digits (ISO 4217 exponent).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// The underlying `iso_currency` value.
    pub fn iso(&self) -> iso_currency::Currency {
        self.iso
    }

    /// Every ISO 4217 currency that can make a [`Money`].
    pub fn all() -> impl Iterator<Item = Currency> {
        use iso_currency::IntoEnumIterator;
        iso_currency::Currency::iter().filter_map(|c| Self::from_iso(c).ok())
    }
}

/// Every currency with a minor unit, sorted by code, built once.
fn code_table() -> &'static [([u8; 3], Currency)] {
    static TABLE: OnceLock<Vec<([u8; 3], Currency)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Vec<([u8; 3], Currency)> = Currency::all()
            .filter_map(|c| <[u8; 3]>::try_from(c.code().as_bytes()).ok().map(|k| (k, c)))
            .collect();
        table.sort_unstable_by_key(|entry| entry.0);
        table
    })
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// How to round when the caller explicitly asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RoundingStrategy {
    /// Half to even (banker's rounding): 0.125 → 0.12, 0.135 → 0.14.
    HalfEven,
    /// Half away from zero (commercial rounding): 0.125 → 0.13, -0.125 → -0.13.
    HalfUp,
    /// Half toward zero: 0.125 → 0.12.
    HalfDown,
    /// Toward zero (truncate).
    TowardZero,
    /// Away from zero.
    AwayFromZero,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl From<RoundingStrategy> for rust_decimal::RoundingStrategy {
    fn from(s: RoundingStrategy) -> Self {
        use rust_decimal::RoundingStrategy as R;
        match s {
            RoundingStrategy::HalfEven => R::MidpointNearestEven,
            RoundingStrategy::HalfUp => R::MidpointAwayFromZero,
            RoundingStrategy::HalfDown => R::MidpointTowardZero,
            RoundingStrategy::TowardZero => R::ToZero,
            RoundingStrategy::AwayFromZero => R::AwayFromZero,
            RoundingStrategy::Floor => R::ToNegativeInfinity,
            RoundingStrategy::Ceiling => R::ToPositiveInfinity,
        }
    }
}

/// An exact amount: an `i64` count of the currency's minor units.
///
/// Serialises as `{"amount": <minor units>, "currency": "SEK"}`; `Display` gives `"30.00 SEK"`.
///
/// ```
/// use paymux_core::{Currency, Money};
/// let m = Money::parse("30.00", Currency::SEK)?;
/// assert_eq!(m.minor(), 3000);
/// assert_eq!(m.to_decimal_string(), "30.00");
/// assert_eq!(m.to_string(), "30.00 SEK");
/// assert_eq!(Money::parse("-5.5", Currency::SEK)?.minor(), -550);
/// assert!(Money::parse("0.001", Currency::SEK).is_err()); // never rounded silently
/// # Ok::<(), paymux_core::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount of `minor` minor units (3000 SEK minor units = 30.00 SEK).
    pub const fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Self::from_minor(0, currency)
    }

    /// The count of minor units.
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Exact conversion from a [`Decimal`] in major units (`30.5` SEK → 3050).
    ///
    /// # Errors
    /// [`MoneyError::ExcessPrecision`] when the value has more significant fractional digits
    /// than the currency (trailing zeros are fine), [`MoneyError::Overflow`] when it does not
    /// fit.
    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let normalized = value.normalize();
        let exp = u32::from(currency.exponent);
        if normalized.scale() > exp {
            return Err(MoneyError::ExcessPrecision {
                currency: currency.code(),
                allowed: currency.exponent,
                found: normalized.scale(),
                input: shorten(&value.to_string()),
            });
        }
        let scaled = normalized
            .checked_mul(Decimal::from(pow10(exp)?))
            .ok_or(MoneyError::Overflow)?;
        // `scaled` is integral here: its scale was at most `exp`.
        let mantissa = scaled.normalize().mantissa();
        let minor = i64::try_from(mantissa).map_err(|_| MoneyError::Overflow)?;
        Ok(Self::from_minor(minor, currency))
    }

    /// Conversion from a [`Decimal`] that rounds extra digits with the named strategy.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the rounded value does not fit.
    pub fn from_decimal_rounded(
        value: Decimal,
        currency: Currency,
        strategy: RoundingStrategy,
    ) -> Result<Self, MoneyError> {
        let rounded = value.round_dp_with_strategy(u32::from(currency.exponent), strategy.into());
        Self::from_decimal(rounded, currency)
    }

    /// Rounds to `digits` fractional digits (fewer than the currency has), e.g. to whole
    /// kronor for cash: `30.55 SEK` rounded to 0 digits half-up is `31.00 SEK`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the rounded value does not fit.
    pub fn round(self, digits: u8, strategy: RoundingStrategy) -> Result<Self, MoneyError> {
        if digits >= self.currency.exponent {
            return Ok(self);
        }
        let rounded = self
            .to_decimal()
            .round_dp_with_strategy(u32::from(digits), strategy.into());
        Self::from_decimal(rounded, self.currency)
    }

    /// The value in major units as a [`Decimal`] with the currency's scale.
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, u32::from(self.currency.exponent))
    }

    /// Parses a plain decimal string in major units: an optional `-`, digits, and optionally
    /// `.` followed by digits. No exponent, spaces, `+`, thousands separators or commas.
    ///
    /// # Errors
    /// [`MoneyError::InvalidFormat`] for anything else, [`MoneyError::ExcessPrecision`] for
    /// more fractional digits than the currency has (even zeros: `"1.000"` is not SEK),
    /// [`MoneyError::Overflow`] when out of range.
    pub fn parse(input: &str, currency: Currency) -> Result<Self, MoneyError> {
        let parts = split_decimal(input)?;
        let exp = currency.exponent;
        let frac_len = parts.fraction.len();
        if frac_len > usize::from(exp) {
            return Err(MoneyError::ExcessPrecision {
                currency: currency.code(),
                allowed: exp,
                found: u32::try_from(frac_len).unwrap_or(u32::MAX),
                input: shorten(input),
            });
        }
        let minor = assemble(parts, exp)?;
        Ok(Self::from_minor(minor, currency))
    }

    /// The value as a decimal string with exactly the currency's digits: `"30.00"`,
    /// `"1000"` (JPY), `"1.500"` (BHD), `"-0.05"`.
    pub fn to_decimal_string(&self) -> String {
        let mut out = String::with_capacity(24);
        write_decimal(
            &mut out,
            self.minor,
            self.currency.exponent,
            self.currency.exponent,
        );
        out
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Subtracts `other` from `self` (same currency).
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Compares two amounts of the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] for different currencies.
    pub fn checked_cmp(&self, other: &Money) -> Result<Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.minor.cmp(&other.minor))
    }

    /// True for zero.
    pub const fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// True above zero.
    pub const fn is_positive(&self) -> bool {
        self.minor > 0
    }

    /// True below zero.
    pub const fn is_negative(&self) -> bool {
        self.minor < 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency.code(),
                right: other.currency.code(),
            })
        }
    }

    /// The value in a provider's wire units (see [`WireUnitRule`]).
    ///
    /// ```
    /// use paymux_core::{Currency, Money, WireUnitRule};
    /// // Checkout.com sends CLP × 100 although ISO 4217 gives CLP no decimals.
    /// let rule = WireUnitRule { exponent: 2, multiple_of: 100 };
    /// assert_eq!(Money::from_minor(1500, Currency::CLP).to_wire_units(rule)?, 150_000);
    /// # Ok::<(), paymux_core::MoneyError>(())
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::NotRepresentable`] when the value would need more digits than the rule's
    /// exponent or breaks its `multiple_of`; [`MoneyError::Overflow`].
    pub fn to_wire_units(&self, rule: WireUnitRule) -> Result<i64, MoneyError> {
        let cur = self.currency.exponent;
        let wire = if rule.exponent >= cur {
            let factor = pow10(u32::from(rule.exponent - cur))?;
            self.minor.checked_mul(factor).ok_or(MoneyError::Overflow)?
        } else {
            let factor = pow10(u32::from(cur - rule.exponent))?;
            if self.minor % factor != 0 {
                return Err(self.not_representable(rule));
            }
            self.minor / factor
        };
        if rule.multiple_of > 1 && wire % rule.multiple_of != 0 {
            return Err(self.not_representable(rule));
        }
        Ok(wire)
    }

    /// Reads a value given in a provider's wire units (see [`WireUnitRule`]).
    ///
    /// # Errors
    /// [`MoneyError::NotRepresentable`] when the value has digits the currency cannot hold or
    /// breaks the rule; [`MoneyError::Overflow`].
    pub fn from_wire_units(wire: i64, currency: Currency, rule: WireUnitRule) -> Result<Self, MoneyError> {
        let cur = currency.exponent;
        let bad = || MoneyError::NotRepresentable {
            amount: format!("{wire} wire units of {currency}"),
            rule: rule.to_string(),
        };
        if rule.multiple_of > 1 && wire % rule.multiple_of != 0 {
            return Err(bad());
        }
        let minor = if rule.exponent >= cur {
            let factor = pow10(u32::from(rule.exponent - cur))?;
            if wire % factor != 0 {
                return Err(bad());
            }
            wire / factor
        } else {
            let factor = pow10(u32::from(cur - rule.exponent))?;
            wire.checked_mul(factor).ok_or(MoneyError::Overflow)?
        };
        Ok(Self::from_minor(minor, currency))
    }

    /// The value as a decimal string under a provider's [`DecimalStringRule`].
    ///
    /// ```
    /// use paymux_core::{Currency, DecimalStringRule, Money};
    /// let twisto = DecimalStringRule { max_integer_digits: 8, fraction_digits: 2 };
    /// assert_eq!(Money::from_minor(89400, Currency::CZK).to_wire_decimal(twisto)?, "894.00");
    /// assert!(Money::from_minor(1_000_000_000_00, Currency::CZK).to_wire_decimal(twisto).is_err());
    /// # Ok::<(), paymux_core::MoneyError>(())
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::NotRepresentable`] when the value needs more integer digits than allowed,
    /// or more fractional digits than the format has, or the format asks for more than 18
    /// fractional digits.
    pub fn to_wire_decimal(&self, rule: DecimalStringRule) -> Result<String, MoneyError> {
        let cur = self.currency.exponent;
        // No currency has more than 4 decimals; a rule asking for more than an i64 can hold
        // digits for is a configuration error, not something to write out.
        if rule.fraction_digits > MAX_WIRE_FRACTION_DIGITS {
            return Err(self.not_representable(rule));
        }
        if cur > rule.fraction_digits {
            let factor = pow10(u32::from(cur - rule.fraction_digits))?;
            if self.minor % factor != 0 {
                return Err(self.not_representable(rule));
            }
        }
        let integer_part = self.minor.unsigned_abs() / pow10(u32::from(cur))?.unsigned_abs();
        if digit_count(integer_part) > u32::from(rule.max_integer_digits) {
            return Err(self.not_representable(rule));
        }
        let mut out = String::with_capacity(16);
        write_decimal(&mut out, self.minor, cur, rule.fraction_digits);
        Ok(out)
    }

    /// Parses a provider's decimal string strictly under its [`DecimalStringRule`]. Extra
    /// fractional zeros the currency does not have are accepted (`"100.00"` JPY is 100 yen);
    /// any other excess digit is an error, never a rounding.
    ///
    /// # Errors
    /// [`MoneyError::InvalidFormat`] when the text breaks the pattern,
    /// [`MoneyError::ExcessPrecision`] when it has significant digits the currency lacks.
    pub fn from_wire_decimal(
        input: &str,
        currency: Currency,
        rule: DecimalStringRule,
    ) -> Result<Self, MoneyError> {
        let parts = split_decimal(input)?;
        if parts.integer.len() > usize::from(rule.max_integer_digits) {
            return Err(MoneyError::InvalidFormat {
                input: shorten(input),
                reason: "too many integer digits for the provider's format",
            });
        }
        if parts.fraction.len() > usize::from(rule.fraction_digits) {
            return Err(MoneyError::InvalidFormat {
                input: shorten(input),
                reason: "too many fractional digits for the provider's format",
            });
        }
        let exp = usize::from(currency.exponent);
        let mut parts = parts;
        if parts.fraction.len() > exp {
            let (keep, extra) = parts.fraction.split_at(exp);
            if extra.bytes().any(|b| b != b'0') {
                return Err(MoneyError::ExcessPrecision {
                    currency: currency.code(),
                    allowed: currency.exponent,
                    found: u32::try_from(parts.fraction.len()).unwrap_or(u32::MAX),
                    input: shorten(input),
                });
            }
            parts.fraction = keep;
        }
        let minor = assemble(parts, currency.exponent)?;
        Ok(Self::from_minor(minor, currency))
    }

    fn not_representable(&self, rule: impl fmt::Display) -> MoneyError {
        MoneyError::NotRepresentable {
            amount: self.to_string(),
            rule: rule.to_string(),
        }
    }
}

/// A provider's way of writing an amount as an integer: `exponent` decimal places (the value
/// × 10^exponent) and, optionally, a required multiple (Checkout.com wants the last digit of a
/// 3-decimal amount to be 0: `multiple_of: 10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireUnitRule {
    /// Decimal places in the wire integer.
    pub exponent: u8,
    /// The wire integer must be a multiple of this (1 = any).
    pub multiple_of: i64,
}

impl WireUnitRule {
    /// The ISO 4217 rule for `currency`: minor units as they are.
    pub fn iso(currency: Currency) -> Self {
        Self {
            exponent: currency.exponent(),
            multiple_of: 1,
        }
    }
}

impl fmt::Display for WireUnitRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "value × 10^{}", self.exponent)?;
        if self.multiple_of > 1 {
            write!(f, " and a multiple of {}", self.multiple_of)?;
        }
        Ok(())
    }
}

/// A provider's pattern for decimal-string amounts: at most `max_integer_digits` before the
/// point and exactly `fraction_digits` after it when formatting (at most that many when
/// parsing). Twisto: `{ max_integer_digits: 8, fraction_digits: 2 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalStringRule {
    /// Most digits before the decimal point.
    pub max_integer_digits: u8,
    /// Digits after the decimal point.
    pub fraction_digits: u8,
}

impl fmt::Display for DecimalStringRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at most {} integer digit(s) and {} fractional digit(s)",
            self.max_integer_digits, self.fraction_digits
        )
    }
}

struct DecimalParts<'a> {
    negative: bool,
    integer: &'a str,
    fraction: &'a str,
}

fn split_decimal(input: &str) -> Result<DecimalParts<'_>, MoneyError> {
    let invalid = |reason| MoneyError::InvalidFormat {
        input: shorten(input),
        reason,
    };
    let (negative, body) = match input.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    let (integer, fraction) = match body.split_once('.') {
        Some((i, f)) => {
            if f.is_empty() {
                return Err(invalid("a decimal point must be followed by digits"));
            }
            (i, f)
        }
        None => (body, ""),
    };
    if integer.is_empty() {
        return Err(invalid("expected digits before the decimal point"));
    }
    if !integer.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("only digits, one '.' and a leading '-' are allowed"));
    }
    Ok(DecimalParts {
        negative,
        integer,
        fraction,
    })
}

/// Builds minor units from validated parts whose fraction has at most `exp` digits.
fn assemble(parts: DecimalParts<'_>, exp: u8) -> Result<i64, MoneyError> {
    let mut magnitude: u64 = 0;
    let digits = parts.integer.bytes().chain(
        parts
            .fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(usize::from(exp)),
    );
    for b in digits {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(b - b'0')))
            .ok_or(MoneyError::Overflow)?;
    }
    if parts.negative {
        0i64.checked_sub_unsigned(magnitude).ok_or(MoneyError::Overflow)
    } else {
        i64::try_from(magnitude).map_err(|_| MoneyError::Overflow)
    }
}

fn digit_count(mut v: u64) -> u32 {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// The most fractional digits [`Money::to_wire_decimal`] writes.
const MAX_WIRE_FRACTION_DIGITS: u8 = 18;

/// Writes `minor` (with `exp` implied decimals) using `shown` fractional digits; when
/// `shown < exp` the dropped digits must be zero (checked by the caller).
fn write_decimal(out: &mut String, minor: i64, exp: u8, shown: u8) {
    let mut buf = [0u8; 48];
    let mut pos = buf.len();
    let mut v = minor.unsigned_abs();
    // Digits of the fraction beyond what is shown are zeros by contract.
    for _ in shown..exp {
        v /= 10;
    }
    let mut push = |b: u8, pos: &mut usize| {
        *pos -= 1;
        buf[*pos] = b;
    };
    if shown > 0 {
        let padding = shown.saturating_sub(exp);
        for _ in 0..padding {
            push(b'0', &mut pos);
        }
        for _ in 0..shown.min(exp) {
            push(b'0' + digit(v), &mut pos);
            v /= 10;
        }
        push(b'.', &mut pos);
    }
    loop {
        push(b'0' + digit(v), &mut pos);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if minor < 0 {
        push(b'-', &mut pos);
    }
    for &b in &buf[pos..] {
        out.push(char::from(b));
    }
}

fn digit(v: u64) -> u8 {
    // `v % 10` is below 10, so it fits a u8.
    u8::try_from(v % 10).unwrap_or(0)
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency.code())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

/// Ordering is only defined within one currency: comparing different currencies gives `None`.
impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.checked_cmp(other).ok()
    }
}

#[derive(Serialize, Deserialize)]
struct MoneyRepr {
    amount: i64,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyRepr {
            amount: self.minor,
            currency: self.currency,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = MoneyRepr::deserialize(d)?;
        Ok(Money::from_minor(r.amount, r.currency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str, c: Currency) -> Result<i64, MoneyError> {
        Money::parse(s, c).map(|m| m.minor())
    }

    #[test]
    fn parses_the_documented_examples() {
        assert_eq!(parse("30.00", Currency::SEK), Ok(3000));
        assert_eq!(parse("30", Currency::SEK), Ok(3000));
        assert_eq!(parse("-5.5", Currency::SEK), Ok(-550));
        assert_eq!(parse("1000", Currency::JPY), Ok(1000));
        assert_eq!(parse("1.5", Currency::BHD), Ok(1500));
        assert!(matches!(
            parse("0.001", Currency::SEK),
            Err(MoneyError::ExcessPrecision {
                currency: "SEK",
                allowed: 2,
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            parse("1.0", Currency::JPY),
            Err(MoneyError::ExcessPrecision { .. })
        ));
        for bad in [
            "", "-", ".", "1.", ".5", "+1", " 1", "1 ", "1,00", "1e3", "1_000", "--1", "1.2.3", "١",
        ] {
            assert!(
                matches!(parse(bad, Currency::SEK), Err(MoneyError::InvalidFormat { .. })),
                "{bad:?} must be rejected"
            );
        }
        assert_eq!(parse("92233720368547758.07", Currency::SEK), Ok(i64::MAX));
        assert_eq!(parse("-92233720368547758.08", Currency::SEK), Ok(i64::MIN));
        assert_eq!(
            parse("92233720368547758.08", Currency::SEK),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn formats_with_exactly_the_currency_digits() {
        assert_eq!(
            Money::from_minor(3000, Currency::SEK).to_decimal_string(),
            "30.00"
        );
        assert_eq!(Money::from_minor(1000, Currency::JPY).to_decimal_string(), "1000");
        assert_eq!(
            Money::from_minor(1500, Currency::BHD).to_decimal_string(),
            "1.500"
        );
        assert_eq!(Money::from_minor(1, Currency::CLF).to_decimal_string(), "0.0001");
        assert_eq!(Money::from_minor(-5, Currency::EUR).to_decimal_string(), "-0.05");
        assert_eq!(Money::from_minor(0, Currency::EUR).to_decimal_string(), "0.00");
        assert_eq!(Money::from_minor(3000, Currency::SEK).to_string(), "30.00 SEK");
        assert_eq!(
            Money::from_minor(i64::MIN, Currency::SEK).to_decimal_string(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn code_lookup_agrees_with_iso_currency_for_every_code() {
        use iso_currency::IntoEnumIterator;
        for iso in iso_currency::Currency::iter() {
            assert_eq!(
                Currency::from_code(iso.code()),
                Currency::from_iso(iso),
                "{}",
                iso.code()
            );
        }
        assert!(Currency::all().count() > 150);
    }

    #[test]
    fn currencies_without_minor_unit_are_refused() {
        assert_eq!(Currency::from_code("XAU"), Err(MoneyError::NoMinorUnit("XAU")));
        assert!(matches!(
            Currency::from_code("ABC"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(matches!(
            Currency::from_code("sek"),
            Err(MoneyError::UnknownCurrency(_))
        ));
    }

    #[test]
    fn constants_match_iso_data() {
        for c in [
            Currency::SEK,
            Currency::EUR,
            Currency::USD,
            Currency::GBP,
            Currency::CZK,
            Currency::PLN,
            Currency::NOK,
            Currency::DKK,
            Currency::CHF,
            Currency::JPY,
            Currency::ISK,
            Currency::KRW,
            Currency::CLP,
            Currency::BHD,
            Currency::KWD,
            Currency::JOD,
            Currency::CLF,
        ] {
            assert_eq!(Currency::from_code(c.code()), Ok(c));
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_minor(100, Currency::SEK);
        let b = Money::from_minor(50, Currency::SEK);
        assert_eq!(a.checked_add(b), Ok(Money::from_minor(150, Currency::SEK)));
        assert_eq!(b.checked_sub(a), Ok(Money::from_minor(-50, Currency::SEK)));
        assert!(matches!(
            a.checked_add(Money::from_minor(1, Currency::EUR)),
            Err(MoneyError::CurrencyMismatch {
                left: "SEK",
                right: "EUR"
            })
        ));
        assert_eq!(
            Money::from_minor(i64::MAX, Currency::SEK).checked_add(Money::from_minor(1, Currency::SEK)),
            Err(MoneyError::Overflow)
        );
        assert!(a > b);
        assert_eq!(a.partial_cmp(&Money::from_minor(1, Currency::EUR)), None);
        assert!(Money::zero(Currency::SEK).is_zero());
    }

    #[test]
    fn decimal_conversion_is_exact_and_rounding_is_explicit() {
        let d = Decimal::new(30_500, 3); // 30.500
        assert_eq!(Money::from_decimal(d, Currency::SEK).map(|m| m.minor()), Ok(3050));
        let d = Decimal::new(30_505, 3); // 30.505
        assert!(matches!(
            Money::from_decimal(d, Currency::SEK),
            Err(MoneyError::ExcessPrecision { .. })
        ));
        assert_eq!(
            Money::from_decimal_rounded(d, Currency::SEK, RoundingStrategy::HalfEven).map(|m| m.minor()),
            Ok(3050)
        );
        assert_eq!(
            Money::from_decimal_rounded(d, Currency::SEK, RoundingStrategy::HalfUp).map(|m| m.minor()),
            Ok(3051)
        );
        let m = Money::from_minor(3055, Currency::SEK);
        assert_eq!(m.round(0, RoundingStrategy::HalfUp).map(|m| m.minor()), Ok(3100));
        assert_eq!(m.round(0, RoundingStrategy::Floor).map(|m| m.minor()), Ok(3000));
        assert_eq!(m.to_decimal(), Decimal::new(3055, 2));
    }

    #[test]
    fn wire_units_follow_the_rule_exactly() {
        let clp = WireUnitRule {
            exponent: 2,
            multiple_of: 100,
        };
        assert_eq!(Money::from_minor(15, Currency::CLP).to_wire_units(clp), Ok(1500));
        assert_eq!(
            Money::from_wire_units(1500, Currency::CLP, clp).map(|m| m.minor()),
            Ok(15)
        );
        assert!(Money::from_wire_units(1550, Currency::CLP, clp).is_err());
        let bhd = WireUnitRule {
            exponent: 3,
            multiple_of: 10,
        };
        assert_eq!(
            Money::from_minor(1500, Currency::BHD).to_wire_units(bhd),
            Ok(1500)
        );
        assert!(matches!(
            Money::from_minor(1505, Currency::BHD).to_wire_units(bhd),
            Err(MoneyError::NotRepresentable { .. })
        ));
        let whole = WireUnitRule {
            exponent: 0,
            multiple_of: 1,
        };
        assert_eq!(
            Money::from_minor(1000, Currency::ISK).to_wire_units(whole),
            Ok(1000)
        );
        let sek_whole = Money::from_minor(150, Currency::SEK).to_wire_units(whole);
        assert!(matches!(sek_whole, Err(MoneyError::NotRepresentable { .. })));
        assert_eq!(
            Money::from_minor(i64::MAX, Currency::CLP).to_wire_units(clp),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn wire_decimals_follow_the_pattern() {
        let rule = DecimalStringRule {
            max_integer_digits: 8,
            fraction_digits: 2,
        };
        let czk = |s| Money::from_wire_decimal(s, Currency::CZK, rule).map(|m| m.minor());
        assert_eq!(czk("894.00"), Ok(89400));
        assert_eq!(czk("894"), Ok(89400));
        assert_eq!(czk("-0.5"), Ok(-50));
        assert_eq!(czk("99999999.99"), Ok(9_999_999_999));
        for bad in ["1.001", "123456789.00", "1e3", " 1.00", "1,00", "", "1.", ".5"] {
            assert!(czk(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Money::from_wire_decimal("100.00", Currency::JPY, rule).map(|m| m.minor()),
            Ok(100)
        );
        assert!(Money::from_wire_decimal("100.50", Currency::JPY, rule).is_err());
        assert_eq!(
            Money::from_minor(100, Currency::JPY)
                .to_wire_decimal(rule)
                .as_deref(),
            Ok("100.00")
        );
        assert_eq!(
            Money::from_minor(1500, Currency::BHD)
                .to_wire_decimal(rule)
                .as_deref(),
            Ok("1.50")
        );
        assert!(Money::from_minor(1505, Currency::BHD)
            .to_wire_decimal(rule)
            .is_err());
        assert!(Money::from_minor(10_000_000_000, Currency::CZK)
            .to_wire_decimal(rule)
            .is_err());
        // A format asking for more decimals than any amount can have is refused, not a panic.
        for fraction_digits in [19, 50, u8::MAX] {
            let odd = DecimalStringRule {
                max_integer_digits: 8,
                fraction_digits,
            };
            assert!(Money::from_minor(-12_345, Currency::CZK)
                .to_wire_decimal(odd)
                .is_err());
        }
        let widest = DecimalStringRule {
            max_integer_digits: 20,
            fraction_digits: 18,
        };
        assert_eq!(
            Money::from_minor(i64::MIN, Currency::CZK)
                .to_wire_decimal(widest)
                .as_deref(),
            Ok("-92233720368547758.080000000000000000")
        );
    }

    #[test]
    fn serde_shape_is_amount_and_currency() {
        let m = Money::from_minor(3000, Currency::SEK);
        let json = serde_json::to_string(&m).unwrap_or_default();
        assert_eq!(json, r#"{"amount":3000,"currency":"SEK"}"#);
        let back: Money = serde_json::from_str(&json).unwrap_or(Money::zero(Currency::EUR));
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"XAU"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1.5,"currency":"SEK"}"#).is_err());
    }
}

//! Property tests: every conversion between minor units and decimal strings is exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux_core::{Currency, DecimalStringRule, Money, MoneyError, RoundingStrategy, WireUnitRule};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn any_currency() -> impl Strategy<Value = Currency> {
    let all: Vec<Currency> = Currency::all().collect();
    proptest::sample::select(all)
}

#[test]
fn every_iso_currency_with_an_exponent_is_usable_and_others_are_not() {
    let usable: Vec<Currency> = Currency::all().collect();
    assert!(usable.len() > 150, "{}", usable.len());
    for c in &usable {
        assert!(
            matches!(c.exponent(), 0 | 2 | 3 | 4),
            "{c} has exponent {}",
            c.exponent()
        );
    }
    for code in ["XAU", "XAG", "XDR", "XXX", "XTS"] {
        assert!(
            matches!(Currency::from_code(code), Err(MoneyError::NoMinorUnit(_))),
            "{code}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn format_then_parse_is_identity(minor in any::<i64>(), currency in any_currency()) {
        let m = Money::from_minor(minor, currency);
        let text = m.to_decimal_string();
        prop_assert_eq!(Money::parse(&text, currency), Ok(m));
        // The string has exactly the currency's digits.
        let digits = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(digits, usize::from(currency.exponent()));
        // And agrees with rust_decimal.
        prop_assert_eq!(text.parse::<Decimal>().unwrap(), m.to_decimal());
        prop_assert_eq!(Money::from_decimal(m.to_decimal(), currency), Ok(m));
    }

    #[test]
    fn parse_then_format_is_identity(
        negative in any::<bool>(),
        int in "(0|[1-9][0-9]{0,13})",
        frac_len in 0usize..=4,
        frac_digits in "[0-9]{4}",
        currency in any_currency(),
    ) {
        let exp = usize::from(currency.exponent());
        let frac = &frac_digits[..frac_len.min(exp)];
        let mut text = String::new();
        if negative && (int != "0" || frac.bytes().any(|b| b != b'0')) { text.push('-'); }
        text.push_str(&int);
        if !frac.is_empty() { text.push('.'); text.push_str(frac); }
        let m = Money::parse(&text, currency).unwrap();
        // Formatting pads to the currency's digits; the value is the same.
        let formatted = m.to_decimal_string();
        prop_assert_eq!(formatted.parse::<Decimal>().unwrap(), text.parse::<Decimal>().unwrap());
        if frac.len() == exp { prop_assert_eq!(formatted, text); }
    }

    #[test]
    fn excess_precision_is_an_error_never_a_rounding(
        int in "[0-9]{1,10}",
        extra in "[0-9]{1,3}",
        currency in any_currency(),
    ) {
        let exp = usize::from(currency.exponent());
        let text = format!("{int}.{}{}", "0".repeat(exp), extra);
        let is_excess = matches!(Money::parse(&text, currency), Err(MoneyError::ExcessPrecision { .. }));
        prop_assert!(is_excess, "{} must be refused for {}", text, currency);
    }

    #[test]
    fn overflow_is_an_error(minor in any::<i64>(), other in any::<i64>()) {
        let a = Money::from_minor(minor, Currency::SEK);
        let b = Money::from_minor(other, Currency::SEK);
        match minor.checked_add(other) {
            Some(sum) => prop_assert_eq!(a.checked_add(b), Ok(Money::from_minor(sum, Currency::SEK))),
            None => prop_assert_eq!(a.checked_add(b), Err(MoneyError::Overflow)),
        }
        match minor.checked_sub(other) {
            Some(d) => prop_assert_eq!(a.checked_sub(b), Ok(Money::from_minor(d, Currency::SEK))),
            None => prop_assert_eq!(a.checked_sub(b), Err(MoneyError::Overflow)),
        }
    }

    #[test]
    fn mixed_currencies_are_an_error(a in any_currency(), b in any_currency(), x in any::<i32>(), y in any::<i32>()) {
        prop_assume!(a != b);
        let ma = Money::from_minor(i64::from(x), a);
        let mb = Money::from_minor(i64::from(y), b);
        let add_mismatch = matches!(ma.checked_add(mb), Err(MoneyError::CurrencyMismatch { .. }));
        let sub_mismatch = matches!(ma.checked_sub(mb), Err(MoneyError::CurrencyMismatch { .. }));
        prop_assert!(add_mismatch);
        prop_assert!(sub_mismatch);
        prop_assert_eq!(ma.partial_cmp(&mb), None);
    }

    #[test]
    fn too_large_strings_overflow(digits in "[1-9][0-9]{19,30}", currency in any_currency()) {
        prop_assert_eq!(Money::parse(&digits, currency), Err(MoneyError::Overflow));
    }

    #[test]
    fn wire_units_round_trip(minor in -1_000_000_000_000i64..1_000_000_000_000i64, currency in any_currency(), wire_exp in 0u8..=4) {
        let rule = WireUnitRule { exponent: wire_exp, multiple_of: 1 };
        let m = Money::from_minor(minor, currency);
        match m.to_wire_units(rule) {
            Ok(w) => prop_assert_eq!(Money::from_wire_units(w, currency, rule), Ok(m)),
            Err(e) => {
                let expected = matches!(e, MoneyError::NotRepresentable { .. }) && wire_exp < currency.exponent();
                prop_assert!(expected, "{:?}", e);
            }
        }
    }

    #[test]
    fn wire_decimals_round_trip(minor in -9_999_999_999i64..=9_999_999_999i64) {
        let rule = DecimalStringRule { max_integer_digits: 8, fraction_digits: 2 };
        for currency in [Currency::CZK, Currency::PLN, Currency::EUR] {
            let m = Money::from_minor(minor, currency);
            let s = m.to_wire_decimal(rule).unwrap();
            prop_assert_eq!(Money::from_wire_decimal(&s, currency, rule), Ok(m));
        }
    }

    #[test]
    fn the_parser_never_panics(s in "\\PC{0,40}", currency in any_currency()) {
        if let Ok(m) = Money::parse(&s, currency) {
            prop_assert_eq!(Money::parse(&m.to_decimal_string(), currency), Ok(m));
        }
    }
}

/// Checkout.com's rules (full units, × 1000 ending in 0, CLP × 100) and arbitrary others.
fn any_wire_unit_rule() -> impl Strategy<Value = WireUnitRule> {
    prop_oneof![
        Just(WireUnitRule {
            exponent: 0,
            multiple_of: 1
        }),
        Just(WireUnitRule {
            exponent: 2,
            multiple_of: 1
        }),
        Just(WireUnitRule {
            exponent: 3,
            multiple_of: 10
        }),
        Just(WireUnitRule {
            exponent: 2,
            multiple_of: 100
        }),
        (0u8..=6, prop_oneof![Just(1i64), Just(10), Just(100), Just(1000)]).prop_map(
            |(exponent, multiple_of)| WireUnitRule {
                exponent,
                multiple_of
            }
        ),
    ]
}

fn any_decimal_string_rule() -> impl Strategy<Value = DecimalStringRule> {
    prop_oneof![
        Just(DecimalStringRule {
            max_integer_digits: 8,
            fraction_digits: 2
        }),
        (0u8..=20, 0u8..=6).prop_map(|(max_integer_digits, fraction_digits)| DecimalStringRule {
            max_integer_digits,
            fraction_digits,
        }),
    ]
}

/// Amounts of every size, with the small ones the providers see most.
fn any_minor() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -10_000_000_000i64..=10_000_000_000, -1000i64..=1000]
}

fn pow10_i128(exp: u8) -> i128 {
    10i128.pow(u32::from(exp))
}

/// Integer digits of `|minor|` with `exp` implied decimals.
fn integer_digits(minor: i64, exp: u8) -> usize {
    (i128::from(minor).abs() / pow10_i128(exp)).to_string().len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Money → wire units → money, checked against i128 arithmetic: the wire integer names
    /// the same value, keeps the multiple, and every refusal is one the rule demands.
    #[test]
    fn wire_units_to_the_wire_are_exact_or_refused_for_a_reason(
        minor in any_minor(),
        currency in any_currency(),
        rule in any_wire_unit_rule(),
    ) {
        let m = Money::from_minor(minor, currency);
        let cur = currency.exponent();
        // value = minor / 10^cur = wire / 10^rule  ⇒  wire = minor · 10^rule / 10^cur
        let scaled = i128::from(minor) * pow10_i128(rule.exponent);
        let exact = scaled % pow10_i128(cur) == 0;
        let wire_oracle = scaled / pow10_i128(cur);
        let multiple_ok = wire_oracle % i128::from(rule.multiple_of.max(1)) == 0;
        match m.to_wire_units(rule) {
            Ok(w) => {
                prop_assert!(exact && multiple_ok, "{} sent as {} under {}", m, w, rule);
                prop_assert_eq!(i128::from(w), wire_oracle);
                prop_assert_eq!(Money::from_wire_units(w, currency, rule), Ok(m));
            }
            Err(MoneyError::NotRepresentable { .. }) => {
                prop_assert!(!exact || !multiple_ok, "{} refused under {}", m, rule);
            }
            Err(MoneyError::Overflow) => {
                prop_assert!(i64::try_from(wire_oracle).is_err(), "{} overflowed under {}", m, rule);
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    /// Wire units → money → wire units: a provider's integer is read exactly or refused.
    #[test]
    fn wire_units_from_the_wire_are_exact_or_refused_for_a_reason(
        wire in any_minor(),
        currency in any_currency(),
        rule in any_wire_unit_rule(),
    ) {
        let cur = currency.exponent();
        let scaled = i128::from(wire) * pow10_i128(cur);
        let exact = scaled % pow10_i128(rule.exponent) == 0;
        let minor_oracle = scaled / pow10_i128(rule.exponent);
        let multiple_ok = wire % rule.multiple_of.max(1) == 0;
        match Money::from_wire_units(wire, currency, rule) {
            Ok(m) => {
                prop_assert!(exact && multiple_ok, "{} read as {} under {}", wire, m, rule);
                prop_assert_eq!(i128::from(m.minor()), minor_oracle);
                prop_assert_eq!(m.to_wire_units(rule), Ok(wire));
            }
            Err(MoneyError::NotRepresentable { .. }) => {
                prop_assert!(!exact || !multiple_ok, "{} refused under {}", wire, rule);
            }
            Err(MoneyError::Overflow) => {
                prop_assert!(i64::try_from(minor_oracle).is_err(), "{} overflowed under {}", wire, rule);
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    /// Money → decimal string → money for every currency (0, 2, 3 and 4 decimals) and rule:
    /// the text has exactly the rule's decimals, names the same value, and a refusal is one
    /// the rule demands.
    #[test]
    fn wire_decimals_to_the_wire_are_exact_or_refused_for_a_reason(
        minor in any_minor(),
        currency in any_currency(),
        rule in any_decimal_string_rule(),
    ) {
        let m = Money::from_minor(minor, currency);
        let cur = currency.exponent();
        let lossy = cur > rule.fraction_digits
            && i128::from(minor) % pow10_i128(cur - rule.fraction_digits) != 0;
        let too_long = integer_digits(minor, cur) > usize::from(rule.max_integer_digits);
        match m.to_wire_decimal(rule) {
            Ok(text) => {
                prop_assert!(!lossy && !too_long, "{} sent as {:?} under {}", m, text, rule);
                let body = text.trim_start_matches('-');
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
                prop_assert_eq!(frac.len(), usize::from(rule.fraction_digits), "{:?}", text);
                prop_assert!(int.len() <= usize::from(rule.max_integer_digits), "{:?}", text);
                prop_assert_eq!(text.parse::<Decimal>().unwrap(), m.to_decimal(), "{:?}", text);
                prop_assert_eq!(Money::from_wire_decimal(&text, currency, rule), Ok(m));
            }
            Err(MoneyError::NotRepresentable { .. }) => {
                prop_assert!(lossy || too_long, "{} refused under {}", m, rule);
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    /// Decimal string → money → decimal string: a provider's text is read as exactly its
    /// value, or refused for a reason the rule or the currency gives.
    #[test]
    fn wire_decimals_from_the_wire_are_exact_or_refused_for_a_reason(
        text in "-?[0-9]{1,21}(\\.[0-9]{1,6})?",
        currency in any_currency(),
        rule in any_decimal_string_rule(),
    ) {
        let value: Decimal = text.parse().unwrap();
        let body = text.trim_start_matches('-');
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let bad_form = int.len() > usize::from(rule.max_integer_digits)
            || frac.len() > usize::from(rule.fraction_digits);
        let significant = frac.trim_end_matches('0').len();
        let excess = significant > usize::from(currency.exponent());
        match Money::from_wire_decimal(&text, currency, rule) {
            Ok(m) => {
                prop_assert!(!bad_form && !excess, "{:?} read as {} under {}", text, m, rule);
                prop_assert_eq!(m.to_decimal(), value, "{:?}", text);
                if let Ok(again) = m.to_wire_decimal(rule) {
                    prop_assert_eq!(again.parse::<Decimal>().unwrap(), value);
                }
            }
            Err(MoneyError::InvalidFormat { .. }) => prop_assert!(bad_form, "{:?} refused", text),
            Err(MoneyError::ExcessPrecision { .. }) => {
                prop_assert!(!bad_form && excess, "{:?} refused as excess", text);
            }
            Err(MoneyError::Overflow) => {
                prop_assert!(!bad_form && !excess, "{:?}", text);
                let minor = value * Decimal::from(10i64.pow(u32::from(currency.exponent())));
                prop_assert!(i64::try_from(minor).is_err(), "{:?} overflowed", text);
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    /// `Money::parse` agrees with `rust_decimal` on every plain decimal, long or short,
    /// with leading zeros or not.
    #[test]
    fn parse_agrees_with_rust_decimal(
        text in "-?[0-9]{1,24}(\\.[0-9]{1,5})?",
        currency in any_currency(),
    ) {
        let value: Decimal = text.parse().unwrap();
        let frac = text.split_once('.').map_or("", |(_, f)| f);
        match Money::parse(&text, currency) {
            Ok(m) => prop_assert_eq!(m.to_decimal(), value, "{:?}", text),
            Err(MoneyError::ExcessPrecision { .. }) => {
                prop_assert!(frac.len() > usize::from(currency.exponent()), "{:?}", text);
            }
            Err(MoneyError::Overflow) => {
                prop_assert!(frac.len() <= usize::from(currency.exponent()), "{:?}", text);
                let minor = value * Decimal::from(10i64.pow(u32::from(currency.exponent())));
                prop_assert!(i64::try_from(minor).is_err(), "{:?} overflowed", text);
            }
            Err(e) => prop_assert!(false, "{:?}: unexpected {:?}", text, e),
        }
    }
}

fn any_strategy() -> impl Strategy<Value = RoundingStrategy> {
    proptest::sample::select(vec![
        RoundingStrategy::HalfEven,
        RoundingStrategy::HalfUp,
        RoundingStrategy::HalfDown,
        RoundingStrategy::TowardZero,
        RoundingStrategy::AwayFromZero,
        RoundingStrategy::Floor,
        RoundingStrategy::Ceiling,
    ])
}

/// `mantissa / 10^scale` rounded to `exp` decimals, as a count of `10^-exp` units, by plain
/// integer arithmetic (each strategy as `RoundingStrategy` documents it).
fn rounded_units(mantissa: i128, scale: u32, exp: u32, strategy: RoundingStrategy) -> Option<i128> {
    if scale <= exp {
        return mantissa.checked_mul(10i128.checked_pow(exp - scale)?);
    }
    let step = 10i128.pow(scale - exp);
    let toward_zero = mantissa / step;
    let rest = mantissa % step;
    if rest == 0 {
        return Some(toward_zero);
    }
    let away = toward_zero + mantissa.signum();
    let twice = rest.abs() * 2;
    let negative = mantissa < 0;
    Some(match strategy {
        RoundingStrategy::TowardZero => toward_zero,
        RoundingStrategy::AwayFromZero => away,
        RoundingStrategy::Floor if negative => away,
        RoundingStrategy::Floor => toward_zero,
        RoundingStrategy::Ceiling if negative => toward_zero,
        RoundingStrategy::Ceiling => away,
        RoundingStrategy::HalfUp if twice >= step => away,
        RoundingStrategy::HalfDown if twice > step => away,
        RoundingStrategy::HalfEven if twice > step || (twice == step && toward_zero % 2 != 0) => away,
        _ => toward_zero,
    })
}

/// Every `Decimal` rust_decimal can hold: a 96-bit mantissa and a scale up to 28.
fn any_decimal() -> impl Strategy<Value = (i128, u32)> {
    const MAX_MANTISSA: i128 = (1 << 96) - 1;
    (
        prop_oneof![
            -MAX_MANTISSA..=MAX_MANTISSA,
            -1_000_000_000_000_000_000_000i128..=1_000_000_000_000_000_000_000,
            -100_000i128..=100_000,
        ],
        0u32..=28,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// `from_decimal` is exact or refused for the reason it names; `from_decimal_rounded`
    /// rounds exactly as the named strategy says, and only overflow refuses it.
    #[test]
    fn decimals_convert_exactly_and_round_only_by_the_named_strategy(
        (mantissa, scale) in any_decimal(),
        currency in any_currency(),
        strategy in any_strategy(),
    ) {
        let value = Decimal::from_i128_with_scale(mantissa, scale);
        let exp = u32::from(currency.exponent());
        let want = rounded_units(mantissa, scale, exp, strategy).and_then(|v| i64::try_from(v).ok());
        match want {
            Some(minor) => prop_assert_eq!(
                Money::from_decimal_rounded(value, currency, strategy).map(|m| m.minor()),
                Ok(minor),
                "{} {:?} in {}", value, strategy, currency
            ),
            None => prop_assert_eq!(
                Money::from_decimal_rounded(value, currency, strategy),
                Err(MoneyError::Overflow),
                "{} {:?} in {}", value, strategy, currency
            ),
        }
        let exact = scale <= exp || mantissa % 10i128.pow(scale - exp) == 0;
        match Money::from_decimal(value, currency) {
            Ok(m) => {
                prop_assert!(exact, "{} taken as {} though {} has {} decimals", value, m, currency, exp);
                prop_assert_eq!(Some(m.minor()), want);
            }
            Err(MoneyError::ExcessPrecision { .. }) => prop_assert!(!exact, "{} refused in {}", value, currency),
            Err(MoneyError::Overflow) => prop_assert!(exact && want.is_none(), "{} overflowed in {}", value, currency),
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    /// `Money::round` to fewer digits than the currency has rounds as the named strategy says
    /// (also at `i64::MIN` and `i64::MAX`, where rounding outward overflows), and leaves the
    /// amount as it is otherwise.
    #[test]
    fn round_uses_the_named_strategy_and_overflow_is_an_error(
        minor in prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(i64::MIN + 1), any::<i64>(), -100_000i64..=100_000],
        currency in any_currency(),
        digits in 0u8..=5,
        strategy in any_strategy(),
    ) {
        let m = Money::from_minor(minor, currency);
        let exp = u32::from(currency.exponent());
        let got = m.round(digits, strategy);
        if digits >= currency.exponent() {
            prop_assert_eq!(got, Ok(m));
        } else {
            let step = 10i128.pow(exp - u32::from(digits));
            let units = rounded_units(i128::from(minor), exp, u32::from(digits), strategy).unwrap_or_default();
            match i64::try_from(units * step) {
                Ok(want) => prop_assert_eq!(got.map(|r| r.minor()), Ok(want), "{} {:?}", m, strategy),
                Err(_) => prop_assert_eq!(got, Err(MoneyError::Overflow), "{} {:?}", m, strategy),
            }
        }
    }
}

/// Text the parser must refuse: signs other than one leading `-`, spaces, exponents,
/// separators, hexadecimal, non-ASCII digits, a point without digits on both sides.
#[test]
fn what_is_not_a_plain_decimal_is_refused() {
    for bad in [
        "1e3",
        "+5",
        " 5",
        "5 ",
        "5.",
        ".5",
        "-.5",
        "١٢٣",
        "５",
        "0x10",
        "--1",
        "-+1",
        "1_000",
        "1,000",
        "1.000.0",
        "NaN",
        "inf",
        "1\u{0}",
        "\u{FEFF}5",
    ] {
        for currency in [Currency::JPY, Currency::SEK, Currency::BHD, Currency::CLF] {
            assert!(
                matches!(Money::parse(bad, currency), Err(MoneyError::InvalidFormat { .. })),
                "{bad:?} in {currency}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Any text (control characters, non-ASCII digits, signs, exponents…) and any rule, however
    /// odd (an exponent of 255, a multiple of 0, -1 or `i64::MIN`), gives a value or an error,
    /// never a panic; whatever is read formats back to the same value.
    #[test]
    fn no_input_and_no_rule_panics(
        text in prop_oneof![any::<String>(), "[-+ .,_0-9eExX\u{0660}-\u{0669}\u{FF10}-\u{FF19}]{0,24}"],
        minor in prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()],
        currency in any_currency(),
        exponent in any::<u8>(),
        multiple_of in prop_oneof![Just(i64::MIN), Just(-1i64), Just(0i64), any::<i64>()],
        max_integer_digits in any::<u8>(),
        fraction_digits in any::<u8>(),
    ) {
        if let Ok(m) = Money::parse(&text, currency) {
            prop_assert_eq!(Money::parse(&m.to_decimal_string(), currency), Ok(m));
        }
        let units = WireUnitRule { exponent, multiple_of };
        let _ = Money::from_minor(minor, currency).to_wire_units(units);
        let _ = Money::from_wire_units(minor, currency, units);
        let decimal = DecimalStringRule { max_integer_digits, fraction_digits };
        let _ = Money::from_minor(minor, currency).to_wire_decimal(decimal);
        if let Ok(m) = Money::from_wire_decimal(&text, currency, decimal) {
            prop_assert_eq!(Money::parse(&m.to_decimal_string(), currency), Ok(m));
        }
    }
}

//! Property tests: every conversion between minor units and decimal strings is exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux_core::{Currency, DecimalStringRule, Money, MoneyError, WireUnitRule};
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

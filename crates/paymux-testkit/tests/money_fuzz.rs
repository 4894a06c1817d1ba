//! Arbitrary strings into the money parsers: never a panic, and whatever parses formats back
//! to text that parses to the same value.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux_core::{Currency, DecimalStringRule, Money};
use proptest::prelude::*;

const CURRENCIES: [Currency; 6] = [
    Currency::JPY,
    Currency::SEK,
    Currency::EUR,
    Currency::CZK,
    Currency::BHD,
    Currency::CLF,
];

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(&CURRENCIES[..])
}

fn decimal_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "-?[0-9]{0,25}(\\.[0-9]{0,8})?",
        "[ +\\-]?[0-9,.eE_]{0,20}",
        "-?0*[0-9]{1,19}\\.?[0-9]{0,4}",
        Just("9223372036854775807".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("92233720368547758.08".to_owned()),
        Just("-92233720368547758.08".to_owned()),
    ]
}

fn rule() -> impl Strategy<Value = DecimalStringRule> {
    (0u8..30, 0u8..6).prop_map(|(max_integer_digits, fraction_digits)| DecimalStringRule {
        max_integer_digits,
        fraction_digits,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_and_round_trips(input in decimal_like(), c in currency()) {
        if let Ok(m) = Money::parse(&input, c) {
            let text = m.to_decimal_string();
            let again = Money::parse(&text, c).expect("formatted amount parses");
            prop_assert_eq!(again, m);
            prop_assert_eq!(again.minor(), m.minor());
            // The text has exactly the currency's digits.
            let digits = text.split('.').nth(1).map_or(0, str::len);
            prop_assert_eq!(digits, usize::from(c.exponent()));
        }
    }

    #[test]
    fn wire_decimal_never_panics_and_round_trips(input in decimal_like(), c in currency(), r in rule()) {
        if let Ok(m) = Money::from_wire_decimal(&input, c, r) {
            // Same value through the strict parser.
            let text = m.to_decimal_string();
            prop_assert_eq!(Money::parse(&text, c).expect("formatted amount parses"), m);
            // And back through the wire format where it fits.
            if let Ok(wire) = m.to_wire_decimal(r) {
                prop_assert_eq!(Money::from_wire_decimal(&wire, c, r).expect("wire text parses"), m);
            }
        }
    }

    #[test]
    fn minor_units_format_and_parse_back(minor in any::<i64>(), c in currency()) {
        let m = Money::from_minor(minor, c);
        let text = m.to_decimal_string();
        prop_assert_eq!(Money::parse(&text, c).expect("every i64 formats to parseable text"), m);
    }
}

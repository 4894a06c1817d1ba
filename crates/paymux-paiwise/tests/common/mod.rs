//! Shared helpers of the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use paymux_core::TransportConfig;
use paymux_paiwise::{PaiwiseBuilder, PaiwiseProvider};

/// The API key the wire tests use.
pub const KEY: &str = "pw_test_0123456789abcdef0123456789abcdef";
/// `Authorization` header value the wire tests expect.
pub const BEARER: &str = "Bearer pw_test_0123456789abcdef0123456789abcdef";

/// The example checkout object of `shared/seeds/002_d953dc9f29191676.txt`, verbatim. The seed
/// prints it without the outer braces; [`seed_body`] adds them.
pub const SEED_FIELDS: &str = r#"
"checkout_id": "4fe796fc6b25e536eb6256aa744bfe",
"identifier": "test payment identifier",
"authCode": "test18892",
"status": "refunded",
"statusChanged": "2023-04-14 09:06:38",
"mode": "test",
"amount": 1000,
"currency": "SEK",
"message": "Test",
"returnUrl": "http://google.com",
"returnUrlCancel": "http://facebook.com/testing",
"metaData": {
  "data1": "testing data"
},
"capture": false,
"redirectUrl": "https://smartadmin.paiwise.com/checkout/checkout?id=18892&cid=4fe796fc6b25e536eb6256aa744bfe",
"balance": 0,
"usedCard": {
  "card_id": "qNpdctqQpIsIkKu",
  "brand": "visa",
  "country": "US",
  "expires": "4/2024",
  "funding": "credit",
  "last4": "4242"
},
"log": {
  "2023-04-14 09:03:30": {
    "action": "created"
  },
  "2023-04-14 09:04:03": {
    "action": "reserved"
  },
  "2023-04-14 09:04:10": {
    "action": "reserved"
  },
  "2023-04-14 09:04:16": {
    "action": "paid"
  },
  "2023-04-14 09:05:02": {
    "action": "partialRefund",
    "details": {
      "amountRefund": 100,
      "reason": "requested_by_customer"
    }
  },
  "2023-04-14 09:05:52": {
    "action": "partialRefund",
    "details": {
      "amountRefund": 600,
      "reason": "Duplicate",
      "refundDetails": "Test More Details"
    }
  },
  "2023-04-14 09:06:38": {
    "action": "partialRefund",
    "details": {
      "amountRefund": 300
    }
  }
},
"customer": {
  "customer_id": "9f9119402b606105dbc50919973012df",
  "first_name": "Andrea",
  "last_name": "Masetti",
  "email": "email@test.com",
  "client_page": "https://smartadmin.paiwise.com/checkout-client/edit?hash=03fcde8cf41d7096bb713c8d14a1eba4",
  "metaData": {
    "kundnummer": "00000000"
  },
  "savedCards": [
    {
      "card_id": "qNpdctqQpIsIkKu",
      "brand": "visa",
      "country": "US",
      "expires": "4/2024",
      "funding": "credit",
      "last4": "4242",
      "integration": "stripe",
      "card_holder": "Cristian"
    }
  ]
}
"#;

/// The seed object as a JSON document.
pub fn seed_body() -> String {
    format!("{{{SEED_FIELDS}}}")
}

/// A checkout object in `status` with `amount` SEK and `balance`, as Paiwise answers.
pub fn checkout(id: &str, status: &str, amount: i64, balance: i64) -> String {
    serde_json::json!({
        "checkout_id": id,
        "identifier": "order-1001",
        "authCode": "test1",
        "status": status,
        "statusChanged": "2024-05-01 10:00:05",
        "mode": "test",
        "amount": amount,
        "currency": "SEK",
        "message": "Two coffees",
        "returnUrl": "https://shop.example/ok",
        "returnUrlCancel": "https://shop.example/cancel",
        "metaData": {"order": "1001"},
        "capture": false,
        "redirectUrl": format!("https://smartadmin.paiwise.com/checkout/checkout?id=1&cid={id}"),
        "balance": balance,
        "usedCard": null,
        "log": {"2024-05-01 10:00:00": {"action": "created"}},
        "customer": null
    })
    .to_string()
}

/// A provider against `base_url` with no retries and a short timeout.
pub fn provider(base_url: &str) -> PaiwiseProvider {
    provider_with(base_url, TransportConfig::default().with_max_retries(0))
}

/// A provider against `base_url` with the given transport settings.
pub fn provider_with(base_url: &str, transport: TransportConfig) -> PaiwiseProvider {
    PaiwiseBuilder::new(KEY)
        .with_base_url(base_url)
        .with_transport(
            transport
                .with_request_timeout(Duration::from_secs(5))
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

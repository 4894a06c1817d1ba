//! Checkout.com's own wire types (private). Amounts here are wire integers; converting them
//! to and from [`Money`](paymux_core::Money) is done in `mapping.rs` only.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use paymux_core::transport::opt_borrowed_str;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- requests

/// `POST /payments` body (`PaymentRequest`).
#[derive(Debug, Serialize)]
pub(crate) struct PaymentRequestWire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceWire<'a>>,
    pub amount: i64,
    pub currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_initiated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerWire<'a>>,
    #[serde(rename = "3ds", skip_serializing_if = "Option::is_none")]
    pub three_ds: Option<ThreeDsWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_channel_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_payment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemWire<'a>>,
}

/// One `items[]` entry of a payment request (`Items`): `unit_price` in wire units.
#[derive(Debug, Serialize)]
pub(crate) struct ItemWire<'a> {
    pub name: &'a str,
    pub quantity: u32,
    pub unit_price: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
}

/// `source` of a payment request (discriminated by `type`).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum SourceWire<'a> {
    Token {
        token: &'a str,
    },
    Id {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cvv: Option<&'a str>,
    },
    Card {
        number: &'a str,
        expiry_month: u8,
        expiry_year: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cvv: Option<&'a str>,
    },
    Customer {
        id: &'a str,
    },
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct CustomerWire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneWire<'a>>,
}

/// `customer.phone` (`PhoneNumber`).
#[derive(Debug, Serialize)]
pub(crate) struct PhoneWire<'a> {
    pub number: &'a str,
}

#[derive(Debug, Serialize)]
pub(crate) struct ThreeDsWire {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_n3d: Option<bool>,
}

/// Body of captures, refunds, voids, reversals, authorizations and cancellations: each
/// endpoint takes a subset of these fields.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ActionRequestWire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SearchRequestWire<'a> {
    pub query: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

// ---------------------------------------------------------------- responses

/// One shape for `PaymentResponse` (201), `PaymentAcceptedResponse` (202), `PaymentDetails`
/// (GET) and payout details: every field the mapping uses, the rest skipped unparsed. Text
/// the unified `Payment` does not keep as it is (status and currency words, timestamps) is
/// borrowed from the answer rather than copied.
#[derive(Debug, Deserialize)]
pub(crate) struct PaymentWire<'a> {
    pub id: String,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub status: Option<Cow<'a, str>>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub currency: Option<Cow<'a, str>>,
    #[serde(default)]
    pub approved: Option<bool>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default, borrow)]
    pub response_code: Option<Code<'a>>,
    #[serde(default)]
    pub response_summary: Option<String>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub requested_on: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub processed_on: Option<Cow<'a, str>>,
    #[serde(default)]
    pub action_id: Option<String>,
    #[serde(default)]
    pub balances: Option<BalancesWire>,
    #[serde(default, borrow)]
    pub source: Option<SourceResponseWire<'a>>,
    #[serde(default)]
    pub customer: Option<CustomerResponseWire>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, MetadataValue>>,
    #[serde(default, borrow)]
    pub actions: Option<Vec<ActionWire<'a>>>,
    #[serde(default, rename = "_links")]
    pub links: Option<LinksWire>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct BalancesWire {
    pub total_captured: Option<i64>,
    pub available_to_capture: Option<i64>,
    pub total_refunded: Option<i64>,
    pub available_to_refund: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SourceResponseWire<'a> {
    #[serde(default, borrow, rename = "type", deserialize_with = "opt_borrowed_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub scheme: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
    #[serde(default)]
    pub expiry_month: Option<u8>,
    #[serde(default)]
    pub expiry_year: Option<u16>,
    #[serde(default)]
    pub issuer_country: Option<String>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub card_type: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CustomerResponseWire {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A link object `{href}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LinkWire {
    #[serde(default)]
    pub href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LinksWire {
    #[serde(default)]
    pub redirect: Option<LinkWire>,
    #[serde(default)]
    pub next: Option<LinkWire>,
}

/// A payment action: the full `PaymentAction` of `GET /payments/{id}/actions` or the
/// `PaymentActionSummary` inside `PaymentDetails.actions`.
#[derive(Debug, Deserialize)]
pub(crate) struct ActionWire<'a> {
    pub id: String,
    #[serde(borrow, rename = "type")]
    pub kind: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub processed_on: Option<Cow<'a, str>>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub approved: Option<bool>,
    #[serde(default, borrow)]
    pub response_code: Option<Code<'a>>,
    #[serde(default)]
    pub response_summary: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// `GET /payments/{id}/actions`: normally an array; the card payout variant is one object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ActionsWire<'a> {
    #[serde(borrow)]
    Many(Vec<ActionWire<'a>>),
    #[serde(borrow)]
    One(ActionWire<'a>),
}

/// Only the `id` of a payment answer: names the payment created when the rest of the answer
/// cannot be decoded.
#[derive(Debug, Deserialize)]
pub(crate) struct PaymentIdWire {
    #[serde(default)]
    pub id: Option<String>,
}

/// 202 answer of captures, refunds, voids, reversals, cancellations, and the 201
/// `AuthorizationResponse` of incremental authorizations, whose `approved: false` (status
/// `Declined`, with `response_code` and `response_summary`) is a refused increase.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActionAcceptedWire<'a> {
    #[serde(default)]
    pub action_id: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub approved: Option<bool>,
    #[serde(default, borrow)]
    pub response_code: Option<Code<'a>>,
    #[serde(default)]
    pub response_summary: Option<String>,
}

/// `GET /payments?reference=` answer (`PaymentPaged`).
#[derive(Debug, Deserialize)]
pub(crate) struct PagedWire<T> {
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub skip: Option<u64>,
    #[serde(default)]
    pub total_count: Option<u64>,
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    #[serde(default, rename = "_links")]
    pub links: Option<LinksWire>,
}

/// `{request_id, error_type, error_codes}` of 422 (and of 429 `duplicate_request`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorWire {
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<String>,
}

/// A webhook notification.
#[derive(Debug, Deserialize)]
pub(crate) struct WebhookWire {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub created_on: Option<String>,
    /// The workflow events' stamp (`get-event-response.timestamp`), where `created_on` is absent.
    #[serde(default)]
    pub timestamp: Option<String>,
    pub data: WebhookDataWire,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WebhookDataWire {
    pub id: String,
    /// The payment a dispute event (`data.id` = `dsp_...`) concerns.
    #[serde(default)]
    pub payment_id: Option<String>,
    /// "Your reference for the payment".
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub balances: Option<BalancesWire>,
    /// The payment's status after the event (in the OpenAPI `Data`, which has no `balances`).
    #[serde(default)]
    pub status: Option<String>,
}

/// A code that some examples give as a number (`10000`) and the schema as a string, as
/// text borrowed from the answer when it can be. A visitor rather than an untagged enum,
/// which would buffer every value and copy it twice before trying its variants.
#[derive(Debug)]
pub(crate) struct Code<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Code<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> serde::de::Visitor<'de> for CodeVisitor<'a> {
            type Value = Code<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Code<'a>, E> {
                Ok(Code(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Code<'a>, E> {
                Ok(Code(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Code<'a>, E> {
                Ok(Code(Cow::Owned(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Code<'a>, E> {
                Ok(Code(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Code<'a>, E> {
                Ok(Code(Cow::Owned(v.to_string())))
            }
            // A code written as `10000.0` is still a code (text, never an amount): it is kept
            // as serde_json prints the number, as the untagged enum this replaces did.
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Code<'a>, E> {
                serde_json::Number::from_f64(v)
                    .map(|n| Code(Cow::Owned(n.to_string())))
                    .ok_or_else(|| E::custom("a code that is not a finite number"))
            }
        }

        deserializer.deserialize_any(CodeVisitor(PhantomData))
    }
}

/// A metadata value: the API allows strings, numbers and booleans (nested values are kept as
/// JSON text).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum MetadataValue {
    Str(String),
    Bool(bool),
    Num(serde_json::Number),
    Other(serde_json::Value),
}

impl MetadataValue {
    pub fn into_string(self) -> String {
        match self {
            MetadataValue::Str(s) => s,
            MetadataValue::Bool(b) => b.to_string(),
            MetadataValue::Num(n) => n.to_string(),
            MetadataValue::Other(serde_json::Value::Null) => String::new(),
            MetadataValue::Other(v) => v.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_timestamps_are_borrowed_from_the_answer() {
        let body = br#"{"id": "pay_1", "status": "Authorized", "currency": "SEK",
            "requested_on": "2026-11-21T10:00:00Z", "processed_on": null,
            "source": {"type": "card", "card_type": "CREDIT"},
            "actions": [{"id": "act_1", "type": "Authorization", "processed_on": "2026-11-21T10:00:01Z"}]}"#;
        let p: PaymentWire = paymux_core::transport::parse_json(body).unwrap();
        assert!(matches!(p.status, Some(Cow::Borrowed("Authorized"))));
        assert!(matches!(p.currency, Some(Cow::Borrowed("SEK"))));
        assert!(matches!(p.requested_on, Some(Cow::Borrowed(_))));
        assert!(p.processed_on.is_none());
        let source = p.source.unwrap();
        assert!(matches!(source.kind, Some(Cow::Borrowed("card"))));
        assert!(matches!(source.card_type, Some(Cow::Borrowed("CREDIT"))));
        let actions = p.actions.unwrap();
        assert!(matches!(actions[0].processed_on, Some(Cow::Borrowed(_))));
        // Escaped text is decoded, not borrowed.
        let p: PaymentWire =
            paymux_core::transport::parse_json(br#"{"id": "p", "status": "Card \"Verified\""}"#).unwrap();
        assert_eq!(p.status.as_deref(), Some("Card \"Verified\""));
    }
}

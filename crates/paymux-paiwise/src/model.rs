//! Paiwise's own wire types: request bodies as sent and the checkout and customer objects as
//! answered (`002_…txt`). Private to the crate; [`mapping`](crate::mapping) turns them into
//! the unified model.
//!
//! Decoding is tolerant where the documentation is silent or the provider's PHP heritage
//! shows: any field may be absent or `null`; an empty object may arrive as `[]`; integers and
//! ids may arrive as strings or numbers; metadata values may be any JSON value. Money is never
//! read from a float: a fractional amount is a decode error.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// `POST /checkout/create`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<&'a str>,
    pub amount: i64,
    pub currency: &'a str,
    pub message: &'a str,
    pub capture: bool,
    #[serde(rename = "allowSaveCard", skip_serializing_if = "Option::is_none")]
    pub allow_save_card: Option<bool>,
    #[serde(rename = "returnUrl")]
    pub return_url: &'a str,
    #[serde(rename = "returnUrlCancel")]
    pub return_url_cancel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<&'a str>,
    #[serde(rename = "metaData", skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<&'a BTreeMap<String, String>>,
    #[serde(rename = "paymentMethods", skip_serializing_if = "Option::is_none")]
    pub payment_methods: Option<&'a [String]>,
}

/// `retrieve`, `capture`, `delete`: `{"checkout_id": …}`.
#[derive(Debug, Serialize)]
pub(crate) struct CheckoutIdBody<'a> {
    pub checkout_id: &'a str,
}

/// `POST /checkout/refund`.
#[derive(Debug, Serialize)]
pub(crate) struct RefundBody<'a> {
    pub checkout_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(rename = "refundDetails", skip_serializing_if = "Option::is_none")]
    pub refund_details: Option<&'a str>,
}

/// `POST /checkout/update`: an empty value deletes the key.
#[derive(Debug, Serialize)]
pub(crate) struct UpdateBody<'a> {
    pub checkout_id: &'a str,
    #[serde(rename = "metaData")]
    pub meta_data: BTreeMap<&'a str, &'a str>,
}

/// `POST /checkout/create-customer`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateCustomerBody<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    #[serde(rename = "metaData", skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<&'a BTreeMap<String, String>>,
}

/// `retrieve-customer`, `delete-customer`: `{"customer_id": …}`.
#[derive(Debug, Serialize)]
pub(crate) struct CustomerIdBody<'a> {
    pub customer_id: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// The checkout object (`002_…txt`), every documented field.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CheckoutWire<'a> {
    #[serde(default, borrow)]
    pub checkout_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub identifier: Option<Text<'a>>,
    #[serde(default, borrow, rename = "authCode")]
    pub auth_code: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub status: Option<Text<'a>>,
    #[serde(default, borrow, rename = "statusChanged")]
    pub status_changed: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub mode: Option<Text<'a>>,
    #[serde(default)]
    pub amount: Option<Int>,
    #[serde(default, borrow)]
    pub currency: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub message: Option<Text<'a>>,
    #[serde(default, borrow, rename = "returnUrl")]
    pub return_url: Option<Text<'a>>,
    #[serde(default, borrow, rename = "returnUrlCancel")]
    pub return_url_cancel: Option<Text<'a>>,
    #[serde(default, rename = "metaData")]
    pub meta_data: Meta,
    #[serde(default)]
    pub capture: Option<Flag>,
    #[serde(default, borrow, rename = "redirectUrl")]
    pub redirect_url: Option<Text<'a>>,
    #[serde(default)]
    pub balance: Option<Int>,
    #[serde(default, borrow, rename = "usedCard")]
    pub used_card: ObjOrEmpty<CardWire<'a>>,
    #[serde(default, borrow)]
    pub log: Log<'a>,
    #[serde(default, borrow)]
    pub customer: ObjOrEmpty<CustomerWire<'a>>,
}

/// The fields of a checkout object that say what may be done with it: status and amounts.
/// The rest (log, card, customer, metadata) is skipped unparsed, so the checks before a
/// refund or capture do not pay for decoding a whole checkout they then drop.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CheckoutStateWire<'a> {
    #[serde(default, borrow)]
    pub checkout_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub status: Option<Text<'a>>,
    #[serde(default)]
    pub amount: Option<Int>,
    #[serde(default, borrow)]
    pub currency: Option<Text<'a>>,
    #[serde(default)]
    pub balance: Option<Int>,
}

/// `usedCard` and the entries of `savedCards`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CardWire<'a> {
    #[serde(default, borrow)]
    pub card_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub brand: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub country: Option<Text<'a>>,
    /// `M/YYYY`, e.g. `4/2024`.
    #[serde(default, borrow)]
    pub expires: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub funding: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub last4: Option<Text<'a>>,
    /// Saved cards only: the processor, e.g. `stripe`.
    #[serde(default, borrow)]
    pub integration: Option<Text<'a>>,
    /// Saved cards only.
    #[serde(default, borrow)]
    pub card_holder: Option<Text<'a>>,
}

/// The customer object (of a checkout, or of the customer endpoints).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CustomerWire<'a> {
    #[serde(default, borrow)]
    pub customer_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub first_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub last_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub email: Option<Text<'a>>,
    #[serde(default, borrow, alias = "Client_page", alias = "clientPage")]
    pub client_page: Option<Text<'a>>,
    #[serde(default, rename = "metaData")]
    pub meta_data: Meta,
    #[serde(default, borrow, rename = "savedCards")]
    pub saved_cards: Cards<'a>,
}

/// One `log` entry: `{"action": …, "details": {…}}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogEntryWire<'a> {
    #[serde(default, borrow)]
    pub action: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub details: ObjOrEmpty<LogDetailsWire<'a>>,
}

/// `details` of a log entry.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogDetailsWire<'a> {
    #[serde(default, rename = "amountRefund")]
    pub amount_refund: Option<Int>,
    #[serde(default, borrow)]
    pub reason: Option<Text<'a>>,
    #[serde(default, borrow, rename = "refundDetails")]
    pub refund_details: Option<Text<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Tolerant building blocks
// ---------------------------------------------------------------------------------------------

/// A text field that may arrive as a JSON string or an integer (ids, `last4`). Borrowed
/// from the answer when it has no escapes, so fields that are read and dropped cost no
/// allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// An integer that may arrive as a JSON integer or a string of digits. Never a float.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer (minor units)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                let t = v.trim();
                let digits = t.strip_prefix('-').unwrap_or(t);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom(format!("expected an integer, got the text {v:?}")));
                }
                t.parse::<i64>()
                    .map(Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean that may arrive as `true`/`false`, `0`/`1` or their text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
                match v {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    _ => Err(E::custom("expected a boolean")),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
                match v {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    _ => Err(E::custom("expected a boolean")),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                match v {
                    "true" | "1" => Ok(Flag(true)),
                    "false" | "0" | "" => Ok(Flag(false)),
                    _ => Err(E::custom("expected a boolean")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// An object that may be absent, `null`, `""` or an empty array (`[]`, how PHP encodes an
/// empty map). Anything else must be the object.
#[derive(Debug)]
pub(crate) struct ObjOrEmpty<T>(pub Option<T>);

impl<T> Default for ObjOrEmpty<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjOrEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ObjOrEmpty<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object, null or an empty array")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| ObjOrEmpty(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("expected an object, got a non-empty array"));
                }
                Ok(ObjOrEmpty(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ObjOrEmpty(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ObjOrEmpty(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(self)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.is_empty() {
                    Ok(ObjOrEmpty(None))
                } else {
                    Err(E::custom("expected an object, got text"))
                }
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `metaData`: an object of key → value (any JSON value; strings kept as they are, numbers and
/// booleans as their JSON text, nested values as compact JSON, `null` dropped). Also accepted:
/// `null`, `""`, `[]`, and an array of objects (merged; `{"key": k, "value": v}` pairs are
/// read as `k → v`).
#[derive(Debug, Default)]
pub(crate) struct Meta(pub BTreeMap<String, String>);

/// One metadata value as text, or `None` for `null`.
fn meta_value(raw: &RawValue) -> Result<Option<String>, serde_json::Error> {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).map(Some)
    } else if text == "null" {
        Ok(None)
    } else {
        // Numbers exactly as written (never through a float), booleans, nested JSON.
        Ok(Some(text.to_owned()))
    }
}

struct MetaVisitor;

impl<'de> Visitor<'de> for MetaVisitor {
    type Value = Meta;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of key-value pairs")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let raw = map.next_value::<&'de RawValue>()?;
            if let Some(v) = meta_value(raw).map_err(de::Error::custom)? {
                out.insert(key.into_string(), v);
            }
        }
        Ok(Meta(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Meta, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(Meta(mut part)) = seq.next_element::<Meta>()? {
            if part.len() == 2 {
                if let (Some(k), Some(v)) = (part.get("key"), part.get("value")) {
                    let (k, v) = (k.clone(), v.clone());
                    part.clear();
                    part.insert(k, v);
                }
            }
            out.append(&mut part);
        }
        Ok(Meta(out))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Meta, E> {
        Ok(Meta::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Meta, E> {
        Ok(Meta::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Meta, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Meta, E> {
        if v.is_empty() {
            Ok(Meta::default())
        } else {
            Err(E::custom("metaData must be an object, got text"))
        }
    }
}

impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MetaVisitor)
    }
}

/// `savedCards`: an array of cards; `null` and `{}`/`[]` are empty, an object's values are
/// read as the cards.
#[derive(Debug, Default)]
pub(crate) struct Cards<'a>(pub Vec<CardWire<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Cards<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cards<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of cards")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cards<'de>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
                while let Some(ObjOrEmpty(card)) = seq.next_element::<ObjOrEmpty<CardWire<'de>>>()? {
                    out.extend(card);
                }
                Ok(Cards(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cards<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((_, ObjOrEmpty(card))) =
                    map.next_entry::<IgnoredAny, ObjOrEmpty<CardWire<'de>>>()?
                {
                    out.extend(card);
                }
                Ok(Cards(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Cards<'de>, E> {
                Ok(Cards::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Cards<'de>, E> {
                Ok(Cards::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Cards<'de>, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

/// `log`: an object keyed by UTC timestamp (`YYYY-MM-DD HH:MM:SS`), kept in document order
/// here (the mapping sorts by the parsed time). `null` and `[]` are empty; an array of entries
/// is accepted with no timestamps.
#[derive(Debug, Default)]
pub(crate) struct Log<'a>(pub Vec<(Option<Text<'a>>, LogEntryWire<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Log<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Log<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of timestamp → log entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Log<'de>, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some((at, ObjOrEmpty(entry))) =
                    map.next_entry::<Text<'de>, ObjOrEmpty<LogEntryWire<'de>>>()?
                {
                    out.push((Some(at), entry.unwrap_or_default()));
                }
                Ok(Log(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Log<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(ObjOrEmpty(entry)) = seq.next_element::<ObjOrEmpty<LogEntryWire<'de>>>()? {
                    out.push((None, entry.unwrap_or_default()));
                }
                Ok(Log(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Log<'de>, E> {
                Ok(Log::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Log<'de>, E> {
                Ok(Log::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Log<'de>, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_scalars() {
        let c: CheckoutWire = serde_json::from_str(
            r#"{"checkout_id": 123, "amount": "1000", "capture": 0, "balance": null,
                "usedCard": [], "customer": null, "metaData": [], "log": []}"#,
        )
        .unwrap();
        assert_eq!(c.checkout_id, Some(Text("123".into())));
        assert_eq!(c.amount, Some(Int(1000)));
        assert_eq!(c.capture, Some(Flag(false)));
        assert!(c.balance.is_none() && c.used_card.0.is_none() && c.customer.0.is_none());
        assert!(c.meta_data.0.is_empty() && c.log.0.is_empty());
    }

    #[test]
    fn amounts_are_never_floats() {
        assert!(serde_json::from_str::<CheckoutWire>(r#"{"amount": 10.5}"#).is_err());
        assert!(serde_json::from_str::<CheckoutWire>(r#"{"amount": "10.50"}"#).is_err());
        assert!(serde_json::from_str::<CheckoutWire>(r#"{"amount": 1e3}"#).is_err());
    }

    #[test]
    fn metadata_values_of_any_type() {
        let m: Meta = serde_json::from_str(
            r#"{"s": "a\"b", "n": 12, "f": 1.50, "b": true, "z": null, "o": {"x": [1, 2]}, "e": ""}"#,
        )
        .unwrap();
        assert_eq!(m.0["s"], "a\"b");
        assert_eq!(m.0["n"], "12");
        assert_eq!(m.0["f"], "1.50");
        assert_eq!(m.0["b"], "true");
        assert!(!m.0.contains_key("z"));
        assert_eq!(m.0["o"], r#"{"x": [1, 2]}"#);
        assert_eq!(m.0["e"], "");
        let m: Meta = serde_json::from_str(r#"[{"key": "k", "value": "v"}, {"a": "b"}]"#).unwrap();
        assert_eq!(m.0.len(), 2);
        assert_eq!(m.0["k"], "v");
        assert_eq!(m.0["a"], "b");
    }

    #[test]
    fn request_bodies_use_the_documented_names() {
        let meta = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        let methods = vec!["card".to_owned()];
        let body = CreateBody {
            identifier: Some("order-1"),
            amount: 3000,
            currency: "SEK",
            message: "Two coffees",
            capture: false,
            allow_save_card: Some(false),
            return_url: "https://a",
            return_url_cancel: "https://b",
            customer_id: Some("c1"),
            card_id: Some("card1"),
            template: Some("iframe"),
            meta_data: Some(&meta),
            payment_methods: Some(&methods),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "identifier": "order-1", "amount": 3000, "currency": "SEK", "message": "Two coffees",
                "capture": false, "allowSaveCard": false, "returnUrl": "https://a",
                "returnUrlCancel": "https://b", "customer_id": "c1", "card_id": "card1",
                "template": "iframe", "metaData": {"k": "v"}, "paymentMethods": ["card"]
            })
        );
    }
}

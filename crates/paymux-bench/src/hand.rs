//! The hand-written baseline: `reqwest` + `serde` calls to the same simulator, written the way
//! a careful merchant would write them without paymux (one shared client, typed request and
//! response structs holding only the fields such code reads, idempotency keys where the
//! provider honours them, a timeout).
//!
//! Two modes:
//!
//! * [`Mode::Mirror`] sends exactly the HTTP requests paymux's backend sends for the same
//!   operation (for example the read before a Paiwise refund, the read after a Checkout.com
//!   capture), so the paymux / hand ratio isolates the cost of paymux's own code: encoding,
//!   decoding into the unified `Payment`, mapping, the transport layer.
//! * [`Mode::Minimal`] sends only the request that performs the operation, for context: the
//!   difference to `Mirror` is what the unified contract's extra requests cost.

use std::time::Duration;

use paymux_sim::Simulator;
use reqwest::{Client, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::flow::{Provider, CHECKOUT_AMOUNT, PAIWISE_AMOUNT, TWISTO_AMOUNT};

/// Which requests the hand-written client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The same requests as paymux's backend.
    Mirror,
    /// Only the request that performs the operation.
    Minimal,
}

/// A hand-written client of all three simulated APIs.
#[derive(Debug)]
pub struct Hand {
    http: Client,
    base: String,
    twisto: String,
    paiwise_key: String,
    checkout_key: String,
    twisto_key: String,
    mode: Mode,
}

type R<T> = Result<T, String>;

impl Hand {
    /// A client for `sim`'s APIs.
    ///
    /// # Errors
    /// When the `reqwest` client cannot be built.
    pub fn new(sim: &Simulator, mode: Mode) -> R<Self> {
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: sim.base_url(),
            twisto: sim.twisto_base_url(),
            paiwise_key: sim.keys().paiwise.clone(),
            checkout_key: sim.keys().checkout.clone(),
            twisto_key: sim.keys().twisto.clone(),
            mode,
        })
    }

    async fn call<T: DeserializeOwned>(&self, builder: RequestBuilder) -> R<T> {
        let response = builder.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(format!("HTTP {status}: {body}"));
        }
        response.json::<T>().await.map_err(|e| e.to_string())
    }

    /// `create`: the provider's id of the new payment.
    pub async fn create(&self, provider: Provider, seq: u64) -> R<String> {
        match provider {
            Provider::Paiwise => {
                let reference = format!("B-{seq}");
                let body = PwCreate {
                    amount: PAIWISE_AMOUNT,
                    currency: "SEK",
                    message: "Benchmark order",
                    capture: false,
                    return_url: "https://shop.example/ok",
                    return_url_cancel: "https://shop.example/cancel",
                    identifier: &reference,
                };
                let c: PwCheckout = self.paiwise("create", &body).await?;
                expect(&c.status, "created")?;
                Ok(c.checkout_id)
            }
            Provider::Checkout => {
                let body = CkCreate {
                    source: CkSource {
                        kind: "token",
                        token: "tok_4gzeau5o2uqubbk6fufs3m7p54",
                    },
                    amount: CHECKOUT_AMOUNT,
                    currency: "SEK",
                    capture: false,
                    reference: &format!("B-{seq}"),
                };
                let p: CkPayment = self
                    .call(
                        self.ck(self.http.post(format!("{}/payments", self.base)))
                            .json(&body),
                    )
                    .await?;
                expect(&p.status, "Authorized")?;
                Ok(p.id)
            }
            Provider::Twisto => {
                let reference = format!("B-{seq}");
                let body = TwCreate {
                    kind: "standard",
                    config: TwConfig {
                        redirect_uri: "https://shop.example/ok",
                    },
                    shopper: TwShopper {
                        email: "jan@example.cz",
                    },
                    order: TwOrder {
                        reference: &reference,
                        amount: TWISTO_AMOUNT,
                        currency: "CZK",
                        items: [TwItem {
                            name: "Benchmark order",
                            amount: TWISTO_AMOUNT,
                            quantity: 1,
                            kind: "sku",
                        }],
                    },
                    merchant_reference: &reference,
                };
                let c: TwCheckout = self
                    .call(
                        self.tw(self.http.post(format!("{}/checkouts", self.twisto)))
                            .json(&body),
                    )
                    .await?;
                expect(&c.state, "created")?;
                Ok(c.id)
            }
        }
    }

    /// `get` of a payment just created: checks it still has the state `create` left.
    pub async fn get(&self, provider: Provider, id: &str) -> R<()> {
        match provider {
            Provider::Paiwise => expect(&self.pw_retrieve(id).await?.status, "created"),
            Provider::Checkout => expect(&self.ck_get(id).await?.status, "Authorized"),
            Provider::Twisto => {
                let c = self.tw_get(id).await?;
                if self.mode == Mode::Mirror && c.state == "completed" {
                    self.tw_refunds(id).await?;
                }
                expect(&c.state, "created")
            }
        }
    }

    /// `capture` in full after the customer approved.
    pub async fn capture(&self, provider: Provider, id: &str, seq: u64) -> R<()> {
        match provider {
            Provider::Paiwise => {
                let c: PwCheckout = self.paiwise("capture", &PwId { checkout_id: id }).await?;
                expect(&c.status, "paid")
            }
            Provider::Checkout => {
                let _: CkAction = self
                    .call(
                        self.ck(self.http.post(format!("{}/payments/{id}/captures", self.base)))
                            .json(&CkActionBody { reference: None }),
                    )
                    .await?;
                if self.mode == Mode::Mirror {
                    expect(&self.ck_get(id).await?.status, "Captured")?;
                }
                Ok(())
            }
            Provider::Twisto => {
                let reference = format!("B-{seq}");
                if self.mode == Mode::Mirror {
                    let c = self.tw_get(id).await?;
                    expect(&c.state, "approved")?;
                    let list: TwPage<TwCharge> = self
                        .call(self.tw(self.http.get(format!(
                            "{}/charges?state=authorised&limit=1000&skip=0",
                            self.twisto
                        ))))
                        .await?;
                    if list
                        .items
                        .iter()
                        .any(|c| c.reference.as_deref() == Some(&reference))
                    {
                        return Err("unexpected authorised charge".into());
                    }
                }
                let body = TwChargeBody {
                    authority: TwAuthority {
                        kind: "checkout_id",
                        value: id,
                    },
                    reference: &reference,
                    amount: TWISTO_AMOUNT,
                    currency: "CZK",
                    capture: true,
                    order: TwOrderRef {
                        reference: &reference,
                    },
                };
                let charge: TwCharge = self
                    .call(
                        self.tw(self.http.post(format!("{}/charges", self.twisto)))
                            .header("Idempotency-Key", key())
                            .json(&body),
                    )
                    .await?;
                expect(&charge.state, "captured")?;
                if self.mode == Mode::Mirror {
                    expect(&self.tw_get(id).await?.state, "completed")?;
                }
                Ok(())
            }
        }
    }

    /// `refund` in full.
    pub async fn refund(&self, provider: Provider, id: &str, seq: u64) -> R<()> {
        match provider {
            Provider::Paiwise => {
                let c: PwCheckout = if self.mode == Mode::Mirror {
                    // As paymux does: read, then name what is left.
                    let read = self.pw_retrieve(id).await?;
                    expect(&read.status, "paid")?;
                    let amount = read.balance.ok_or("paid checkout without a balance")?;
                    self.paiwise(
                        "refund",
                        &PwRefund {
                            checkout_id: id,
                            amount,
                        },
                    )
                    .await?
                } else {
                    self.paiwise("refund", &PwId { checkout_id: id }).await?
                };
                expect(&c.status, "refunded")
            }
            Provider::Checkout => {
                let _: CkAction = self
                    .call(
                        self.ck(self.http.post(format!("{}/payments/{id}/refunds", self.base)))
                            .json(&CkActionBody { reference: None }),
                    )
                    .await?;
                if self.mode == Mode::Mirror {
                    expect(&self.ck_get(id).await?.status, "Refunded")?;
                }
                Ok(())
            }
            Provider::Twisto => {
                if self.mode == Mode::Mirror {
                    expect(&self.tw_get(id).await?.state, "completed")?;
                    self.tw_refunds(id).await?;
                }
                let body = TwRefundBody {
                    checkout_id: id,
                    reference: &format!("R-{seq}"),
                    reason: "benchmark",
                    amount: TWISTO_AMOUNT,
                };
                let refund: TwRefund = self
                    .call(
                        self.tw(self.http.post(format!("{}/refunds", self.twisto)))
                            .header("Idempotency-Key", key())
                            .json(&body),
                    )
                    .await?;
                expect(&refund.amount, TWISTO_AMOUNT)
            }
        }
    }

    async fn paiwise<B: Serialize, T: DeserializeOwned>(&self, action: &str, body: &B) -> R<T> {
        self.call(
            self.http
                .post(format!("{}/checkout/{action}", self.base))
                .bearer_auth(&self.paiwise_key)
                .json(body),
        )
        .await
    }

    async fn pw_retrieve(&self, id: &str) -> R<PwCheckout> {
        self.paiwise("retrieve", &PwId { checkout_id: id }).await
    }

    fn ck(&self, builder: RequestBuilder) -> RequestBuilder {
        builder
            .bearer_auth(&self.checkout_key)
            .header("Cko-Idempotency-Key", key())
    }

    async fn ck_get(&self, id: &str) -> R<CkPayment> {
        self.call(
            self.http
                .get(format!("{}/payments/{id}", self.base))
                .bearer_auth(&self.checkout_key),
        )
        .await
    }

    fn tw(&self, builder: RequestBuilder) -> RequestBuilder {
        builder.bearer_auth(&self.twisto_key)
    }

    async fn tw_get(&self, id: &str) -> R<TwCheckout> {
        self.call(self.tw(self.http.get(format!("{}/checkouts/{id}", self.twisto))))
            .await
    }

    async fn tw_refunds(&self, id: &str) -> R<TwPage<TwRefund>> {
        self.call(self.tw(self.http.get(format!(
            "{}/refunds?checkoutId={id}&limit=1000&skip=0",
            self.twisto
        ))))
        .await
    }
}

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn expect(found: &str, wanted: &str) -> R<()> {
    if found == wanted {
        Ok(())
    } else {
        Err(format!("expected {wanted:?}, got {found:?}"))
    }
}

#[derive(Serialize)]
struct PwCreate<'a> {
    amount: i64,
    currency: &'a str,
    message: &'a str,
    capture: bool,
    #[serde(rename = "returnUrl")]
    return_url: &'a str,
    #[serde(rename = "returnUrlCancel")]
    return_url_cancel: &'a str,
    identifier: &'a str,
}

#[derive(Serialize)]
struct PwId<'a> {
    checkout_id: &'a str,
}

#[derive(Serialize)]
struct PwRefund<'a> {
    checkout_id: &'a str,
    amount: i64,
}

#[derive(Deserialize)]
struct PwCheckout {
    checkout_id: String,
    status: String,
    #[serde(default)]
    balance: Option<i64>,
}

#[derive(Serialize)]
struct CkCreate<'a> {
    source: CkSource<'a>,
    amount: i64,
    currency: &'a str,
    capture: bool,
    reference: &'a str,
}

#[derive(Serialize)]
struct CkSource<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    token: &'a str,
}

#[derive(Serialize)]
struct CkActionBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

#[derive(Deserialize)]
struct CkPayment {
    id: String,
    status: String,
}

#[derive(Deserialize)]
struct CkAction {
    #[allow(dead_code)] // read by serde only: the field a caller would keep
    action_id: String,
}

#[derive(Serialize)]
struct TwCreate<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    config: TwConfig<'a>,
    shopper: TwShopper<'a>,
    order: TwOrder<'a>,
    merchant_reference: &'a str,
}

#[derive(Serialize)]
struct TwConfig<'a> {
    redirect_uri: &'a str,
}

#[derive(Serialize)]
struct TwShopper<'a> {
    email: &'a str,
}

#[derive(Serialize)]
struct TwOrder<'a> {
    reference: &'a str,
    amount: &'a str,
    currency: &'a str,
    items: [TwItem<'a>; 1],
}

#[derive(Serialize)]
struct TwItem<'a> {
    name: &'a str,
    amount: &'a str,
    quantity: u32,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct TwChargeBody<'a> {
    authority: TwAuthority<'a>,
    reference: &'a str,
    amount: &'a str,
    currency: &'a str,
    capture: bool,
    order: TwOrderRef<'a>,
}

#[derive(Serialize)]
struct TwAuthority<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct TwOrderRef<'a> {
    reference: &'a str,
}

#[derive(Serialize)]
struct TwRefundBody<'a> {
    checkout_id: &'a str,
    reference: &'a str,
    reason: &'a str,
    amount: &'a str,
}

#[derive(Deserialize)]
struct TwCheckout {
    id: String,
    state: String,
}

#[derive(Deserialize)]
struct TwCharge {
    state: String,
    reference: Option<String>,
}

#[derive(Deserialize)]
struct TwRefund {
    amount: String,
}

#[derive(Deserialize)]
struct TwPage<T> {
    items: Vec<T>,
}

//! Secrets: succeeding and failing calls against the simulator with tracing at TRACE level;
//! neither the captured logs, nor any error's Display/Debug, nor any config's, builder's or
//! provider's Debug contains an API key (the right keys nor the wrong ones).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{contract_transport, fault_transport, sim_fixture, Backend};
use paymux_core::{CaptureRequest, Error, Money, RefundRequest, TransportConfig};
use paymux_sim::{FaultKind, FaultSpec, Route, Simulator};
use paymux_testkit::cases::{authorized, captured, BASE};
use paymux_testkit::{find_secrets, LogCapture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_in_logs_errors_or_debug() {
    let capture = LogCapture::new();
    capture
        .install_global()
        .expect("only subscriber in this test binary");
    let sim = Arc::new(Simulator::start().await.unwrap());
    let mut texts: Vec<String> = Vec::new();
    let mut errors: Vec<Error> = Vec::new();
    let mut secrets: Vec<String> = Vec::new();

    for backend in Backend::ALL {
        let key = backend.sim_key(&sim);
        secrets.push(key.clone());
        secrets.push(backend.wrong_key().to_owned());
        let f = sim_fixture(&sim, backend, contract_transport()).await;
        let short = backend.build(
            &key,
            &backend.sim_base_url(&sim),
            fault_transport().with_max_retries(0),
        );
        texts.push(format!("{:?}", f.provider));
        texts.push(format!("{short:?}"));
        texts.push(format!("{:?}", f.wrong_key.as_ref().unwrap()));

        // Succeeding calls.
        let p = captured(&f, BASE, "secrets").await.unwrap();
        let p = f
            .provider
            .refund(
                &p.id,
                &RefundRequest::partial(Money::from_minor(1_000, f.currency)),
            )
            .await
            .unwrap();
        texts.push(format!("{p:?}"));

        // Failing calls: wrong key, unknown id, refused operation, 500, timeout after sending,
        // undecodable and oversized answers.
        let mut fail = |r: paymux_core::Result<paymux_core::Payment>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        let wrong = f.wrong_key.clone().unwrap();
        fail(wrong.get_payment(&p.id).await);
        fail(
            wrong
                .create_payment(&(f.request)(
                    Money::from_minor(BASE, f.currency),
                    "sec-wrong",
                    false,
                ))
                .await,
        );
        fail(f.provider.get_payment(backend.unknown_id()).await);
        fail(f.provider.capture(&p.id, &CaptureRequest::full()).await);
        for (route, kind) in [
            (Route::Get, FaultKind::Status { status: 500 }),
            (Route::Get, FaultKind::TruncatedJson),
            (
                Route::Get,
                FaultKind::HugeBody {
                    bytes: 3 * 1024 * 1024,
                },
            ),
            (Route::Capture, FaultKind::Latency { millis: 700 }),
            (Route::Capture, FaultKind::DropAfterCommit),
        ] {
            sim.inject_fault(FaultSpec {
                provider: backend.sim(),
                route,
                kind,
                times: 10,
            });
            let r = match route {
                Route::Get => short.get_payment(&p.id).await,
                _ => {
                    let a = authorized(&f, BASE, "secrets").await;
                    match a {
                        Ok(a) => short.capture(&a.id, &CaptureRequest::full()).await,
                        Err(_) => Ok(p.clone()),
                    }
                }
            };
            sim.clear_faults();
            fail(r);
        }
        tokio::time::sleep(Duration::from_millis(800)).await;

        // Configs and builders.
        match backend {
            Backend::Paiwise => {
                texts.push(format!("{:?}", paymux_paiwise::PaiwiseConfig::new(key.clone())));
                texts.push(format!("{:?}", paymux_paiwise::PaiwiseBuilder::new(key.clone())));
            }
            Backend::Checkout => {
                texts.push(format!("{:?}", paymux_checkout::CheckoutConfig::new(key.clone())));
                texts.push(format!(
                    "{:?}",
                    paymux_checkout::CheckoutBuilder::new(key.clone()).with_webhook_key("whsec_abcdefghijkl")
                ));
                texts.push(format!(
                    "{:?}",
                    paymux_checkout::WebhookVerifier::new("whsec_abcdefghijkl")
                ));
                secrets.push("whsec_abcdefghijkl".to_owned());
            }
            Backend::Twisto => {
                texts.push(format!("{:?}", paymux_twisto::TwistoConfig::new(key.clone())));
                texts.push(format!("{:?}", paymux_twisto::TwistoBuilder::new(key.clone())));
            }
        }
    }
    texts.push(format!("{:?}", TransportConfig::default()));

    assert!(
        errors.len() >= 3 * 8,
        "expected failing calls, got {} errors",
        errors.len()
    );
    let kinds: Vec<&str> = errors.iter().map(paymux_testkit::cases::error_kind).collect();
    for wanted in [
        "Authentication",
        "NotFound",
        "InvalidState",
        "Decode",
        "OutcomeUnknown",
    ] {
        assert!(kinds.contains(&wanted), "no {wanted} among {kinds:?}");
    }
    for e in &errors {
        texts.push(e.to_string());
        texts.push(format!("{e:?}"));
    }
    // A positive control: a canary logged at TRACE is found, so the search can fail.
    tracing::trace!(canary = "canary_5ecret_0a1b2c3d4e5f", "canary");
    let logs = capture.contents();
    assert_eq!(
        find_secrets(&logs, &["canary_5ecret_0a1b2c3d4e5f"]),
        ["canary_5ecret_0a1b2c3d4e5f"]
    );
    assert!(
        logs.contains("paymux.http"),
        "the transport's spans were captured"
    );
    // With a subscriber listening, the span carries what the transport records on it.
    for field in ["http.status=", "attempts=", "path="] {
        assert!(logs.contains(field), "no {field} in the transport's spans");
    }
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "low levels were captured"
    );
    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let leaked_in_logs = find_secrets(&logs, &secret_refs);
    assert!(leaked_in_logs.is_empty(), "keys in logs: {leaked_in_logs:?}");
    for t in &texts {
        let leaked = find_secrets(t, &secret_refs);
        assert!(leaked.is_empty(), "keys {leaked:?} in {t}");
    }
    println!(
        "secrets: {} log bytes, {} errors and {} Debug/Display texts checked against {} keys: none found",
        logs.len(),
        errors.len(),
        texts.len(),
        secrets.len()
    );
}

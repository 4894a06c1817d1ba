//! The shared transport: retries only where safe, the same idempotency key on every retry,
//! OutcomeUnknown when a mutation's answer is lost, a response size cap, and no key in Debug.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use paymux_core::transport::{common_error, ApiRequest, BaseUrl, HttpTransport, RetryPolicy, Url};
use paymux_core::{ApiKey, Error, IdempotencyKey, Operation};
use reqwest::header::{HeaderName, AUTHORIZATION};
use reqwest::Method;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

mod support;

use support::{fast_config, header_values, scripted_server, transport, url, Step};

#[tokio::test]
async fn a_mutation_that_times_out_after_sending_is_outcome_unknown_and_not_retried() {
    let (base, seen) = scripted_server(vec![Step::Hang, Step::Hang, Step::Hang]).await;
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/capture")),
        Operation::Capture,
        RetryPolicy::Never,
    )
    .json(&serde_json::json!({"checkout_id": "c1"}))
    .unwrap()
    .payment("c1");
    let err = transport("k").send(&req).await.unwrap_err();
    match &err {
        Error::OutcomeUnknown {
            operation,
            payment_id,
            ..
        } => {
            assert_eq!(*operation, Operation::Capture);
            assert_eq!(payment_id.as_deref(), Some("c1"));
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(
        seen.lock().unwrap().requests.len(),
        1,
        "a non-idempotent mutation must not be re-sent"
    );
}

#[tokio::test]
async fn a_dropped_connection_on_a_mutation_is_outcome_unknown() {
    let (base, seen) = scripted_server(vec![Step::Drop]).await;
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/refund")),
        Operation::Refund,
        RetryPolicy::Never,
    );
    let err = transport("k").send(&req).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
}

#[tokio::test]
async fn retries_of_one_call_carry_the_same_idempotency_key() {
    let (base, seen) = scripted_server(vec![
        Step::Answer(503, "", "{}".into()),
        Step::Hang,
        Step::Answer(201, "", r#"{"ok":true}"#.into()),
    ])
    .await;
    let key = IdempotencyKey::new();
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/payments")),
        Operation::Create,
        RetryPolicy::Idempotent,
    )
    .idempotency_key(HeaderName::from_static("idempotency-key"), key.clone());
    let resp = transport("k").send(&req).await.unwrap();
    assert_eq!(resp.status.as_u16(), 201);
    assert_eq!(resp.attempts, 3);
    let keys = header_values(&seen, "idempotency-key");
    assert_eq!(keys, vec![key.as_str().to_owned(); 3]);
}

#[tokio::test]
async fn an_idempotent_mutation_with_no_answer_after_all_retries_is_outcome_unknown_with_its_key() {
    let (base, seen) = scripted_server(vec![Step::Hang, Step::Hang, Step::Hang]).await;
    let key = IdempotencyKey::from_string("order-7-capture").unwrap();
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/c")),
        Operation::Capture,
        RetryPolicy::Idempotent,
    )
    .idempotency_key(HeaderName::from_static("idempotency-key"), key);
    let err = transport("k").send(&req).await.unwrap_err();
    match err {
        Error::OutcomeUnknown { idempotency_key, .. } => {
            assert_eq!(idempotency_key.as_deref(), Some("order-7-capture"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().requests.len(), 3);
}

#[tokio::test]
async fn reads_are_retried_and_time_out_as_timeout() {
    let (base, seen) = scripted_server(vec![Step::Hang, Step::Hang, Step::Hang]).await;
    let req = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p/1")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let err = transport("k").send(&req).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: Operation::Get,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(seen.lock().unwrap().requests.len(), 3);
}

#[tokio::test]
async fn rate_limits_honour_retry_after_and_non_idempotent_mutations_are_not_retried() {
    let (base, seen) = scripted_server(vec![
        Step::Answer(429, "retry-after: 0\r\n", "{}".into()),
        Step::Answer(200, "", "{}".into()),
    ])
    .await;
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = transport("k").send(&read).await.unwrap();
    assert_eq!((resp.status.as_u16(), resp.attempts), (200, 2));

    let (base, seen2) = scripted_server(vec![Step::Answer(503, "", "oops".into())]).await;
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/capture")),
        Operation::Capture,
        RetryPolicy::Never,
    );
    // A 5xx after a non-idempotent mutation was sent may have committed: not retried, and
    // reported as such by the transport itself.
    let err = transport("k").send(&req).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(seen2.lock().unwrap().requests.len(), 1);
    // The same reading for a backend mapping such an answer itself.
    let resp = paymux_core::transport::ApiResponse {
        status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
        headers: reqwest::header::HeaderMap::new(),
        body: bytes::Bytes::from_static(b"oops"),
        request_id: None,
        attempts: 1,
    };
    assert!(matches!(
        common_error("testpsp", &req, &resp, None, None),
        Error::OutcomeUnknown { .. }
    ));
    drop(seen);
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for() {
    let (base, _seen) = scripted_server(vec![Step::Answer(429, "retry-after: 3600\r\n", "{}".into())]).await;
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = transport("k").send(&read).await.unwrap();
    assert_eq!(resp.status.as_u16(), 429);
    let err = common_error("testpsp", &read, &resp, None, None);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(5 * 1024 * 1024));
    let (base, _seen) = scripted_server(vec![Step::Answer(200, "", big)]).await;
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let err = transport("k").send(&read).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn refused_connections_are_transport_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("http://{addr}/x")),
        Operation::Capture,
        RetryPolicy::Never,
    );
    let err = transport("k").send(&req).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn the_key_is_sent_but_never_printed() {
    let secret = "sk_sbox_supersecretvalue1234567890ab";
    let (base, seen) = scripted_server(vec![Step::Answer(401, "", String::new())]).await;
    let t = transport(secret);
    let req = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = t.send(&req).await.unwrap();
    assert_eq!(
        header_values(&seen, "authorization"),
        vec![format!("Bearer {secret}")]
    );
    let err = common_error("testpsp", &req, &resp, None, None);
    assert!(matches!(err, Error::Authentication { .. }));
    for text in [
        format!("{t:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{:?}", ApiKey::new(secret)),
    ] {
        assert!(!text.contains(secret), "key leaked in {text}");
    }
}

#[test]
fn a_request_body_is_never_printed() {
    // A card payment body holds the card number and CVV in clear (PCI DSS: the CVV is never
    // logged, the number only masked); `{:?}` of the request, as a log line would print it,
    // must not show them.
    let req = ApiRequest::new(
        Method::POST,
        url("https://api.sandbox.checkout.com/payments"),
        Operation::Create,
        RetryPolicy::Idempotent,
    )
    .json(&serde_json::json!({
        "source": {"type": "card", "number": "4242424242424242", "expiry_month": 12,
                   "expiry_year": 2030, "cvv": "737"},
        "amount": 6540,
        "currency": "USD",
    }))
    .unwrap()
    .idempotency_key(
        HeaderName::from_static("cko-idempotency-key"),
        IdempotencyKey::from_string("order-1").unwrap(),
    );
    let text = format!("{req:?}");
    for secret in ["4242424242424242", "\"737\"", "expiry_year"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // What a log line needs is still there.
    for kept in ["POST", "/payments", "Create", "order-1", "bytes"] {
        assert!(text.contains(kept), "{kept} not in {text}");
    }
}

#[tokio::test]
async fn a_url_reqwest_cannot_send_is_an_invalid_request_and_not_retried() {
    let req = ApiRequest::new(
        Method::GET,
        url("ftp://127.0.0.1:9/x"),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let err = transport("k").send(&req).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
}

#[test]
fn base_urls_are_checked_once_and_paths_appended_safely() {
    for bad in [
        "not a url",
        "ftp://example.com",
        "http://example.com/v4?x=1",
        "http://example.com/v4#top",
        "https://user:secret@example.com",
        "mailto:ops@example.com",
        "ftp://user:secret@example.com",
        "https://user:secret@exa mple.com",
    ] {
        let err = BaseUrl::parse(bad).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field, .. } if field == "base_url"),
            "{bad}: {err:?}"
        );
        assert!(!err.to_string().contains("secret"), "{err}");
    }
    let base = BaseUrl::parse(" https://api.example.com/psp/v4/ ").unwrap();
    assert_eq!(base.as_str(), "https://api.example.com/psp/v4");
    // The same URL a full parse of base + path gives.
    for path in ["/checkouts", "/checkouts/abc-123/cancel", "/a b", "/%2F", "/é"] {
        let expected = Url::parse(&format!("https://api.example.com/psp/v4{path}")).unwrap();
        assert_eq!(base.endpoint(path), expected, "{path}");
    }
    // An id cannot start a query or a fragment.
    assert_eq!(
        base.endpoint("/checkouts/a?b#c").as_str(),
        "https://api.example.com/psp/v4/checkouts/a%3Fb%23c"
    );
    let bare = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
    assert_eq!(
        bare.endpoint("/payments").as_str(),
        "http://127.0.0.1:8080/payments"
    );
    let listed = bare.endpoint_with_query("/payments", &[("reference", "ORD 1&2"), ("limit", "10")]);
    assert_eq!(
        listed.as_str(),
        "http://127.0.0.1:8080/payments?reference=ORD+1%262&limit=10"
    );
    let no_query: &[(&str, &str)] = &[];
    assert_eq!(
        bare.endpoint_with_query("/p", no_query).as_str(),
        "http://127.0.0.1:8080/p"
    );
    let err = BaseUrl::parse_for("smi_base_url", "nope").unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { field, .. } if field == "smi_base_url"),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (base, seen) = scripted_server(vec![Step::Answer(
        307,
        "location: http://127.0.0.1:9/elsewhere\r\n",
        String::new(),
    )])
    .await;
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/capture")),
        Operation::Capture,
        RetryPolicy::Never,
    );
    let resp = transport("k").send(&req).await.unwrap();
    // The mutation went out once, to the address asked for; the redirect is the caller's to see.
    assert_eq!(resp.status.as_u16(), 307);
    assert_eq!(resp.attempts, 1);
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
}

#[tokio::test]
async fn a_callers_own_client_still_gets_the_request_timeout() {
    let (base, _seen) = scripted_server(vec![Step::Hang]).await;
    let transport = HttpTransport::with_client("testpsp", reqwest::Client::new(), fast_config());
    let req = ApiRequest::new(
        Method::POST,
        url(&format!("{base}/capture")),
        Operation::Capture,
        RetryPolicy::Never,
    );
    let started = std::time::Instant::now();
    let err = transport.send(&req).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn keyed_capture(base: &str, key: &str) -> ApiRequest {
    ApiRequest::new(
        Method::POST,
        url(&format!("{base}/payments/pay_1/captures")),
        Operation::Capture,
        RetryPolicy::Idempotent,
    )
    .idempotency_key(
        HeaderName::from_static("idempotency-key"),
        IdempotencyKey::from_string(key).unwrap(),
    )
    .payment("pay_1")
}

fn outcome_unknown_key(err: &Error) -> Option<&str> {
    match err {
        Error::OutcomeUnknown { idempotency_key, .. } => idempotency_key.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn a_keyed_mutation_answered_5xx_to_the_end_is_outcome_unknown_with_its_key() {
    let (base, seen) = scripted_server(vec![
        Step::Answer(502, "", "<html>Bad Gateway</html>".into()),
        Step::Answer(502, "", "<html>Bad Gateway</html>".into()),
        Step::Answer(503, "", "busy".into()),
    ])
    .await;
    let err = transport("k")
        .send(&keyed_capture(&base, "cap-1"))
        .await
        .unwrap_err();
    assert_eq!(outcome_unknown_key(&err), Some("cap-1"), "{err:?}");
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(seen.lock().unwrap().requests.len(), 3);
}

#[tokio::test]
async fn a_key_still_in_flight_after_a_lost_attempt_is_outcome_unknown_not_a_conflict() {
    // The first capture reaches the provider and times out; the retries find the key in
    // flight (409) or rate limited (429). Either could hide a capture already made.
    for last in [409, 429] {
        let (base, _) = scripted_server(vec![
            Step::Hang,
            Step::Answer(409, "", r#"{"error_type":"request_in_progress"}"#.into()),
            Step::Answer(last, "", "{}".into()),
        ])
        .await;
        let err = transport("k")
            .send(&keyed_capture(&base, "cap-2"))
            .await
            .unwrap_err();
        assert_eq!(outcome_unknown_key(&err), Some("cap-2"), "{last}: {err:?}");
        assert!(matches!(&err, Error::OutcomeUnknown { payment_id: Some(p), .. } if p == "pay_1"));
    }
}

#[tokio::test]
async fn a_conflict_or_rate_limit_with_nothing_sent_before_is_returned_as_answered() {
    // No earlier attempt could have taken effect: the backend maps the answer (Conflict,
    // RateLimited), which may be retried.
    let (base, _) = scripted_server(vec![
        Step::Answer(429, "retry-after: 0\r\n", "{}".into()),
        Step::Answer(429, "retry-after: 0\r\n", "{}".into()),
        Step::Answer(429, "retry-after: 0\r\n", "{}".into()),
    ])
    .await;
    let resp = transport("k").send(&keyed_capture(&base, "cap-3")).await.unwrap();
    assert_eq!((resp.status.as_u16(), resp.attempts), (429, 3));
}

#[tokio::test]
async fn a_read_or_a_freely_repeatable_mutation_answered_5xx_is_returned_as_answered() {
    for (operation, retry) in [
        (Operation::Get, RetryPolicy::Safe),
        (Operation::Create, RetryPolicy::Safe),
    ] {
        let (base, _) = scripted_server(vec![
            Step::Answer(502, "", "bad".into()),
            Step::Answer(502, "", "bad".into()),
            Step::Answer(502, "", "bad".into()),
        ])
        .await;
        let req = ApiRequest::new(Method::POST, url(&format!("{base}/checkouts")), operation, retry);
        let resp = transport("k").send(&req).await.unwrap();
        assert_eq!(resp.status.as_u16(), 502);
    }
}

#[tokio::test]
async fn a_refused_connection_after_a_lost_attempt_is_outcome_unknown_not_a_transport_error() {
    // The first attempt is received and never answered; then the server is gone, so the
    // retries cannot connect. The first capture may have been made.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        drop(listener);
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(socket);
    });
    let err = transport("k")
        .send(&keyed_capture(&base, "cap-4"))
        .await
        .unwrap_err();
    assert_eq!(outcome_unknown_key(&err), Some("cap-4"), "{err:?}");
    server.abort();
}

#[tokio::test]
async fn an_oversized_answer_to_a_mutation_is_outcome_unknown() {
    let (base, _) = scripted_server(vec![Step::Answer(201, "", "x".repeat(4096))]).await;
    let small = HttpTransport::new("testpsp", fast_config().with_max_response_bytes(1024))
        .unwrap()
        .with_auth(AUTHORIZATION, ApiKey::new("k").header_value("Bearer ").unwrap());
    let err = small.send(&keyed_capture(&base, "cap-5")).await.unwrap_err();
    assert_eq!(outcome_unknown_key(&err), Some("cap-5"), "{err:?}");
}

/// `Retry-After` as RFC 9110 allows it: the HTTP-date form too.
fn http_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

#[tokio::test]
async fn a_retry_after_given_as_a_date_is_honoured_like_seconds() {
    // An hour away: longer than `max_retry_after`, so not waited for (and not hammered with
    // retries after 5 ms): the 429 is returned once, with the wait it asks for.
    let later = leak(format!(
        "retry-after: {}\r\n",
        http_date(chrono::Utc::now() + chrono::Duration::hours(1))
    ));
    let (base, seen) = scripted_server(vec![
        Step::Answer(429, later, "{}".into()),
        Step::Answer(429, later, "{}".into()),
        Step::Answer(429, later, "{}".into()),
    ])
    .await;
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = transport("k").send(&read).await.unwrap();
    assert_eq!((resp.status.as_u16(), resp.attempts), (429, 1));
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
    let wait = common_error("testpsp", &read, &resp, None, None)
        .retry_after()
        .expect("the date is a hint");
    assert!(
        wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );

    // A date already past (or now) is no wait: retried at once.
    for past in [
        http_date(chrono::Utc::now() - chrono::Duration::hours(1)),
        "Sunday, 06-Nov-94 08:49:37 GMT".to_owned(),
        "Sun Nov  6 08:49:37 1994".to_owned(),
    ] {
        let past = leak(format!("retry-after: {past}\r\n"));
        let (base, _) = scripted_server(vec![
            Step::Answer(429, past, "{}".into()),
            Step::Answer(200, "", "{}".into()),
        ])
        .await;
        let read = ApiRequest::new(
            Method::GET,
            url(&format!("{base}/p")),
            Operation::Get,
            RetryPolicy::Safe,
        );
        let resp = transport("k").send(&read).await.unwrap();
        assert_eq!((resp.status.as_u16(), resp.attempts), (200, 2), "{past}");
    }
}

#[tokio::test]
async fn a_retry_after_too_large_for_a_number_is_the_longest_wait_not_none() {
    // More seconds than a u64 holds: still "come back much later", not "no hint" (which
    // was retried after the usual 5 ms backoff).
    let huge = "retry-after: 99999999999999999999999\r\n";
    let (base, seen) = scripted_server(vec![
        Step::Answer(429, huge, "{}".into()),
        Step::Answer(429, huge, "{}".into()),
        Step::Answer(429, huge, "{}".into()),
    ])
    .await;
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = transport("k").send(&read).await.unwrap();
    assert_eq!((resp.status.as_u16(), resp.attempts), (429, 1));
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
    assert_eq!(resp.retry_after(), Some(Duration::from_secs(u64::MAX)));
    let err = common_error("testpsp", &read, &resp, None, None);
    assert!(err.to_string().contains("retry after"), "{err}");

    // Garbage is no hint: retried after the backoff, as before.
    let (base, _) = scripted_server(vec![
        Step::Answer(429, "retry-after: soon\r\n", "{}".into()),
        Step::Answer(429, "retry-after: -5\r\n", "{}".into()),
        Step::Answer(200, "", "{}".into()),
    ])
    .await;
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = transport("k").send(&read).await.unwrap();
    assert_eq!((resp.status.as_u16(), resp.attempts), (200, 3));
}

#[tokio::test]
async fn a_stored_idempotency_key_is_checked_when_read_back() {
    // A key read back from the caller's own store (a job queue, a database) must meet the
    // same rule as `from_string`: one with a line break was accepted and then failed as an
    // invalid `url`; one with non-ASCII text went out as raw bytes in the header.
    for bad in [r#""a\nb""#, r#""""#, r#""ключ""#, r#""a b""#] {
        let read = serde_json::from_str::<IdempotencyKey>(bad);
        assert!(read.is_err(), "{bad}: {read:?}");
    }
    let long = serde_json::to_string(&"k".repeat(256)).unwrap();
    assert!(serde_json::from_str::<IdempotencyKey>(&long).is_err());
    // Good keys still round-trip, as the plain string they always were.
    let key = IdempotencyKey::from_string("order-1001-capture-1").unwrap();
    let text = serde_json::to_string(&key).unwrap();
    assert_eq!(text, r#""order-1001-capture-1""#);
    assert_eq!(serde_json::from_str::<IdempotencyKey>(&text).unwrap(), key);
    let fresh = IdempotencyKey::new();
    let back: IdempotencyKey = serde_json::from_str(&serde_json::to_string(&fresh).unwrap()).unwrap();
    assert_eq!(back, fresh);
}

#[tokio::test]
async fn a_callers_own_client_keeps_its_redirect_policy_as_documented() {
    // `with_client` cannot switch redirects off: a client that follows them sends the
    // capture again to the address a 307 names (documented on `with_client`); one built
    // with `Policy::none()` keeps the capture where it was sent.
    for (follows, client) in [
        (true, reqwest::Client::new()),
        (
            false,
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        ),
    ] {
        let (elsewhere, seen_elsewhere) = scripted_server(vec![Step::Answer(201, "", "{}".into())]).await;
        let location = leak(format!("location: {elsewhere}/capture\r\n"));
        let (base, seen) = scripted_server(vec![Step::Answer(307, location, String::new())]).await;
        let transport = HttpTransport::with_client("testpsp", client, fast_config());
        let req = ApiRequest::new(
            Method::POST,
            url(&format!("{base}/capture")),
            Operation::Capture,
            RetryPolicy::Never,
        )
        .json(&serde_json::json!({"amount": 100}))
        .unwrap();
        let resp = transport.send(&req).await.unwrap();
        assert_eq!(seen.lock().unwrap().requests.len(), 1);
        let resent = seen_elsewhere.lock().unwrap().requests.len();
        if follows {
            assert_eq!((resp.status.as_u16(), resent), (201, 1));
        } else {
            assert_eq!((resp.status.as_u16(), resent), (307, 0));
        }
    }
}

fn capped(cap: usize) -> HttpTransport {
    HttpTransport::new("testpsp", fast_config().with_max_response_bytes(cap))
        .unwrap()
        .with_auth(AUTHORIZATION, ApiKey::new("k").header_value("Bearer ").unwrap())
}

/// A whole `200` answer of `n` bytes in two chunks, without a `Content-Length`.
fn chunked(n: usize) -> String {
    let first = "x".repeat(n / 2);
    let rest = "y".repeat(n - n / 2);
    format!(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n{:x}\r\n{rest}\r\n0\r\n\r\n",
        first.len(),
        rest.len()
    )
}

#[tokio::test]
async fn the_size_cap_holds_with_and_without_a_content_length_and_allows_exactly_the_cap() {
    let cap = 1024;
    let read = |base: &str| {
        ApiRequest::new(
            Method::GET,
            url(&format!("{base}/p")),
            Operation::Get,
            RetryPolicy::Safe,
        )
    };
    let capture = |base: &str| {
        ApiRequest::new(
            Method::POST,
            url(&format!("{base}/capture")),
            Operation::Capture,
            RetryPolicy::Never,
        )
    };
    for body in [Step::Raw(chunked(cap)), Step::Answer(200, "", "z".repeat(cap))] {
        let (base, _) = scripted_server(vec![body]).await;
        assert_eq!(capped(cap).send(&read(&base)).await.unwrap().body.len(), cap);
    }
    for body in [
        Step::Raw(chunked(cap + 1)),
        Step::Answer(200, "", "z".repeat(cap + 1)),
    ] {
        let (base, _) = scripted_server(vec![body.clone()]).await;
        let err = capped(cap).send(&read(&base)).await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { message, .. } if message.contains("1024")),
            "{err:?}"
        );
        let (base, seen) = scripted_server(vec![body]).await;
        let err = capped(cap).send(&capture(&base)).await.unwrap_err();
        assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
        assert_eq!(seen.lock().unwrap().requests.len(), 1);
    }
}

#[tokio::test]
async fn an_answer_shorter_than_its_content_length_is_a_lost_answer() {
    // The status arrived, the body did not: for a mutation that is an unknown outcome, sent
    // once; for a read, retried and then a timeout.
    let short = "HTTP/1.1 201 Created\r\ncontent-length: 100\r\n\r\n{\"id\":\"1\"}".to_owned();
    for step in [Step::Raw(short.clone()), Step::RawThenHang(short.clone())] {
        let (base, seen) = scripted_server(vec![step]).await;
        let req = ApiRequest::new(
            Method::POST,
            url(&format!("{base}/capture")),
            Operation::Capture,
            RetryPolicy::Never,
        )
        .payment("c1");
        let err = transport("k").send(&req).await.unwrap_err();
        assert!(
            matches!(&err, Error::OutcomeUnknown { payment_id: Some(p), .. } if p == "c1"),
            "{err:?}"
        );
        assert_eq!(seen.lock().unwrap().requests.len(), 1);
    }
    for client in [None, Some(reqwest::Client::new())] {
        let (base, seen) = scripted_server(vec![Step::RawThenHang(short.clone()); 3]).await;
        let t = match client {
            None => transport("k"),
            Some(c) => HttpTransport::with_client("testpsp", c, fast_config()),
        };
        let read = ApiRequest::new(
            Method::GET,
            url(&format!("{base}/p")),
            Operation::Get,
            RetryPolicy::Safe,
        );
        let err = t.send(&read).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_eq!(seen.lock().unwrap().requests.len(), 3);
    }
}

#[tokio::test]
async fn a_callers_headers_cannot_replace_the_auth_header() {
    let (base, seen) = scripted_server(vec![Step::Answer(200, "", "{}".into())]).await;
    let mut req = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/p")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    req.headers.insert(
        AUTHORIZATION,
        reqwest::header::HeaderValue::from_static("Bearer other"),
    );
    req.headers.append(
        AUTHORIZATION,
        reqwest::header::HeaderValue::from_static("Bearer third"),
    );
    transport("k").send(&req).await.unwrap();
    let sent = seen.lock().unwrap().requests[0].to_ascii_lowercase();
    assert_eq!(sent.matches("authorization:").count(), 1, "{sent}");
    assert_eq!(header_values(&seen, "authorization"), vec!["Bearer k".to_owned()]);
}

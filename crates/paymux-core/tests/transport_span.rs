//! The transport's tracing span. In a test binary of its own: tracing caches each callsite's
//! interest process-wide, and a span first reached by a test without a subscriber while this
//! one installs its own (`set_default`) can be cached as disabled, so the fields went missing
//! about one run in twelve when it shared a binary with the other transport tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use paymux_core::transport::{ApiRequest, RetryPolicy};
use paymux_core::Operation;
use reqwest::Method;

mod support;

use support::{scripted_server, transport, url, Step};

/// Records the fields of every `paymux.http` span, as a subscriber would see them.
#[derive(Clone, Default)]
struct SpanFields(Arc<Mutex<Vec<(String, String)>>>);

impl tracing::field::Visit for SpanFields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .lock()
            .unwrap()
            .push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanFields {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().name() == "paymux.http" {
            attrs.record(&mut self.clone());
        }
    }

    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        values.record(&mut self.clone());
    }
}

#[tokio::test]
async fn the_request_span_records_path_status_attempts_and_latency_when_someone_listens() {
    use tracing_subscriber::layer::SubscriberExt;

    let (base, _) = scripted_server(vec![
        Step::Answer(503, "", "busy".into()),
        Step::Answer(200, "", "{}".into()),
    ])
    .await;
    let fields = SpanFields::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(fields.clone()));
    let read = ApiRequest::new(
        Method::GET,
        url(&format!("{base}/payments/p1")),
        Operation::Get,
        RetryPolicy::Safe,
    );
    let resp = transport("k").send(&read).await.unwrap();
    assert_eq!(resp.attempts, 2);
    let seen = fields.0.lock().unwrap().clone();
    let last = |name: &str| seen.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(last("provider").as_deref(), Some("\"testpsp\""), "{seen:?}");
    assert_eq!(last("operation").as_deref(), Some("\"get\""), "{seen:?}");
    assert_eq!(last("path").as_deref(), Some("\"/payments/p1\""), "{seen:?}");
    assert_eq!(last("http.status").as_deref(), Some("200"), "{seen:?}");
    assert_eq!(last("attempts").as_deref(), Some("2"), "{seen:?}");
    assert!(last("latency_ms").is_some(), "{seen:?}");
}

//! The HTTP server: one router for all providers, served by hyper so that a response can be
//! replaced by a dropped connection.

use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::Shared;

/// Marker extension on a response: close the connection instead of sending it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedOnPurpose {}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(crate::paiwise::router(shared.clone()))
        .merge(crate::checkout::router(shared.clone()))
        .merge(crate::twisto::router(shared.clone()))
        .merge(crate::control::router(shared))
}

pub(crate) async fn serve(listener: TcpListener, router: Router, mut stop: tokio::sync::watch::Receiver<()>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let router = router.clone();
                let mut conn_stop = stop.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        async move {
                            let resp = match router.oneshot(req).await {
                                Ok(r) => r,
                                Err(never) => match never {},
                            };
                            if resp.extensions().get::<DropConnection>().is_some() {
                                Err(DroppedOnPurpose)
                            } else {
                                Ok(resp)
                            }
                        }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = conn_stop.changed() => {}
                    }
                });
            }
            _ = stop.changed() => break,
        }
    }
}

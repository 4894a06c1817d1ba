//! A scripted HTTP server and a transport pointed at it, shared by the transport tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use paymux_core::transport::{HttpTransport, Url};
use paymux_core::{ApiKey, TransportConfig};
use reqwest::header::AUTHORIZATION;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the scripted server does with the n-th request.
#[derive(Clone)]
pub enum Step {
    Answer(u16, &'static str, String),
    /// Read the request, then never answer.
    Hang,
    /// Read the request, then close the connection.
    Drop,
    /// Read the request, write these bytes as they are (a whole answer, chunked or lying
    /// about its length), then close the connection.
    Raw(String),
    /// Read the request, write these bytes, then keep the connection open without a word.
    RawThenHang(String),
}

#[derive(Default)]
pub struct Seen {
    pub requests: Vec<String>,
}

pub async fn scripted_server(script: Vec<Step>) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let script = Arc::new(Mutex::new(script.into_iter()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let seen = seen2.clone();
            let script = script.clone();
            tokio::spawn(async move {
                loop {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // Read headers, then the body by Content-Length.
                    let head_end = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    seen.lock()
                        .unwrap()
                        .requests
                        .push(String::from_utf8_lossy(&buf).to_string());
                    let step = script
                        .lock()
                        .unwrap()
                        .next()
                        .unwrap_or(Step::Answer(200, "", "{}".into()));
                    match step {
                        Step::Answer(status, extra, body) => {
                            let resp = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
                                body.len()
                            );
                            if socket.write_all(resp.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        Step::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                        Step::Drop => return,
                        Step::Raw(bytes) => {
                            let _ = socket.write_all(bytes.as_bytes()).await;
                            let _ = socket.flush().await;
                            return;
                        }
                        Step::RawThenHang(bytes) => {
                            let _ = socket.write_all(bytes.as_bytes()).await;
                            let _ = socket.flush().await;
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

pub fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

pub fn fast_config() -> TransportConfig {
    TransportConfig::default()
        .with_request_timeout(Duration::from_millis(300))
        .with_max_retries(2)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

pub fn transport(key: &str) -> HttpTransport {
    HttpTransport::new("testpsp", fast_config())
        .unwrap()
        .with_auth(AUTHORIZATION, ApiKey::new(key).header_value("Bearer ").unwrap())
}

pub fn header_values(seen: &Arc<Mutex<Seen>>, name: &str) -> Vec<String> {
    seen.lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| {
            r.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                })
                .unwrap_or_default()
        })
        .collect()
}

//! Webhook targets are checked on the address connected to: a loopback,
//! private or link-local address is refused at send time (also when a name
//! resolves to it), before any connection; allowed only by the explicit
//! setting, and the allowlist holds either way.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shopcore::{HostAllowlist, WebhookRequest, WebhookTargets, WebhookUrl};
use shopcore_dispatch::{NetSettings, NetTransport, Transport};

/// An HTTP server on 127.0.0.1 answering 204 to every request; counts them.
fn sink() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 8192];
            let mut seen = Vec::new();
            // Headers, then the body of the length they announce.
            loop {
                let n = stream.read(&mut buffer).unwrap_or(0);
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&seen);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, requests)
}

fn request(url: &str) -> WebhookRequest {
    WebhookRequest {
        url: WebhookUrl::parse(url, &HostAllowlist::any()).unwrap(),
        id: "msg_notification_1".to_owned(),
        timestamp: 1_700_000_000,
        signature: "v1,c2lnbmF0dXJl".to_owned(),
        body: r#"{"type":"order.placed"}"#.to_owned(),
    }
}

fn transport(targets: WebhookTargets) -> NetTransport {
    NetTransport::new(NetSettings {
        timeout: Duration::from_secs(5),
        webhook_targets: targets,
        ..NetSettings::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_and_metadata_targets_are_refused_at_send_time_without_connecting() {
    let (port, requests) = sink();
    let public_only = transport(WebhookTargets::default());
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        // A name: refused for the address it resolves to, not for how it is spelled.
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1:9/hook".to_owned(),
    ] {
        let refused = public_only
            .post_webhook(&request(&url))
            .await
            .expect_err(&url);
        assert!(refused.permanent, "{url}: {refused:?}");
        assert!(
            refused.message.starts_with("refused: ") && refused.message.contains("address"),
            "{url}: {refused:?}"
        );
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        0,
        "nothing reached the sink"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_reached_only_when_explicitly_allowed_and_the_allowlist_still_holds() {
    let (port, requests) = sink();
    let allowed = transport(WebhookTargets {
        allow_private: true,
        ..WebhookTargets::default()
    });
    allowed
        .post_webhook(&request(&format!("http://127.0.0.1:{port}/hook")))
        .await
        .unwrap();
    allowed
        .post_webhook(&request(&format!("http://localhost:{port}/hook")))
        .await
        .unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 2);

    let listed = transport(WebhookTargets {
        hosts: HostAllowlist::parse("hooks.example.com").unwrap(),
        allow_private: true,
    });
    let refused = listed
        .post_webhook(&request(&format!("http://127.0.0.1:{port}/hook")))
        .await
        .unwrap_err();
    assert!(
        refused.permanent && refused.message.contains("allowlist"),
        "{refused:?}"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "the refused one never connected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_outside_2xx_is_a_transient_failure_naming_the_status() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let allowed = transport(WebhookTargets {
        allow_private: true,
        ..WebhookTargets::default()
    });
    let failed = allowed
        .post_webhook(&request(&format!("http://127.0.0.1:{port}/hook")))
        .await
        .unwrap_err();
    assert!(!failed.permanent, "{failed:?}");
    assert_eq!(failed.message, "answered 503 Service Unavailable");
}

//! The network transport: SMTP by `lettre`, HTTP by `ureq`, each call on a
//! blocking thread of the runtime and bounded by one timeout.
//!
//! A webhook's host is resolved by [`GuardedResolver`], which hands the
//! connection only addresses that [`WebhookTargets::check`] accepts: the
//! allowlist and the refusal of non-public addresses hold for the address
//! actually connected to, whatever the name resolved to when the endpoint
//! was registered.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport as _};
use shopcore::{EmailMessage, WebhookRequest, WebhookTargets};
// ureq's `unversioned` API (a resolver of our own) may change in a minor
// release: Cargo.lock pins the version it was written against.
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::{SendError, Transport, DEFAULT_TIMEOUT};

/// How [`NetTransport`] reaches the outside world.
#[derive(Clone, Debug)]
pub struct NetSettings {
    /// The SMTP server, as lettre reads it: `smtps://[user:password@]host[:port]`
    /// (TLS from the first byte, port 465 by default),
    /// `smtp://[user:password@]host[:port]?tls=required` (STARTTLS, port 587),
    /// or `smtp://host[:port]` (plain SMTP to a local relay, port 25, never
    /// with credentials). `None` sends no email.
    pub smtp_url: Option<String>,
    /// A PEM file of CA certificates trusted for the SMTP server besides the
    /// public roots (a private CA, a test certificate); needs a TLS URL.
    pub smtp_ca_file: Option<PathBuf>,
    /// The sender of every email, e.g. `Shop <shop@example.com>`.
    pub mail_from: String,
    /// The domain of the `Message-ID`s.
    pub message_domain: String,
    /// The most one SMTP session or webhook request may take (connect included).
    pub timeout: Duration,
    /// Where webhooks may be sent, checked on the resolved address of every
    /// request: by default any host, public addresses only.
    pub webhook_targets: WebhookTargets,
}

impl Default for NetSettings {
    fn default() -> Self {
        NetSettings {
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: "shopcore <shop@localhost>".to_owned(),
            message_domain: "shopcore.localhost".to_owned(),
            timeout: DEFAULT_TIMEOUT,
            webhook_targets: WebhookTargets::default(),
        }
    }
}

/// Settings [`NetTransport::new`] refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid dispatch settings: {0}")]
pub struct SettingsError(String);

/// Sends email over SMTP and webhooks over HTTP(S).
pub struct NetTransport {
    smtp: Option<Arc<SmtpTransport>>,
    from: Mailbox,
    domain: String,
    http: ureq::Agent,
}

impl NetTransport {
    /// A transport with `settings`: fails on a malformed SMTP URL or sender,
    /// a domain that is not a host name, or a timeout outside 10 ms – 10 min.
    pub fn new(settings: NetSettings) -> Result<Self, SettingsError> {
        let timeout = settings.timeout;
        if timeout < Duration::from_millis(10) || timeout > Duration::from_secs(600) {
            return Err(SettingsError(
                "the timeout must be from 10 ms to 10 minutes".to_owned(),
            ));
        }
        let ca = match &settings.smtp_ca_file {
            Some(path) => Some(
                std::fs::read(path)
                    .map_err(|e| SettingsError(format!("SMTP CA file {}: {e}", path.display())))?,
            ),
            None => None,
        };
        if ca.is_some() && settings.smtp_url.is_none() {
            return Err(SettingsError(
                "an SMTP CA file needs an SMTP url".to_owned(),
            ));
        }
        let smtp = settings
            .smtp_url
            .as_deref()
            .map(|url| smtp_transport(url, timeout, ca.as_deref()).map(Arc::new))
            .transpose()?;
        let from = settings
            .mail_from
            .parse::<Mailbox>()
            .map_err(|e| SettingsError(format!("sender {:?}: {e}", settings.mail_from)))?;
        let domain = settings.message_domain;
        if domain.is_empty()
            || domain.len() > 253
            || !domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(SettingsError(format!(
                "message domain {domain:?} is not a host name"
            )));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // A redirect is not followed: the endpoint registered is the one posted to.
            .max_redirects(0)
            // Not a proxy from the environment: the resolver must see the
            // webhook's own host, not a proxy's.
            .proxy(None)
            .http_status_as_error(false)
            .user_agent(concat!("shopcore-dispatch/", env!("CARGO_PKG_VERSION")))
            .build();
        let resolver = GuardedResolver {
            targets: settings.webhook_targets,
        };
        let http = ureq::Agent::with_parts(config, DefaultConnector::default(), resolver);
        Ok(NetTransport {
            smtp,
            from,
            domain,
            http,
        })
    }
}

/// `url` with any `user:password@` shown as `…@`, for error messages.
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://…@{host}"),
            None => url.to_owned(),
        },
        None if url.contains('@') => "…".to_owned(),
        None => url.to_owned(),
    }
}

/// Resolves a webhook's host, then keeps the addresses only if
/// [`WebhookTargets::check`] accepts them all; otherwise the request fails
/// with [`TargetRefused`] before any connection is made.
#[derive(Debug)]
struct GuardedResolver {
    targets: WebhookTargets,
}

/// Why [`GuardedResolver`] refused a host (inside an `io::Error`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TargetRefused(String);

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let refused = |why: String| {
            ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                TargetRefused(why),
            ))
        };
        if !self.targets.hosts.allows(host) {
            return Err(refused(format!(
                "host {host:?} is not in the webhook allowlist"
            )));
        }
        let resolved = DefaultResolver::default().resolve(uri, config, timeout)?;
        let addresses: Vec<IpAddr> = resolved.iter().map(|a| a.ip()).collect();
        self.targets.check(host, &addresses).map_err(refused)?;
        Ok(resolved)
    }
}

/// A failed request without the URL (it may carry a token, and staff who
/// read deliveries need not see it). A refused target or a URL the client
/// cannot use fails for good; anything else may pass on a retry.
fn request_error(error: ureq::Error) -> SendError {
    if let ureq::Error::Io(io) = &error {
        if let Some(refused) = io.get_ref().and_then(|e| e.downcast_ref::<TargetRefused>()) {
            return SendError::permanent(format!("refused: {refused}"));
        }
    }
    match error {
        // The text of a bad URI repeats the URI: not shown.
        ureq::Error::BadUri(_) => SendError::permanent("the url cannot be used"),
        ureq::Error::Http(e) => SendError::permanent(e.to_string()),
        other => SendError::transient(other.to_string()),
    }
}

/// The SMTP transport of `url`, read by lettre's own URL parsing (scheme,
/// `tls=`, host, port, credentials, HELO name); with `ca` (PEM), its TLS
/// also trusts those certificates.
fn smtp_transport(
    url: &str,
    timeout: Duration,
    ca: Option<&[u8]>,
) -> Result<SmtpTransport, SettingsError> {
    let shown = redacted(url);
    let bad = |why: &dyn std::fmt::Display| SettingsError(format!("SMTP url {shown:?}: {why}"));
    let parsed = url::Url::parse(url).map_err(|e| bad(&e))?;
    if parsed.query_pairs().any(|(key, _)| key != "tls") {
        return Err(bad(&"takes no query parameter but tls"));
    }
    let tls = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    // Opportunistic STARTTLS is not offered: whoever sits on the path can
    // strip it, and lettre would then log in and send in the clear.
    let mode = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", None) => Some(Tls::Wrapper as fn(TlsParameters) -> Tls),
        ("smtp", Some("required")) => Some(Tls::Required as fn(TlsParameters) -> Tls),
        ("smtp", None) => None,
        _ => {
            return Err(bad(
                &"must be smtps://host (TLS), smtp://host?tls=required (STARTTLS) or smtp://host (plain)",
            ))
        }
    };
    match parsed.host() {
        Some(url::Host::Domain(name)) if !name.is_empty() => {}
        Some(url::Host::Ipv4(_)) => {}
        Some(url::Host::Ipv6(_)) => {
            return Err(bad(&"an IPv6 address cannot be the host: name the server"))
        }
        _ => return Err(bad(&"must name a host")),
    }
    if parsed.port() == Some(0) {
        return Err(bad(&"the port must be a number from 1 to 65535"));
    }
    let credentials = !parsed.username().is_empty() || parsed.password().is_some();
    if credentials && mode.is_none() {
        return Err(bad(
            &"credentials need TLS (smtps:// or ?tls=required): plain SMTP would send them in the clear",
        ));
    }
    if credentials && (parsed.username().is_empty() || parsed.password().is_none()) {
        return Err(bad(&"credentials must be user:password"));
    }
    let mut builder = SmtpTransport::from_url(url).map_err(|e| bad(&e))?;
    if let Some(ca) = ca {
        let Some(mode) = mode else {
            return Err(bad(&"a CA file needs TLS: smtps:// or ?tls=required"));
        };
        // lettre reads a PEM without certificates as none, without an error.
        if !ca
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(SettingsError(
                "SMTP CA file: no PEM certificate in it".to_owned(),
            ));
        }
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let certificate =
            Certificate::from_pem(ca).map_err(|e| SettingsError(format!("SMTP CA file: {e}")))?;
        let parameters = TlsParameters::builder(host)
            .add_root_certificate(certificate)
            .build_rustls()
            .map_err(|e| bad(&e))?;
        builder = builder.tls(mode(parameters));
    }
    Ok(builder.timeout(Some(timeout)).build())
}

#[async_trait]
impl Transport for NetTransport {
    fn sends_email(&self) -> bool {
        self.smtp.is_some()
    }

    async fn send_email(&self, message: &EmailMessage) -> Result<(), SendError> {
        let Some(smtp) = self.smtp.clone() else {
            return Err(SendError::transient("no SMTP server is configured"));
        };
        let to: Mailbox = message
            .to
            .as_str()
            .parse()
            .map_err(|e| SendError::permanent(format!("recipient {}: {e}", message.to)))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message.message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| SendError::permanent(format!("cannot build the email: {e}")))?;
        blocking(move || {
            smtp.send(&email)
                .map(drop)
                .map_err(|e| match e.is_permanent() {
                    true => SendError::permanent(format!("SMTP: {e}")),
                    false => SendError::transient(format!("SMTP: {e}")),
                })
        })
        .await
    }

    async fn post_webhook(&self, request: &WebhookRequest) -> Result<(), SendError> {
        let http = self.http.clone();
        let request = request.clone();
        blocking(move || {
            let sent = http
                .post(request.url.as_str())
                .header("content-type", "application/json")
                .header("webhook-id", &request.id)
                .header("webhook-timestamp", request.timestamp.to_string())
                .header("webhook-signature", &request.signature)
                .send(request.body.as_str());
            match sent {
                Ok(response) if response.status().is_success() => Ok(()),
                Ok(response) => Err(SendError::transient(format!(
                    "answered {}",
                    response.status()
                ))),
                Err(error) => Err(request_error(error)),
            }
        })
        .await
    }

    fn message_domain(&self) -> &str {
        &self.domain
    }
}

/// Runs a blocking send on the runtime's blocking threads.
async fn blocking<F>(send: F) -> Result<(), SendError>
where
    F: FnOnce() -> Result<(), SendError> + Send + 'static,
{
    tokio::task::spawn_blocking(send)
        .await
        .unwrap_or_else(|e| Err(SendError::transient(format!("the send stopped: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_url_refused_never_shows_its_password() {
        for url in [
            "smtp://user:hunter2@mail:99999",
            "smtpx://user:hunter2@mail",
            "smtp://user:hunter2@mail?tls=sometimes",
            "smtps://user:hunter2@mail?tls=required",
        ] {
            let Err(refused) = smtp_transport(url, Duration::from_secs(1), None) else {
                panic!("{url} was accepted");
            };
            let text = refused.to_string();
            assert!(!text.contains("hunter2") && text.contains("mail"), "{text}");
        }
        assert_eq!(redacted("smtp://mail:25"), "smtp://mail:25");
    }

    #[test]
    fn credentials_never_travel_without_tls_and_odd_urls_are_refused() {
        let second = Duration::from_secs(1);
        for (url, why) in [
            ("smtp://alice:hunter2@mail:25", "credentials need TLS"),
            (
                "smtp://alice:hunter2@mail?TLS=required",
                "no query parameter but tls",
            ),
            (
                "smtp://alice:hunter2@mail?tls=opportunistic",
                "must be smtps://",
            ),
            ("smtp://alice@mail?tls=required", "user:password"),
            ("smtps://alice:hunter2@[::1]:465", "IPv6"),
            ("smtps://mail?port=25", "no query parameter but tls"),
        ] {
            let refused = smtp_transport(url, second, None).err().unwrap().to_string();
            assert!(refused.contains(why), "{url}: {refused}");
            assert!(!refused.contains("hunter2"), "{refused}");
        }
        for url in [
            "smtp://relay:25",
            "smtps://alice:hunter2@mail",
            "smtp://alice:hunter2@mail:587?tls=required",
        ] {
            assert!(smtp_transport(url, second, None).is_ok(), "{url}");
        }
    }

    #[test]
    fn a_ca_file_needs_a_tls_url_and_pem_certificates() {
        let pem = b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
        let refused = smtp_transport("smtp://mail:25", Duration::from_secs(1), Some(pem))
            .err()
            .unwrap();
        assert!(refused.to_string().contains("needs TLS"), "{refused}");
        for url in ["smtps://mail", "smtp://mail?tls=required"] {
            assert!(
                smtp_transport(url, Duration::from_secs(1), None).is_ok(),
                "{url}"
            );
            let bad_pem = smtp_transport(url, Duration::from_secs(1), Some(pem)).err();
            assert!(bad_pem.is_some(), "{url}: a malformed PEM was accepted");
            let key_only = b"-----BEGIN PRIVATE KEY-----\nMC4CAQ==\n-----END PRIVATE KEY-----\n";
            let no_certificate = smtp_transport(url, Duration::from_secs(1), Some(key_only))
                .err()
                .map(|e| e.to_string());
            assert!(
                no_certificate
                    .as_deref()
                    .is_some_and(|e| e.contains("no PEM certificate")),
                "{url}: {no_certificate:?}"
            );
        }
    }
}

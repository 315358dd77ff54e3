//! Webhook URLs, parsed by the `url` crate (the parser HTTP clients use, so
//! the host checked is the host connected to), and the host allowlist.

use crate::outbox::*;

/// An `http` or `https` URL with a host, at most 2,000 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
}

impl WebhookUrl {
    /// The longest accepted URL.
    pub const MAX_LEN: usize = 2000;

    /// Checks `text` is an absolute `http(s)` URL of printable ASCII with a
    /// host and no credentials, and (when `allowed` lists hosts) that its host
    /// is one of them.
    ///
    /// ```
    /// use shopcore::{HostAllowlist, WebhookUrl};
    /// let anywhere = HostAllowlist::any();
    /// assert_eq!(WebhookUrl::parse("https://hooks.example.com/shop", &anywhere).unwrap().host(), "hooks.example.com");
    /// assert!(WebhookUrl::parse("ftp://example.com/", &anywhere).is_err());
    /// assert!(WebhookUrl::parse("https://user:pw@example.com/", &anywhere).is_err());
    /// let local = HostAllowlist::parse("127.0.0.1, localhost").unwrap();
    /// assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", &local).is_ok());
    /// assert!(WebhookUrl::parse("http://example.com/hook", &local).is_err());
    /// ```
    pub fn parse(text: &str, allowed: &HostAllowlist) -> Result<Self, OutboxError> {
        let reject = |reason: String| Err(OutboxError::InvalidWebhook(reason));
        if text.len() > Self::MAX_LEN {
            return reject(format!("url must be at most {} characters", Self::MAX_LEN));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return reject("url must be printable ASCII without spaces".to_owned());
        }
        // WHATWG parsers read a backslash as a slash and clients differ on
        // it: refused, so that no reading of the URL disagrees with ours.
        if text.contains('\\') {
            return reject("url must not contain a backslash".to_owned());
        }
        // The authority as written: a name of letters, digits, '-' and '.' or
        // a bracketed IPv6 address, then an optional port. What the WHATWG
        // parser would also take (`http:///host`, `host_name`, `host:`) is
        // refused, so that no client reads another host into the URL.
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let rest = match (
            lower.strip_prefix("http://"),
            lower.strip_prefix("https://"),
        ) {
            (Some(_), _) => &text[7..],
            (_, Some(_)) => &text[8..],
            _ => return reject("url must start with http:// or https://".to_owned()),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.starts_with(':') {
            return reject("url must name a host".to_owned());
        }
        if authority.contains('@') {
            return reject("url must not carry credentials".to_owned());
        }
        let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':';
        if !authority.starts_with('[') && !authority.bytes().all(plain) {
            return reject("the host may hold only letters, digits, '-' and '.'".to_owned());
        }
        if authority.ends_with(':') {
            return reject("the port must be a number from 1 to 65535".to_owned());
        }
        let url = match url::Url::parse(text) {
            Ok(url) => url,
            Err(error) => return reject(format!("url is not valid: {error}")),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return reject(format!(
                "url scheme must be http or https, not {:?}",
                url.scheme()
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return reject("url must not carry credentials".to_owned());
        }
        if url.port() == Some(0) {
            return reject("port 0 is not a port to send to".to_owned());
        }
        // What is stored is the parsed form, which may be longer (a `{` in a
        // path becomes `%7B`): it must fit too.
        if url.as_str().len() > Self::MAX_LEN {
            return reject(format!(
                "url must be at most {} characters once encoded",
                Self::MAX_LEN
            ));
        }
        let stored = WebhookUrl::from(url);
        let host = stored.host();
        if host.is_empty() {
            return reject("url must name a host".to_owned());
        }
        if !allowed.allows(host) {
            return reject(format!("host {host:?} is not in the webhook allowlist"));
        }
        Ok(stored)
    }

    /// The URL, as the `url` crate serialises it (the host lowercased and
    /// IP addresses in their canonical form: `http://0x7f.1/` is
    /// `http://127.0.0.1/`).
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host (without port or IPv6 brackets), as connected to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// A stored URL, trusted as written by [`WebhookUrl::parse`].
    pub fn from_stored(text: String) -> Self {
        match url::Url::parse(&text) {
            Ok(url) if url.as_str() == text => WebhookUrl::from(url),
            // Stored before URLs were kept in their parsed form: kept as
            // written, with the host the parser reads in it.
            Ok(url) => WebhookUrl {
                host: WebhookUrl::from(url).host,
                url: text,
            },
            Err(_) => WebhookUrl {
                url: text,
                host: String::new(),
            },
        }
    }
}

impl From<url::Url> for WebhookUrl {
    fn from(url: url::Url) -> Self {
        let host = match url.host() {
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        WebhookUrl {
            url: url.into(),
            host,
        }
    }
}

/// The hosts webhooks may be sent to: any, or only those listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAllowlist(Option<Vec<String>>);

impl HostAllowlist {
    /// Every host is allowed.
    pub fn any() -> Self {
        HostAllowlist(None)
    }

    /// A comma-separated list of host names; an empty list allows any host.
    pub fn parse(list: &str) -> Result<Self, OutboxError> {
        let hosts: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if hosts.iter().any(|h| h.contains(['/', ' ', '@'])) {
            return Err(OutboxError::InvalidWebhook(format!(
                "the webhook allowlist must list bare host names: {list:?}"
            )));
        }
        Ok(HostAllowlist((!hosts.is_empty()).then_some(hosts)))
    }

    /// Whether `host` may receive webhooks.
    pub fn allows(&self, host: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|hosts| hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
    }
}

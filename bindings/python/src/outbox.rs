//! The outbox at the edge: delivery and webhook records, the dispatch
//! settings from keyword arguments, and `shopcore.Dispatcher`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use shopcore::{Clock, HostAllowlist, PageLimit, RetryPolicy, Store, WebhookId, WebhookTargets};
use shopcore_dispatch::{NetSettings, NetTransport};
use tokio::runtime::Runtime;

use crate::args::invalid;
use crate::errors::IntoPyResult;
use crate::records::{record, DictValue};

record!(
    /// One notification's delivery over one channel.
    Delivery {
        delivery_id: i64,
        notification_id: i64,
        /// `email` or `webhook`.
        channel: String,
        /// The endpoint of a webhook delivery.
        webhook_id: Option<i64>,
        /// `pending`, `delivered` or `failed`.
        status: String,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        last_error: Option<String>,
        delivered_at: Option<DateTime<Utc>>,
    }
);

impl From<shopcore::Delivery> for Delivery {
    fn from(d: shopcore::Delivery) -> Self {
        Delivery {
            delivery_id: d.id.get(),
            notification_id: d.notification_id.get(),
            channel: d.channel.as_str().to_owned(),
            webhook_id: d.channel.webhook().map(WebhookId::get),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        }
    }
}

record!(
    /// A webhook endpoint (its secret is shown only when it is created).
    WebhookEndpoint {
        webhook_id: i64,
        url: String,
        events: Vec<String>,
        created_at: DateTime<Utc>,
    }
);

impl From<shopcore::WebhookEndpoint> for WebhookEndpoint {
    fn from(e: shopcore::WebhookEndpoint) -> Self {
        WebhookEndpoint {
            webhook_id: e.id.get(),
            url: e.url.as_str().to_owned(),
            events: e.events.iter().map(|e| e.as_str().to_owned()).collect(),
            created_at: e.created_at,
        }
    }
}

record!(
    /// A new webhook endpoint and its signing secret (`whsec_…`), shown this once.
    CreatedWebhook {
        webhook: WebhookEndpoint,
        secret: String,
    }
);

record!(
    /// What one `dispatch_due` did.
    DispatchReport {
        claimed: u64,
        delivered: u64,
        retried: u64,
        failed: u64,
        /// No longer ours to record: the lease ran out and another claim took over.
        superseded: u64,
    }
);

impl From<shopcore_dispatch::DispatchReport> for DispatchReport {
    fn from(r: shopcore_dispatch::DispatchReport) -> Self {
        let n = |v: usize| v as u64;
        DispatchReport {
            claimed: n(r.claimed),
            delivered: n(r.delivered),
            retried: n(r.retried),
            failed: n(r.failed),
            superseded: n(r.superseded),
        }
    }
}

/// The keyword arguments of `Engine.dispatcher` (all optional).
#[derive(Clone, Debug, Default)]
pub(crate) struct DispatchArgs {
    pub smtp_url: Option<String>,
    pub smtp_ca_file: Option<String>,
    pub mail_from: Option<String>,
    pub message_domain: Option<String>,
    pub timeout_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub first_retry_ms: Option<u64>,
    pub max_retry_ms: Option<u64>,
    pub lease_ms: Option<u64>,
    pub webhook_allowed_hosts: Option<String>,
    pub allow_private_webhook_targets: bool,
}

impl DispatchArgs {
    /// The transport and policy, checked: the lease must outlast a send.
    fn build(self) -> PyResult<(NetTransport, RetryPolicy)> {
        let defaults = NetSettings::default();
        let policy_defaults = RetryPolicy::default();
        let ms = Duration::from_millis;
        let timeout = self.timeout_ms.map_or(defaults.timeout, ms);
        let policy = RetryPolicy::new(
            self.max_attempts.unwrap_or(policy_defaults.max_attempts()),
            self.first_retry_ms
                .map_or(policy_defaults.first_delay(), ms),
            self.max_retry_ms.map_or(policy_defaults.max_delay(), ms),
            self.lease_ms.map_or(policy_defaults.lease(), ms),
        )
        .py_result()?;
        if policy.lease() <= timeout * 2 {
            return Err(invalid(
                "lease_ms must be more than twice timeout_ms, or a slow send would be claimed twice",
            ));
        }
        let transport = NetTransport::new(NetSettings {
            smtp_url: self.smtp_url.filter(|u| !u.is_empty()),
            smtp_ca_file: self
                .smtp_ca_file
                .filter(|f| !f.is_empty())
                .map(std::path::PathBuf::from),
            mail_from: self.mail_from.unwrap_or(defaults.mail_from),
            message_domain: self.message_domain.unwrap_or(defaults.message_domain),
            timeout,
            webhook_targets: WebhookTargets {
                hosts: HostAllowlist::parse(self.webhook_allowed_hosts.as_deref().unwrap_or(""))
                    .py_result()?,
                allow_private: self.allow_private_webhook_targets,
            },
        })
        .map_err(|e| invalid(e.to_string()))?;
        Ok((transport, policy))
    }
}

/// Delivers the outbox of one engine's store (made by `Engine.dispatcher`).
#[pyclass(frozen, module = "shopcore._core")]
pub struct Dispatcher {
    inner: Arc<shopcore_dispatch::Dispatcher<dyn Store>>,
    runtime: Arc<Runtime>,
}

impl Dispatcher {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        runtime: Arc<Runtime>,
        args: DispatchArgs,
    ) -> PyResult<Self> {
        let (transport, policy) = args.build()?;
        let clock = Arc::new(StoreClock(Arc::clone(&store)));
        Ok(Dispatcher {
            inner: Arc::new(
                shopcore_dispatch::Dispatcher::new(store, Arc::new(transport), policy)
                    .with_clock(clock),
            ),
            runtime,
        })
    }
}

/// The store's clock as the dispatcher's: leases, retries and what is due are
/// timed as the store times its writes (`Engine.retry_notification` makes a
/// delivery due at the store's now).
struct StoreClock(Arc<dyn Store>);

impl std::fmt::Debug for StoreClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreClock")
    }
}

impl Clock for StoreClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

#[pymethods]
impl Dispatcher {
    /// Claims up to `limit` (1–500, default 100) due deliveries, sends them at
    /// once and records each outcome; returns what it did. Safe to call from
    /// several processes on one database: a delivery is claimed by one at a time.
    #[pyo3(signature = (limit = None))]
    pub(crate) fn dispatch_due(
        &self,
        py: Python<'_>,
        limit: Option<u32>,
    ) -> PyResult<DispatchReport> {
        let limit = limit.map_or(Ok(PageLimit::default()), |l| {
            PageLimit::new(i64::from(l)).py_result()
        })?;
        let inner = Arc::clone(&self.inner);
        let task = self
            .runtime
            .spawn(async move { inner.dispatch_due(limit).await });
        match py.detach(|| self.runtime.block_on(task)) {
            Ok(done) => done.map(DispatchReport::from).py_result(),
            Err(failed) => std::panic::resume_unwind(failed.into_panic()),
        }
    }

    /// The most attempts per delivery before it is `failed`.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.inner.policy().max_attempts()
    }
}

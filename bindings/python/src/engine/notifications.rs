//! Notifications and the outbox: the log, deliveries, webhooks and the dispatcher.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{
    resend_confirmation, DeliveryStatus, HostAllowlist, NotificationFilter, NotificationId,
    NotificationKind, WebhookId,
};

use super::{page_limit, present, Engine};
use crate::args::{integer, invalid, text};
use crate::errors::IntoPyResult;
use crate::outbox::{
    CreatedWebhook, Delivery, DispatchArgs, DispatchReport, Dispatcher, WebhookEndpoint,
};
use crate::records::Notification;

#[pymethods]
impl Engine {
    /// A dispatcher delivering this store's outbox: email through the SMTP
    /// server `smtp_url` (`smtps://[user:password@]host[:port]` for TLS,
    /// `smtp://…?tls=required` for STARTTLS, `smtp://host[:port]` for a plain
    /// local relay; without one, emails stay pending; `smtp_ca_file`, a PEM
    /// file of CA certificates also trusted for it) and webhooks to the
    /// configured endpoints.
    /// Each send may take `timeout_ms`; a delivery is tried at most
    /// `max_attempts` times, the n-th retry after about `first_retry_ms × 2ⁿ⁻¹`
    /// (half of it random) capped at `max_retry_ms`; a claim is held
    /// `lease_ms` (more than twice the timeout). Webhooks go only to hosts of
    /// `webhook_allowed_hosts` (comma-separated; none: any host) and only to
    /// public addresses, checked on the address each request connects to;
    /// `allow_private_webhook_targets=True` (tests, closed networks) also
    /// allows loopback, private and link-local ones.
    #[pyo3(signature = (*, smtp_url = None, smtp_ca_file = None, mail_from = None, message_domain = None,
        timeout_ms = None, max_attempts = None, first_retry_ms = None, max_retry_ms = None,
        lease_ms = None, webhook_allowed_hosts = None, allow_private_webhook_targets = false))]
    #[allow(clippy::too_many_arguments)]
    fn dispatcher(
        &self,
        smtp_url: Option<String>,
        smtp_ca_file: Option<String>,
        mail_from: Option<String>,
        message_domain: Option<String>,
        timeout_ms: Option<u64>,
        max_attempts: Option<u32>,
        first_retry_ms: Option<u64>,
        max_retry_ms: Option<u64>,
        lease_ms: Option<u64>,
        webhook_allowed_hosts: Option<String>,
        allow_private_webhook_targets: bool,
    ) -> PyResult<Dispatcher> {
        let args = DispatchArgs {
            smtp_url,
            smtp_ca_file,
            mail_from,
            message_domain,
            timeout_ms,
            max_attempts,
            first_retry_ms,
            max_retry_ms,
            lease_ms,
            webhook_allowed_hosts,
            allow_private_webhook_targets,
        };
        Dispatcher::new(Arc::clone(&self.store), Arc::clone(&self.runtime), args)
    }

    /// Claims and delivers up to `limit` due deliveries once, with the default
    /// settings and no email (see `dispatcher` for a configured one).
    #[pyo3(signature = (*, limit = None))]
    fn dispatch_due(&self, py: Python<'_>, limit: Option<u32>) -> PyResult<DispatchReport> {
        let dispatcher = Dispatcher::new(
            Arc::clone(&self.store),
            Arc::clone(&self.runtime),
            DispatchArgs::default(),
        )?;
        dispatcher.dispatch_due(py, limit)
    }

    /// Adds a webhook endpoint receiving `events` (`order.placed`,
    /// `order.cancelled`) at `url` (http or https; when `allowed_hosts` lists
    /// hosts, comma-separated, its host must be one of them), signed with
    /// `secret` (`whsec_` + base64 of 24–64 bytes) or a generated one. The
    /// secret is in the result this once and never again.
    #[pyo3(signature = (url, events, *, secret = None, allowed_hosts = None))]
    fn create_webhook(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        events: &Bound<'_, PyAny>,
        secret: Option<&Bound<'_, PyAny>>,
        allowed_hosts: Option<&str>,
    ) -> PyResult<CreatedWebhook> {
        let url = text(url, "url")?;
        if events.is_instance_of::<pyo3::types::PyString>() {
            return Err(invalid("events must be a list of event names"));
        }
        let events: Vec<String> = events
            .try_iter()
            .map_err(|_| invalid("events must be a list of event names"))?
            .map(|e| text(&e?, "events"))
            .collect::<PyResult<_>>()?;
        let secret = present(secret).map(|s| text(s, "secret")).transpose()?;
        let allowed = HostAllowlist::parse(allowed_hosts.unwrap_or("")).py_result()?;
        let store = Arc::clone(&self.store);
        let (endpoint, secret) = self
            .run(py, async move {
                let names: Vec<&str> = events.iter().map(String::as_str).collect();
                let secret = secret.as_deref();
                shopcore::register_webhook(&*store, &url, &names, secret, &allowed).await
            })
            .py_result()?;
        let shown = secret.expose();
        Ok(CreatedWebhook {
            webhook: WebhookEndpoint::from(endpoint),
            secret: shown,
        })
    }

    /// The live webhook endpoints, by id (never their secrets).
    fn webhooks(&self, py: Python<'_>) -> PyResult<Vec<WebhookEndpoint>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.webhooks().await })
            .map(|all| all.into_iter().map(WebhookEndpoint::from).collect())
            .py_result()
    }

    /// Deletes a webhook endpoint; its pending deliveries fail at their next attempt.
    fn delete_webhook(&self, py: Python<'_>, webhook_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = WebhookId::new(integer(webhook_id, "webhook_id")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(
            py,
            async move { store.delete_webhook(id, store.now()).await },
        )
        .py_result()
    }

    /// The deliveries of the notifications `notification_ids`, by notification.
    fn deliveries(
        &self,
        py: Python<'_>,
        notification_ids: Vec<Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Delivery>> {
        let ids = notification_ids
            .iter()
            .map(|id| NotificationId::new(integer(id, "notification_id")?).py_result())
            .collect::<PyResult<Vec<_>>>()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.deliveries(&ids).await })
            .map(|all| all.into_iter().map(Delivery::from).collect())
            .py_result()
    }

    /// Notifications with a delivery in `status` (`pending`, `delivered`,
    /// `failed`), newest first: at most `limit` older than `before`, and the
    /// `before` of the next page.
    #[pyo3(signature = (status, *, before = None, limit = None))]
    fn notifications_by_delivery(
        &self,
        py: Python<'_>,
        status: &Bound<'_, PyAny>,
        before: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Notification>, Option<i64>)> {
        let status = text(status, "status")?;
        let status = DeliveryStatus::parse(&status).ok_or_else(|| {
            invalid(format!(
                "status must be pending, delivered or failed, not {:?}",
                status.chars().take(40).collect::<String>()
            ))
        })?;
        let before = present(before)
            .map(|b| NotificationId::new(integer(b, "before")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move {
                store.notifications_by_delivery(status, before, limit).await
            })
            .py_result()?;
        let items = page.items.into_iter().map(Notification::from).collect();
        Ok((items, page.next.map(NotificationId::get)))
    }

    /// Makes the failed deliveries of a notification pending again, due now
    /// with a fresh count of attempts; `ConflictError` `nothing_to_retry` if none failed.
    fn retry_notification(
        &self,
        py: Python<'_>,
        notification_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Delivery>> {
        let id = NotificationId::new(integer(notification_id, "notification_id")?).py_result()?;
        let store = Arc::clone(&self.store);
        // The store's clock, which the dispatcher reads too: due again at once.
        self.run(py, async move { store.retry_failed(id, store.now()).await })
            .map(|all| all.into_iter().map(Delivery::from).collect())
            .py_result()
    }

    /// Logs a notification about an existing order to an existing customer.
    /// Only a confirmation (`kind="order_confirmation"`, the default) is logged
    /// by hand: every other kind is written by the change it announces, so
    /// asking for one raises `ValidationError` `invalid_request`.
    #[pyo3(signature = (order_id, customer_id, message, *, kind = "order_confirmation"))]
    fn log_notification(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        customer_id: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        kind: &str,
    ) -> PyResult<Notification> {
        let order = super::order_id(order_id)?;
        let customer = super::customer_id(customer_id)?;
        let message = text(message, "message")?;
        let kind = NotificationKind::parse(kind)
            .ok_or_else(|| invalid(format!("unknown notification kind {kind:?}")))?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            store.log_notification(order, customer, kind, message).await
        })
        .map(Notification::from)
        .py_result()
    }

    /// Logs an order's confirmation again (the notification service's `send`).
    fn resend_confirmation(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        customer_id: &Bound<'_, PyAny>,
    ) -> PyResult<Notification> {
        let order = super::order_id(order_id)?;
        let customer = super::customer_id(customer_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            resend_confirmation(&*store, order, customer).await
        })
        .map(Notification::from)
        .py_result()
    }

    /// The notification log, newest first, optionally filtered.
    #[pyo3(signature = (*, order_id = None, customer_id = None))]
    fn notifications(
        &self,
        py: Python<'_>,
        order_id: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Notification>> {
        let filter = NotificationFilter {
            order_id: order_id
                .filter(|v| !v.is_none())
                .map(super::order_id)
                .transpose()?,
            customer_id: customer_id
                .filter(|v| !v.is_none())
                .map(super::customer_id)
                .transpose()?,
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.notifications(filter).await })
            .map(|log| log.into_iter().map(Notification::from).collect())
            .py_result()
    }

    /// Notifications newest first, about one order and/or to one customer: at
    /// most `limit` (1–500, default 100) older than the notification `before`,
    /// and the `before` of the next page (`None` on the last).
    #[pyo3(signature = (*, order_id = None, customer_id = None, before = None, limit = None))]
    fn notification_page(
        &self,
        py: Python<'_>,
        order_id: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
        before: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Notification>, Option<i64>)> {
        let filter = NotificationFilter {
            order_id: present(order_id).map(super::order_id).transpose()?,
            customer_id: present(customer_id).map(super::customer_id).transpose()?,
        };
        let before = present(before)
            .map(|b| shopcore::NotificationId::new(integer(b, "before")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move {
                store.notification_page(filter, before, limit).await
            })
            .py_result()?;
        let items = page.items.into_iter().map(Notification::from).collect();
        Ok((items, page.next.map(shopcore::NotificationId::get)))
    }
}

//! Registering a webhook endpoint: checked and planned by the outbox's
//! rules, stored at the store's clock.

use crate::outbox::{plan_webhook, HostAllowlist, OutboxError, WebhookEndpoint, WebhookSecret};
use crate::repository::{OrderWorkflow, OutboxRepository};

/// Checks and stores a webhook endpoint for `url` and `events` ([`plan_webhook`]:
/// only hosts `allowed` lists, a `secret` given or generated); answers the
/// stored endpoint and its secret (to show once: the store keeps it for
/// signing, and never answers it again).
pub async fn register_webhook<S>(
    store: &S,
    url: &str,
    events: &[&str],
    secret: Option<&str>,
    allowed: &HostAllowlist,
) -> Result<(WebhookEndpoint, WebhookSecret), OutboxError>
where
    S: OrderWorkflow + OutboxRepository + ?Sized,
{
    let new = plan_webhook(url, events, secret, allowed)?;
    let endpoint = store.create_webhook(&new, store.now()).await?;
    Ok((endpoint, new.secret))
}

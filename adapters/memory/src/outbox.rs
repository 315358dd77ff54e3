//! The outbox in memory: deliveries and webhook endpoints, behind the store's lock.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shopcore::{
    channels_for, Channel, ChannelFilter, Delivery, DeliveryId, DeliveryOutcome, DeliveryStatus,
    DueDelivery, NewWebhook, Notification, NotificationId, OutboxError, OutboxRepository, Page,
    PageLimit, StorageError, WebhookEndpoint, WebhookId, WebhookSecret,
};

use crate::MemoryStore;

/// A webhook endpoint with the secret it signs with.
#[derive(Debug)]
struct WebhookRecord {
    endpoint: WebhookEndpoint,
    secret: WebhookSecret,
    deleted: bool,
}

/// The deliveries (append-only; ids ascend with position) and the endpoints.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    deliveries: Vec<Delivery>,
    webhooks: BTreeMap<WebhookId, WebhookRecord>,
}

impl Outbox {
    /// Queues `notification` on every channel it goes to.
    pub fn enqueue(&mut self, notification: &Notification) {
        let live: Vec<WebhookEndpoint> = self
            .webhooks
            .values()
            .filter(|r| !r.deleted)
            .map(|r| r.endpoint.clone())
            .collect();
        for channel in channels_for(notification.kind, &live) {
            let id = DeliveryId::new(self.deliveries.len() as i64 + 1)
                .unwrap_or_else(|_| unreachable!("length + 1 is positive"));
            self.deliveries.push(Delivery {
                id,
                notification_id: notification.id,
                channel,
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: notification.sent_at,
                last_error: None,
                delivered_at: None,
            });
        }
    }

    fn delivery_mut(&mut self, id: DeliveryId) -> Option<&mut Delivery> {
        usize::try_from(id.get() - 1)
            .ok()
            .and_then(|i| self.deliveries.get_mut(i))
    }
}

#[async_trait]
impl OutboxRepository for MemoryStore {
    async fn claim_due(
        &self,
        channels: ChannelFilter,
        limit: PageLimit,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StorageError> {
        let mut state = self.lock()?;
        let state = &mut *state;
        let wanted = |d: &Delivery| match d.channel {
            Channel::Email => channels.email,
            Channel::Webhook(_) => channels.webhooks,
        };
        let mut due: Vec<usize> = (0..state.outbox.deliveries.len())
            .filter(|&i| {
                let d = &state.outbox.deliveries[i];
                d.status == DeliveryStatus::Pending && d.next_attempt_at <= now && wanted(d)
            })
            .collect();
        due.sort_by_key(|&i| (state.outbox.deliveries[i].next_attempt_at, i));
        due.truncate(limit.get());
        let mut claimed = Vec::with_capacity(due.len());
        for i in due {
            let delivery = &mut state.outbox.deliveries[i];
            delivery.attempts += 1;
            delivery.next_attempt_at = lease_until;
            let delivery = delivery.clone();
            let notification = usize::try_from(delivery.notification_id.get() - 1)
                .ok()
                .and_then(|n| state.notifications.get(n))
                .cloned()
                .ok_or_else(|| {
                    StorageError::Failure(format!(
                        "delivery {} names a missing notification",
                        delivery.id
                    ))
                })?;
            let recipient = match delivery.channel {
                Channel::Email => state
                    .customers
                    .get(&notification.customer_id)
                    .map(|r| r.customer.email.clone()),
                Channel::Webhook(_) => None,
            };
            let endpoint = match delivery.channel {
                Channel::Webhook(id) => state
                    .outbox
                    .webhooks
                    .get(&id)
                    .filter(|r| !r.deleted)
                    .map(|r| (r.endpoint.url.clone(), r.secret.clone())),
                Channel::Email => None,
            };
            claimed.push(DueDelivery {
                id: delivery.id,
                attempt: delivery.attempts,
                channel: delivery.channel,
                notification,
                recipient,
                endpoint,
            });
        }
        Ok(claimed)
    }

    async fn record_outcome(
        &self,
        id: DeliveryId,
        attempt: u32,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut state = self.lock()?;
        let Some(delivery) = state.outbox.delivery_mut(id) else {
            return Ok(false);
        };
        if delivery.attempts != attempt || delivery.status != DeliveryStatus::Pending {
            return Ok(false);
        }
        match outcome {
            DeliveryOutcome::Delivered => {
                delivery.status = DeliveryStatus::Delivered;
                delivery.delivered_at = Some(now);
                delivery.next_attempt_at = now;
            }
            DeliveryOutcome::Retry { error, at } => {
                delivery.last_error = Some(error.clone());
                delivery.next_attempt_at = *at;
            }
            DeliveryOutcome::GaveUp { error } => {
                delivery.status = DeliveryStatus::Failed;
                delivery.last_error = Some(error.clone());
                delivery.next_attempt_at = now;
            }
        }
        Ok(true)
    }

    async fn deliveries(
        &self,
        notifications: &[NotificationId],
    ) -> Result<Vec<Delivery>, StorageError> {
        let state = self.lock()?;
        let mut found: Vec<Delivery> = state
            .outbox
            .deliveries
            .iter()
            .filter(|d| notifications.contains(&d.notification_id))
            .cloned()
            .collect();
        found.sort_by_key(|d| (d.notification_id, d.id));
        Ok(found)
    }

    async fn notifications_by_delivery(
        &self,
        status: DeliveryStatus,
        before: Option<NotificationId>,
        limit: PageLimit,
    ) -> Result<Page<Notification, NotificationId>, StorageError> {
        let state = self.lock()?;
        let mut ids: Vec<NotificationId> = state
            .outbox
            .deliveries
            .iter()
            .filter(|d| d.status == status && before.is_none_or(|b| d.notification_id < b))
            .map(|d| d.notification_id)
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.dedup();
        ids.truncate(limit.get() + 1);
        let items = ids
            .into_iter()
            .filter_map(|id| {
                usize::try_from(id.get() - 1)
                    .ok()
                    .and_then(|i| state.notifications.get(i))
                    .cloned()
            })
            .collect();
        Ok(Page::from_overfetch(items, limit, |n| n.id))
    }

    async fn retry_failed(
        &self,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, OutboxError> {
        let mut state = self.lock()?;
        if usize::try_from(id.get()).map_or(true, |n| n > state.notifications.len()) {
            return Err(OutboxError::NotificationNotFound(id));
        }
        let mut retried = Vec::new();
        for delivery in &mut state.outbox.deliveries {
            if delivery.notification_id == id && delivery.status == DeliveryStatus::Failed {
                delivery.status = DeliveryStatus::Pending;
                delivery.attempts = 0;
                delivery.next_attempt_at = now;
                retried.push(delivery.clone());
            }
        }
        if retried.is_empty() {
            return Err(OutboxError::NothingToRetry(id));
        }
        Ok(retried)
    }

    async fn create_webhook(
        &self,
        new: &NewWebhook,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StorageError> {
        let mut state = self.lock()?;
        let next = state
            .outbox
            .webhooks
            .keys()
            .next_back()
            .map_or(1, |id| id.get() + 1);
        let endpoint = WebhookEndpoint {
            id: WebhookId::new(next).unwrap_or_else(|_| unreachable!("ids start at 1")),
            url: new.url.clone(),
            events: new.events.clone(),
            created_at: now,
        };
        state.outbox.webhooks.insert(
            endpoint.id,
            WebhookRecord {
                endpoint: endpoint.clone(),
                secret: new.secret.clone(),
                deleted: false,
            },
        );
        Ok(endpoint)
    }

    async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StorageError> {
        let state = self.lock()?;
        Ok(state
            .outbox
            .webhooks
            .values()
            .filter(|r| !r.deleted)
            .map(|r| r.endpoint.clone())
            .collect())
    }

    async fn delete_webhook(&self, id: WebhookId, _now: DateTime<Utc>) -> Result<(), OutboxError> {
        let mut state = self.lock()?;
        match state.outbox.webhooks.get_mut(&id) {
            Some(record) if !record.deleted => {
                record.deleted = true;
                Ok(())
            }
            _ => Err(OutboxError::UnknownWebhook(id)),
        }
    }
}

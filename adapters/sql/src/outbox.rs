//! The outbox on MySQL: `notification_deliveries` and `webhook_endpoints`
//! (migration 0010).
//!
//! A claim is one short transaction: the due rows are read with
//! `FOR UPDATE SKIP LOCKED` (so concurrent dispatchers take disjoint rows and
//! never wait for each other), their attempt count goes up and their
//! `next_attempt_at` moves to the end of the lease, and it commits before
//! anything is sent. An outcome is recorded only if the row is still pending
//! at the attempt that was claimed; a dispatcher whose lease ran out finds the
//! row taken over and writes nothing.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use const_format::concatcp;
use shopcore::{
    channels_for, Channel, ChannelFilter, Delivery, DeliveryId, DeliveryOutcome, DeliveryStatus,
    DueDelivery, Email, NewWebhook, Notification, NotificationId, OutboxError, OutboxRepository,
    Page, PageLimit, StorageError, WebhookEndpoint, WebhookEvent, WebhookId, WebhookSecret,
    WebhookUrl,
};

use crate::backend::Backend;
use crate::error::{invalid_row, DbError};
use crate::repositories::{notification_page, SELECT_NOTIFICATIONS};
use crate::rows::{inserted_id, utc, ExactText, NotificationRow};
use crate::stmt::{query, Builder};
use crate::SqlStore;

const ENDPOINT_COLUMNS: &str = "webhook_id, url, events, created_at";
const DELIVERY_COLUMNS: &str = "delivery_id, notification_id, channel, webhook_id, status, \
                                attempts, next_attempt_at, last_error, delivered_at";

crate::row! {
    struct EndpointRow {
        webhook_id: i64,
        url: String,
        events: String,
        created_at: DateTime<Utc>,
    }
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = StorageError;
    fn try_from(row: EndpointRow) -> Result<Self, Self::Error> {
        let bad = |detail: String| {
            invalid_row(
                "webhook_endpoints",
                format!("webhook {}: {detail}", row.webhook_id),
            )
        };
        let events = row
            .events
            .split(',')
            .map(|name| WebhookEvent::parse(name).ok_or_else(|| bad(format!("event {name:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WebhookEndpoint {
            id: WebhookId::new(row.webhook_id).map_err(|e| bad(e.to_string()))?,
            url: WebhookUrl::from_stored(row.url),
            events,
            created_at: row.created_at,
        })
    }
}

crate::row! {
    struct DeliveryRow {
        delivery_id: i64,
        notification_id: i64,
        channel: String,
        webhook_id: Option<i64>,
        status: String,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        last_error: Option<String>,
        delivered_at: Option<DateTime<Utc>>,
    }
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StorageError;
    fn try_from(row: DeliveryRow) -> Result<Self, Self::Error> {
        let bad = |detail: String| {
            invalid_row(
                "notification_deliveries",
                format!("delivery {}: {detail}", row.delivery_id),
            )
        };
        let webhook = row
            .webhook_id
            .map(WebhookId::new)
            .transpose()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Delivery {
            id: DeliveryId::new(row.delivery_id).map_err(|e| bad(e.to_string()))?,
            notification_id: NotificationId::new(row.notification_id)
                .map_err(|e| bad(e.to_string()))?,
            channel: Channel::parse(&row.channel, webhook)
                .ok_or_else(|| bad(format!("channel {:?}", row.channel)))?,
            status: DeliveryStatus::parse(&row.status)
                .ok_or_else(|| bad(format!("status {:?}", row.status)))?,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
        })
    }
}

crate::row! {
    /// A claimed delivery joined with its notification, address and endpoint.
    struct DueRow {
        #[flatten]
        delivery: DeliveryRow,
        #[flatten]
        notification: NotificationRow,
        email: Option<ExactText>,
        url: Option<String>,
        secret: Option<String>,
        endpoint_live: Option<i64>,
    }
}

impl TryFrom<DueRow> for DueDelivery {
    type Error = StorageError;
    fn try_from(row: DueRow) -> Result<Self, Self::Error> {
        let delivery = Delivery::try_from(row.delivery)?;
        let endpoint = match (row.url, row.secret, row.endpoint_live) {
            (Some(url), Some(secret), Some(1)) => {
                let secret = WebhookSecret::parse(&secret).map_err(|e| {
                    invalid_row("webhook_endpoints", format!("secret of {url}: {e}"))
                })?;
                Some((WebhookUrl::from_stored(url), secret))
            }
            _ => None,
        };
        Ok(DueDelivery {
            id: delivery.id,
            attempt: delivery.attempts,
            channel: delivery.channel,
            notification: Notification::try_from(row.notification)?,
            // An address the store cannot parse is no address: the delivery fails with a reason.
            recipient: row.email.and_then(|e| Email::parse(&e.0).ok()),
            endpoint,
        })
    }
}

/// Queues `notification` on every channel it goes to, in the transaction that logged it.
pub(crate) async fn enqueue<C: Backend>(
    conn: &mut C,
    notification: &Notification,
) -> Result<(), DbError> {
    let live = live_endpoints(&mut *conn).await?;
    let channels = channels_for(notification.kind, &live);
    if channels.is_empty() {
        return Ok(());
    }
    let mut insert = Builder::new(
        "INSERT INTO notification_deliveries \
         (notification_id, channel, webhook_id, status, attempts, next_attempt_at) ",
    );
    insert.push_values(&channels, |mut row, channel| {
        row.push_bind(notification.id.get())
            .push_bind(channel.as_str())
            .push_bind(channel.webhook().map(WebhookId::get))
            .push("'pending'")
            .push("0")
            .push_bind(utc(notification.sent_at));
    });
    insert.build().execute(&mut *conn).await?;
    Ok(())
}

async fn live_endpoints<C: Backend>(conn: &mut C) -> Result<Vec<WebhookEndpoint>, DbError> {
    const SQL: &str = concatcp!(
        "SELECT ",
        ENDPOINT_COLUMNS,
        " FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY webhook_id"
    );
    let rows: Vec<EndpointRow> = query(SQL).fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(WebhookEndpoint::try_from)
        .collect::<Result<_, _>>()?)
}

/// The statement that picks the due deliveries of `channels` (bound with
/// now and the limit) and locks them, skipping those another claim holds.
fn claim_sql(channels: ChannelFilter) -> &'static str {
    const HEAD: &str = "SELECT delivery_id FROM notification_deliveries \
         FORCE INDEX (deliveries_due) WHERE status = 'pending' AND next_attempt_at <= ? AND ";
    const TAIL: &str = " ORDER BY next_attempt_at, delivery_id LIMIT ? FOR UPDATE SKIP LOCKED";
    match (channels.email, channels.webhooks) {
        (true, true) => concatcp!(HEAD, "TRUE", TAIL),
        (true, false) => concatcp!(HEAD, "channel = 'email'", TAIL),
        (false, true) => concatcp!(HEAD, "channel = 'webhook'", TAIL),
        (false, false) => concatcp!(HEAD, "FALSE", TAIL),
    }
}

#[async_trait]
impl<C: Backend> OutboxRepository for SqlStore<C> {
    async fn claim_due(
        &self,
        channels: ChannelFilter,
        limit: PageLimit,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StorageError> {
        let claimed: Vec<i64> = in_transaction!(self, |conn| async {
            let ids: Vec<(i64,)> = query(claim_sql(channels))
                .bind(utc(now))
                .bind(limit.get() as u64)
                .fetch_all(&mut *conn)
                .await?;
            let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
            if !ids.is_empty() {
                let mut update = Builder::new(
                    "UPDATE notification_deliveries FORCE INDEX (PRIMARY) \
                     SET attempts = attempts + 1, next_attempt_at = ",
                );
                update.push_bind(utc(lease_until));
                update.push(" WHERE delivery_id IN ");
                update.push_in_list(ids.iter().copied());
                update.build().execute(&mut *conn).await?;
            }
            Ok(Ok::<_, StorageError>(ids))
        })?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Builder::new(
            "SELECT d.delivery_id, d.notification_id, d.channel, d.webhook_id, d.status, \
             d.attempts, d.next_attempt_at, d.last_error, d.delivered_at, \
             n.order_id, n.customer_id, n.notification_type, n.message, n.sent_at, \
             c.email, w.url, w.secret, w.deleted_at IS NULL AS endpoint_live \
             FROM notification_deliveries d \
             JOIN notification_log n ON n.notification_id = d.notification_id \
             LEFT JOIN customers c ON c.customer_id = n.customer_id \
             LEFT JOIN webhook_endpoints w ON w.webhook_id = d.webhook_id \
             WHERE d.delivery_id IN ",
        );
        sql.push_in_list(claimed);
        sql.push(" ORDER BY d.next_attempt_at, d.delivery_id");
        let rows = sql
            .build()
            .fetch_all::<_, DueRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        rows.into_iter().map(DueDelivery::try_from).collect()
    }

    async fn record_outcome(
        &self,
        id: DeliveryId,
        attempt: u32,
        outcome: &DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let (status, next, error, delivered) = match outcome {
            DeliveryOutcome::Delivered => (DeliveryStatus::Delivered, now, None, Some(now)),
            DeliveryOutcome::Retry { error, at } => {
                (DeliveryStatus::Pending, *at, Some(error.as_str()), None)
            }
            DeliveryOutcome::GaveUp { error } => {
                (DeliveryStatus::Failed, now, Some(error.as_str()), None)
            }
        };
        let result = query(
            "UPDATE notification_deliveries SET status = ?, next_attempt_at = ?, \
             last_error = COALESCE(?, last_error), delivered_at = ? \
             WHERE delivery_id = ? AND attempts = ? AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(utc(next))
        .bind(error)
        .bind(delivered.map(utc))
        .bind(id.get())
        .bind(attempt)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(DbError::from)?;
        Ok(result.rows_affected == 1)
    }

    async fn deliveries(
        &self,
        notifications: &[NotificationId],
    ) -> Result<Vec<Delivery>, StorageError> {
        if notifications.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Builder::new(concatcp!(
            "SELECT ",
            DELIVERY_COLUMNS,
            " FROM notification_deliveries WHERE notification_id IN "
        ));
        sql.push_in_list(notifications.iter().map(|id| id.get()));
        sql.push(" ORDER BY notification_id, delivery_id");
        let rows = sql
            .build()
            .fetch_all::<_, DeliveryRow>(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    async fn notifications_by_delivery(
        &self,
        status: DeliveryStatus,
        before: Option<NotificationId>,
        limit: PageLimit,
    ) -> Result<Page<Notification, NotificationId>, StorageError> {
        const SQL: &str = concatcp!(
            SELECT_NOTIFICATIONS,
            "notification_id < ? \
             AND notification_id IN (SELECT notification_id FROM notification_deliveries \
             WHERE status = ?) ORDER BY notification_id DESC LIMIT ?"
        );
        let rows: Vec<NotificationRow> = query(SQL)
            .bind(before.map_or(i64::MAX, NotificationId::get))
            .bind(status.as_str())
            .bind(limit.get() as u64 + 1)
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(DbError::from)?;
        notification_page(rows, limit)
    }

    async fn retry_failed(
        &self,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, OutboxError> {
        let retried: Result<(), OutboxError> = in_transaction!(self, |conn| async {
            let found: Option<(i64,)> =
                query("SELECT notification_id FROM notification_log WHERE notification_id = ?")
                    .bind(id.get())
                    .fetch_optional(&mut *conn)
                    .await?;
            if found.is_none() {
                return Ok(Err(OutboxError::NotificationNotFound(id)));
            }
            let reset = query(
                "UPDATE notification_deliveries SET status = 'pending', attempts = 0, \
                 next_attempt_at = ? WHERE notification_id = ? AND status = 'failed'",
            )
            .bind(utc(now))
            .bind(id.get())
            .execute(&mut *conn)
            .await?;
            if reset.rows_affected == 0 {
                return Ok(Err(OutboxError::NothingToRetry(id)));
            }
            Ok(Ok(()))
        });
        retried?;
        let mut all = self.deliveries(&[id]).await?;
        all.retain(|d| d.status == DeliveryStatus::Pending && d.attempts == 0);
        Ok(all)
    }

    async fn create_webhook(
        &self,
        new: &NewWebhook,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint, StorageError> {
        let events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
        let result = query(
            "INSERT INTO webhook_endpoints (url, events, secret, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(new.url.as_str())
        .bind(events.join(","))
        .bind(new.secret.expose())
        .bind(utc(now))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(DbError::from)?;
        let id = inserted_id(&result, "webhook_endpoints", WebhookId::new)?;
        Ok(WebhookEndpoint {
            id,
            url: new.url.clone(),
            events: new.events.clone(),
            // As stored: DATETIME(6) keeps microseconds.
            created_at: now.trunc_subsecs(6),
        })
    }

    async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StorageError> {
        Ok(live_endpoints(&mut *self.conn().await?).await?)
    }

    async fn delete_webhook(&self, id: WebhookId, now: DateTime<Utc>) -> Result<(), OutboxError> {
        let result = query(
            "UPDATE webhook_endpoints SET deleted_at = ? WHERE webhook_id = ? AND deleted_at IS NULL",
        )
        .bind(utc(now))
        .bind(id.get())
        .execute(&mut *self.conn().await.map_err(StorageError::from)?)
        .await
        .map_err(DbError::from)
        .map_err(StorageError::from)?;
        if result.rows_affected == 0 {
            return Err(OutboxError::UnknownWebhook(id));
        }
        Ok(())
    }
}

//! Conformance cases for the notification outbox: deliveries written with
//! their notice, claims under a lease, outcomes fenced by the attempt, dead
//! letters and retries, webhook endpoints.
//!
//! Each case is an `async fn` over any [`Store`]; an
//! adapter's test file runs every case on a fresh seeded store of its own
//! through [`conformance_tests!`](crate::conformance_tests), which wraps each
//! as a [`Case`](crate::Case) like this:
//!
//! ```
//! use shopcore_conformance::outbox_cases::notices_are_queued_on_every_subscribed_channel;
//! use shopcore_conformance::Case;
//!
//! fn one_case<S: shopcore::Store>() -> Case<S> {
//!     |store| Box::pin(notices_are_queued_on_every_subscribed_channel(store))
//! }
//! ```

use chrono::{DateTime, Duration, Utc};
use shopcore::{
    plan_webhook, Channel, ChannelFilter, Delivery, DeliveryOutcome, DeliveryStatus, DueDelivery,
    ErrorCode, HostAllowlist, NotificationId, OrderId, OutboxError, PageLimit, Store,
    WebhookEndpoint,
};

use crate::cases::request;

const ALL: ChannelFilter = ChannelFilter {
    email: true,
    webhooks: true,
};

async fn webhook<S: Store>(store: &S, url: &str, events: &[&str]) -> WebhookEndpoint {
    let new = plan_webhook(url, events, None, &HostAllowlist::any()).unwrap();
    store.create_webhook(&new, Utc::now()).await.unwrap()
}

/// Places Sara's one-mouse order; its confirmation's id.
async fn place<S: Store>(store: &S) -> (OrderId, NotificationId) {
    let placed = store
        .checkout(&request(2, &[(2, 1)], None), None)
        .await
        .unwrap();
    (placed.order.id, placed.confirmation.id)
}

async fn deliveries_of<S: Store>(store: &S, id: NotificationId) -> Vec<Delivery> {
    store.deliveries(&[id]).await.unwrap()
}

/// Claims everything due at `at` (leased for a minute).
async fn claim_at<S: Store>(store: &S, at: DateTime<Utc>) -> Vec<DueDelivery> {
    store
        .claim_due(ALL, PageLimit::default(), at, at + Duration::minutes(1))
        .await
        .unwrap()
}

/// A confirmation goes to the customer's email and to the endpoints that want
/// `order.placed`; a cancellation to those that want `order.cancelled`; a
/// deleted endpoint gets nothing; a refused checkout queues nothing.
pub async fn notices_are_queued_on_every_subscribed_channel<S: Store>(store: &S) {
    let placed = webhook(store, "http://127.0.0.1:9/placed", &["order.placed"]).await;
    let both = webhook(
        store,
        "http://127.0.0.1:9/both",
        &["order.placed", "order.cancelled"],
    )
    .await;
    let gone = webhook(store, "http://127.0.0.1:9/gone", &["order.placed"]).await;
    store.delete_webhook(gone.id, Utc::now()).await.unwrap();
    assert_eq!(
        store.webhooks().await.unwrap(),
        [placed.clone(), both.clone()]
    );

    let (order, confirmation) = place(store).await;
    let channels: Vec<Channel> = deliveries_of(store, confirmation)
        .await
        .iter()
        .map(|d| d.channel)
        .collect();
    assert_eq!(
        channels,
        [
            Channel::Email,
            Channel::Webhook(placed.id),
            Channel::Webhook(both.id)
        ]
    );
    let cancelled = store.cancel(order).await.unwrap();
    let cancellation = deliveries_of(store, cancelled.notice.id).await;
    let channels: Vec<Channel> = cancellation.iter().map(|d| d.channel).collect();
    assert_eq!(channels, [Channel::Email, Channel::Webhook(both.id)]);
    assert!(cancellation
        .iter()
        .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0));

    // A refused checkout (not enough mice) logs no notice and queues nothing.
    let due_before = claim_at(store, Utc::now() + Duration::hours(2)).await.len();
    assert!(store
        .checkout(&request(2, &[(2, 10_000)], None), None)
        .await
        .is_err());
    assert_eq!(
        claim_at(store, Utc::now() + Duration::hours(4)).await.len(),
        due_before
    );
}

/// A claim counts the attempt and hides the delivery until its lease ends;
/// an outcome is written only for the attempt the row is at.
pub async fn claims_are_leased_and_outcomes_fenced_by_attempt<S: Store>(store: &S) {
    let (_, confirmation) = place(store).await;
    let now = Utc::now();
    let first = claim_at(store, now).await;
    assert_eq!(first.len(), 1, "the email only: no endpoints");
    let email = &first[0];
    assert_eq!((email.attempt, email.channel), (1, Channel::Email));
    assert_eq!(email.notification.id, confirmation);
    assert_eq!(
        email.recipient.as_ref().unwrap().as_str(),
        "sara@example.com"
    );
    assert!(claim_at(store, now).await.is_empty(), "leased");

    // The lease runs out before attempt 1 reports: the delivery is claimed again.
    let later = now + Duration::seconds(61);
    let second = claim_at(store, later).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, 2);
    let stale = store
        .record_outcome(email.id, 1, &DeliveryOutcome::Delivered, later)
        .await
        .unwrap();
    assert!(!stale, "attempt 1 is superseded");
    let recorded = store
        .record_outcome(email.id, 2, &DeliveryOutcome::Delivered, later)
        .await
        .unwrap();
    assert!(recorded);
    let [delivered] = &deliveries_of(store, confirmation).await[..] else {
        panic!("one delivery");
    };
    assert_eq!(delivered.status, DeliveryStatus::Delivered);
    assert_eq!(delivered.attempts, 2);
    assert!(delivered.delivered_at.is_some());
    assert!(claim_at(store, later + Duration::hours(1)).await.is_empty());
    // Delivered is final.
    assert!(!store
        .record_outcome(email.id, 2, &DeliveryOutcome::Delivered, later)
        .await
        .unwrap());
}

/// A retry is due at its time with its error kept; giving up makes a dead
/// letter that is listed and can be retried once.
pub async fn failed_deliveries_are_listed_and_retried<S: Store>(store: &S) {
    let (_, confirmation) = place(store).await;
    let now = Utc::now();
    let [claimed] = &claim_at(store, now).await[..] else {
        panic!("one delivery");
    };
    let retry_at = now + Duration::seconds(30);
    let retry = DeliveryOutcome::Retry {
        error: "connection refused".into(),
        at: retry_at,
    };
    assert!(store
        .record_outcome(claimed.id, 1, &retry, now)
        .await
        .unwrap());
    assert!(claim_at(store, retry_at - Duration::seconds(1))
        .await
        .is_empty());
    let [again] = &claim_at(store, retry_at).await[..] else {
        panic!("due again at its retry time");
    };
    assert_eq!(again.attempt, 2);
    let gave_up = DeliveryOutcome::GaveUp {
        error: "answered 500".into(),
    };
    assert!(store
        .record_outcome(again.id, 2, &gave_up, retry_at)
        .await
        .unwrap());
    let [dead] = &deliveries_of(store, confirmation).await[..] else {
        panic!("one delivery");
    };
    assert_eq!(dead.status, DeliveryStatus::Failed);
    assert_eq!(dead.last_error.as_deref(), Some("answered 500"));

    let limit = PageLimit::default();
    let failed = store
        .notifications_by_delivery(DeliveryStatus::Failed, None, limit)
        .await
        .unwrap();
    assert_eq!(
        failed.items.iter().map(|n| n.id).collect::<Vec<_>>(),
        [confirmation]
    );
    let pending = store
        .notifications_by_delivery(DeliveryStatus::Pending, None, limit)
        .await
        .unwrap();
    assert!(pending.items.is_empty());

    let retried = store.retry_failed(confirmation, retry_at).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].status, retried[0].attempts),
        (DeliveryStatus::Pending, 0)
    );
    let [fresh] = &claim_at(store, retry_at).await[..] else {
        panic!("due at once");
    };
    assert_eq!(fresh.attempt, 1);
    let again = store
        .retry_failed(confirmation, retry_at)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "nothing_to_retry");
    let unknown = NotificationId::new(999_999).unwrap();
    let missing = store.retry_failed(unknown, retry_at).await.unwrap_err();
    assert!(matches!(missing, OutboxError::NotificationNotFound(id) if id == unknown));
}

/// A claim takes only the channels asked for, with the endpoint's URL and
/// secret; once the endpoint is deleted its deliveries come without one.
pub async fn claims_carry_the_endpoint_until_it_is_deleted<S: Store>(store: &S) {
    let new = plan_webhook(
        "https://hooks.example.com/orders?x=1",
        &["order.placed"],
        None,
        &HostAllowlist::any(),
    )
    .unwrap();
    let endpoint = store.create_webhook(&new, Utc::now()).await.unwrap();
    place(store).await;
    place(store).await;
    let webhooks_only = ChannelFilter {
        email: false,
        webhooks: true,
    };
    let now = Utc::now();
    let lease = now + Duration::minutes(1);
    let one = store
        .claim_due(webhooks_only, PageLimit::new(1).unwrap(), now, lease)
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "the limit holds");
    let (url, secret) = one[0].endpoint.clone().expect("a live endpoint");
    assert_eq!((url, secret), (new.url.clone(), new.secret.clone()));
    assert_eq!(one[0].channel, Channel::Webhook(endpoint.id));

    store.delete_webhook(endpoint.id, now).await.unwrap();
    let rest = store
        .claim_due(webhooks_only, PageLimit::default(), now, lease)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1, "the other order's webhook, no emails");
    assert!(rest[0].endpoint.is_none());
    let twice = store.delete_webhook(endpoint.id, now).await.unwrap_err();
    assert_eq!(twice.code(), "unknown_webhook");
    assert!(store.webhooks().await.unwrap().is_empty());
    let emails = claim_at(store, now).await;
    assert_eq!(emails.len(), 2);
    assert!(emails.iter().all(|d| d.channel == Channel::Email));
}

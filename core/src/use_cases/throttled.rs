//! Work guarded by a throttle: the count read and the attempt counted in the
//! store ([`ThrottleRepository`]) around the guarded work, by the pure rules
//! of [`crate::access::throttle`].

use chrono::{DateTime, Utc};

use crate::access::throttle::{ThrottleCheck, ThrottleCounts, ThrottlePolicy, Throttled};
use crate::error::StorageError;
use crate::lifecycle::checkout::{CheckoutError, CheckoutRequest};
use crate::pricing::Quote;
use crate::repository::{OrderWorkflow, PlacedOrder, ThrottleRepository};
use crate::use_cases::quote::{quote_order, QuoteError, QuoteRequest};
use crate::values::text::IdempotencyKey;

/// What the guarded work's outcome means to the throttle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A failure: counted (or, past the limit, answered `too_many_attempts`).
    Failed,
    /// Not a failure: answered only if the throttle still admits it.
    Passed,
    /// Neither (the store could not answer): answered as it is, uncounted.
    Neither,
}

/// Runs `work` under `check` at `now`: refused without doing it while the
/// counts are over a limit; a failure is counted atomically with the
/// decision (past the limit it is answered `too_many_attempts`), anything
/// else is checked again, so concurrent attempts cannot get past the limit
/// and a refusal says nothing about the attempt. Answers the work's result
/// and the counts read after it (empty unless it passed).
pub(crate) async fn run_throttled<S, T, E>(
    store: &S,
    check: &ThrottleCheck,
    now: DateTime<Utc>,
    work: impl std::future::Future<Output = Result<T, E>>,
    verdict: impl FnOnce(&Result<T, E>) -> Verdict,
) -> Result<(Result<T, E>, ThrottleCounts), Throttled<E>>
where
    S: ThrottleRepository + ?Sized,
    E: From<StorageError>,
{
    let keys = check.keys();
    let before = store.throttle_counts(&keys, now).await?;
    check.decide(&before, now).map_err(Throttled::wait)?;
    let outcome = work.await;
    let mut after = ThrottleCounts::new();
    match verdict(&outcome) {
        Verdict::Failed => store
            .count_attempt(check, now)
            .await?
            .map_err(Throttled::wait)?,
        Verdict::Passed => {
            after = store.throttle_counts(&keys, now).await?;
            check.decide(&after, now).map_err(Throttled::wait)?;
        }
        Verdict::Neither => {}
    }
    Ok((outcome, after))
}

/// Prices a quote as [`quote_order`](crate::quote_order) does, throttling failed
/// coupon lookups per client `address` ([`ThrottleCheck::coupon_lookup`]):
/// past the limit, a quote with a coupon code is `too_many_attempts`,
/// whether its code applies or not. A quote without one is never throttled.
pub async fn quote_throttled<S>(
    store: &S,
    policy: &ThrottlePolicy,
    request: &QuoteRequest,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Quote, Throttled<QuoteError>>
where
    S: OrderWorkflow + ThrottleRepository + ?Sized,
{
    if request.coupon.is_none() {
        return quote_order(store, request)
            .await
            .map_err(Throttled::Refused);
    }
    let check = ThrottleCheck::coupon_lookup(policy, address);
    let (quote, _) =
        run_throttled(
            store,
            &check,
            now,
            quote_order(store, request),
            |outcome| match outcome {
                Err(QuoteError::Coupon(_)) => Verdict::Failed,
                Err(QuoteError::Storage(_)) => Verdict::Neither,
                _ => Verdict::Passed,
            },
        )
        .await?;
    quote.map_err(Throttled::Refused)
}

/// Places an order as [`OrderWorkflow::checkout`] does, counting a failed
/// coupon lookup (unknown, inactive, exhausted …) per client `address` with
/// the quotes' ([`ThrottleCheck::coupon_lookup`]): past the limit, a checkout
/// with a coupon code is `too_many_attempts` before anything is written, so
/// checkouts cannot enumerate codes that quotes may not. A placed order is
/// never refused afterwards; a checkout without a coupon is never throttled.
pub async fn checkout_throttled<S>(
    store: &S,
    policy: &ThrottlePolicy,
    request: &CheckoutRequest,
    idempotency_key: Option<&IdempotencyKey>,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PlacedOrder, Throttled<CheckoutError>>
where
    S: OrderWorkflow + ThrottleRepository + ?Sized,
{
    if request.coupon.is_none() {
        return store
            .checkout(request, idempotency_key)
            .await
            .map_err(Throttled::Refused);
    }
    let check = ThrottleCheck::coupon_lookup(policy, address);
    let counts = store.throttle_counts(&check.keys(), now).await?;
    check.decide(&counts, now).map_err(Throttled::wait)?;
    let outcome = store.checkout(request, idempotency_key).await;
    if let Err(CheckoutError::Coupon(_)) = &outcome {
        store
            .count_attempt(&check, now)
            .await?
            .map_err(Throttled::wait)?;
    }
    outcome.map_err(Throttled::Refused)
}

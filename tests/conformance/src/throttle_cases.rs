//! Conformance cases for the throttles kept in the store: logins that cannot
//! be turned against the owner, registrations and coupon lookups per client
//! address (same seed as [`crate::cases`]).
//!
//! Each case is an `async fn` over any [`Store`]; an
//! adapter's test file runs every case on a fresh seeded store of its own
//! through [`conformance_tests!`](crate::conformance_tests), which wraps each
//! as a [`Case`](crate::Case) like this:
//!
//! ```
//! use shopcore_conformance::throttle_cases::failed_logins_never_lock_the_owner_out_from_another_address;
//! use shopcore_conformance::Case;
//!
//! fn one_case<S: shopcore::Store>() -> Case<S> {
//!     |store| Box::pin(failed_logins_never_lock_the_owner_out_from_another_address(store))
//! }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use chrono::{DateTime, Duration, Utc};
use shopcore::auth::{login_throttled, register, register_throttled, InlinePasswordWorker};
use shopcore::{
    checkout_throttled, quote_throttled, Coupon, CouponCode, CouponValue, CustomerName, Email,
    ErrorCode, ErrorKind, LoginError, Password, QuoteRequest, Store, ThrottlePolicy,
};

use crate::cases::cart;

const OWNER: &str = "owner@example.com";
const PASSWORD: &str = "the owner's password";

/// Runs `futures` interleaved on the current task; their outputs in order.
pub(crate) async fn concurrently<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(outputs.iter_mut().filter_map(Option::take).collect())
        }
    })
    .await
}

async fn register_owner<S: Store>(store: &S) {
    register(
        store,
        &InlinePasswordWorker,
        CustomerName::parse("Owner").unwrap(),
        Email::parse(OWNER).unwrap(),
        None,
        &Password::parse(PASSWORD).unwrap(),
    )
    .await
    .unwrap();
}

/// A login at `now` from `address`, answered as its error code (or "ok").
async fn login_from<S: Store>(
    store: &S,
    email: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> &'static str {
    let policy = ThrottlePolicy::default();
    match login_throttled(
        store,
        &InlinePasswordWorker,
        &policy,
        email,
        password,
        Some(address),
        now,
    )
    .await
    {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

/// Five wrong passwords from one address refuse that address (even the right
/// password from there), and never the owner from another address; past the
/// window, the address may try again.
pub async fn failed_logins_never_lock_the_owner_out_from_another_address<S: Store>(store: &S) {
    register_owner(store).await;
    let now = Utc::now();
    for _ in 0..5 {
        let answer = login_from(store, OWNER, "wrong password", "10.1.0.1", now).await;
        assert_eq!(answer, "invalid_credentials");
    }
    let refused = login_throttled(
        store,
        &InlinePasswordWorker,
        &ThrottlePolicy::default(),
        OWNER,
        PASSWORD,
        Some("10.1.0.1"),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused,
        LoginError::TooManyAttempts {
            retry_after_seconds: 900
        }
    );
    // More attackers, five failures each, from other addresses.
    for a in 2..8 {
        for _ in 0..5 {
            let address = format!("10.1.0.{a}");
            let answer = login_from(store, OWNER, "wrong password", &address, now).await;
            assert_ne!(answer, "ok");
        }
    }
    assert_eq!(
        login_from(store, OWNER, PASSWORD, "192.168.7.7", now).await,
        "ok"
    );
    let later = now + Duration::minutes(15);
    assert_eq!(
        login_from(store, OWNER, PASSWORD, "10.1.0.1", later).await,
        "ok"
    );
}

/// Malformed passwords (no hash) count against the address only: the address
/// is refused past its limit, the email is not slowed down anywhere else.
pub async fn malformed_logins_count_against_the_address_only<S: Store>(store: &S) {
    register_owner(store).await;
    let now = Utc::now();
    for i in 0..20 {
        let answer = login_from(store, OWNER, "short", "10.2.0.1", now).await;
        assert_eq!(answer, "invalid_credentials", "attempt {i}");
    }
    assert_eq!(
        login_from(store, OWNER, "short", "10.2.0.1", now).await,
        "too_many_attempts"
    );
    assert_eq!(
        login_from(store, "not an email", PASSWORD, "10.2.0.1", now).await,
        "too_many_attempts"
    );
    // An address with a failure of its own is not slowed for the owner's email.
    let dirty = "10.2.0.2";
    let other = login_from(store, "x@example.com", "wrong password", dirty, now).await;
    assert_eq!(other, "invalid_credentials");
    assert_eq!(login_from(store, OWNER, PASSWORD, dirty, now).await, "ok");
}

/// Failures for one email from many addresses slow down attempts from
/// addresses that failed too, by a wait that grows; a clean address passes.
pub async fn failures_for_one_email_slow_down_addresses_that_failed_too<S: Store>(store: &S) {
    register_owner(store).await;
    let now = Utc::now();
    for a in 0..5 {
        let address = format!("10.3.0.{a}");
        let answer = login_from(store, OWNER, "wrong password", &address, now).await;
        assert_eq!(answer, "invalid_credentials");
    }
    let dirty = "10.3.1.1";
    let other = login_from(store, "x@example.com", "wrong password", dirty, now).await;
    assert_eq!(other, "invalid_credentials");
    let slowed = login_throttled(
        store,
        &InlinePasswordWorker,
        &ThrottlePolicy::default(),
        OWNER,
        "wrong password",
        Some(dirty),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(
        slowed,
        LoginError::TooManyAttempts {
            retry_after_seconds: 1
        }
    );
    assert_eq!(
        login_from(store, OWNER, PASSWORD, "192.168.7.8", now).await,
        "ok"
    );
    let a_second_later = now + Duration::seconds(1);
    assert_eq!(
        login_from(store, OWNER, PASSWORD, dirty, a_second_later).await,
        "ok"
    );
}

/// Concurrent correct logins to one account from one address all succeed;
/// of concurrent wrong guesses from one address, only the limit is answered
/// `invalid_credentials`, the rest `too_many_attempts`.
pub async fn concurrent_logins_pass_and_concurrent_guesses_stop_at_the_limit<S: Store>(store: &S) {
    register_owner(store).await;
    let now = Utc::now();
    let correct = (0..16)
        .map(|_| login_from(store, OWNER, PASSWORD, "10.4.0.1", now))
        .collect();
    let answers = concurrently(correct).await;
    assert!(answers.iter().all(|a| *a == "ok"), "{answers:?}");
    let passwords: Vec<String> = (0..12).map(|i| format!("guess number {i}")).collect();
    let guesses = passwords
        .iter()
        .map(|guess| login_from(store, OWNER, guess, "10.4.0.2", now))
        .collect();
    let answers = concurrently(guesses).await;
    let wrong = answers
        .iter()
        .filter(|a| **a == "invalid_credentials")
        .count();
    let refused = answers
        .iter()
        .filter(|a| **a == "too_many_attempts")
        .count();
    assert_eq!((wrong, refused), (5, 7), "{answers:?}");
}

/// A correct password clears its own (email, address) count only.
pub async fn a_correct_password_clears_its_own_count<S: Store>(store: &S) {
    register_owner(store).await;
    let start = Utc::now();
    // A minute apart: past the email slowdown the owner's own failures cause.
    let at = |step: i64| start + Duration::seconds(61 * step);
    let address = "10.5.0.1";
    for step in 0..4 {
        let answer = login_from(store, OWNER, "wrong password", address, at(step)).await;
        assert_eq!(answer, "invalid_credentials");
    }
    assert_eq!(
        login_from(store, OWNER, PASSWORD, address, at(4)).await,
        "ok"
    );
    for step in 5..10 {
        let answer = login_from(store, OWNER, "wrong password", address, at(step)).await;
        assert_eq!(answer, "invalid_credentials", "step {step}");
    }
    assert_eq!(
        login_from(store, OWNER, PASSWORD, address, at(10)).await,
        "too_many_attempts"
    );
}

/// Registrations count per client address, admitted or refused by the store
/// (a duplicate email counts too); past the limit nothing is written.
pub async fn registrations_from_one_address_are_refused_past_the_limit<S: Store>(store: &S) {
    let now = Utc::now();
    let policy = ThrottlePolicy::default();
    let password = Password::parse("a fine password").unwrap();
    let attempt = |i: usize, address: &'static str| {
        let email = if i == 3 {
            "sara@example.com".to_owned() // already registered
        } else {
            format!("new{i}@example.com")
        };
        register_throttled(
            store,
            &InlinePasswordWorker,
            &policy,
            CustomerName::parse("New").unwrap(),
            Email::parse(&email).unwrap(),
            None,
            &password,
            Some(address),
            now,
        )
    };
    for i in 0..10 {
        let outcome = attempt(i, "10.6.0.1").await;
        assert_eq!(outcome.is_ok(), i != 3, "registration {i}");
    }
    let refused = attempt(10, "10.6.0.1").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::TooManyAttempts);
    assert_eq!(refused.retry_after_seconds(), Some(900));
    let email = Email::parse("new10@example.com").unwrap();
    assert!(store.customer_credentials(&email).await.unwrap().is_none());
    assert!(attempt(10, "10.6.0.2").await.is_ok());
}

/// Creates the one real coupon of the coupon cases, `REAL10` (10 % off).
async fn create_real10<S: Store>(store: &S) {
    store
        .create_coupon(Coupon::new(
            CouponCode::parse("REAL10").unwrap(),
            CouponValue::PercentOff("10".parse().unwrap()),
        ))
        .await
        .unwrap();
}

/// Failed coupon lookups in quotes count per client address; past the limit
/// every quote with a coupon code from there is refused (valid code or not),
/// one without a coupon is not.
pub async fn failed_coupon_lookups_are_refused_past_the_limit<S: Store>(store: &S) {
    let now = Utc::now();
    let policy = ThrottlePolicy::default();
    let code = |text: &str| CouponCode::parse(text).unwrap();
    create_real10(store).await;
    let quote = |coupon: Option<&str>, address: &'static str| {
        let request = QuoteRequest {
            coupon: coupon.map(code),
            ..QuoteRequest::cart(cart(&[(3, 2)]))
        };
        async move {
            match quote_throttled(store, &policy, &request, Some(address), now).await {
                Ok(_) => "ok",
                Err(error) => error.code(),
            }
        }
    };
    assert_eq!(quote(Some("REAL10"), "10.7.0.1").await, "ok");
    for i in 0..20 {
        let guess = format!("GUESS{i}");
        assert_eq!(quote(Some(&guess), "10.7.0.1").await, "coupon_unknown");
    }
    assert_eq!(
        quote(Some("GUESS99"), "10.7.0.1").await,
        "too_many_attempts"
    );
    assert_eq!(quote(Some("REAL10"), "10.7.0.1").await, "too_many_attempts");
    assert_eq!(quote(None, "10.7.0.1").await, "ok");
    assert_eq!(quote(Some("GUESS99"), "10.7.0.2").await, "coupon_unknown");
}

/// Checkouts count failed coupon lookups with the quotes: past the limit a
/// checkout with a coupon code is refused before anything is written (a
/// checkout's refusals tell unknown, inactive and exhausted codes apart just
/// as a quote's do); a checkout without one is never throttled.
pub async fn failed_coupon_checkouts_are_refused_past_the_limit<S: Store>(store: &S) {
    let now = Utc::now();
    let policy = ThrottlePolicy::default();
    let code = |text: &str| CouponCode::parse(text).unwrap();
    create_real10(store).await;
    let checkout = |coupon: Option<&str>, address: &'static str| {
        let mut request = crate::cases::request(2, &[(3, 1)], None);
        request.coupon = coupon.map(code);
        async move {
            match checkout_throttled(store, &policy, &request, None, Some(address), now).await {
                Ok(_) => "ok",
                Err(error) => error.code(),
            }
        }
    };
    for i in 0..20 {
        let guess = format!("GUESS{i}");
        assert_eq!(checkout(Some(&guess), "10.8.0.1").await, "coupon_unknown");
    }
    let orders = store
        .orders_of_customer(shopcore::CustomerId::new(2).unwrap())
        .await
        .unwrap()
        .len();
    assert_eq!(
        checkout(Some("REAL10"), "10.8.0.1").await,
        "too_many_attempts"
    );
    let after = store
        .orders_of_customer(shopcore::CustomerId::new(2).unwrap())
        .await
        .unwrap()
        .len();
    assert_eq!(after, orders, "a refused checkout writes nothing");
    assert_eq!(checkout(None, "10.8.0.1").await, "ok");
    assert_eq!(checkout(Some("REAL10"), "10.8.0.2").await, "ok");
}

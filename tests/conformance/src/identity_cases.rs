//! Identities every store must compare the same way: emails in their one
//! normal form and idempotency keys byte for byte (a store's collation must
//! not fold what core keeps apart), and the operator's chosen admin key
//! (`SHOPCORE_ADMIN_KEY`), which is refused once revoked or when guessable.
//!
//! Each case is an `async fn` over any [`Store`]; an
//! adapter's test file runs every case on a fresh seeded store of its own
//! through [`conformance_tests!`](crate::conformance_tests), which wraps each
//! as a [`Case`](crate::Case) like this:
//!
//! ```
//! use shopcore_conformance::identity_cases::lookalike_emails_are_distinct_accounts_on_every_store;
//! use shopcore_conformance::Case;
//!
//! fn one_case<S: shopcore::Store>() -> Case<S> {
//!     |store| Box::pin(lookalike_emails_are_distinct_accounts_on_every_store(store))
//! }
//! ```

use shopcore::auth::{install_staff_key, revoke_staff_key};
use shopcore::{
    AccessToken, CustomerName, Email, ErrorCode, ErrorKind, IdempotencyKey, NewCustomer,
    OrderStatus, StaffKeyName, StaffRole, Store,
};

use crate::cases::{observe, request};

/// Registers `email`; the store's answer.
async fn registered<S: Store>(store: &S, email: &str) -> Result<shopcore::Customer, ErrorKind> {
    store
        .create_customer(NewCustomer {
            name: CustomerName::parse("Lookalike").expect("test name"),
            email: Email::parse(email).expect("a valid address"),
            phone: None,
            password_hash: None,
        })
        .await
        .map_err(|e| e.kind())
}

/// `alice@example.com` and the lookalikes core keeps apart are distinct
/// accounts on every store: a full-width `ａ` (NFC keeps it) and an accented
/// `é`; the accented address spelled decomposed (NFD) is the same address as
/// the precomposed one (NFC), so it is `email_taken`. A trailing zero-width
/// space never reaches a store (`invalid_email`). Each account is found by
/// its own address only.
pub async fn lookalike_emails_are_distinct_accounts_on_every_store<S: Store>(store: &S) {
    let alice = registered(store, "alice@example.com").await.unwrap();
    let full_width = registered(store, "\u{FF41}lice@example.com")
        .await
        .expect("the full-width address is its own");
    let accented = registered(store, "alic\u{E9}@example.com")
        .await
        .expect("the accented address is its own");
    assert_ne!(full_width.id, alice.id);
    assert_ne!(accented.id, alice.id);
    assert_eq!(accented.email.as_str(), "alic\u{E9}@example.com");
    assert_eq!(
        registered(store, "alice\u{301}@example.com")
            .await
            .unwrap_err(),
        ErrorKind::EmailTaken,
        "NFD is the same address as NFC"
    );
    assert_eq!(
        registered(store, "ALIC\u{C9}@Example.com")
            .await
            .unwrap_err(),
        ErrorKind::EmailTaken
    );
    assert_eq!(
        Email::parse("alice@example.com\u{200B}")
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidEmail
    );
    for (typed, owner) in [
        ("alice@example.com", alice.id),
        ("\u{FF41}lice@example.com", full_width.id),
        ("\u{FF21}LICE@example.com", full_width.id),
        ("alic\u{E9}@example.com", accented.id),
        ("alice\u{301}@example.com", accented.id),
    ] {
        let email = Email::parse(typed).unwrap();
        let found = store.customer_credentials(&email).await.unwrap();
        assert_eq!(found.map(|c| c.customer.id), Some(owner), "{typed:?}");
    }
    let nobody = Email::parse("\u{E0}lice@example.com").unwrap();
    assert!(store.customer_credentials(&nobody).await.unwrap().is_none());
}

/// Idempotency keys are compared byte for byte: a key differing only in case
/// places a new order instead of replaying another one, and replays its own.
pub async fn idempotency_keys_differing_in_case_are_different_keys<S: Store>(store: &S) {
    let key = |text: &str| IdempotencyKey::parse(text).expect("test key");
    let lower = store
        .checkout(&request(2, &[(3, 1)], None), Some(&key("idem-FA22")))
        .await
        .unwrap();
    let upper = store
        .checkout(&request(2, &[(3, 1)], None), Some(&key("IDEM-fa22")))
        .await
        .unwrap();
    assert!(
        !upper.replayed,
        "a key differing in case replayed another order"
    );
    assert_ne!(upper.order.id, lower.order.id);
    // A different body under a case-variant key is a new order, not a conflict.
    let other = store
        .checkout(&request(2, &[(3, 2)], None), Some(&key("IDEM-FA22")))
        .await
        .unwrap();
    assert!(!other.replayed);
    let before = observe(store).await;
    for (text, first) in [("idem-FA22", &lower), ("IDEM-fa22", &upper)] {
        let replay = store
            .checkout(&request(2, &[(3, 1)], None), Some(&key(text)))
            .await
            .unwrap();
        assert!(replay.replayed, "{text}");
        assert_eq!(replay.order.id, first.order.id, "{text}");
        assert_eq!(replay.order.status, OrderStatus::Created);
    }
    assert_eq!(observe(store).await, before);
}

/// A revoked chosen key is never installed again (`staff_key_revoked`, with
/// neither the key nor its hash in the message) and nothing is written; a
/// guessable one (`"a"` × 32) is `invalid_token`; a strong one installs.
pub async fn a_revoked_or_guessable_admin_key_is_refused<S: Store>(store: &S) {
    let now = chrono::Utc::now();
    let key_name = || StaffKeyName::parse("admin (SHOPCORE_ADMIN_KEY)").unwrap();
    let install = |secret: &str| {
        let secret = AccessToken::parse(secret).unwrap();
        install_staff_key(store, key_name(), StaffRole::Admin, secret, now)
    };
    let weak = install(&"a".repeat(32)).await.unwrap_err();
    assert_eq!(weak.kind(), ErrorKind::InvalidToken, "{weak}");
    assert!(store.staff_keys().await.unwrap().is_empty());

    let secret = "3f9c2e71d04ab85e6c1f97a20d4be35c8a61f0e2";
    let installed = install(secret).await.unwrap();
    revoke_staff_key(store, installed.id, now).await.unwrap();
    for _start in 0..2 {
        let refused = install(secret).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::StaffKeyRevoked, "{refused}");
        let message = refused.to_string();
        let hash = AccessToken::parse(secret).unwrap().hash();
        assert!(message.contains("revoked"), "{message}");
        assert!(
            !message.contains(secret) && !message.contains(hash.as_str()),
            "{message}"
        );
        assert!(!message.contains(&hash.as_str()[..8]), "{message}");
    }
    let keys = store.staff_keys().await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].revoked_at.is_some());

    let fresh = install("9d41c7e0b2f86a35e1c49f07ab3d62e85c0f1a97")
        .await
        .unwrap();
    assert_ne!(fresh.id, installed.id);
    assert!(fresh.revoked_at.is_none());
}

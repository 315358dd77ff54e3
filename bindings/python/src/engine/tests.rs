//! The Engine reads every time from its store's clock: under a fixed clock
//! long past, sessions, staff keys, webhooks, orders and the outbox agree on it
//! (a wall-clock reading anywhere would find the session expired, or stamp a
//! record with today), payments and shipments included. The Engine is called
//! as Python calls it.

use std::ffi::CStr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use shopcore::{seed, FixedClock, ShopConfig};
use shopcore_memory::MemoryStore;

use super::Engine;

/// The store's now: 2001-02-03 04:05:06 UTC.
fn then() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2001, 2, 3, 4, 5, 6).unwrap()
}

/// Runs `script` with `engine` (in-memory, seeded, its store's clock fixed at
/// `then`), `then`, and `session_lifetime` (a `timedelta`) in scope.
fn run_at(then: DateTime<Utc>, script: &CStr) {
    Python::initialize();
    Python::attach(|py| {
        let store = MemoryStore::from_seed(ShopConfig::default(), seed::demo_data())
            .with_clock(Arc::new(FixedClock(then)));
        let scope = PyDict::new(py);
        let engine = Py::new(py, Engine::over_memory(store).unwrap()).unwrap();
        scope.set_item("engine", engine).unwrap();
        scope.set_item("then", then).unwrap();
        scope
            .set_item("session_lifetime", ShopConfig::default().session_lifetime())
            .unwrap();
        if let Err(failed) = py.run(script, Some(&scope), None) {
            let traceback = failed
                .traceback(py)
                .and_then(|t| t.format().ok())
                .unwrap_or_default();
            panic!("{traceback}{failed}");
        }
    });
}

#[test]
fn every_time_comes_from_the_stores_clock() {
    run_at(
        then(),
        cr#"
from datetime import timedelta

hana = engine.register(name="Hana", email="hana@example.com", password="long enough pw")
session = engine.login(email="hana@example.com", password="long enough pw")
assert session.expires_at == then + session_lifetime, session.expires_at
# Live at the store's now, though long expired by the wall clock.
assert engine.authenticate(session.token).customer_id == hana.customer_id

key = engine.create_staff_key(name="support desk", role="support")
assert key.created_at == then, key.created_at
assert engine.revoke_staff_key(key.key_id).revoked_at == then
installed = engine.install_staff_key("3a7f9c1e5b2d8046f1c9e7a3b5d20f8c6e4a1b9d7c3f", name="ops", role="admin")
assert installed.created_at == then, installed.created_at

hook = engine.create_webhook("http://127.0.0.1:9/hook", ["order.placed"])
assert hook.webhook.created_at == then, hook.webhook.created_at

# The checkout's order and confirmation, as ever, at the store's now.
placed = engine.checkout(hana.customer_id, [(1, 1)])
assert placed.order.created_at == then, placed.order.created_at
assert placed.confirmation.sent_at == then

# The dispatcher times claims and retries by the store's clock too. The
# webhook delivery (nobody listens on port 9 of 127.0.0.1, a private target
# allowed here) fails at its one attempt; a retry makes it due at the store's
# now, where a dispatcher claims it, fails again and sets the next attempt a
# second or so after the store's now.
report = engine.dispatcher(timeout_ms=2000, max_attempts=1, allow_private_webhook_targets=True).dispatch_due()
assert (report.claimed, report.failed) == (1, 1), report
(retried,) = engine.retry_notification(placed.confirmation.notification_id)
assert retried.next_attempt_at == then, retried.next_attempt_at
dispatcher = engine.dispatcher(
    timeout_ms=2000, max_attempts=2, first_retry_ms=1000, allow_private_webhook_targets=True
)
report = dispatcher.dispatch_due()
assert (report.claimed, report.retried) == (1, 1), report
(delivery,) = [
    d for d in engine.deliveries([placed.confirmation.notification_id]) if d.channel == "webhook"
]
assert then < delivery.next_attempt_at <= then + timedelta(minutes=1), delivery
assert dispatcher.dispatch_due().claimed == 0, "not due yet at the store's now"

# Payments and shipments, and their notices, at the store's now.
order_id = placed.order.order_id
paid = engine.record_payment(order_id, placed.order.total_amount, "card", "pi_then")
assert paid.payment.created_at == paid.payment.updated_at == then, paid.payment
shipped = engine.fulfill(order_id)
assert shipped.fulfillment.created_at == then, shipped.fulfillment
assert [n.sent_at for n in paid.notices + shipped.notices] == [then] * 4, paid.notices + shipped.notices

engine.logout(session.token)
try:
    engine.authenticate(session.token)
except Exception:
    pass
else:
    raise AssertionError("a session logged out at the store's now still works")
"#,
    );
}

//! Access: who presents a token, what an actor may do, staff keys.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{auth, authorize, AccessToken, Action, StaffKeyId, StaffKeyName, StaffRole};

use super::Engine;
use crate::args::{self, integer, invalid, text};
use crate::errors::IntoPyResult;
use crate::records::{Actor, IssuedStaffKey, StaffKey};

#[pymethods]
impl Engine {
    /// Who presents `token` (the bearer of an `Authorization` header; `None`
    /// for none): anonymous, a customer or a staff key; `AuthenticationError`
    /// for a malformed, unknown, expired or revoked one.
    #[pyo3(signature = (token))]
    fn authenticate(&self, py: Python<'_>, token: Option<&Bound<'_, PyAny>>) -> PyResult<Actor> {
        let token = args::optional_text(token, "token")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::authenticate(&*store, token.as_deref(), store.now()).await
        })
        .map(Actor::from)
        .py_result()
    }

    /// Whether `actor` may do `action` (snake_case, e.g. `"read_order"`) about
    /// `customer_id`: returns `None`, or raises `AuthenticationError`
    /// (anonymous) or `ForbiddenError`. The policy is the core's `authorize`.
    #[pyo3(signature = (actor, action, *, customer_id = None))]
    fn authorize(
        &self,
        actor: &Actor,
        action: &str,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let customer = customer_id.map(super::customer_id).transpose()?;
        let action = Action::from_name(action, customer)
            .ok_or_else(|| invalid(format!("unknown action {action:?} or its customer missing")))?;
        let actor = crate::admin::domain_actor(actor)?;
        authorize(&actor, &action).py_result()
    }

    /// Creates a staff key; its secret `key` is in the answer this once.
    #[pyo3(signature = (*, name, role))]
    fn create_staff_key(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        role: &Bound<'_, PyAny>,
    ) -> PyResult<IssuedStaffKey> {
        let name = StaffKeyName::parse(&text(name, "name")?).py_result()?;
        let role = StaffRole::parse(&text(role, "role")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::create_staff_key(&*store, name, role, store.now()).await
        })
        .map(IssuedStaffKey::from)
        .py_result()
    }

    /// Installs a key the operator chose (e.g. `SHOPCORE_ADMIN_KEY`); an
    /// existing live key with that secret is kept. `ValidationError`
    /// `invalid_token` below 128 bits by shopcore's estimate (40+ random hex
    /// characters pass; runs and repeats do not count); `ConflictError`
    /// `staff_key_revoked` if the key was revoked (revoking is final).
    #[pyo3(signature = (key, *, name = "admin (SHOPCORE_ADMIN_KEY)", role = "admin"))]
    fn install_staff_key(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        name: &str,
        role: &str,
    ) -> PyResult<StaffKey> {
        let secret = AccessToken::parse(&text(key, "key")?).py_result()?;
        let name = StaffKeyName::parse(name).py_result()?;
        let role = StaffRole::parse(role).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::install_staff_key(&*store, name, role, secret, store.now()).await
        })
        .map(StaffKey::from)
        .py_result()
    }

    /// Revokes a staff key; it stops working at once.
    fn revoke_staff_key(&self, py: Python<'_>, key_id: &Bound<'_, PyAny>) -> PyResult<StaffKey> {
        let id = StaffKeyId::new(integer(key_id, "key_id")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::revoke_staff_key(&*store, id, store.now()).await
        })
        .map(StaffKey::from)
        .py_result()
    }

    /// Every staff key (never their secrets), by id.
    fn staff_keys(&self, py: Python<'_>) -> PyResult<Vec<StaffKey>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.staff_keys().await })
            .map(|keys| keys.into_iter().map(StaffKey::from).collect())
            .py_result()
    }
}

//! Customers: registration, login and sessions, passwords, profiles and points.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{auth, AccessToken, CustomerId, CustomerName, Email, Password, Phone};

use super::{page_limit, throttled_error, Engine};
use crate::args::{self, integer, invalid, text};
use crate::errors::IntoPyResult;
use crate::records::{Customer, Session};

#[pymethods]
impl Engine {
    /// Registers a customer; the password is hashed with Argon2id inside the
    /// engine, on its bounded password pool (never on the async workers).
    /// Throttled per `client` address: past the limit (10 in 15 minutes)
    /// `RateLimitedError` (with `retry_after` seconds), and nothing is written.
    #[pyo3(signature = (*, name, email, password, phone = None, client = None))]
    #[allow(clippy::too_many_arguments)]
    fn register(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        email: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        phone: Option<&Bound<'_, PyAny>>,
        client: Option<&str>,
    ) -> PyResult<Customer> {
        let name = CustomerName::parse(&text(name, "name")?).py_result()?;
        let email = Email::parse(&text(email, "email")?).py_result()?;
        let password = Password::parse(&text(password, "password")?).py_result()?;
        let phone = args::optional_text(phone, "phone")?
            .filter(|p| !p.trim().is_empty())
            .map(|p| Phone::parse(&p))
            .transpose()
            .py_result()?;
        let store = Arc::clone(&self.store);
        let policy = self.throttle;
        let passwords = Arc::clone(&self.passwords);
        let client = client.map(str::to_owned);
        self.run(py, async move {
            auth::register_throttled(
                &*store,
                &*passwords,
                &policy,
                name,
                email,
                phone,
                &password,
                client.as_deref(),
                store.now(),
            )
            .await
        })
        .map(Customer::from)
        .map_err(throttled_error)
    }

    /// Logs in: the customer with this email and password and a new session
    /// token (shown this once; the store keeps its hash); `AuthenticationError`
    /// otherwise. Throttled in the store, so every process counts together:
    /// `RateLimitedError` (with `retry_after` seconds) after too many failures
    /// for this email from this `client` address, or from this address; past
    /// many failures for the email from anywhere, addresses that failed too
    /// must wait a little between attempts. A correct password from an
    /// address without failures always logs in.
    #[pyo3(signature = (*, email, password, client = None))]
    fn login(
        &self,
        py: Python<'_>,
        email: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        client: Option<&str>,
    ) -> PyResult<Session> {
        let email = text(email, "email")?;
        let password = text(password, "password")?;
        let client = client.map(str::to_owned);
        let store = Arc::clone(&self.store);
        let throttle = self.throttle;
        let passwords = Arc::clone(&self.passwords);
        let logged_in = self.run(py, async move {
            let (customer, session) = auth::login_and_open_session(
                &*store,
                &*passwords,
                &throttle,
                &email,
                &password,
                client.as_deref(),
            )
            .await?;
            Ok::<_, shopcore::LoginError>(Session {
                customer: customer.into(),
                token: session.token.expose().to_owned(),
                expires_at: session.expires_at,
            })
        });
        logged_in.map_err(login_error)
    }

    /// Ends the session of `token` (an unknown or ended one is already logged out).
    fn logout(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<()> {
        let token = AccessToken::parse(&text(token, "token")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::logout(&*store, &token, store.now()).await
        })
        .py_result()
    }

    /// Changes a customer's password after checking the current one; every
    /// other session of theirs ends (`keep_token`, the one asking, stays).
    /// The check is throttled like a login (per email and `client` address).
    #[pyo3(signature = (customer_id, *, current, new, keep_token = None, client = None))]
    fn change_password(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        current: &Bound<'_, PyAny>,
        new: &Bound<'_, PyAny>,
        keep_token: Option<&Bound<'_, PyAny>>,
        client: Option<&str>,
    ) -> PyResult<()> {
        let id = super::customer_id(customer_id)?;
        let current = text(current, "current")?;
        let new = Password::parse(&text(new, "new")?).py_result()?;
        let keep = args::optional_text(keep_token, "keep_token")?
            .map(|t| AccessToken::parse(&t))
            .transpose()
            .py_result()?;
        let client = client.map(str::to_owned);
        let store = Arc::clone(&self.store);
        let throttle = self.throttle;
        let passwords = Arc::clone(&self.passwords);
        let changed = self.run(py, async move {
            auth::change_password(
                &*store,
                &*passwords,
                &throttle,
                id,
                &current,
                &new,
                keep.as_ref(),
                client.as_deref(),
                store.now(),
            )
            .await
        });
        changed.map_err(login_error)
    }

    /// One customer.
    fn customer(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Customer> {
        let id = super::customer_id(customer_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.customer(id).await })
            .map(Customer::from)
            .py_result()
    }

    /// Adds `change` (negative to take away) to a customer's loyalty points.
    fn adjust_points(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        change: &Bound<'_, PyAny>,
    ) -> PyResult<Customer> {
        let id = super::customer_id(customer_id)?;
        let change = integer(change, "points")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.adjust_points(id, change).await })
            .map(Customer::from)
            .py_result()
    }

    /// Changes a customer's name, email and/or phone (`clear_phone=True`
    /// removes it); `ConflictError` `email_taken` for another customer's email.
    #[pyo3(signature = (customer_id, *, name = None, email = None, phone = None, clear_phone = false))]
    fn update_profile(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        email: Option<&Bound<'_, PyAny>>,
        phone: Option<&Bound<'_, PyAny>>,
        clear_phone: bool,
    ) -> PyResult<Customer> {
        let id = super::customer_id(customer_id)?;
        let phone = args::optional_text(phone, "phone")?
            .map(|p| Phone::parse(&p))
            .transpose()
            .py_result()?;
        if clear_phone && phone.is_some() {
            return Err(invalid("give phone or clear_phone, not both"));
        }
        let update = shopcore::ProfileUpdate {
            name: args::optional_text(name, "name")?
                .map(|n| CustomerName::parse(&n))
                .transpose()
                .py_result()?,
            email: args::optional_text(email, "email")?
                .map(|e| Email::parse(&e))
                .transpose()
                .py_result()?,
            phone: if clear_phone {
                Some(None)
            } else {
                phone.map(Some)
            },
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.update_profile(id, &update).await })
            .map(Customer::from)
            .py_result()
    }

    /// Customers by id: at most `limit` (1–500, default 100) after the
    /// customer `after`, and the `after` of the next page (`None` on the last).
    #[pyo3(signature = (*, after = None, limit = None))]
    fn customers(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Customer>, Option<i64>)> {
        let after = after
            .filter(|a| !a.is_none())
            .map(|a| CustomerId::new(integer(a, "after")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move { store.customers(after, limit).await })
            .py_result()?;
        let items = page.items.into_iter().map(Customer::from).collect();
        Ok((items, page.next.map(CustomerId::get)))
    }
}

/// A login error as a Python exception; a throttled one carries `retry_after`.
fn login_error(error: shopcore::LoginError) -> PyErr {
    match error {
        shopcore::LoginError::TooManyAttempts {
            retry_after_seconds,
        } => crate::errors::with_attribute(error, Some(("retry_after", retry_after_seconds))),
        other => crate::errors::to_py_err(other),
    }
}

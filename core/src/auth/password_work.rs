//! Where Argon2 runs: the [`PasswordWorker`] port.
//!
//! One Argon2id hash or verification is tens of milliseconds of CPU on the
//! thread that runs it. The auth use cases ([`register`](crate::auth::register),
//! [`login`](crate::auth::login), [`login_throttled`](crate::auth::login_throttled),
//! [`change_password`](crate::auth::change_password)) are `async` and run on an
//! async runtime's few worker threads. Hashing there inline stalled every
//! other request of the process for as long as a registration or login flood
//! lasted (issue 30: on an engine with two async workers, a quote went from
//! 2.5 ms to 1.5 s with 64 registering clients while the CPU stayed under one
//! core: starved threads, not load).
//!
//! So the use cases never run Argon2 themselves: they wrap it in a
//! [`PasswordWork`] (a hash, or a verification, the decoy's included) and hand
//! it to the [`PasswordWorker`] they are given, awaiting the outcome. The
//! core has no async runtime, so *where* the work runs is the caller's choice:
//!
//! - [`InlinePasswordWorker`] runs it on the calling thread, at once: for
//!   scripts, tests and programs that run one use case at a time. It blocks
//!   the thread for the length of the hash, so do not use it on a shared
//!   async runtime under load.
//! - A bounded pool, like the Python `Engine`'s: tokio's `spawn_blocking`
//!   behind a semaphore of max(1, cores − 1) permits. Queued work waits on the
//!   semaphore without holding an async worker, and one core stays free for
//!   every other request.
//!
//! Whatever the worker, at most one Argon2 computation per core runs at once
//! in the process, each on pooled memory (`hashing`); a worker bounds the
//! work before it gets there.
//!
//! ```
//! use shopcore::auth::{InlinePasswordWorker, PasswordWorker};
//! use shopcore::{Password, PasswordHash, StorageError};
//!
//! /// Registration's first step, as the use case does it.
//! async fn hashed(
//!     passwords: &impl PasswordWorker,
//!     password: &Password,
//! ) -> Result<PasswordHash, StorageError> {
//!     passwords.hash(password).await
//! }
//! // Plain Rust without a runtime: the inline worker.
//! let _ = hashed(&InlinePasswordWorker, &Password::parse("correct horse").unwrap());
//! ```

use std::fmt;

use async_trait::async_trait;

use crate::auth::Password;
use crate::error::StorageError;
use crate::values::text::PasswordHash;

/// One Argon2 computation to run: hashing a password, or verifying one
/// against a stored hash. Made by the [`PasswordWorker`] methods; a worker
/// only decides where [`perform`](Self::perform) runs.
#[derive(Clone, Debug)]
pub struct PasswordWork(Task);

#[derive(Clone, Debug)]
enum Task {
    Hash(Password),
    Verify(Password, PasswordHash),
}

/// Which computation a [`PasswordWork`] is (for a worker that counts or
/// labels what it runs; both cost the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordWorkKind {
    /// Hashing a new password (registration, a password change).
    Hash,
    /// Verifying a password against a hash (login, the current password of a
    /// change, the decoy of an unknown account).
    Verify,
}

impl PasswordWork {
    /// Hashing `password` with a fresh salt.
    pub fn hash(password: &Password) -> Self {
        PasswordWork(Task::Hash(password.clone()))
    }

    /// Verifying `password` against `hash`.
    pub fn verify(password: &Password, hash: &PasswordHash) -> Self {
        PasswordWork(Task::Verify(password.clone(), hash.clone()))
    }

    /// Which computation this is.
    pub fn kind(&self) -> PasswordWorkKind {
        match self.0 {
            Task::Hash(_) => PasswordWorkKind::Hash,
            Task::Verify(..) => PasswordWorkKind::Verify,
        }
    }

    /// Runs the computation on this thread: blocks for the length of one
    /// Argon2id hash (waiting first if one per core is already running).
    pub fn perform(self) -> PasswordWorkDone {
        PasswordWorkDone(match self.0 {
            Task::Hash(password) => Outcome::Hashed(password.hash()),
            Task::Verify(password, hash) => Outcome::Verified(password.verify(&hash)),
        })
    }
}

/// What a performed [`PasswordWork`] found; only [`PasswordWork::perform`] makes one.
#[derive(Clone)]
pub struct PasswordWorkDone(Outcome);

#[derive(Clone)]
enum Outcome {
    Hashed(Result<PasswordHash, StorageError>),
    Verified(bool),
}

impl fmt::Debug for PasswordWorkDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Outcome::Hashed(Ok(_)) => f.write_str("PasswordWorkDone(hashed)"),
            Outcome::Hashed(Err(e)) => write!(f, "PasswordWorkDone(hashing failed: {e})"),
            Outcome::Verified(matches) => write!(f, "PasswordWorkDone(verified: {matches})"),
        }
    }
}

fn mismatched() -> StorageError {
    StorageError::Failure("the password worker answered another computation".to_owned())
}

/// Runs [`PasswordWork`] somewhere: the port through which every auth use
/// case does its Argon2 work.
///
/// One Argon2id computation is tens of milliseconds of CPU. Run inline on an
/// async runtime's few worker threads, a flood of registrations or logins
/// stalls every other request sharing them (issue 30: a quote went from
/// 2.5 ms to 1.5 s with 64 registering clients on two workers). So the use
/// cases hand their work to a worker and await it; where it runs is the
/// caller's choice: [`InlinePasswordWorker`] on the calling thread (scripts,
/// tests, one use case at a time), or a bounded blocking pool on a server.
///
/// Implement [`run`](Self::run); the use cases call the provided
/// [`hash`](Self::hash) and [`verify`](Self::verify). On tokio, a bounded
/// worker takes a semaphore permit (`acquire_owned().await`), then awaits
/// `spawn_blocking(move || work.perform())` with the permit moved into the
/// closure (the Python `Engine`'s does so). A worker that counts what it runs
/// and runs it inline:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use shopcore::auth::{PasswordWork, PasswordWorkDone, PasswordWorker};
/// use shopcore::StorageError;
///
/// #[derive(Default)]
/// struct Counted(AtomicUsize);
///
/// #[async_trait::async_trait]
/// impl PasswordWorker for Counted {
///     async fn run(&self, work: PasswordWork) -> Result<PasswordWorkDone, StorageError> {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         Ok(work.perform())
///     }
/// }
/// ```
#[async_trait]
pub trait PasswordWorker: Send + Sync {
    /// Performs `work` ([`PasswordWork::perform`]) and answers what it found.
    /// Fails only when the worker cannot run it (shut down, the work panicked).
    async fn run(&self, work: PasswordWork) -> Result<PasswordWorkDone, StorageError>;

    /// An Argon2id hash of `password` (see [`Password::hash`]), computed by this worker.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, StorageError> {
        match self.run(PasswordWork::hash(password)).await?.0 {
            Outcome::Hashed(hashed) => hashed,
            Outcome::Verified(_) => Err(mismatched()),
        }
    }

    /// Whether `password` matches `hash` (see [`Password::verify`]), computed by this worker.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, StorageError> {
        match self.run(PasswordWork::verify(password, hash)).await?.0 {
            Outcome::Verified(matches) => Ok(matches),
            Outcome::Hashed(_) => Err(mismatched()),
        }
    }
}

/// Runs password work on the calling thread, at once: the easy path for Rust
/// programs without a shared async runtime (and for tests). It blocks that
/// thread for the length of each hash; on a runtime that serves other
/// requests, use a bounded blocking pool instead (see [`PasswordWorker`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InlinePasswordWorker;

#[async_trait]
impl PasswordWorker for InlinePasswordWorker {
    async fn run(&self, work: PasswordWork) -> Result<PasswordWorkDone, StorageError> {
        Ok(work.perform())
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// The inline worker's futures never wait: one poll finishes them.
    fn finished<T>(future: impl Future<Output = T>) -> T {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the inline worker waited"),
        }
    }

    #[test]
    fn the_inline_worker_hashes_and_verifies_like_the_password_itself() {
        let password = Password::parse("correct horse").unwrap();
        let hash = finished(InlinePasswordWorker.hash(&password)).unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(password.verify(&hash));
        assert!(finished(InlinePasswordWorker.verify(&password, &hash)).unwrap());
        let other = Password::parse("battery staple").unwrap();
        assert!(!finished(InlinePasswordWorker.verify(&other, &hash)).unwrap());
    }

    /// A worker that performs some other work than it was given.
    struct Confused;

    #[async_trait]
    impl PasswordWorker for Confused {
        async fn run(&self, work: PasswordWork) -> Result<PasswordWorkDone, StorageError> {
            let password = Password::parse("something else").unwrap();
            Ok(match work.kind() {
                PasswordWorkKind::Hash => {
                    PasswordWork::verify(&password, &PasswordHash::new(String::new())).perform()
                }
                PasswordWorkKind::Verify => PasswordWork::hash(&password).perform(),
            })
        }
    }

    #[test]
    fn an_answer_to_other_work_is_a_storage_failure_never_a_match() {
        let password = Password::parse("correct horse").unwrap();
        let hash = password.hash().unwrap();
        let wrong = finished(Confused.verify(&password, &hash)).unwrap_err();
        assert!(matches!(wrong, StorageError::Failure(_)));
        assert!(matches!(
            finished(Confused.hash(&password)).unwrap_err(),
            StorageError::Failure(_)
        ));
    }

    #[test]
    fn work_says_its_kind_and_hides_the_password() {
        let password = Password::parse("correct horse").unwrap();
        let work = PasswordWork::hash(&password);
        assert_eq!(work.kind(), PasswordWorkKind::Hash);
        assert!(!format!("{work:?}").contains("horse"));
        let hash = PasswordHash::new("$argon2id$secret".to_owned());
        let work = PasswordWork::verify(&password, &hash);
        assert_eq!(work.kind(), PasswordWorkKind::Verify);
        assert!(!format!("{work:?}").contains("secret"));
    }
}

//! The Engine's password worker: Argon2 on tokio's blocking threads, at most
//! [`BlockingPasswordPool::limit`] computations at once.
//!
//! The Engine's runtime has two async worker threads that every request of
//! the process shares. Before this pool, registration, login and password
//! changes ran Argon2 (tens of ms each) on them, so a flood of registrations
//! stalled every other request (issue 30). Here a computation first takes a
//! permit of a semaphore (waiting asynchronously: a queued hash holds no
//! thread), then runs on tokio's blocking pool with the permit moved into it,
//! so the bound holds even when the request that asked is dropped. With
//! max(1, cores − 1) permits, one core stays free for everything else.

use std::sync::Arc;

use async_trait::async_trait;
use shopcore::{PasswordWork, PasswordWorkDone, PasswordWorker, StorageError};
use tokio::sync::Semaphore;

/// A bounded pool for password work on the current tokio runtime's blocking threads.
pub(crate) struct BlockingPasswordPool {
    permits: Arc<Semaphore>,
    limit: usize,
}

/// How many hashes may run at once on a machine with `cores` cores: all
/// but one, at least one.
pub(crate) fn limit_for(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

impl BlockingPasswordPool {
    /// A pool running at most `limit` (at least 1) computations at once.
    pub(crate) fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        BlockingPasswordPool {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// A pool that leaves one of this machine's cores free.
    pub(crate) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(limit_for(cores))
    }

    /// How many computations run at once at most.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `job` on a blocking thread once a permit is free; must be polled
    /// on a tokio runtime.
    async fn run_blocking<T, F>(&self, job: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StorageError::Unavailable("the password pool is closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| StorageError::Failure(format!("password work failed: {e}")))
    }
}

#[async_trait]
impl PasswordWorker for BlockingPasswordPool {
    async fn run(&self, work: PasswordWork) -> Result<PasswordWorkDone, StorageError> {
        self.run_blocking(move || work.perform()).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    use shopcore::{seed, Cart, CartLine, ProductId, Quantity, ShopConfig};
    use shopcore_memory::MemoryStore;

    use super::*;

    #[test]
    fn the_limit_leaves_a_core_free_but_never_drops_to_zero() {
        assert_eq!(limit_for(0), 1);
        assert_eq!(limit_for(1), 1);
        assert_eq!(limit_for(2), 1);
        assert_eq!(limit_for(8), 7);
        assert_eq!(BlockingPasswordPool::new(0).limit(), 1);
    }

    /// Closed until opened; jobs wait on it.
    #[derive(Default)]
    struct Gate {
        open: Mutex<bool>,
        opened: Condvar,
    }

    impl Gate {
        fn wait(&self) {
            let mut open = self.open.lock().unwrap();
            while !*open {
                open = self.opened.wait(open).unwrap();
            }
        }

        fn open(&self) {
            *self.open.lock().unwrap() = true;
            self.opened.notify_all();
        }
    }

    /// The regression of issue 30 without a clock: the pool is full (both
    /// permits held by jobs that cannot finish) and more jobs are queued, yet
    /// a quote on the same runtime (the Engine's own: two async workers)
    /// completes. Had the jobs run on the async workers, the two running ones
    /// would hold both and the quote would never run; had the bound not held,
    /// a third job would have started. The generous timeout only turns such a
    /// hang into a failure; passing never waits for it.
    #[test]
    fn a_quote_completes_while_the_pool_is_full_and_work_is_queued() {
        let runtime = crate::engine::runtime().unwrap();
        let pool = Arc::new(BlockingPasswordPool::new(2));
        let gate = Arc::new(Gate::default());
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (started, starts) = mpsc::channel();
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (pool, gate, running, peak) = (
                    Arc::clone(&pool),
                    Arc::clone(&gate),
                    Arc::clone(&running),
                    Arc::clone(&peak),
                );
                let started = started.clone();
                runtime.spawn(async move {
                    pool.run_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        started.send(()).unwrap();
                        gate.wait();
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        let patience = Duration::from_secs(60);
        for _ in 0..2 {
            starts
                .recv_timeout(patience)
                .expect("the pool's two jobs started");
        }

        let store = MemoryStore::from_seed(ShopConfig::default(), seed::demo_data());
        let cart = Cart::new([CartLine {
            product_id: ProductId::new(1).unwrap(),
            quantity: Quantity::new(1).unwrap(),
        }])
        .unwrap();
        let (quoted, quote) = mpsc::channel();
        runtime.spawn(async move {
            quoted
                .send(shopcore::quote_order(&store, &shopcore::QuoteRequest::cart(cart)).await)
                .unwrap();
        });
        let quote = quote.recv_timeout(patience);
        let third_start = starts.try_recv();
        gate.open();
        let quote = quote.expect("the quote stalled behind password work");
        assert_eq!(quote.unwrap().subtotal.to_string(), "999.99");
        assert!(third_start.is_err(), "a third job ran beside the two");

        for job in jobs {
            runtime.block_on(job).unwrap().unwrap();
        }
        assert_eq!(starts.try_iter().count(), 6, "every queued job ran");
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn password_work_on_the_pool_hashes_and_verifies() {
        let runtime = crate::engine::runtime().unwrap();
        let pool = BlockingPasswordPool::new(2);
        let password = shopcore::Password::parse("correct horse").unwrap();
        let (hash, matches) = runtime.block_on(async {
            let hash = pool.hash(&password).await.unwrap();
            let matches = pool.verify(&password, &hash).await.unwrap();
            (hash, matches)
        });
        assert!(password.verify(&hash));
        assert!(matches);
    }
}

//! Argon2id under load: a bounded number of hashes at once, on reused memory.
//!
//! One Argon2id hash with the default parameters needs 19 MiB of working
//! memory. Allocated per call from many threads, that memory stays with the
//! allocator's per-thread arenas: measured before this module, 32 concurrent
//! logins took a service process from 36 MB to about 490 MB, and it stayed
//! there. Here at most [`limit`] hashes run at once (one per core: more
//! cannot finish sooner), each on one of at most [`limit`] buffers that are
//! allocated once and handed from hash to hash, so the memory Argon2 uses is
//! bounded by `limit × 19 MiB` for the life of the process. A caller beyond
//! the limit waits for a buffer.
//!
//! The PHC strings are exactly those of `argon2`'s `PasswordHasher`
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so hashes written before
//! this module verify here and the other way round.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// How many hashes may run at once: the cores available (at least 1, at most 16).
pub(crate) fn limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 16)
    })
}

/// The reusable working memory, and how many buffers exist.
struct Pool {
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Vec<Block>>,
    created: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState {
            idle: Vec::new(),
            created: 0,
        }),
        returned: Condvar::new(),
    })
}

fn lock(pool: &Pool) -> MutexGuard<'_, PoolState> {
    // A panic while holding this lock cannot leave the state inconsistent
    // (it only moves buffers), so a poisoned lock is still usable.
    pool.state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A buffer taken from the pool, returned to it when dropped (even on panic).
struct Lease {
    buffer: Vec<Block>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let pool = pool();
        lock(pool).idle.push(std::mem::take(&mut self.buffer));
        pool.returned.notify_one();
    }
}

/// Runs `work` on `blocks` blocks of pooled memory, waiting for a buffer if
/// [`limit`] hashes are already running.
fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let pool = pool();
    let mut state = lock(pool);
    let buffer = loop {
        if let Some(buffer) = state.idle.pop() {
            break buffer;
        }
        if state.created < limit() {
            state.created += 1;
            break Vec::new();
        }
        state = pool
            .returned
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    };
    drop(state);
    let mut lease = Lease { buffer };
    if lease.buffer.len() < blocks {
        lease.buffer.resize(blocks, Block::default());
    }
    work(&mut lease.buffer[..blocks])
}

/// An Argon2id hash of `password` with a fresh random salt, as a PHC string.
pub(crate) fn hash(password: &[u8]) -> Result<String, String> {
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_bytes = [0u8; Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt_bytes).map_err(|e| e.to_string())?;
    let salt = Salt::new(&salt_bytes).map_err(|e| e.to_string())?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..output_len).ok_or("output too long")?;
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, &salt, &mut *out, memory)
    })
    .map_err(|e| e.to_string())?;
    let output = Output::new(out).map_err(|e| e.to_string())?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`; a malformed one never matches.
pub(crate) fn verify(password: &[u8], stored: &str) -> bool {
    let Ok(phc) = Phc::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (phc.hash, phc.salt) else {
        return false;
    };
    let Ok(algorithm) = phc.algorithm.as_str().parse::<Algorithm>() else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = [0u8; Output::MAX_LENGTH];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    let hashed = with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, &salt, &mut *out, memory)
    });
    let computed = hashed.ok().and_then(|()| Output::new(out).ok());
    // `Output`'s equality is constant-time.
    computed.is_some_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn hashes_interoperate_with_the_argon2_crate_both_ways() {
        let ours = hash(b"correct horse").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = Phc::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong horse", &parsed)
            .is_err());

        let theirs = Argon2::default()
            .hash_password_with_salt(b"battery staple", b"sixteen byte slt")
            .unwrap()
            .to_string();
        assert!(verify(b"battery staple", &theirs));
        assert!(!verify(b"battery stapler", &theirs));
        assert!(!verify(b"battery staple", "$argon2id$v=19$garbage"));
    }

    #[test]
    fn a_hash_written_by_another_implementation_verifies() {
        // Written by argon2-cffi 25 (the reference C implementation), as
        // hashes stored before an upgrade of the `argon2` crate were written.
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$Lc7CaAFjfjezK7tXRlI+dA$fY4pPzA8hUvlv6fuGkoHmPoJJXu8PM9dwdWLwuvSG20";
        assert!(verify(b"battery staple", stored));
        assert!(!verify(b"battery staples", stored));
    }

    #[test]
    fn concurrent_hashes_share_at_most_limit_buffers() {
        let threads: Vec<_> = (0..limit() * 3)
            .map(|i| std::thread::spawn(move || hash(format!("password {i}").as_bytes()).unwrap()))
            .collect();
        let hashes: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(hashes.len(), limit() * 3);
        // Other tests hash at the same time (the pool is the process's), so
        // only the bound is exact here.
        let state = lock(pool());
        assert!(
            state.created <= limit(),
            "{} buffers for a limit of {}",
            state.created,
            limit()
        );
        assert!(state.created >= 1);
    }
}

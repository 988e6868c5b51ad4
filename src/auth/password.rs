//! Password hashing with argon2id at OWASP parameters, on a bounded pool off the async workers.

use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// OWASP's argon2id minimum: m = 19 MiB, t = 2, p = 1.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes synchronously (CLI, tests, benchmarks). Servers use [`PasswordHasher::hash`].
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("cannot hash password: {e}")))
}

/// Verifies synchronously; any malformed stored hash counts as a mismatch.
pub fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2()
        .map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

type Job = Box<dyn FnOnce() + Send>;

/// The bounded hashing pool: `threads` dedicated threads at a lower scheduling priority (nice 10)
/// and a queue of at most [`QUEUE`] waiting jobs. A login storm therefore uses at most those
/// threads and yields the CPU to request handling whenever both want it; beyond the queue,
/// logins get 503 rather than piling up.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: std::sync::mpsc::SyncSender<Job>,
    /// Verified against when the account does not exist, so unknown users cost the same time.
    dummy_hash: Arc<String>,
}

const QUEUE: usize = 1024;

/// thread-priority's 0–99 scale mapped onto Linux niceness: 25 is nice 10.
const HASHING_PRIORITY: u8 = 25;

impl PasswordHasher {
    pub fn new(threads: usize) -> Result<Self, AppError> {
        let threads = threads.max(1);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || run_hashing_thread(&queue))
                .map_err(|e| AppError::internal(format!("cannot start hashing thread: {e}")))?;
        }
        let mut random = [0u8; 24];
        getrandom::fill(&mut random)
            .map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
        Ok(Self {
            jobs,
            dummy_hash: Arc::new(hash_blocking(&hex::encode(random))?),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.on_pool(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is none;
    /// both paths do the same work.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let has_hash = stored.is_some();
        let target = stored.unwrap_or_else(|| self.dummy_hash.as_str().to_string());
        let matched = self
            .on_pool(move || verify_blocking(&password, &target))
            .await?;
        Ok(matched && has_hash)
    }

    async fn on_pool<R: Send + 'static>(
        &self,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, AppError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(job());
        });
        self.jobs.try_send(job).map_err(|_| AppError::Unavailable {
            code: "hashing_overloaded",
            detail: "too many password operations are queued; retry shortly".into(),
        })?;
        result
            .await
            .map_err(|_| AppError::internal("hashing thread stopped"))
    }
}

fn run_hashing_thread(queue: &Mutex<std::sync::mpsc::Receiver<Job>>) {
    if let Ok(priority) = thread_priority::ThreadPriorityValue::try_from(HASHING_PRIORITY) {
        // Best effort: where the OS refuses, hashing simply runs at normal priority.
        let _ = thread_priority::set_current_thread_priority(
            thread_priority::ThreadPriority::Crossplatform(priority),
        );
    }
    loop {
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_blocking("Kopi-Tubruk-7-Pagi").unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("Kopi-Tubruk-7-Pagi", &hash));
        assert!(!verify_blocking("kopi-tubruk-7-pagi", &hash));
        assert!(!verify_blocking("anything", "not-a-hash"));
    }
}

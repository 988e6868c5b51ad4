//! Streamed uploads: a request body written to an owner-only spool file while it is hashed, the
//! media type it was sent as, and the slots that bound how many uploads (with the import work
//! that follows them) run at once, per server and per user.
//!
//! While it waits for the network an upload holds no thread: chunks gather in memory up to
//! [`WRITE_AT`] and each write to disk is one short blocking task. A body that makes no progress
//! for the idle timeout ends with 408 and its spool file is removed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Buffered bytes that trigger a write to the spool file.
const WRITE_AT: usize = 1 << 20;

/// The request's media type without parameters, lower-cased (`text/csv`); empty when absent.
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The next chunk of a request body, or 408 `body_timeout` when none arrives within `idle`.
pub async fn next_chunk<S, E>(body: &mut S, idle: Duration) -> Result<Option<web::Bytes>, AppError>
where
    S: Stream<Item = Result<web::Bytes, E>> + Unpin,
{
    match actix_web::rt::time::timeout(idle, body.next()).await {
        Err(_) => Err(AppError::RequestTimeout {
            idle_secs: idle.as_secs(),
        }),
        Ok(None) => Ok(None),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        Ok(Some(Err(_))) => Err(AppError::bad_request(
            "body_unreadable",
            "the request body could not be read",
        )),
    }
}

/// A spooled upload on disk: removed when dropped (the request failed, or its client went away
/// at any await), unless [`SpoolFile::keep`] handed it on.
#[derive(Debug)]
pub struct SpoolFile {
    path: PathBuf,
    kept: bool,
    pub sha256: String,
    pub bytes: u64,
}

impl SpoolFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hands the file on to whoever removes it next (the import job).
    pub fn keep(mut self) -> PathBuf {
        self.kept = true;
        std::mem::take(&mut self.path)
    }
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes the upload to `path` while hashing it; refuses more than `limit` bytes (413) and a
/// body idle for longer than `idle` (408). Whatever ends the upload early, the file is removed.
pub async fn spool(
    mut payload: web::Payload,
    path: PathBuf,
    limit: u64,
    idle: Duration,
) -> Result<SpoolFile, AppError> {
    let mut file = SpoolFile {
        path,
        kept: false,
        sha256: String::new(),
        bytes: 0,
    };
    let (sha256, bytes) = spool_to(&mut payload, file.path(), limit, idle).await?;
    (file.sha256, file.bytes) = (sha256, bytes);
    Ok(file)
}

async fn spool_to(
    payload: &mut web::Payload,
    path: &Path,
    limit: u64,
    idle: Duration,
) -> Result<(String, u64), AppError> {
    let target = path.to_path_buf();
    let mut writer = blocking(move || SpoolWriter::create(&target)).await?;
    let mut pending = web::BytesMut::new();
    let mut received = 0u64;
    while let Some(chunk) = next_chunk(payload, idle).await? {
        received += chunk.len() as u64;
        if received > limit {
            return Err(AppError::PayloadTooLarge {
                limit: limit as usize,
            });
        }
        pending.extend_from_slice(&chunk);
        if pending.len() >= WRITE_AT {
            let bytes = pending.split().freeze();
            writer = blocking(move || writer.write(&bytes).map(|()| writer)).await?;
        }
    }
    let bytes = pending.freeze();
    blocking(move || {
        writer.write(&bytes)?;
        writer.finish()
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    actix_web::rt::task::spawn_blocking(work)
        .await
        .map_err(|_| AppError::internal("the spool writer panicked"))?
}

/// An owner-only spool file and the running hash of what was written to it.
struct SpoolWriter {
    file: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    bytes: u64,
}

impl SpoolWriter {
    fn create(path: &Path) -> Result<Self, AppError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(AppError::internal_from)?;
            #[cfg(unix)]
            std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .map_err(AppError::internal_from)?;
        }
        // The upload holds personal data in clear until the job has read it: owner-only.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(AppError::internal_from)?;
        Ok(Self {
            file: std::io::BufWriter::with_capacity(WRITE_AT, file),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        self.file.write_all(chunk).map_err(AppError::internal_from)
    }

    fn finish(mut self) -> Result<(String, u64), AppError> {
        self.file.flush().map_err(AppError::internal_from)?;
        Ok((hex::encode(self.hasher.finalize()), self.bytes))
    }
}

/// How many uploads (each with the import work that follows it) may run at once: in the whole
/// server and per user. A caller over its own limit gets 429, any caller while the server is
/// full 503, at once; nothing waits in a queue.
#[derive(Debug)]
pub struct UploadSlots {
    per_server: usize,
    per_user: usize,
    held: Mutex<HashMap<crate::ids::UserId, usize>>,
}

/// One held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct UploadSlot {
    slots: Arc<UploadSlots>,
    user: crate::ids::UserId,
}

/// Seconds a caller over its own limit is told to wait.
const RETRY_AFTER_SECS: u64 = 10;

impl UploadSlots {
    pub fn new(per_server: usize, per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            per_server: per_server.max(1),
            per_user: per_user.max(1),
            held: Mutex::new(HashMap::new()),
        })
    }

    pub fn acquire(self: &Arc<Self>, user: crate::ids::UserId) -> Result<UploadSlot, AppError> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let mine = held.get(&user).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(AppError::TooManyRequests {
                code: "too_many_uploads",
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        if held.values().sum::<usize>() >= self.per_server {
            return Err(AppError::Unavailable {
                code: "uploads_busy",
                detail: "the server is taking as many uploads as it can; retry shortly".into(),
            });
        }
        held.insert(user, mine + 1);
        Ok(UploadSlot {
            slots: self.clone(),
            user,
        })
    }

    /// Slots held now, in the whole server.
    pub fn in_use(&self) -> usize {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.values().sum()
    }
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    #[test]
    fn a_user_gets_429_over_their_own_limit_and_everyone_503_when_the_server_is_full() {
        let slots = UploadSlots::new(3, 2);
        let (a, b, c) = (UserId::generate(), UserId::generate(), UserId::generate());
        let first = slots.acquire(a).unwrap();
        let _second = slots.acquire(a).unwrap();
        assert_eq!(slots.acquire(a).unwrap_err().code(), "too_many_uploads");
        let _third = slots.acquire(b).unwrap();
        assert_eq!(slots.acquire(c).unwrap_err().code(), "uploads_busy");
        drop(first);
        assert_eq!(slots.in_use(), 2);
        let _again = slots.acquire(c).unwrap();
    }
}

//! Streamed uploads: a request body written to an owner-only spool file while it is hashed,
//! and the media type it was sent as.

use std::io::Write;
use std::path::PathBuf;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The request's media type without parameters, lower-cased (`text/csv`); empty when absent.
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Writes the upload to `path` on a blocking thread while hashing it; refuses more than `limit`.
pub async fn spool(
    mut payload: web::Payload,
    path: PathBuf,
    limit: u64,
) -> Result<(String, u64), AppError> {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<web::Bytes>(16);
    let target = path.clone();
    let writer = actix_web::rt::task::spawn_blocking(move || -> Result<(String, u64), AppError> {
        if let Some(dir) = target.parent() {
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
        let file = options.open(&target).map_err(AppError::internal_from)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let (mut hasher, mut bytes) = (Sha256::new(), 0u64);
        for chunk in receiver {
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
            out.write_all(&chunk).map_err(AppError::internal_from)?;
        }
        out.flush().map_err(AppError::internal_from)?;
        Ok((hex::encode(hasher.finalize()), bytes))
    });
    let mut received = 0u64;
    let mut failure = None;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => {
                received += chunk.len() as u64;
                if received > limit {
                    failure = Some(AppError::PayloadTooLarge {
                        limit: limit as usize,
                    });
                    break;
                }
                let sender = sender.clone();
                // A full channel means the disk is slower than the network: wait off the worker.
                let sent = actix_web::rt::task::spawn_blocking(move || sender.send(chunk)).await;
                if !matches!(sent, Ok(Ok(()))) {
                    failure = Some(AppError::internal("the spool writer stopped"));
                    break;
                }
            }
            Err(_) => {
                failure = Some(AppError::bad_request(
                    "body_unreadable",
                    "the upload could not be read",
                ));
                break;
            }
        }
    }
    drop(sender);
    let written = writer
        .await
        .map_err(|_| AppError::internal("the spool writer panicked"))?;
    if let Some(error) = failure {
        let _ = std::fs::remove_file(&path);
        return Err(error);
    }
    written
}

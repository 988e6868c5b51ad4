//! `asn-merit import applications FILE`: the same job as an upload, run against the database
//! directly by an operator, with a progress bar.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::agencies::model::AgencyId;
use crate::applications::identity::IdentityVault;
use crate::applications::imports::job::{self as import_job, JobSpec};
use crate::applications::imports::model::*;
use crate::applications::model::ImportId;
use crate::audit::model::AuditContext;
use crate::bulk::model::{FileLayout, ImportMode};
use crate::clock::SystemClock;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::openings::model::OpeningId;
use crate::openings::rounds::model::RoundId;
use crate::openings::{rounds::store as rounds, store as openings};

/// Where the rows go: a whole round (rows name openings by code) or one opening.
pub enum Target {
    Round(RoundId),
    Opening(OpeningId),
}

fn sha256_of(path: &Path) -> Result<(String, u64), AppError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| AppError::internal(format!("cannot open {}: {e}", path.display())))?;
    let (mut hasher, mut buf, mut total) = (Sha256::new(), vec![0u8; 1 << 20], 0u64);
    loop {
        let n = file.read(&mut buf).map_err(AppError::internal_from)?;
        if n == 0 {
            return Ok((hex::encode(hasher.finalize()), total));
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
}

fn resolve(
    conn: &mut Conn,
    target: &Target,
) -> Result<(RoundId, Option<AgencyId>, Option<String>), AppError> {
    match target {
        Target::Round(id) => {
            rounds::find_round(conn, *id)?
                .ok_or_else(|| AppError::field("round", "no such selection round"))?;
            Ok((*id, None, None))
        }
        Target::Opening(id) => {
            let o = openings::find_by_id(conn, *id)?
                .ok_or_else(|| AppError::field("opening", "no such opening"))?;
            Ok((o.round_id, Some(o.agency_id), Some(o.code)))
        }
    }
}

/// Imports `file`; prints a progress bar on stderr and returns the finished import.
pub fn import_file(
    url: &str,
    vault: &IdentityVault,
    ctx: AuditContext,
    file: &Path,
    target: Target,
    mode: ImportMode,
    layout: FileLayout,
) -> Result<ApplicationImport, AppError> {
    let format = layout.format;
    let mut conn = db::establish(url)?;
    let (round_id, agency_id, only) = resolve(&mut conn, &target)?;
    let (sha256, bytes) = sha256_of(file)?;
    let import = ApplicationImport::queued(
        NewImport {
            id: ImportId::generate(),
            round_id,
            agency_id,
            mode,
            format,
            file_sha256: sha256,
            file_bytes: bytes,
        },
        &ctx,
    );
    db::write_transaction(&mut conn, |conn| import_job::create(conn, &ctx, &import))?;
    let progress = Arc::new(Progress::default());
    let bar = indicatif::ProgressBar::new(bytes);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let id = import.id;
    let spec = JobSpec {
        import,
        only_opening_code: only,
        ctx,
        clock: Arc::new(SystemClock),
        remove_file: false,
        max_row_bytes: layout.max_row_bytes,
    };
    let job = {
        let (url, vault, path, progress) = (
            url.to_string(),
            vault.clone(),
            file.to_path_buf(),
            progress.clone(),
        );
        std::thread::spawn(move || import_job::run(&url, &vault, &path, spec, progress))
    };
    while !job.is_finished() {
        bar.set_position(progress.bytes.load(Ordering::Relaxed));
        let (read, accepted, unchanged, rejected) = progress.snapshot();
        bar.set_message(format!(
            "rows {read}: {accepted} accepted, {unchanged} unchanged, {rejected} rejected"
        ));
        std::thread::sleep(Duration::from_millis(200));
    }
    bar.finish_and_clear();
    job.join()
        .map_err(|_| AppError::internal("the import thread panicked"))??;
    import_job::find(&mut conn, id)?.ok_or_else(AppError::not_found)
}

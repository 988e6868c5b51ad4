//! The data directory and the SQLite files hold personal data and password hashes: only their
//! owner may read them. New ones are created so (0700 / 0600); existing ones that others could
//! read are corrected, with a warning naming the path and its old mode.

use std::path::Path;

use crate::error::AppError;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

pub fn secure_dir(dir: &Path, warnings: &mut Vec<String>) -> Result<(), AppError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir).map_err(|e| {
        AppError::internal(format!("cannot create DATA_DIR {}: {e}", dir.display()))
    })?;
    restrict(dir, DIR_MODE, warnings)
}

/// Creates the database file owner-only before SQLite opens it (SQLite gives its `-wal` and
/// `-shm` files the database file's mode) and corrects the modes of existing ones.
pub fn secure_sqlite_file(file: &Path, warnings: &mut Vec<String>) -> Result<(), AppError> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
        .open(file)
        .map_err(|e| AppError::internal(format!("cannot open {}: {e}", file.display())))?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        if path.exists() {
            restrict(&path, FILE_MODE, warnings)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32, warnings: &mut Vec<String>) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| {
        AppError::internal(format!(
            "cannot read or set the mode of {}: {e}",
            path.display()
        ))
    };
    let old = std::fs::metadata(path).map_err(fail)?.permissions().mode() & 0o777;
    if old & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(fail)?;
        warnings.push(format!(
            "{} was readable by others (mode {old:o}); set to {mode:o}",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32, _: &mut Vec<String>) -> Result<(), AppError> {
    Ok(())
}

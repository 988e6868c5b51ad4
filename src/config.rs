//! All settings, read once from environment variables at start-up and validated there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretSlice;

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// How tokens are signed: HS256 with a shared secret, or EdDSA with an Ed25519 key pair.
#[derive(Clone)]
pub enum JwtKeySource {
    /// From `JWT_SECRET`, or generated once into the data directory.
    Hs256(SecretSlice<u8>),
    /// PKCS#8 PEM private key from `JWT_ED25519_KEY_FILE`.
    EdDsaPem(SecretSlice<u8>),
}

#[derive(Clone)]
pub struct Config {
    pub bind_addr: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Owner role used to migrate, when the server itself runs as a non-owning role.
    pub migration_database_url: Option<String>,
    /// `serve` applies pending migrations first (default); deployments that migrate in a separate
    /// step with the owner role set MIGRATE_ON_START=false.
    pub migrate_on_start: bool,
    pub db_pool_size: u32,
    pub db_acquire_timeout: Duration,
    pub workers: usize,
    pub jwt_key: JwtKeySource,
    pub jwt_ttl: Duration,
    /// How long a positive session check is trusted in this process.
    pub session_cache_ttl: Duration,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub audit_signing_key_file: PathBuf,
    pub pii_key: SecretSlice<u8>,
    /// AEAD key for NIK and KK numbers at rest (kept outside the database, like the JWT secret).
    pub identity_key: SecretSlice<u8>,
    /// Where uploaded import files are spooled before a job reads them.
    pub import_dir: PathBuf,
    /// Largest import file accepted.
    pub max_import_bytes: u64,
    /// Longest row of an import file: a longer one is a row error, skipped without being held.
    pub max_import_row_bytes: usize,
    /// A request body that makes no progress for this long ends with 408.
    pub body_timeout: Duration,
    /// Uploads (each with the import work that follows it) running at once in the server.
    pub max_uploads: usize,
    /// Uploads running at once for one user.
    pub max_uploads_per_user: usize,
    /// Threads of each worker's blocking pool, where database calls run (actix's default when
    /// unset: 512 shared out over the workers).
    pub blocking_threads: Option<usize>,
    pub checkpoint_interval: Duration,
    /// How often the background sealer chains pending audit events written by this process.
    pub audit_seal_interval: Duration,
    pub hash_threads: usize,
    pub max_body_bytes: usize,
    /// Failures for one email (from anywhere) before its attempts are slowed down.
    pub login_max_failures: i64,
    /// Failures from one client address (for any email) before it is refused until the oldest
    /// leaves the window: the bound on credential stuffing.
    pub login_max_failures_per_address: i64,
    pub login_window: Duration,
    /// The first delay once an email is over its limit; it doubles per further failure.
    pub login_delay_base: Duration,
    /// The longest such delay.
    pub login_delay_max: Duration,
    /// Peers whose X-Forwarded-For is believed (reverse proxies); nobody's by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub activation_ttl: Duration,
    pub log_format: LogFormat,
    /// Notes for the start-up log (e.g. "generated a JWT secret"), never the secrets themselves.
    pub startup_notes: Vec<String>,
    /// What start-up had to correct (e.g. a data directory others could read), logged at WARN.
    pub startup_warnings: Vec<String>,
}

/// `MAX_IMPORT_ROW_BYTES` unless set: far above any real applicant or score row.
pub const DEFAULT_MAX_IMPORT_ROW_BYTES: usize = 64 * 1024;

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn parse_var<T: std::str::FromStr>(var: Lookup, name: &str, default: T) -> Result<T, AppError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| AppError::internal(format!("{name}={v:?} is not a valid value"))),
    }
}

impl Config {
    /// Reads the environment; creates the data directory and any key file that is missing.
    pub fn from_env() -> Result<Self, AppError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: Lookup) -> Result<Self, AppError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let mut notes = Vec::new();
        let mut warnings = Vec::new();
        private_files::secure_dir(&data_dir, &mut warnings)?;
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| data_dir.join("asn-merit.db").to_string_lossy().into_owned());
        if let Some(file) = crate::db::sqlite_file(&database_url) {
            private_files::secure_sqlite_file(&file, &mut warnings)?;
        }

        let jwt_key = match (var("JWT_ED25519_KEY_FILE"), var("JWT_SECRET")) {
            (Some(path), _) => JwtKeySource::EdDsaPem(read_secret_file(Path::new(&path))?),
            (None, Some(secret)) => {
                if secret.len() < 32 {
                    return Err(AppError::internal(
                        "JWT_SECRET must be at least 32 bytes long",
                    ));
                }
                JwtKeySource::Hs256(secret.into_bytes().into())
            }
            (None, None) => {
                let path = data_dir.join("jwt-secret");
                let (secret, created) = load_or_create_random_file(&path, 64)?;
                if created {
                    notes.push(format!(
                        "generated a random JWT secret in {} (mode 0600)",
                        path.display()
                    ));
                }
                JwtKeySource::Hs256(secret)
            }
        };
        let pii_path = var("PII_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("pii.key"));
        let (pii_key, created) = load_or_create_random_file(&pii_path, 32)?;
        if created {
            notes.push(format!(
                "generated the personal-data key in {} (mode 0600)",
                pii_path.display()
            ));
        }
        let identity_path = var("IDENTITY_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("identity.key"));
        let (identity_key, created) = load_or_create_random_file(&identity_path, 32)?;
        if created {
            notes.push(format!(
                "generated the identity encryption key in {} (mode 0600)",
                identity_path.display()
            ));
        }
        let import_dir = data_dir.join("imports");
        let max_import_bytes = match var("MAX_IMPORT_BYTES") {
            None => 4 * 1024 * 1024 * 1024,
            Some(v) => v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                AppError::internal("MAX_IMPORT_BYTES must be a positive number of bytes")
            })?,
        };
        let audit_signing_key_file = var("AUDIT_SIGNING_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("audit-signing.key"));

        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(AppError::internal(format!(
                    "LOG_FORMAT={other:?}: use text or json"
                )));
            }
        };
        Ok(Self {
            bind_addr: var("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url,
            migration_database_url: var("MIGRATION_DATABASE_URL"),
            migrate_on_start: parse_var(&var, "MIGRATE_ON_START", true)?,
            db_pool_size: parse_var(&var, "DB_POOL_SIZE", 10)?,
            db_acquire_timeout: Duration::from_millis(parse_var(
                &var,
                "DB_ACQUIRE_TIMEOUT_MS",
                2000,
            )?),
            workers: parse_var(&var, "WORKERS", cores)?,
            jwt_key,
            jwt_ttl: Duration::from_secs(parse_var(&var, "JWT_TTL_SECONDS", 900)?),
            session_cache_ttl: Duration::from_secs(parse_var(&var, "SESSION_CACHE_SECONDS", 5)?),
            jwt_issuer: var("JWT_ISSUER").unwrap_or_else(|| "asn-merit".into()),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or_else(|| "asn-merit-api".into()),
            audit_signing_key_file,
            pii_key,
            identity_key,
            import_dir,
            max_import_bytes,
            max_import_row_bytes: parse_var(
                &var,
                "MAX_IMPORT_ROW_BYTES",
                DEFAULT_MAX_IMPORT_ROW_BYTES,
            )?
            .max(1),
            body_timeout: Duration::from_secs(
                parse_var(&var, "BODY_TIMEOUT_SECONDS", 30u64)?.max(1),
            ),
            max_uploads: parse_var(&var, "MAX_CONCURRENT_UPLOADS", 4usize)?.max(1),
            max_uploads_per_user: parse_var(&var, "MAX_UPLOADS_PER_USER", 2usize)?.max(1),
            blocking_threads: match var("BLOCKING_THREADS") {
                None => None,
                Some(_) => Some(parse_var(&var, "BLOCKING_THREADS", 0usize)?.max(1)),
            },
            audit_seal_interval: Duration::from_millis(
                parse_var(&var, "AUDIT_SEAL_INTERVAL_MS", 50)?.max(1),
            ),
            checkpoint_interval: Duration::from_secs(parse_var(
                &var,
                "CHECKPOINT_INTERVAL_SECONDS",
                3600,
            )?),
            hash_threads: parse_var(&var, "HASH_THREADS", (cores / 2).max(1))?.max(1),
            max_body_bytes: parse_var(&var, "MAX_BODY_BYTES", 1024 * 1024)?,
            login_max_failures: parse_var(&var, "LOGIN_MAX_FAILURES", 5)?,
            login_max_failures_per_address: parse_var(&var, "LOGIN_MAX_FAILURES_PER_ADDRESS", 20)?,
            login_window: Duration::from_secs(parse_var(&var, "LOGIN_WINDOW_SECONDS", 900)?),
            login_delay_base: Duration::from_secs(
                parse_var(&var, "LOGIN_DELAY_BASE_SECONDS", 2u64)?.max(1),
            ),
            login_delay_max: Duration::from_secs(
                parse_var(&var, "LOGIN_DELAY_MAX_SECONDS", 900u64)?.max(1),
            ),
            trusted_proxies: parse_trusted_proxies(var("TRUSTED_PROXIES").as_deref())?,
            activation_ttl: Duration::from_secs(
                parse_var(&var, "ACTIVATION_TTL_HOURS", 72u64)? * 3600,
            ),
            log_format,
            data_dir,
            startup_notes: notes,
            startup_warnings: warnings,
        })
    }

    /// The URL migrations run with: the owner role's where one is configured.
    pub fn migration_url(&self) -> &str {
        self.migration_database_url
            .as_deref()
            .unwrap_or(&self.database_url)
    }
}

mod private_files;

/// `TRUSTED_PROXIES`: comma-separated addresses (`10.0.0.7`) or networks (`10.0.0.0/8`).
fn parse_trusted_proxies(value: Option<&str>) -> Result<Vec<ipnet::IpNet>, AppError> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    AppError::internal(format!(
                        "TRUSTED_PROXIES: {entry:?} is neither an IP address nor a CIDR network"
                    ))
                })
        })
        .collect()
}

fn read_secret_file(path: &Path) -> Result<SecretSlice<u8>, AppError> {
    std::fs::read(path)
        .map(SecretSlice::from)
        .map_err(|e| AppError::internal(format!("cannot read key file {}: {e}", path.display())))
}

/// Reads a key file, or creates it with `len` random bytes (hex-encoded, mode 0600).
/// Returns the raw key bytes and whether the file was created now.
pub fn load_or_create_random_file(
    path: &Path,
    len: usize,
) -> Result<(SecretSlice<u8>, bool), AppError> {
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::internal(format!("cannot read key file {}: {e}", path.display()))
        })?;
        let bytes = hex::decode(text.trim())
            .map_err(|_| AppError::internal(format!("key file {} is not hex", path.display())))?;
        return Ok((bytes.into(), false));
    }
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    write_private_file(path, hex::encode(&bytes).as_bytes())?;
    Ok((bytes.into(), true))
}

/// Writes a file only its owner can read (0600), refusing to overwrite an existing one.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), AppError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut file = options.open(path).map_err(|e| {
        AppError::internal(format!("cannot create key file {}: {e}", path.display()))
    })?;
    file.write_all(contents)
        .map_err(|e| AppError::internal(format!("cannot write key file {}: {e}", path.display())))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn config_in(dir: &Path) -> Config {
        let data = dir.to_string_lossy().into_owned();
        Config::from_lookup(&|name| (name == "DATA_DIR").then(|| data.clone())).unwrap()
    }

    #[test]
    fn a_new_data_directory_and_database_file_are_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let config = config_in(&data);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("asn-merit.db")), 0o600);
        assert!(config.startup_warnings.is_empty());
    }

    #[test]
    fn an_existing_data_directory_others_can_read_is_corrected_with_a_warning() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        for name in ["asn-merit.db", "asn-merit.db-wal", "asn-merit.db-shm"] {
            let file = data.join(name);
            std::fs::write(&file, b"").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let config = config_in(&data);
        assert_eq!(mode(&data), 0o700);
        for name in ["asn-merit.db", "asn-merit.db-wal", "asn-merit.db-shm"] {
            assert_eq!(mode(&data.join(name)), 0o600, "{name}");
        }
        assert_eq!(
            config.startup_warnings.len(),
            4,
            "{:?}",
            config.startup_warnings
        );
        assert!(config.startup_warnings[0].contains("mode 755"));
    }
}

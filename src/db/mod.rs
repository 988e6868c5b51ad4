//! Database access: backend selection from `DATABASE_URL`, the connection pool, embedded
//! migrations for both backends, transactions, and the few places where the dialects differ.

mod macros;
pub mod schema;
pub mod text;
mod trouble;
pub mod types;

pub use macros::INSERT_CHUNK;
pub use trouble::{DbTrouble, trouble_of};

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// One connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type Conn = AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections itself (rather than diesel's generic manager) so that PostgreSQL's real
/// connection errors reach the log and SQLite gets its per-connection pragmas.
pub struct ConnectionManager {
    url: String,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
        }
    }
}

/// The SQLite database file a URL names (None for PostgreSQL and for `:memory:`).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = match Backend::from_url(url) {
        Backend::Postgres => return None,
        Backend::Sqlite => sqlite_path(url).unwrap_or(url),
    };
    (path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// SQLite accepts a plain path; `sqlite://` is accepted too and stripped.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
}

pub fn establish(url: &str) -> Result<AnyConnection, diesel::ConnectionError> {
    match Backend::from_url(url) {
        Backend::Postgres => Ok(AnyConnection::Postgresql(diesel::PgConnection::establish(
            url,
        )?)),
        Backend::Sqlite => {
            let path = sqlite_path(url).unwrap_or(url);
            let mut conn = diesel::SqliteConnection::establish(path)?;
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

/// A pooled connection that remembers when the server behind it went away, so the pool drops it
/// instead of handing a dead socket to the next request (diesel only notices broken transactions).
pub struct PooledConnection {
    conn: AnyConnection,
    lost: bool,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PooledConnection;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<PooledConnection, diesel::ConnectionError> {
        establish(&self.url).map(|conn| PooledConnection { conn, lost: false })
    }

    fn is_valid(&self, pooled: &mut PooledConnection) -> Result<(), diesel::ConnectionError> {
        pooled
            .conn
            .ping()
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
    }

    fn has_broken(&self, pooled: &mut PooledConnection) -> bool {
        pooled.lost || pooled.conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// The pool plus the backend it talks to; cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    backend: Backend,
    /// Where this process's audit sealer stands (see [`crate::audit::sealer::SealCursor`]).
    pub seal_cursor: std::sync::Arc<std::sync::Mutex<crate::audit::sealer::SealCursor>>,
}

impl Database {
    /// Builds a bounded pool; `acquire_timeout` is how long a request waits for a connection
    /// before it is answered 503.
    pub fn connect(url: &str, size: u32, acquire_timeout: Duration) -> Result<Self, AppError> {
        let backend = Backend::from_url(url);
        if backend == Backend::Sqlite {
            prepare_sqlite_file(url)?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(acquire_timeout)
            .test_on_check_out(false)
            .build_unchecked(ConnectionManager::new(url));
        Ok(Self {
            pool,
            backend,
            seal_cursor: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn state(&self) -> r2d2::State {
        self.pool.state()
    }

    pub fn max_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Runs blocking database work off the async workers.
    pub async fn run<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            // r2d2 names the last connection error when it could not open one; a bare timeout
            // means every connection was busy.
            let mut pooled = pool.get().map_err(|e| {
                if e.to_string().contains("connection: ") {
                    AppError::unavailable("the database is unreachable")
                } else {
                    AppError::pool_exhausted()
                }
            })?;
            let result = f(&mut pooled.conn);
            if matches!(
                result,
                Err(AppError::Unavailable {
                    code: "database_unavailable",
                    ..
                })
            ) {
                pooled.lost = true;
            }
            result
        })
        .await
        .map_err(|_| AppError::internal("blocking task failed"))?
    }

    /// Runs `f` inside one write transaction (see [`write_transaction`]).
    pub async fn write<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, f)).await
    }
}

/// Creates the SQLite file's directory and switches the file to WAL once, before the pool opens.
fn prepare_sqlite_file(url: &str) -> Result<(), AppError> {
    let path = sqlite_path(url).unwrap_or(url);
    if path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut conn =
        establish(url).map_err(|e| AppError::internal(format!("cannot open SQLite: {e}")))?;
    conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    Ok(())
}

/// One transaction for a request that changes data. On SQLite its first statement is a write, so
/// the transaction holds the write lock from the start (BEGIN IMMEDIATE semantics) and never
/// fails half-way on a lock upgrade.
pub fn write_transaction<F, R>(conn: &mut AnyConnection, f: F) -> Result<R, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<R, AppError>,
{
    conn.transaction(|conn| {
        if let AnyConnection::Sqlite(c) = conn {
            c.batch_execute("UPDATE write_lock SET touched = touched + 1 WHERE id = 1")?;
        }
        f(conn)
    })
}

/// How a transaction that may refuse its own work ends: committed with a value, or rolled back
/// with a report of why (an all-or-nothing import with bad rows records nothing).
#[derive(Debug)]
pub enum Outcome<T, R> {
    Commit(T),
    RollBack(R),
}

/// [`write_transaction`] whose body decides between commit and roll-back without an error.
pub fn write_transaction_with_outcome<F, T, R>(
    conn: &mut AnyConnection,
    f: F,
) -> Result<Outcome<T, R>, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<Outcome<T, R>, AppError>,
{
    /// Carries the roll-back report out of diesel's transaction, which rolls back on `Err`.
    enum Abort<R> {
        RollBack(R),
        Failed(AppError),
    }
    impl<R> From<diesel::result::Error> for Abort<R> {
        fn from(e: diesel::result::Error) -> Self {
            Abort::Failed(e.into())
        }
    }
    let result = conn.transaction::<T, Abort<R>, _>(|conn| {
        if let AnyConnection::Sqlite(c) = conn {
            c.batch_execute("UPDATE write_lock SET touched = touched + 1 WHERE id = 1")?;
        }
        match f(conn) {
            Ok(Outcome::Commit(value)) => Ok(value),
            Ok(Outcome::RollBack(report)) => Err(Abort::RollBack(report)),
            Err(e) => Err(Abort::Failed(e)),
        }
    });
    match result {
        Ok(value) => Ok(Outcome::Commit(value)),
        Err(Abort::RollBack(report)) => Ok(Outcome::RollBack(report)),
        Err(Abort::Failed(e)) => Err(e),
    }
}

/// Serialises audit-chain appends. PostgreSQL: a transaction-scoped advisory lock; SQLite: the
/// write lock that [`write_transaction`] already holds.
pub fn lock_audit_chain(conn: &mut AnyConnection) -> Result<(), AppError> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute("SELECT pg_advisory_xact_lock(7263550001)")?;
    }
    Ok(())
}

/// A transaction-scoped lock on an arbitrary key (PostgreSQL advisory lock on its hash; on
/// SQLite the write transaction already excludes every other writer).
pub fn lock_key(conn: &mut AnyConnection, key: &str) -> Result<(), AppError> {
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(c)?;
    }
    Ok(())
}

/// Refreshes PostgreSQL's planner statistics of tables a bulk load has just filled, so that the
/// next batch lookups (e.g. scores by registration number) use their indexes instead of plans
/// made for the empty tables, without waiting for autovacuum. A role that does not own the
/// tables gets a warning from PostgreSQL and autovacuum does it later. SQLite plans by rule.
pub fn refresh_planner_statistics(
    conn: &mut AnyConnection,
    tables: &[&str],
) -> Result<(), AppError> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("ANALYZE {}", tables.join(", ")))?;
    }
    Ok(())
}

/// Applies pending migrations of the backend `url` names.
pub fn run_migrations(url: &str) -> Result<Vec<String>, AppError> {
    if Backend::from_url(url) == Backend::Sqlite {
        prepare_sqlite_file(url)?;
    }
    let mut conn =
        establish(url).map_err(|e| AppError::unavailable(format!("cannot connect: {e}")))?;
    let applied = match &mut conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| AppError::internal(format!("migration failed: {e}")))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// True when every embedded migration of this backend has been applied. Reads diesel's
/// bookkeeping table directly, so it works for a server role that may not create tables.
pub fn migrations_current(conn: &mut AnyConnection) -> Result<bool, AppError> {
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let embedded: Result<Vec<String>, _> = match conn {
        AnyConnection::Postgresql(_) => {
            MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
                .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
        }
        AnyConnection::Sqlite(_) => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
        }
    };
    let embedded =
        embedded.map_err(|e| AppError::internal(format!("cannot list migrations: {e}")))?;
    let applied: Vec<Applied> =
        match diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn) {
            Ok(rows) => rows,
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("__diesel_schema_migrations") =>
            {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
    let applied: std::collections::HashSet<String> =
        applied.into_iter().map(|a| a.version).collect();
    Ok(embedded.iter().all(|v| applied.contains(v)))
}

/// A cheap round trip used by the readiness probe.
pub fn ping(conn: &mut AnyConnection) -> Result<(), AppError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

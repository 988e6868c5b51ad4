//! The few query shapes diesel cannot express on the multi-backend connection (row locks, bulk
//! writes, upserts), as macros that write the query body once for both backends.

/// Runs the same query body on the concrete connection, for the few queries diesel cannot
/// express on the multi-backend (batch inserts, upserts, row locks).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// Reads one row by primary key and locks it until the transaction ends (`FOR UPDATE` on
/// PostgreSQL; on SQLite the write transaction already holds the database's write lock).
/// Evaluates to `QueryResult<Option<Row>>`.
#[macro_export]
macro_rules! find_for_update {
    ($conn:expr, $table:ident, $id:expr) => {{
        use diesel::prelude::*;
        match $conn {
            $crate::db::AnyConnection::Postgresql(c) => $crate::db::schema::$table::table
                .find($id)
                .for_update()
                .first(c)
                .optional(),
            $crate::db::AnyConnection::Sqlite(c) => $crate::db::schema::$table::table
                .find($id)
                .first(c)
                .optional(),
        }
    }};
}

/// Rows per multi-row INSERT on SQLite, under its limit on bound parameters.
pub const INSERT_CHUNK: usize = 1000;

/// Writes many new rows of `table` at once: PostgreSQL takes them in one binary
/// `COPY FROM STDIN`, SQLite in multi-row INSERTs of [`INSERT_CHUNK`] rows. `$rows` is a slice
/// of an `Insertable` struct covering every column. Evaluates to `QueryResult<usize>`.
#[macro_export]
macro_rules! bulk_insert {
    ($conn:expr, $table:ident, $rows:expr) => {{
        use diesel::prelude::*;
        let rows = $rows;
        match $conn {
            _ if rows.is_empty() => Ok(0),
            $crate::db::AnyConnection::Postgresql(c) => {
                diesel::copy_from($crate::db::schema::$table::table)
                    .from_insertable(rows)
                    .execute(c)
            }
            $crate::db::AnyConnection::Sqlite(c) => {
                rows.chunks($crate::db::INSERT_CHUNK)
                    .try_fold(0, |written, chunk| {
                        diesel::insert_into($crate::db::schema::$table::table)
                            .values(chunk)
                            .execute(c)
                            .map(|n| written + n)
                    })
            }
        }
    }};
}

//! The batch driver every import runs through. A reading thread reads rows, checks each and
//! prepares each batch (for applications: two HMACs and two encryptions a row) while the
//! caller's connection writes the batch before it, so the server's own work and the database's
//! run on two cores at once. `valid_rows` commits batch by batch; `all_or_nothing` writes every
//! batch in one transaction that the importer commits or rolls back at the end.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::model::{ImportMode, RowError};
use crate::db::{self, Conn, Outcome};
use crate::error::AppError;

/// One batch as the reading thread hands it over.
#[derive(Debug)]
pub struct Batch<P> {
    /// 1-based, in file order.
    pub number: u32,
    /// The rows that passed the checks made while reading, prepared for writing.
    pub rows: P,
    /// The rows refused while reading (unreadable, or failing the checks), in row order.
    pub errors: Vec<RowError>,
    /// Rows read into this batch, good and bad.
    pub read: u64,
}

/// What an importer does with the batches, on the caller's connection.
pub trait BatchSink<P> {
    /// What a batch's writes leave to count once they are sure to stay.
    type Applied;

    /// Writes one batch inside the open transaction.
    fn apply(&mut self, conn: &mut Conn, batch: Batch<P>) -> Result<Self::Applied, AppError>;

    /// Called after `apply` once its writes stand: in `valid_rows` mode when the batch's
    /// transaction has committed; in `all_or_nothing` mode right away (the file's transaction
    /// may still roll back in [`BatchSink::close_file`]).
    fn applied(&mut self, applied: Self::Applied);

    /// `all_or_nothing` only: after the last batch, inside the file's transaction, commits the
    /// file or rolls all of it back.
    fn close_file(&mut self, conn: &mut Conn) -> Result<Outcome<(), ()>, AppError>;
}

/// How the reading thread makes batches.
pub struct Reading<I, C, P> {
    /// The file's rows (a [`super::reader::RowReader`]).
    pub rows: I,
    /// Rows that pass `check` per batch; refused rows travel with the batch they were read in.
    pub batch_rows: usize,
    /// The checks a row can pass without the database.
    pub check: C,
    /// Turns a batch of checked rows into what the sink writes.
    pub prepare: P,
}

/// Batches kept ready ahead of the writer: one waiting while one is written and one is read.
const BATCHES_AHEAD: usize = 1;

/// Reads, checks and prepares on a thread of its own and hands every batch to `sink` in order.
/// Returns whether the file's writes were committed (`valid_rows` always commits what it
/// applied; an error stops the import after the last committed batch).
pub fn run<I, R, V, C, P, T, S>(
    conn: &mut Conn,
    mode: ImportMode,
    reading: Reading<I, C, P>,
    sink: &mut S,
) -> Result<Outcome<(), ()>, AppError>
where
    I: Iterator<Item = Result<R, RowError>> + Send,
    C: FnMut(R) -> Result<V, Vec<RowError>> + Send,
    P: FnMut(Vec<V>) -> Result<T, AppError> + Send,
    T: Send,
    S: BatchSink<T>,
{
    std::thread::scope(|scope| {
        let (sender, batches) = sync_channel(BATCHES_AHEAD);
        scope.spawn(move || read_batches(reading, sender));
        // `batches` is dropped when writing ends, early or not, which stops the reader.
        write_batches(conn, mode, batches, sink)
    })
}

fn read_batches<I, R, V, C, P, T>(
    reading: Reading<I, C, P>,
    sender: SyncSender<Result<Batch<T>, AppError>>,
) where
    I: Iterator<Item = Result<R, RowError>>,
    C: FnMut(R) -> Result<V, Vec<RowError>>,
    P: FnMut(Vec<V>) -> Result<T, AppError>,
{
    let Reading {
        rows,
        batch_rows,
        mut check,
        mut prepare,
    } = reading;
    let mut number = 0u32;
    let mut send = |valid: Vec<V>, errors: Vec<RowError>, read: u64| {
        number += 1;
        let batch = prepare(valid).map(|rows| Batch {
            number,
            rows,
            errors,
            read,
        });
        let failed = batch.is_err();
        // A closed channel means the writer stopped; a failed batch ends the reading.
        sender.send(batch).is_ok() && !failed
    };
    let (mut valid, mut errors, mut read) = (Vec::with_capacity(batch_rows), Vec::new(), 0u64);
    for row in rows {
        read += 1;
        match row.map_err(|e| vec![e]).and_then(&mut check) {
            Ok(row) => valid.push(row),
            Err(row_errors) => errors.extend(row_errors),
        }
        if valid.len() >= batch_rows
            && !send(
                std::mem::replace(&mut valid, Vec::with_capacity(batch_rows)),
                std::mem::take(&mut errors),
                std::mem::take(&mut read),
            )
        {
            return;
        }
    }
    if read > 0 {
        send(valid, errors, read);
    }
}

fn write_batches<T, S: BatchSink<T>>(
    conn: &mut Conn,
    mode: ImportMode,
    batches: Receiver<Result<Batch<T>, AppError>>,
    sink: &mut S,
) -> Result<Outcome<(), ()>, AppError> {
    match mode {
        ImportMode::ValidRows => {
            for batch in batches {
                let batch = batch?;
                let applied = db::write_transaction(conn, |conn| sink.apply(conn, batch))?;
                sink.applied(applied);
            }
            Ok(Outcome::Commit(()))
        }
        ImportMode::AllOrNothing => db::write_transaction_with_outcome(conn, |conn| {
            for batch in batches {
                let applied = sink.apply(conn, batch?)?;
                sink.applied(applied);
            }
            sink.close_file(conn)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_close_at_the_valid_row_count_and_carry_the_refused_rows_read_with_them() {
        let rows = (1..=7u64).map(|n| match n % 3 {
            0 => Err(RowError::malformed(n, "unreadable")),
            _ => Ok(n),
        });
        let reading = Reading {
            rows,
            batch_rows: 2,
            check: |n: u64| match n {
                4 => Err(vec![RowError::new(n, "x", "bad", "refused")]),
                _ => Ok(n * 10),
            },
            prepare: |valid: Vec<u64>| Ok::<_, AppError>(valid),
        };
        let (sender, batches) = sync_channel(16);
        read_batches(reading, sender);
        let batches: Vec<Batch<Vec<u64>>> = batches.into_iter().map(|b| b.unwrap()).collect();
        let shape: Vec<(u32, Vec<u64>, Vec<u64>, u64)> = batches
            .into_iter()
            .map(|b| {
                (
                    b.number,
                    b.rows,
                    b.errors.iter().map(|e| e.row).collect(),
                    b.read,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (1, vec![10, 20], vec![], 2),
                (2, vec![50, 70], vec![3, 4, 6], 5),
            ]
        );
    }

    #[test]
    fn a_failed_preparation_ends_the_reading_with_that_error() {
        let reading = Reading {
            rows: (1..=10u64).map(Ok),
            batch_rows: 2,
            check: |n: u64| Ok::<_, Vec<RowError>>(n),
            prepare: |valid: Vec<u64>| match valid[0] {
                3 => Err(AppError::internal("no key")),
                _ => Ok(valid),
            },
        };
        let (sender, batches) = sync_channel(16);
        read_batches(reading, sender);
        let results: Vec<bool> = batches.into_iter().map(|b| b.is_ok()).collect();
        assert_eq!(results, vec![true, false]);
    }
}

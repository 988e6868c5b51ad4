//! The import benchmark's floor: the persons and applications an import of FILE would record,
//! transformed first (parsed, validated, hashed, encrypted, numbered) and untimed, then written
//! with binary COPY into the same tables, indexes and constraints, timed. What the import costs
//! beyond this is its own work: reading and transforming, the same-NIK lookups, and a
//! transaction, progress row and audit event per batch. Benchmark databases only: nothing here
//! writes an audit event.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::time::Instant;

use crate::applications::identity::IdentityVault;
use crate::applications::imports::source::ApplicationShape;
use crate::applications::intake::batch::Intake;
use crate::applications::intake::prepared::PreparedRow;
use crate::applications::intake::rows;
use crate::applications::model::{Application, Person, PersonId};
use crate::bulk::model::ImportFormat;
use crate::bulk::reader::RowReader;
use crate::clock::{Clock, SystemClock};
use crate::config::DEFAULT_MAX_IMPORT_ROW_BYTES;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::openings::rounds::model::RoundId;
use crate::openings::rounds::store as rounds;

/// What the floor wrote and how long the writes took.
pub struct Floor {
    pub persons: usize,
    pub applications: usize,
    pub skipped_rows: u64,
    pub transform_seconds: f64,
    pub write_seconds: f64,
}

/// Transforms the CSV `file` for `round` (untimed), then writes it: in one transaction with one
/// COPY per table when `batch` is 0, else in transactions of `batch` applications each.
pub fn run(
    conn: &mut Conn,
    vault: &IdentityVault,
    file: &Path,
    round: RoundId,
    batch: usize,
) -> Result<Floor, AppError> {
    let started = Instant::now();
    let Transformed {
        people,
        apps,
        person_of_app,
        skipped_rows,
    } = transform(conn, vault, file, round)?;
    let transform_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let chunk = if batch == 0 { apps.len().max(1) } else { batch };
    let mut written_persons = 0;
    for (apps_chunk, persons_of_chunk) in apps.chunks(chunk).zip(person_of_app.chunks(chunk)) {
        // Each chunk first writes the persons its applications are the first to need.
        let end = persons_of_chunk
            .iter()
            .max()
            .map_or(written_persons, |last| last + 1);
        let people_chunk = &people[written_persons..end.max(written_persons)];
        db::write_transaction(conn, |conn| {
            crate::bulk_insert!(&mut *conn, persons, people_chunk)?;
            crate::bulk_insert!(&mut *conn, applications, apps_chunk)?;
            Ok(())
        })?;
        written_persons = end.max(written_persons);
    }
    Ok(Floor {
        persons: people.len(),
        applications: apps.len(),
        skipped_rows,
        transform_seconds,
        write_seconds: started.elapsed().as_secs_f64(),
    })
}

struct Transformed {
    people: Vec<Person>,
    apps: Vec<Application>,
    /// For each application, its person's index in `people` (in order of first appearance).
    person_of_app: Vec<usize>,
    skipped_rows: u64,
}

fn transform(
    conn: &mut Conn,
    vault: &IdentityVault,
    file: &Path,
    round: RoundId,
) -> Result<Transformed, AppError> {
    let round = rounds::find_round(conn, round)?.ok_or_else(AppError::not_found)?;
    let intake = Intake::load(conn, &round, None, None, None)?;
    let input = File::open(file).map_err(AppError::internal_from)?;
    let reader = RowReader::open(
        input,
        ImportFormat::Csv,
        ApplicationShape::new(false),
        DEFAULT_MAX_IMPORT_ROW_BYTES,
    )?;
    let clock = SystemClock;
    let (today, now) = (clock.today(), clock.now());
    let mut index_of: HashMap<String, usize> = HashMap::new();
    let mut out = Transformed {
        people: Vec::new(),
        apps: Vec::new(),
        person_of_app: Vec::new(),
        skipped_rows: 0,
    };
    for raw in reader {
        let valid = raw
            .map_err(|e| vec![e])
            .and_then(|raw| rows::validate_row(&raw, today));
        let Ok(row) = valid else {
            out.skipped_rows += 1;
            continue;
        };
        let Some(slot) = intake.openings.get(&row.opening_code) else {
            out.skipped_rows += 1;
            continue;
        };
        let prepared = PreparedRow::new(vault, row)?;
        let index = match index_of.get(prepared.nik_hash()) {
            Some(index) => *index,
            None => {
                let person = prepared.person(PersonId::generate(), intake.round_id, now);
                index_of.insert(prepared.nik_hash().to_string(), out.people.len());
                out.people.push(person);
                out.people.len() - 1
            }
        };
        let person_id = out.people[index].id;
        out.apps
            .push(prepared.application(person_id, slot, &intake, now)?);
        out.person_of_app.push(index);
    }
    Ok(out)
}

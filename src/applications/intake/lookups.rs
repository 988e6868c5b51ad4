//! What a batch checks its rows against: the persons and applications already recorded for the
//! NIKs it carries, looked up in chunks.

use std::collections::HashMap;

use diesel::prelude::*;

use super::rows::ValidRow;
use crate::applications::model::*;
use crate::db::Conn;
use crate::db::schema::{applications, persons, selection_rounds};
use crate::error::AppError;
use crate::openings::model::OpeningId;
use crate::openings::rounds::model::RoundId;

/// The facts about a person that must agree across rows and imports of one round.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PersonFacts {
    pub(super) id: PersonId,
    pub(super) round_id: RoundId,
    pub(super) full_name: String,
    pub(super) birth_date: String,
    pub(super) sex: String,
    pub(super) kk_hash: String,
    pub(super) region_of_origin: String,
}

/// The assessment facts an application is compared on when the same NIK applies again.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ApplicationFacts {
    pub(super) opening_id: OpeningId,
    pub(super) withdrawn: bool,
    pub(super) data: (String, String, String, i32, String),
}

pub(super) fn application_data(row: &ValidRow) -> (String, String, String, i32, String) {
    (
        row.seat_group.clone(),
        level_text(row),
        row.education_field.clone(),
        row.gpa_x100,
        serde_json::to_string(&row.certificates).unwrap_or_default(),
    )
}

pub(super) fn level_text(row: &ValidRow) -> String {
    serde_json::to_value(row.education_level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

const LOOKUP_CHUNK: usize = 500;

/// id, round, NIK hash, name, birth date, sex, KK hash, region.
pub(super) type PersonRow = (
    PersonId,
    RoundId,
    String,
    String,
    String,
    String,
    String,
    String,
);
/// Person, opening, status, seat group, education level and field, GPA, certificates.
pub(super) type AppliedRow = (
    PersonId,
    OpeningId,
    ApplicationStatus,
    String,
    String,
    String,
    i32,
    String,
);

pub(super) fn existing_persons(
    conn: &mut Conn,
    round: RoundId,
    hashes: &[String],
) -> Result<HashMap<String, PersonFacts>, AppError> {
    let mut found = HashMap::new();
    for chunk in hashes.chunks(LOOKUP_CHUNK) {
        let rows: Vec<PersonRow> = persons::table
            .filter(persons::round_id.eq(round))
            .filter(persons::nik_hash.eq_any(chunk))
            .select((
                persons::id,
                persons::round_id,
                persons::nik_hash,
                persons::full_name,
                persons::birth_date,
                persons::sex,
                persons::kk_hash,
                persons::region_of_origin,
            ))
            .load(conn)?;
        for (id, round_id, hash, full_name, birth_date, sex, kk_hash, region_of_origin) in rows {
            found.insert(
                hash,
                PersonFacts {
                    id,
                    round_id,
                    full_name,
                    birth_date,
                    sex,
                    kk_hash,
                    region_of_origin,
                },
            );
        }
    }
    Ok(found)
}

/// Applications of these NIKs in any round of the same year.
pub(super) fn existing_applications(
    conn: &mut Conn,
    year: i32,
    hashes: &[String],
) -> Result<HashMap<String, Vec<ApplicationFacts>>, AppError> {
    // Two lookups on leading index columns (persons by NIK hash, then applications by person),
    // so that the cost per batch does not grow with the tables.
    let mut found: HashMap<String, Vec<ApplicationFacts>> = HashMap::new();
    for chunk in hashes.chunks(LOOKUP_CHUNK) {
        let people: Vec<(PersonId, String)> = persons::table
            .inner_join(selection_rounds::table.on(selection_rounds::id.eq(persons::round_id)))
            .filter(persons::nik_hash.eq_any(chunk))
            .filter(selection_rounds::year.eq(year))
            .select((persons::id, persons::nik_hash))
            .load(conn)?;
        if people.is_empty() {
            continue;
        }
        let hash_of: HashMap<PersonId, String> = people.into_iter().collect();
        let ids: Vec<PersonId> = hash_of.keys().copied().collect();
        let rows: Vec<AppliedRow> = applications::table
            .filter(applications::person_id.eq_any(&ids))
            .select((
                applications::person_id,
                applications::opening_id,
                applications::status,
                applications::seat_group,
                applications::education_level,
                applications::education_field,
                applications::gpa_x100,
                applications::certificates,
            ))
            .load(conn)?;
        for (person, opening_id, status, seat_group, level, field, gpa, certificates) in rows {
            let Some(hash) = hash_of.get(&person) else {
                continue;
            };
            found
                .entry(hash.clone())
                .or_default()
                .push(ApplicationFacts {
                    opening_id,
                    withdrawn: status == ApplicationStatus::Withdrawn,
                    data: (seat_group, level, field, gpa, certificates),
                });
        }
    }
    Ok(found)
}

//! The batch engine that both the single `POST` and bulk imports go through: one validation,
//! one set of database checks (same NIK, one opening per year), registration numbers, and the
//! writes of new persons and applications.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::prepared::PreparedRow;
use super::rows::ValidRow;
use crate::agencies::model::AgencyId;
use crate::applications::identity::{IdNumber, IdentityVault};
use crate::applications::model::*;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::bulk::model::RowError;
use crate::db::Conn;
use crate::db::schema::openings;
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::model::{OpeningId, OpeningStatus};
use crate::openings::rounds::model::{RoundId, SelectionRound};
use crate::openings::rounds::store as rounds;

use super::lookups::*;
/// What a row may apply to: an opening of the round (and of the importer's agency).
#[derive(Debug, Clone)]
pub struct OpeningSlot {
    pub id: OpeningId,
    pub agency_id: AgencyId,
    pub status: OpeningStatus,
    pub seat_groups: Vec<String>,
}

/// The round-level facts every batch of one import shares.
pub struct Intake {
    pub round_id: RoundId,
    pub round_year: i32,
    /// Prefix of registration numbers, e.g. `2024C`.
    pub number_prefix: String,
    pub one_opening_per_year: bool,
    /// Openings by code.
    pub openings: HashMap<String, OpeningSlot>,
    pub import_id: Option<ImportId>,
}

impl Intake {
    /// Loads the round's openings (of one agency, and with one code, if given) and its rule on
    /// one opening per year.
    pub fn load(
        conn: &mut Conn,
        round: &SelectionRound,
        agency: Option<AgencyId>,
        only_code: Option<&str>,
        import_id: Option<ImportId>,
    ) -> Result<Self, AppError> {
        let rule_set =
            rounds::find_rule_set(conn, round.rule_set_id)?.ok_or_else(AppError::not_found)?;
        let mut query = openings::table
            .filter(openings::round_id.eq(round.id))
            .into_boxed();
        if let Some(agency) = agency {
            query = query.filter(openings::agency_id.eq(agency));
        }
        if let Some(code) = only_code {
            query = query.filter(openings::code.eq(code.to_string()));
        }
        let rows: Vec<crate::openings::model::Opening> = query.load(conn)?;
        let mut slots = HashMap::with_capacity(rows.len());
        for o in rows {
            let seat_groups = o
                .parsed_seat_groups()?
                .into_iter()
                .map(|g| g.group)
                .collect();
            slots.insert(
                o.code.clone(),
                OpeningSlot {
                    id: o.id,
                    agency_id: o.agency_id,
                    status: o.status,
                    seat_groups,
                },
            );
        }
        let kind = round
            .kind
            .as_str()
            .chars()
            .next()
            .unwrap_or('x')
            .to_ascii_uppercase();
        Ok(Intake {
            round_id: round.id,
            round_year: round.year,
            number_prefix: format!("{}{kind}", round.year),
            one_opening_per_year: rule_set.parsed_rules()?.one_opening_per_year,
            openings: slots,
            import_id,
        })
    }
}

/// What one batch did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub accepted: Vec<(u64, Application)>,
    pub unchanged: u64,
    pub errors: Vec<RowError>,
}

impl BatchOutcome {
    /// SHA-256 over the accepted applications (id, registration number, opening), in row order:
    /// the batch's audit event carries it instead of one event per row.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for (_, a) in &self.accepted {
            hasher.update(format!(
                "{}|{}|{}\n",
                a.id, a.registration_number, a.opening_id
            ));
        }
        hex::encode(hasher.finalize())
    }
}

/// Applies valid rows: checks each against the round's openings, the persons and applications
/// already recorded (and earlier rows of the batch), then inserts what is new. Rows that repeat
/// an application exactly are counted unchanged, so re-importing a file changes nothing.
pub fn apply_batch(
    conn: &mut Conn,
    intake: &Intake,
    rows: Vec<PreparedRow>,
    now: Timestamp,
) -> Result<BatchOutcome, AppError> {
    let mut outcome = BatchOutcome::default();
    let mut unique: Vec<String> = rows.iter().map(|r| r.nik_hash().to_string()).collect();
    unique.sort();
    unique.dedup();
    let mut people = existing_persons(conn, intake.round_id, &unique)?;
    let mut applied = existing_applications(conn, intake.round_year, &unique)?;
    let mut new_persons: Vec<Person> = Vec::new();
    let mut new_applications: Vec<(u64, Application)> = Vec::new();

    for prepared in rows {
        let (row, nik_hash) = (&prepared.row, prepared.nik_hash().to_string());
        let n = row.number;
        let Some(slot) = intake.openings.get(&row.opening_code) else {
            outcome.errors.push(RowError::new(
                n,
                "opening_code",
                "unknown_opening",
                "no opening with this code in the round (and your scope)",
            ));
            continue;
        };
        if !matches!(
            slot.status,
            OpeningStatus::Published | OpeningStatus::Closed
        ) {
            outcome.errors.push(RowError::new(
                n,
                "opening_code",
                "opening_not_accepting",
                format!(
                    "the opening is {}; applications are recorded while it is published or closed",
                    slot.status.as_str()
                ),
            ));
            continue;
        }
        if !slot.seat_groups.contains(&row.seat_group) {
            outcome.errors.push(RowError::new(
                n,
                "seat_group",
                "unknown_seat_group",
                "the opening has no such seat group",
            ));
            continue;
        }
        let facts = PersonFacts {
            id: PersonId::generate(),
            round_id: intake.round_id,
            full_name: row.full_name.clone(),
            birth_date: row.birth_date.to_string(),
            sex: row.sex.as_str().into(),
            kk_hash: prepared.kk_hash().to_string(),
            region_of_origin: row.region_of_origin.clone(),
        };
        let person_id = match people.get(&nik_hash) {
            Some(known)
                if PersonFacts {
                    id: known.id,
                    ..facts.clone()
                } != *known =>
            {
                outcome.errors.push(RowError::new(
                    n,
                    "nik",
                    "nik_conflict",
                    "this NIK is already recorded in the round with different personal data (name, birth date, sex, KK or region)",
                ));
                continue;
            }
            Some(known) => known.id,
            None => facts.id,
        };
        let data = application_data(row);
        let earlier = applied.get(&nik_hash).cloned().unwrap_or_default();
        if let Some(same) = earlier.iter().find(|a| a.opening_id == slot.id) {
            if same.data == data {
                outcome.unchanged += 1;
            } else {
                outcome.errors.push(RowError::new(
                    n,
                    "nik",
                    "already_applied",
                    "this NIK already applied to the opening with other data",
                ));
            }
            continue;
        }
        if intake.one_opening_per_year && earlier.iter().any(|a| !a.withdrawn) {
            outcome.errors.push(RowError::new(
                n,
                "nik",
                "one_opening_per_year",
                format!(
                    "this NIK already applied to another opening of {}; the rule set allows one",
                    intake.round_year
                ),
            ));
            continue;
        }
        if !people.contains_key(&nik_hash) {
            new_persons.push(prepared.person(person_id, intake.round_id, now));
            people.insert(
                nik_hash.clone(),
                PersonFacts {
                    id: person_id,
                    ..facts
                },
            );
        }
        applied.entry(nik_hash).or_default().push(ApplicationFacts {
            opening_id: slot.id,
            withdrawn: false,
            data,
        });
        new_applications.push((n, prepared.application(person_id, slot, intake, now)?));
    }
    crate::bulk_insert!(&mut *conn, persons, &new_persons)?;
    let apps: Vec<Application> = new_applications.iter().map(|(_, a)| a.clone()).collect();
    crate::bulk_insert!(&mut *conn, applications, &apps)?;
    outcome.accepted = new_applications;
    Ok(outcome)
}

/// The audit payload of one new application: ids and keyed digests only.
pub fn created_event(
    vault: &IdentityVault,
    application: &Application,
    row: &ValidRow,
) -> NewAuditEvent {
    let digest = |v: &str| vault.digester().digest(v);
    NewAuditEvent::new("application.created", "application", application.id)
        .agency(Some(application.agency_id))
        .payload(json!({
            "opening_id": application.opening_id,
            "person_id": application.person_id,
            "registration_number": application.registration_number,
            "seat_group": application.seat_group,
            "nik": vault.hash(IdNumber::Nik, &row.nik),
            "full_name": digest(&row.full_name),
            "birth_date": digest(&row.birth_date.to_string()),
        }))
}

/// Records one application to `opening` through the same batch engine as an import, with its
/// audit event: a repeat of a recorded application is 409 `already_applied`.
pub fn apply_one(
    conn: &mut Conn,
    ctx: &AuditContext,
    vault: &IdentityVault,
    opening: &crate::openings::model::Opening,
    row: ValidRow,
) -> Result<Application, AppError> {
    let round = rounds::find_round(conn, opening.round_id)?.ok_or_else(AppError::not_found)?;
    let intake = Intake::load(
        conn,
        &round,
        Some(opening.agency_id),
        Some(&opening.code),
        None,
    )?;
    let prepared = PreparedRow::new(vault, row.clone())?;
    let outcome = apply_batch(conn, &intake, vec![prepared], ctx.at)?;
    if outcome.unchanged > 0 {
        return Err(AppError::conflict(
            "already_applied",
            "this NIK already applied to the opening",
        ));
    }
    if !outcome.errors.is_empty() {
        return Err(super::rows::row_problem(outcome.errors));
    }
    let (_, application) = outcome
        .accepted
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal("no application recorded"))?;
    audit::append(conn, ctx, created_event(vault, &application, &row))?;
    Ok(application)
}

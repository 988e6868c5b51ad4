//! A valid row made ready for writing: its registration number and the work that needs no
//! database (keyed hashes and encryptions of NIK and KK), and the person and application rows
//! it becomes.

use super::batch::{Intake, OpeningSlot};
use super::lookups::application_data;
use super::rows::ValidRow;
use crate::applications::identity::{IdNumber, IdentityVault};
use crate::applications::model::{Application, ApplicationId, ApplicationStatus, Person, PersonId};
use crate::db::types::Timestamp;
use crate::error::AppError;
use crate::openings::rounds::model::RoundId;

/// A registration number: the round's prefix and 12 random Crockford base-32 characters
/// (60 bits), unguessable and unrelated to the applicant.
pub fn registration_number(prefix: &str) -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect();
    Ok(format!("{prefix}-{tail}"))
}

/// A valid row with the work that needs no database done ahead: the keyed hashes and the
/// encryptions of its NIK and KK (an import does this on its reading thread).
pub struct PreparedRow {
    pub row: ValidRow,
    nik_hash: String,
    kk_hash: String,
    nik_enc: String,
    kk_enc: String,
}

impl PreparedRow {
    pub fn new(vault: &IdentityVault, row: ValidRow) -> Result<Self, AppError> {
        Ok(Self {
            nik_hash: vault.hash(IdNumber::Nik, &row.nik),
            kk_hash: vault.hash(IdNumber::Kk, &row.kk),
            nik_enc: vault.encrypt(&row.nik)?,
            kk_enc: vault.encrypt(&row.kk)?,
            row,
        })
    }

    pub fn all(vault: &IdentityVault, rows: Vec<ValidRow>) -> Result<Vec<Self>, AppError> {
        rows.into_iter().map(|row| Self::new(vault, row)).collect()
    }

    /// The keyed hash of the row's NIK.
    pub fn nik_hash(&self) -> &str {
        &self.nik_hash
    }

    /// The keyed hash of the row's KK.
    pub fn kk_hash(&self) -> &str {
        &self.kk_hash
    }

    /// The person row of a NIK the round has not seen.
    pub fn person(&self, id: PersonId, round_id: RoundId, now: Timestamp) -> Person {
        let row = &self.row;
        Person {
            id,
            round_id,
            nik_hash: self.nik_hash.clone(),
            nik_enc: self.nik_enc.clone(),
            kk_hash: self.kk_hash.clone(),
            kk_enc: self.kk_enc.clone(),
            full_name: row.full_name.clone(),
            birth_date: row.birth_date.to_string(),
            sex: row.sex.as_str().into(),
            region_of_origin: row.region_of_origin.clone(),
            email: row.email.clone(),
            phone: row.phone.clone(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The new application of `person` to the opening in `slot`, with a fresh registration
    /// number.
    pub fn application(
        &self,
        person_id: PersonId,
        slot: &OpeningSlot,
        intake: &Intake,
        now: Timestamp,
    ) -> Result<Application, AppError> {
        let row = &self.row;
        let data = application_data(row);
        Ok(Application {
            id: ApplicationId::generate(),
            round_id: intake.round_id,
            opening_id: slot.id,
            agency_id: slot.agency_id,
            person_id,
            registration_number: registration_number(&intake.number_prefix)?,
            seat_group: data.0,
            education_level: data.1,
            education_field: data.2,
            gpa_x100: data.3,
            certificates: data.4,
            current_grade: row.current_grade,
            years_in_grade: row.years_in_grade,
            last_rating: row
                .last_rating
                .and_then(|r| serde_json::to_value(r).ok())
                .and_then(|v| v.as_str().map(str::to_string)),
            status: ApplicationStatus::Submitted,
            import_id: intake.import_id,
            withdrawn_at: None,
            withdrawal_reason: None,
            created_at: now,
            updated_at: now,
        })
    }
}

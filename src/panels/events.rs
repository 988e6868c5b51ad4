//! Every audit event of blind panel scoring, with its payload, in one list, so an auditor can
//! read what each means. Payloads name people by id only; a recusal's payload names the relation
//! kind of a matched declaration, never the relative's name or numbers; free text (material,
//! justifications, reasons, notes) appears as a SHA-256 digest that proves what was written.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{ApplicationId, OpeningId, Panel, RecusalBasis, RelationKind, RubricId, UserId};
use super::rubrics::model::Rubric;
use crate::audit::model::NewAuditEvent;
use crate::error::AppError;
use crate::ids::AgencyId;

pub fn text_digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The events, by action name.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PanelEvent {
    /// `rubric.version_written`: a rubric version (never changed afterwards).
    RubricWritten {
        code: String,
        version: i32,
        scale_min: i32,
        scale_max: i32,
        criteria_sha256: String,
    },
    /// `panel.created`
    Created {
        opening_id: OpeningId,
        stage_code: String,
        part_code: String,
        rubric_id: RubricId,
        min_scorers: i32,
        blind: bool,
        divergence_spread_x100: i32,
    },
    /// `panel.member_added` / `panel.member_removed`
    Member {
        user_id: UserId,
        chair: bool,
        internal: bool,
        political_party_member: bool,
    },
    /// `panel.declaration_made`: counts and digests only.
    Declared {
        user_id: UserId,
        version: i32,
        relations: usize,
        ties: usize,
        declaration_sha256: String,
    },
    /// `panel.material_attached`
    Material {
        application_id: ApplicationId,
        material_sha256: String,
    },
    /// `panel.assigned`: the seed and what it was applied to, so anyone can recompute it.
    Assigned {
        seed: i64,
        scorers_per_application: i32,
        applications: usize,
        members: Vec<UserId>,
        excluded_pairs: usize,
        assignment_sha256: String,
    },
    /// `panel.recused`: who left which application, why, and who took it over.
    Recused {
        application_id: ApplicationId,
        user_id: UserId,
        basis: RecusalBasis,
        relation: Option<RelationKind>,
        reason_sha256: Option<String>,
        replaced_by: Option<UserId>,
    },
    /// `panel.conflict_cleared`: a panelist confirmed no conflict with a candidate they see;
    /// `panel.scores_seen`: a panelist read the others' scores (their own can no longer change).
    Pair {
        application_id: ApplicationId,
        user_id: UserId,
    },
    /// `panel.score_submitted` / `panel.score_amended`
    Score {
        application_id: ApplicationId,
        user_id: UserId,
        version: i32,
        levels: BTreeMap<String, i32>,
        weighted_x100: i32,
        justifications_sha256: String,
        reason_sha256: Option<String>,
    },
    /// `panel.moderated`: the chair's note on a divergent application.
    Moderated {
        application_id: ApplicationId,
        note_sha256: String,
    },
    /// `panel.locked` / `panel.unlocked`
    Lock {
        complete: bool,
        missing_scores: usize,
        deviation_id: Option<crate::ids::DeviationId>,
    },
}

impl PanelEvent {
    pub fn rubric_written(rubric: &Rubric) -> Result<NewAuditEvent, AppError> {
        PanelEvent::RubricWritten {
            code: rubric.code.clone(),
            version: rubric.version,
            scale_min: rubric.scale_min,
            scale_max: rubric.scale_max,
            criteria_sha256: text_digest(&rubric.criteria),
        }
        .on(
            "rubric.version_written",
            "rubric",
            rubric.id.to_string(),
            rubric.agency_id,
        )
    }

    /// The event of this panel with this action.
    pub fn of(self, action: &'static str, panel: &Panel) -> Result<NewAuditEvent, AppError> {
        self.on(action, "panel", panel.id.to_string(), panel.agency_id)
    }

    fn on(
        self,
        action: &'static str,
        object_type: &'static str,
        id: String,
        agency: AgencyId,
    ) -> Result<NewAuditEvent, AppError> {
        let payload = serde_json::to_value(&self).map_err(AppError::internal_from)?;
        Ok(NewAuditEvent::new(action, object_type, id)
            .agency(Some(agency))
            .payload(payload))
    }
}

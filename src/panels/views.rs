//! What the API shows: the panel as HR and auditors see it (members, recusals with their basis,
//! the assignment with its seed), and the panelist's queue, which carries panel codes and
//! redacted material only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::aggregation::Aggregated;
use super::model::*;
use super::requests::Material;
use super::rubrics::model::RubricView;
use crate::db::types::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub user_id: UserId,
    pub chair: bool,
    /// From the opening's agency.
    pub internal: bool,
    pub political_party_member: bool,
    /// Version of the member's conflict-of-interest declaration; `null` until declared.
    pub declaration_version: Option<i32>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub declared_at: Option<Timestamp>,
}

/// A panel as HR officers and auditors see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelView {
    pub id: PanelId,
    pub opening_id: OpeningId,
    pub stage_code: String,
    /// The part of a composite stage, `null` for a panel stage.
    pub part_code: Option<String>,
    pub rubric_id: RubricId,
    pub min_scorers: i32,
    pub blind: bool,
    pub aggregate: String,
    pub divergence_spread_x100: i32,
    pub status: PanelStatus,
    /// The seed of the random assignment (recorded at the start; with the roster and the
    /// members it reproduces the assignment).
    pub assignment_seed: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_at: Option<Timestamp>,
    pub members: Vec<MemberView>,
    pub recusals: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PanelList {
    pub items: Vec<PanelView>,
}

/// One recusal as HR and auditors see it: who left which application, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecusalView {
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub panel_code: String,
    pub user_id: UserId,
    pub basis: RecusalBasis,
    /// The relation kind of a matched declaration, or the panelist's own reason.
    pub detail: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub recused_at: Timestamp,
}

/// The scorers of one application (HR and auditors).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentView {
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub panel_code: String,
    pub scorers: Vec<UserId>,
    pub recused: Vec<UserId>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssignmentPage {
    pub assignment_seed: Option<i64>,
    pub items: Vec<AssignmentView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecusalList {
    pub items: Vec<RecusalView>,
}

/// A member's receipt for their declaration; it never says whether anything matched.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeclarationReceipt {
    pub panel_id: PanelId,
    pub version: i32,
    pub relations: usize,
    pub ties: usize,
    #[schema(value_type = String, format = DateTime)]
    pub declared_at: Timestamp,
}

/// The stage material of an application as HR recorded it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaterialView {
    pub application_id: ApplicationId,
    pub panel_code: String,
    pub material: Material,
    /// What panelists read: the same with the applicant's own identifiers redacted.
    pub redacted: Material,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// One version of a score, as its author (or, after submitting their own, a fellow scorer of
/// the same application) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreView {
    pub panel_code: String,
    pub scorer: UserId,
    pub version: i32,
    pub levels: BTreeMap<String, i32>,
    pub justifications: BTreeMap<String, String>,
    /// The weighted level × 100 on the rubric's scale.
    pub weighted_x100: i32,
    pub amendment_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: Timestamp,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScoreList {
    pub items: Vec<ScoreView>,
}

/// One application in a panelist's queue: its panel code and redacted material only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueItem {
    pub panel_code: String,
    pub material: Option<Material>,
    /// The panelist's own current score, if submitted.
    pub my_score: Option<ScoreView>,
    /// Stages that are not blind: the candidate's name, and whether the panelist has confirmed
    /// having no conflict with them (needed before scoring). Always `null` at a blind stage.
    pub candidate_name: Option<String>,
    pub conflict_cleared: Option<bool>,
}

/// A panelist's queue for one panel.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueView {
    pub panel_id: PanelId,
    pub stage_code: String,
    pub part_code: Option<String>,
    pub blind: bool,
    pub status: PanelStatus,
    pub chair: bool,
    pub declared: bool,
    /// Some of the panelist's assignments were recused and reassigned (never which).
    pub recusals_happened: bool,
    pub rubric: RubricView,
    pub items: Vec<QueueItem>,
    pub next_cursor: Option<String>,
}

/// The stage result of one application (HR, auditors; what the ranking reads).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelResultRow {
    pub application_id: ApplicationId,
    pub registration_number: String,
    pub panel_code: String,
    /// Scorers assigned and not recused.
    pub assigned: u32,
    /// `null` until at least one score is in.
    pub result: Option<Aggregated>,
    pub moderation_note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PanelResults {
    pub panel_id: PanelId,
    pub stage_code: String,
    pub part_code: Option<String>,
    pub status: PanelStatus,
    pub scale_min: i32,
    pub scale_max: i32,
    pub score_min: i32,
    pub score_max: i32,
    pub items: Vec<PanelResultRow>,
}

/// A divergent application as the chair sees it: by panel code, the scorers' weighted totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModerationItem {
    pub panel_code: String,
    pub weighted_totals_x100: Vec<i32>,
    pub spread_x100: i64,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModerationList {
    pub divergence_spread_x100: i32,
    pub items: Vec<ModerationItem>,
}

impl PanelView {
    pub fn new(p: Panel, members: Vec<MemberView>, recusals: usize) -> Self {
        PanelView {
            id: p.id,
            opening_id: p.opening_id,
            part_code: (!p.part_code.is_empty()).then_some(p.part_code),
            stage_code: p.stage_code,
            rubric_id: p.rubric_id,
            min_scorers: p.min_scorers,
            blind: p.blind,
            aggregate: p.aggregate,
            divergence_spread_x100: p.divergence_spread_x100,
            status: p.status,
            assignment_seed: p.assignment_seed,
            started_at: p.started_at,
            locked_at: p.locked_at,
            members,
            recusals,
        }
    }
}

//! Panel rows (panel, members, declarations, entries, assignments, score versions), the requests
//! that change them and the views HR, auditors and panelists get. A panelist's views carry the
//! panel code and the redacted stage material, never an application id, registration number or
//! identity field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{
    panel_assignments, panel_declarations, panel_entries, panel_members, panel_scores, panels,
};
use crate::db::types::Timestamp;
pub use crate::ids::{AgencyId, ApplicationId, OpeningId, PanelId, PanelScoreId, RubricId, UserId};
use crate::openings::plan::Aggregate;

/// Where a panel stands: members join and declare while `forming`; the opening's `start-stage`
/// assigns the applications (`scoring`); the chair's lock freezes the scores (`locked`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum PanelStatus {
    Forming,
    Scoring,
    Locked,
}

crate::text_enum!(PanelStatus { Forming => "forming", Scoring => "scoring", Locked => "locked" });

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = panels)]
pub struct Panel {
    pub id: PanelId,
    pub opening_id: OpeningId,
    pub agency_id: AgencyId,
    pub stage_code: String,
    pub part_code: String,
    pub rubric_id: RubricId,
    pub min_scorers: i32,
    pub blind: bool,
    pub aggregate: String,
    pub divergence_spread_x100: i32,
    pub status: PanelStatus,
    pub assignment_seed: Option<i64>,
    pub started_at: Option<Timestamp>,
    pub locked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::guarded!(Panel, Panel, |p| Some(p.agency_id));

impl Panel {
    pub fn aggregate(&self) -> Aggregate {
        if self.aggregate == "trimmed_mean" {
            Aggregate::TrimmedMean
        } else {
            Aggregate::Mean
        }
    }
    /// `SKB/WWN` for the panel part of a composite stage, else the stage code.
    pub fn target(&self) -> String {
        if self.part_code.is_empty() {
            self.stage_code.clone()
        } else {
            format!("{}/{}", self.stage_code, self.part_code)
        }
    }
}

pub fn aggregate_text(aggregate: Aggregate) -> &'static str {
    match aggregate {
        Aggregate::Mean => "mean",
        Aggregate::TrimmedMean => "trimmed_mean",
    }
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = panel_members)]
pub struct PanelMember {
    pub panel_id: PanelId,
    pub user_id: UserId,
    pub chair: bool,
    pub internal: bool,
    pub political_party_member: bool,
    pub grant_id: crate::ids::GrantId,
    pub added_at: Timestamp,
    pub removed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = panel_declarations)]
pub struct Declaration {
    pub panel_id: PanelId,
    pub user_id: UserId,
    pub relations: String,
    pub ties: String,
    pub version: i32,
    pub declared_at: Timestamp,
}

/// A declared relation as stored: the name encrypted, the numbers as keyed hashes only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRelation {
    pub relation: RelationKind,
    pub name_enc: String,
    pub nik_hash: Option<String>,
    pub kk_hash: Option<String>,
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = panel_entries, treat_none_as_default_value = false)]
pub struct Entry {
    pub panel_id: PanelId,
    pub application_id: ApplicationId,
    pub panel_code: String,
    pub material: Option<String>,
    pub material_redacted: Option<String>,
    pub material_updated_at: Option<Timestamp>,
    pub in_roster: bool,
    pub moderation_note: Option<String>,
    pub moderated_by: Option<UserId>,
    pub moderated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = panel_assignments, treat_none_as_default_value = false)]
pub struct Assignment {
    pub panel_id: PanelId,
    pub application_id: ApplicationId,
    pub user_id: UserId,
    pub assigned_at: Timestamp,
    pub conflict_cleared_at: Option<Timestamp>,
    pub others_seen_at: Option<Timestamp>,
    pub recused_at: Option<Timestamp>,
    pub recusal_basis: Option<RecusalBasis>,
    pub recusal_reason: Option<String>,
}

#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = panel_scores)]
pub struct ScoreVersion {
    pub id: PanelScoreId,
    pub panel_id: PanelId,
    pub application_id: ApplicationId,
    pub user_id: UserId,
    pub version: i32,
    pub levels: String,
    pub justifications: String,
    pub weighted_x100: i32,
    pub amendment_reason: Option<String>,
    pub submitted_at: Timestamp,
}

impl ScoreVersion {
    pub fn parsed_levels(&self) -> Result<BTreeMap<String, i32>, crate::error::AppError> {
        serde_json::from_str(&self.levels).map_err(crate::error::AppError::internal_from)
    }
    pub fn parsed_justifications(
        &self,
    ) -> Result<BTreeMap<String, String>, crate::error::AppError> {
        serde_json::from_str(&self.justifications).map_err(crate::error::AppError::internal_from)
    }
}

/// Why a panelist no longer scores an application.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum RecusalBasis {
    /// A declared relative's NIK or KK matched the applicant's.
    DeclaredRelation,
    /// The panelist recused themselves, with a reason.
    #[serde(rename = "self")]
    SelfDeclared,
    /// At a stage that is not blind, the panelist declined to confirm "no conflict".
    DeclinedAtReveal,
}

crate::text_enum!(RecusalBasis {
    DeclaredRelation => "declared_relation", SelfDeclared => "self", DeclinedAtReveal => "declined_at_reveal",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    Spouse,
    Parent,
    Child,
    Sibling,
    InLaw,
    OtherRelative,
    CloseRelation,
}

impl RelationKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            RelationKind::Spouse => "spouse",
            RelationKind::Parent => "parent",
            RelationKind::Child => "child",
            RelationKind::Sibling => "sibling",
            RelationKind::InLaw => "in_law",
            RelationKind::OtherRelative => "other_relative",
            RelationKind::CloseRelation => "close_relation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieKind {
    FormerEmployer,
    School,
    Organisation,
}

//! Opening queries: create, change (freely in draft, as a deviation after publish); the lifecycle
//! writes are in `transition.rs`.

use diesel::prelude::*;
use serde_json::json;

use super::catalogue::store as catalogue;
use super::model::*;
use super::plan::SeatGroup;
use super::rounds::rules::{self as round_rules, RuleSetRules};
use super::rounds::store as rounds;
use super::rules::{self, Content};
use crate::agencies::model::{AgencyId, AgencyLevel};
use crate::agencies::store as agencies;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::model::UserId;
use crate::db::Conn;
use crate::db::schema::openings;
use crate::deviations::model::{DeviationKind, NewDeviation, check_justification};
use crate::deviations::store as deviations;
use crate::error::AppError;

mod transition;
pub use transition::{Guard, Transition, no_guard, transition, transition_managed};

pub fn find_by_id(conn: &mut Conn, id: OpeningId) -> Result<Option<Opening>, AppError> {
    Ok(openings::table.find(id).first(conn).optional()?)
}

/// The opening, locked until the transaction ends.
pub fn find_for_update(conn: &mut Conn, id: OpeningId) -> Result<Option<Opening>, AppError> {
    Ok(crate::find_for_update!(conn, openings, id)?)
}

pub struct OpeningFilter {
    pub scope: Option<AgencyId>,
    pub status: Option<OpeningStatus>,
    pub round_id: Option<super::rounds::model::RoundId>,
    /// Public listings: everything but drafts.
    pub published_only: bool,
}

pub fn list(
    conn: &mut Conn,
    filter: &OpeningFilter,
    after: Option<OpeningId>,
    limit: i64,
) -> Result<Vec<Opening>, AppError> {
    let mut query = openings::table.into_boxed();
    if let Some(agency) = filter.scope {
        query = query.filter(openings::agency_id.eq(agency));
    }
    if let Some(status) = filter.status {
        query = query.filter(openings::status.eq(status));
    }
    if filter.published_only {
        query = query.filter(openings::status.ne(OpeningStatus::Draft));
    }
    if let Some(round) = filter.round_id {
        query = query.filter(openings::round_id.eq(round));
    }
    if let Some(after) = after {
        query = query.filter(openings::id.gt(after));
    }
    Ok(query.order(openings::id.asc()).limit(limit).load(conn)?)
}

fn agency_level(conn: &mut Conn, agency: AgencyId) -> Result<AgencyLevel, AppError> {
    let agency = agencies::find_by_id(conn, agency)?.ok_or_else(AppError::not_found)?;
    Ok(agency.level)
}

/// The content's errors under `rules` as one 422.
fn check_content(
    content: &Content,
    rules: &RuleSetRules,
    level: AgencyLevel,
) -> Result<(), AppError> {
    let errors = rules::check_content(content, rules, level);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

fn quota(groups: &[SeatGroup]) -> i32 {
    groups.iter().map(|g| g.seats).sum()
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(AppError::internal_from)
}

pub fn create(conn: &mut Conn, ctx: &AuditContext, new: NewOpening) -> Result<Opening, AppError> {
    let agency = new.agency_id;
    let position = catalogue::find_position(conn, new.position_id)?
        .filter(|p| p.agency_id == agency)
        .ok_or_else(|| AppError::field("position_id", "no such position in this agency"))?;
    let round = rounds::find_round(conn, new.round_id)?
        .ok_or_else(|| AppError::field("round_id", "no such selection round"))?;
    round_rules::round_allows(round.kind, new.kind)
        .map_err(|error| AppError::validation(vec![error]))?;
    let rule_set =
        rounds::find_rule_set(conn, round.rule_set_id)?.ok_or_else(AppError::not_found)?;
    let content = Content {
        kind: new.kind,
        seat_groups: &new.seat_groups,
        eligibility: &new.eligibility,
        plan: &new.plan,
        opens: new.application_opens_at,
        closes: new.application_closes_at,
    };
    check_content(
        &content,
        &rule_set.parsed_rules()?,
        agency_level(conn, agency)?,
    )?;
    let code = new.code.trim().to_string();
    let taken: i64 = openings::table
        .filter(
            openings::round_id
                .eq(round.id)
                .and(openings::code.eq(&code)),
        )
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            "opening_code_taken",
            "the round already has an opening with this code",
        ));
    }
    let now = ctx.at;
    let opening = Opening {
        id: OpeningId::generate(),
        agency_id: agency,
        round_id: round.id,
        position_id: position.id,
        rule_set_id: None,
        code,
        unit: new.unit.trim().to_string(),
        location: new.location.trim().to_string(),
        kind: new.kind,
        status: OpeningStatus::Draft,
        quota: quota(&new.seat_groups),
        seat_groups: to_json(&new.seat_groups)?,
        eligibility: to_json(&new.eligibility)?,
        plan: to_json(&new.plan)?,
        application_opens_at: new.application_opens_at,
        application_closes_at: new.application_closes_at,
        current_stage: None,
        stage_locked: false,
        published_at: None,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(openings::table)
        .values(&opening)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("opening.created", "opening", opening.id)
            .agency(Some(agency))
            .payload(json!({"code": opening.code, "round_id": opening.round_id, "position_id": opening.position_id,
                "unit": opening.unit, "location": opening.location, "kind": opening.kind, "quota": opening.quota,
                "seat_groups": new.seat_groups, "eligibility": new.eligibility, "plan": new.plan,
                "application_opens_at": opening.application_opens_at, "application_closes_at": opening.application_closes_at})),
    )?;
    Ok(opening)
}

/// The rule set an opening is judged under: frozen at publish, else its round's current one.
fn rules_for(conn: &mut Conn, opening: &Opening) -> Result<RuleSetRules, AppError> {
    let id = match opening.rule_set_id {
        Some(id) => id,
        None => {
            rounds::find_round(conn, opening.round_id)?
                .ok_or_else(AppError::not_found)?
                .rule_set_id
        }
    };
    let rule_set = rounds::find_rule_set(conn, id)?.ok_or_else(AppError::not_found)?;
    rule_set.parsed_rules()
}

/// Who asks for a change, and whether they may change a published opening.
pub struct Changer {
    pub user: UserId,
    pub may_deviate: bool,
    pub may_edit_draft: bool,
}

pub fn update(
    conn: &mut Conn,
    ctx: &AuditContext,
    changer: &Changer,
    id: OpeningId,
    changes: OpeningChanges,
) -> Result<Opening, AppError> {
    let before: Opening =
        crate::find_for_update!(conn, openings, id)?.ok_or_else(AppError::not_found)?;
    let published = before.status != OpeningStatus::Draft;
    match (published, changer.may_edit_draft, changer.may_deviate) {
        (false, false, _) => {
            return Err(AppError::forbidden("the HR officer edits a draft opening"));
        }
        (true, _, false) => {
            return Err(AppError::forbidden(
                "the opening is published: a change is a deviation, made by the appointing official",
            ));
        }
        _ => {}
    }
    if before.status == OpeningStatus::Finalized {
        return Err(AppError::conflict(
            "opening_state_conflict",
            "the opening is finalized and cannot change",
        ));
    }
    let justification = if published {
        Some(check_justification(changes.justification.as_deref())?)
    } else {
        None
    };
    let mut after = before.clone();
    let mut diff = serde_json::Map::new();
    let mut note = |field: &str, from: serde_json::Value, to: serde_json::Value| {
        if from != to {
            diff.insert(field.into(), json!({"from": from, "to": to}));
        }
    };
    let seat_groups = changes
        .seat_groups
        .map_or_else(|| before.parsed_seat_groups(), Ok)?;
    let eligibility = changes
        .eligibility
        .map_or_else(|| before.parsed_eligibility(), Ok)?;
    let plan = changes.plan.map_or_else(|| before.parsed_plan(), Ok)?;
    if let Some(unit) = &changes.unit {
        after.unit = unit.trim().to_string();
    }
    if let Some(location) = &changes.location {
        after.location = location.trim().to_string();
    }
    after.application_opens_at = changes
        .application_opens_at
        .unwrap_or(before.application_opens_at);
    after.application_closes_at = changes
        .application_closes_at
        .unwrap_or(before.application_closes_at);
    after.seat_groups = to_json(&seat_groups)?;
    after.eligibility = to_json(&eligibility)?;
    after.plan = to_json(&plan)?;
    after.quota = quota(&seat_groups);
    note("unit", json!(before.unit), json!(after.unit));
    note("location", json!(before.location), json!(after.location));
    note(
        "application_opens_at",
        json!(before.application_opens_at),
        json!(after.application_opens_at),
    );
    note(
        "application_closes_at",
        json!(before.application_closes_at),
        json!(after.application_closes_at),
    );
    note(
        "seat_groups",
        json!(before.parsed_seat_groups()?),
        json!(seat_groups),
    );
    note(
        "eligibility",
        json!(before.parsed_eligibility()?),
        json!(eligibility),
    );
    note("plan", json!(before.parsed_plan()?), json!(plan));
    if diff.is_empty() {
        return Ok(before);
    }
    let rules = rules_for(conn, &before)?;
    let content = Content {
        kind: before.kind,
        seat_groups: &seat_groups,
        eligibility: &eligibility,
        plan: &plan,
        opens: after.application_opens_at,
        closes: after.application_closes_at,
    };
    check_content(&content, &rules, agency_level(conn, before.agency_id)?)?;
    after.updated_at = ctx.at;
    diesel::update(openings::table.find(id))
        .set((
            openings::unit.eq(&after.unit),
            openings::location.eq(&after.location),
            openings::seat_groups.eq(&after.seat_groups),
            openings::eligibility.eq(&after.eligibility),
            openings::plan.eq(&after.plan),
            openings::quota.eq(after.quota),
            openings::application_opens_at.eq(after.application_opens_at),
            openings::application_closes_at.eq(after.application_closes_at),
            openings::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    let diff = serde_json::Value::Object(diff);
    let deviation = match justification {
        Some(justification) => Some(deviations::record(
            conn,
            ctx,
            NewDeviation {
                agency_id: Some(before.agency_id),
                kind: DeviationKind::PublishedOpeningChanged,
                object_type: "opening",
                object_id: id.to_string(),
                justification,
                official_id: changer.user,
                details: json!({"status": before.status, "changed_fields": diff.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>())}),
            },
        )?),
        None => None,
    };
    let mut event = NewAuditEvent::new("opening.updated", "opening", id)
        .agency(Some(before.agency_id))
        .payload(json!({"changes": diff, "deviation_id": deviation.as_ref().map(|d| d.id)}));
    event.justification = deviation.map(|d| d.justification);
    audit::append(conn, ctx, event)?;
    Ok(after)
}

//! Rule set and selection round queries, each change audited in the caller's transaction.

use diesel::prelude::*;
use serde_json::json;

use super::model::*;
use super::rules::RuleSetRules;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{openings, rule_sets, selection_rounds};
use crate::error::AppError;
use crate::openings::model::OpeningStatus;

pub fn find_rule_set(conn: &mut Conn, id: RuleSetId) -> Result<Option<RuleSet>, AppError> {
    Ok(rule_sets::table.find(id).first(conn).optional()?)
}

/// Whether a published (or later) opening refers to the rule set.
pub fn rule_set_in_use(conn: &mut Conn, id: RuleSetId) -> Result<bool, AppError> {
    let count: i64 = openings::table
        .filter(openings::rule_set_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

pub fn rule_set_view(conn: &mut Conn, rule_set: RuleSet) -> Result<RuleSetView, AppError> {
    Ok(RuleSetView {
        in_use: rule_set_in_use(conn, rule_set.id)?,
        rules: rule_set.parsed_rules()?,
        id: rule_set.id,
        code: rule_set.code,
        name: rule_set.name,
        year: rule_set.year,
        updated_at: rule_set.updated_at,
    })
}

pub fn list_rule_sets(
    conn: &mut Conn,
    after: Option<RuleSetId>,
    limit: i64,
) -> Result<Vec<RuleSet>, AppError> {
    let mut query = rule_sets::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(rule_sets::id.gt(after));
    }
    Ok(query.order(rule_sets::id.asc()).limit(limit).load(conn)?)
}

fn check_rules(rules: &RuleSetRules) -> Result<String, AppError> {
    let errors = rules.validate("rules");
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    serde_json::to_string(rules).map_err(AppError::internal_from)
}

pub fn create_rule_set(
    conn: &mut Conn,
    ctx: &AuditContext,
    new: NewRuleSet,
) -> Result<RuleSet, AppError> {
    let rules = check_rules(&new.rules)?;
    let taken: i64 = rule_sets::table
        .filter(rule_sets::code.eq(&new.code))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            "rule_set_code_taken",
            "a rule set with this code already exists",
        ));
    }
    let now = ctx.at;
    let rule_set = RuleSet {
        id: RuleSetId::generate(),
        code: new.code,
        name: new.name.trim().to_string(),
        year: new.year,
        rules,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(rule_sets::table)
        .values(&rule_set)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("rule_set.created", "rule_set", rule_set.id).payload(
            json!({"code": rule_set.code, "name": rule_set.name, "year": rule_set.year, "rules": new.rules}),
        ),
    )?;
    Ok(rule_set)
}

pub fn update_rule_set(
    conn: &mut Conn,
    ctx: &AuditContext,
    id: RuleSetId,
    changes: RuleSetChanges,
) -> Result<RuleSet, AppError> {
    let before: RuleSet =
        crate::find_for_update!(conn, rule_sets, id)?.ok_or_else(AppError::not_found)?;
    if rule_set_in_use(conn, id)? {
        return Err(AppError::conflict(
            "rule_set_in_use",
            "a published opening uses this rule set; it cannot change (create a new rule set instead)",
        ));
    }
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        after.name = name.trim().to_string();
    }
    if let Some(rules) = &changes.rules {
        after.rules = check_rules(rules)?;
    }
    let mut diff = serde_json::Map::new();
    if after.name != before.name {
        diff.insert(
            "name".into(),
            json!({"from": before.name, "to": after.name}),
        );
    }
    if after.rules != before.rules {
        diff.insert("rules".into(), json!({"to": changes.rules}));
    }
    if diff.is_empty() {
        return Ok(before);
    }
    after.updated_at = ctx.at;
    diesel::update(rule_sets::table.find(id))
        .set((
            rule_sets::name.eq(&after.name),
            rule_sets::rules.eq(&after.rules),
            rule_sets::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("rule_set.updated", "rule_set", id).payload(json!({"changes": diff})),
    )?;
    Ok(after)
}

pub fn find_round(conn: &mut Conn, id: RoundId) -> Result<Option<SelectionRound>, AppError> {
    Ok(selection_rounds::table.find(id).first(conn).optional()?)
}

pub fn list_rounds(
    conn: &mut Conn,
    after: Option<RoundId>,
    limit: i64,
) -> Result<Vec<SelectionRound>, AppError> {
    let mut query = selection_rounds::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(selection_rounds::id.gt(after));
    }
    Ok(query
        .order(selection_rounds::id.asc())
        .limit(limit)
        .load(conn)?)
}

/// A round's rule set must exist and be of the round's year.
fn check_round_rule_set(conn: &mut Conn, id: RuleSetId, year: i32) -> Result<(), AppError> {
    match find_rule_set(conn, id)? {
        None => Err(AppError::field("rule_set_id", "no such rule set")),
        Some(rs) if rs.year != year => Err(AppError::field(
            "rule_set_id",
            format!(
                "the rule set is for {}, the round for {year}; a new year needs a new rule set",
                rs.year
            ),
        )),
        Some(_) => Ok(()),
    }
}

pub fn create_round(
    conn: &mut Conn,
    ctx: &AuditContext,
    new: NewRound,
) -> Result<SelectionRound, AppError> {
    check_round_rule_set(conn, new.rule_set_id, new.year)?;
    let now = ctx.at;
    let round = SelectionRound {
        id: RoundId::generate(),
        name: new.name.trim().to_string(),
        year: new.year,
        kind: new.kind,
        phase: new.phase,
        rule_set_id: new.rule_set_id,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(selection_rounds::table)
        .values(&round)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("selection_round.created", "selection_round", round.id).payload(json!({
            "name": round.name, "year": round.year, "kind": round.kind, "phase": round.phase,
            "rule_set_id": round.rule_set_id})),
    )?;
    Ok(round)
}

pub fn update_round(
    conn: &mut Conn,
    ctx: &AuditContext,
    id: RoundId,
    changes: RoundChanges,
) -> Result<SelectionRound, AppError> {
    let before: SelectionRound =
        crate::find_for_update!(conn, selection_rounds, id)?.ok_or_else(AppError::not_found)?;
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        after.name = name.trim().to_string();
    }
    if let Some(phase) = changes.phase {
        after.phase = phase;
    }
    if let Some(rule_set) = changes.rule_set_id
        && rule_set != before.rule_set_id
    {
        let published: i64 = openings::table
            .filter(
                openings::round_id
                    .eq(id)
                    .and(openings::status.ne(OpeningStatus::Draft)),
            )
            .count()
            .get_result(conn)?;
        if published > 0 {
            return Err(AppError::conflict(
                "round_rules_frozen",
                "openings of this round are published under its rule set; the rule set cannot change",
            ));
        }
        check_round_rule_set(conn, rule_set, before.year)?;
        after.rule_set_id = rule_set;
    }
    let mut diff = serde_json::Map::new();
    for (field, old, new) in [
        ("name", json!(before.name), json!(after.name)),
        ("phase", json!(before.phase), json!(after.phase)),
    ] {
        if old != new {
            diff.insert(field.into(), json!({"from": old, "to": new}));
        }
    }
    if before.rule_set_id != after.rule_set_id {
        diff.insert(
            "rule_set_id".into(),
            json!({"from": before.rule_set_id, "to": after.rule_set_id}),
        );
    }
    if diff.is_empty() {
        return Ok(before);
    }
    after.updated_at = ctx.at;
    diesel::update(selection_rounds::table.find(id))
        .set((
            selection_rounds::name.eq(&after.name),
            selection_rounds::phase.eq(&after.phase),
            selection_rounds::rule_set_id.eq(after.rule_set_id),
            selection_rounds::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("selection_round.updated", "selection_round", id)
            .payload(json!({"changes": diff})),
    )?;
    Ok(after)
}

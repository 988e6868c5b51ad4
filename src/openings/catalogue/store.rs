//! Competency and position queries, each change audited in the caller's transaction.

use diesel::prelude::*;
use serde_json::json;

use super::model::*;
use crate::agencies::model::AgencyId;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{competencies, position_competencies, positions};
use crate::error::{AppError, FieldError};

pub fn find_competency(conn: &mut Conn, id: CompetencyId) -> Result<Option<Competency>, AppError> {
    Ok(competencies::table.find(id).first(conn).optional()?)
}

/// The national catalogue plus, for an agency scope, that agency's own; `None` = everything.
pub fn list_competencies(
    conn: &mut Conn,
    scope: Option<AgencyId>,
    kind: Option<CompetencyKind>,
    after: Option<CompetencyId>,
    limit: i64,
) -> Result<Vec<Competency>, AppError> {
    let mut query = competencies::table.into_boxed();
    if let Some(agency) = scope {
        query = query.filter(
            competencies::agency_id
                .is_null()
                .or(competencies::agency_id.eq(agency)),
        );
    }
    if let Some(kind) = kind {
        query = query.filter(competencies::kind.eq(kind));
    }
    if let Some(after) = after {
        query = query.filter(competencies::id.gt(after));
    }
    Ok(query
        .order(competencies::id.asc())
        .limit(limit)
        .load(conn)?)
}

pub fn create_competency(
    conn: &mut Conn,
    ctx: &AuditContext,
    new: NewCompetency,
) -> Result<Competency, AppError> {
    let agency = new.agency_id;
    // The code is stored trimmed, so it is compared trimmed (" K-01" is K-01).
    let code = new.code.trim().to_string();
    let taken = competencies::table
        .filter(competencies::code.eq(&code))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            "competency_code_taken",
            "a competency with this code already exists",
        ));
    }
    let now = ctx.at;
    let competency = Competency {
        id: CompetencyId::generate(),
        agency_id: agency,
        code,
        kind: new.kind,
        name: new.name.trim().to_string(),
        level_descriptions: serde_json::to_string(&new.level_descriptions)
            .map_err(AppError::internal_from)?,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(competencies::table)
        .values(&competency)
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("competency.created", "competency", competency.id)
            .agency(agency)
            .payload(
                json!({"code": competency.code, "kind": competency.kind, "name": competency.name,
                "level_descriptions": new.level_descriptions}),
            ),
    )?;
    Ok(competency)
}

pub fn update_competency(
    conn: &mut Conn,
    ctx: &AuditContext,
    before: &Competency,
    changes: CompetencyChanges,
) -> Result<Competency, AppError> {
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        after.name = name.trim().to_string();
    }
    if let Some(levels) = &changes.level_descriptions {
        after.level_descriptions =
            serde_json::to_string(levels).map_err(AppError::internal_from)?;
    }
    let mut diff = serde_json::Map::new();
    if after.name != before.name {
        diff.insert(
            "name".into(),
            json!({"from": before.name, "to": after.name}),
        );
    }
    if after.level_descriptions != before.level_descriptions {
        diff.insert(
            "level_descriptions".into(),
            json!({"to": changes.level_descriptions}),
        );
    }
    if diff.is_empty() {
        return Ok(after);
    }
    after.updated_at = ctx.at;
    diesel::update(competencies::table.find(before.id))
        .set((
            competencies::name.eq(&after.name),
            competencies::level_descriptions.eq(&after.level_descriptions),
            competencies::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("competency.updated", "competency", before.id)
            .agency(before.agency_id)
            .payload(json!({"changes": diff})),
    )?;
    Ok(after)
}

pub fn find_position(conn: &mut Conn, id: PositionId) -> Result<Option<Position>, AppError> {
    Ok(positions::table.find(id).first(conn).optional()?)
}

/// The position's standard, ordered by competency code.
pub fn standard_of(conn: &mut Conn, id: PositionId) -> Result<Vec<StandardItem>, AppError> {
    let rows: Vec<(CompetencyId, String, CompetencyKind, String, i32)> =
        position_competencies::table
            .inner_join(competencies::table)
            .filter(position_competencies::position_id.eq(id))
            .select((
                competencies::id,
                competencies::code,
                competencies::kind,
                competencies::name,
                position_competencies::required_level,
            ))
            .order(competencies::code.asc())
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(competency_id, code, kind, name, required_level)| StandardItem {
                competency_id,
                code,
                kind,
                name,
                required_level,
            },
        )
        .collect())
}

pub fn position_view(conn: &mut Conn, position: Position) -> Result<PositionView, AppError> {
    let standard = standard_of(conn, position.id)?;
    Ok(PositionView {
        id: position.id,
        agency_id: position.agency_id,
        kind: position.kind,
        code: position.code,
        title: position.title,
        grade: position.grade,
        standard,
        updated_at: position.updated_at,
    })
}

pub fn list_positions(
    conn: &mut Conn,
    scope: Option<AgencyId>,
    after: Option<PositionId>,
    limit: i64,
) -> Result<Vec<Position>, AppError> {
    let mut query = positions::table.into_boxed();
    if let Some(agency) = scope {
        query = query.filter(positions::agency_id.eq(agency));
    }
    if let Some(after) = after {
        query = query.filter(positions::id.gt(after));
    }
    Ok(query.order(positions::id.asc()).limit(limit).load(conn)?)
}

/// Each competency must exist, be national or the position's agency's own, and appear once.
fn check_standard(
    conn: &mut Conn,
    agency: AgencyId,
    standard: &[RequiredLevel],
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for (i, item) in standard.iter().enumerate() {
        let field = format!("standard[{i}].competency_id");
        if standard[..i]
            .iter()
            .any(|s| s.competency_id == item.competency_id)
        {
            errors.push(FieldError::new(field, "appears twice"));
            continue;
        }
        match find_competency(conn, item.competency_id)? {
            Some(c) if c.agency_id.is_none() || c.agency_id == Some(agency) => {}
            _ => errors.push(FieldError::new(
                field,
                "no such competency in the catalogue of this agency",
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

fn replace_standard(
    conn: &mut Conn,
    id: PositionId,
    standard: &[RequiredLevel],
) -> Result<(), AppError> {
    diesel::delete(position_competencies::table.filter(position_competencies::position_id.eq(id)))
        .execute(conn)?;
    let rows: Vec<StandardRow> = standard
        .iter()
        .map(|s| StandardRow {
            position_id: id,
            competency_id: s.competency_id,
            required_level: s.required_level,
        })
        .collect();
    for row in &rows {
        diesel::insert_into(position_competencies::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

fn standard_payload(standard: &[RequiredLevel]) -> serde_json::Value {
    standard
        .iter()
        .map(|s| json!({"competency_id": s.competency_id, "required_level": s.required_level}))
        .collect()
}

pub fn create_position(
    conn: &mut Conn,
    ctx: &AuditContext,
    new: NewPosition,
) -> Result<Position, AppError> {
    let agency = new.agency_id;
    check_standard(conn, agency, &new.standard)?;
    let taken = positions::table
        .filter(
            positions::agency_id
                .eq(agency)
                .and(positions::code.eq(new.code.trim())),
        )
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            "position_code_taken",
            "the agency already has a position with this code",
        ));
    }
    let now = ctx.at;
    let position = Position {
        id: PositionId::generate(),
        agency_id: agency,
        code: new.code.trim().to_string(),
        title: new.title.trim().to_string(),
        kind: new.kind,
        grade: new.grade,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(positions::table)
        .values(&position)
        .execute(conn)?;
    replace_standard(conn, position.id, &new.standard)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("position.created", "position", position.id)
            .agency(Some(agency))
            .payload(
                json!({"code": position.code, "title": position.title, "kind": position.kind,
                "grade": position.grade, "standard": standard_payload(&new.standard)}),
            ),
    )?;
    Ok(position)
}

pub fn update_position(
    conn: &mut Conn,
    ctx: &AuditContext,
    id: PositionId,
    changes: PositionChanges,
) -> Result<Position, AppError> {
    let before: Position =
        crate::find_for_update!(conn, positions, id)?.ok_or_else(AppError::not_found)?;
    let mut after = before.clone();
    if let Some(title) = &changes.title {
        after.title = title.trim().to_string();
    }
    if let Some(kind) = changes.kind {
        after.kind = kind;
    }
    if let Some(grade) = changes.grade {
        after.grade = grade;
    }
    let mut diff = serde_json::Map::new();
    for (field, old, new) in [
        ("title", json!(before.title), json!(after.title)),
        ("kind", json!(before.kind), json!(after.kind)),
    ] {
        if old != new {
            diff.insert(field.into(), json!({"from": old, "to": new}));
        }
    }
    if before.grade != after.grade {
        diff.insert(
            "grade".into(),
            json!({"from": before.grade, "to": after.grade}),
        );
    }
    if let Some(standard) = &changes.standard {
        check_standard(conn, before.agency_id, standard)?;
        let current: Vec<(CompetencyId, i32)> = standard_of(conn, id)?
            .into_iter()
            .map(|s| (s.competency_id, s.required_level))
            .collect();
        let mut wanted: Vec<(CompetencyId, i32)> = standard
            .iter()
            .map(|s| (s.competency_id, s.required_level))
            .collect();
        let mut sorted_current = current.clone();
        sorted_current.sort();
        wanted.sort();
        if sorted_current != wanted {
            replace_standard(conn, id, standard)?;
            diff.insert("standard".into(), json!({"to": standard_payload(standard)}));
        }
    }
    if diff.is_empty() {
        return Ok(before);
    }
    after.updated_at = ctx.at;
    diesel::update(positions::table.find(id))
        .set((
            positions::title.eq(&after.title),
            positions::kind.eq(&after.kind),
            positions::grade.eq(after.grade),
            positions::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        NewAuditEvent::new("position.updated", "position", id)
            .agency(Some(before.agency_id))
            .payload(json!({"changes": diff})),
    )?;
    Ok(after)
}

//! Deviation queries. A deviation is written with its audit event in the caller's transaction.

use diesel::prelude::*;
use serde_json::json;

use super::model::*;
use crate::agencies::model::AgencyId;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::deviations;
use crate::error::AppError;

pub fn record(
    conn: &mut Conn,
    ctx: &AuditContext,
    new: NewDeviation,
) -> Result<Deviation, AppError> {
    let deviation = Deviation {
        id: DeviationId::generate(),
        agency_id: new.agency_id,
        kind: new.kind,
        object_type: new.object_type.into(),
        object_id: new.object_id,
        justification: new.justification,
        official_id: new.official_id,
        details: serde_json::to_string(&new.details).map_err(AppError::internal_from)?,
        created_at: ctx.at,
    };
    diesel::insert_into(deviations::table)
        .values(&deviation)
        .execute(conn)?;
    let mut event = NewAuditEvent::new("deviation.recorded", "deviation", deviation.id)
        .agency(deviation.agency_id)
        .payload(
            json!({"kind": deviation.kind, "object_type": deviation.object_type,
            "object_id": deviation.object_id, "details": new.details}),
        );
    event.justification = Some(deviation.justification.clone());
    audit::append(conn, ctx, event)?;
    Ok(deviation)
}

pub struct DeviationFilter {
    pub scope: Option<AgencyId>,
    pub kind: Option<DeviationKind>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
}

pub fn list(
    conn: &mut Conn,
    filter: &DeviationFilter,
    after: Option<DeviationId>,
    limit: i64,
) -> Result<Vec<Deviation>, AppError> {
    let mut query = deviations::table.into_boxed();
    if let Some(agency) = filter.scope {
        query = query.filter(deviations::agency_id.eq(agency));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(deviations::kind.eq(kind));
    }
    if let Some(object_type) = &filter.object_type {
        query = query.filter(deviations::object_type.eq(object_type.clone()));
    }
    if let Some(object_id) = &filter.object_id {
        query = query.filter(deviations::object_id.eq(object_id.clone()));
    }
    if let Some(after) = after {
        query = query.filter(deviations::id.gt(after));
    }
    Ok(query.order(deviations::id.asc()).limit(limit).load(conn)?)
}

pub fn find_by_id(conn: &mut Conn, id: DeviationId) -> Result<Option<Deviation>, AppError> {
    Ok(deviations::table.find(id).first(conn).optional()?)
}

/// The view, with the sequence number of its sealed audit event.
pub fn view(conn: &mut Conn, d: Deviation) -> Result<DeviationView, AppError> {
    let audit_seq = crate::audit::store::first_seq_of(conn, "deviation", &d.id.to_string())?;
    Ok(DeviationView {
        id: d.id,
        agency_id: d.agency_id,
        kind: d.kind,
        object_type: d.object_type,
        object_id: d.object_id,
        justification: d.justification,
        official_id: d.official_id,
        details: serde_json::from_str(&d.details).map_err(AppError::internal_from)?,
        audit_seq,
        created_at: d.created_at,
    })
}

//! The deviations report: every deviation in the caller's scope, filtered by agency, year, kind
//! and the official who decided, with counts per agency and kind over the whole filtered set —
//! the list an inspectorate starts from.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Deviation, DeviationId, DeviationKind};
use crate::agencies::model::AgencyId;
use crate::auth::model::UserId;
use crate::db::Conn;
use crate::db::schema::deviations;
use crate::db::types::Timestamp;
use crate::error::AppError;

type Backend = <Conn as diesel::Connection>::Backend;

/// Western Indonesian Time (WIB, UTC+7, no daylight saving): the year of a deviation is the
/// calendar year in Jakarta, where the national civil-service agency keeps its books.
const WIB_OFFSET_HOURS: i64 = 7;

pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;

pub struct ReportFilter {
    /// The caller's agency for an agency-bound caller, `None` for a national one.
    pub scope: Option<AgencyId>,
    pub agency: Option<AgencyId>,
    pub year: Option<i32>,
    pub kind: Option<DeviationKind>,
    pub official: Option<UserId>,
}

/// The first instant of `year` in WIB, as UTC.
fn year_start(year: i32) -> Result<Timestamp, AppError> {
    let midnight = Utc
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| AppError::field("year", "is not a calendar year"))?;
    Ok(Timestamp::from_datetime(
        midnight - Duration::hours(WIB_OFFSET_HOURS),
    ))
}

fn filtered(filter: &ReportFilter) -> Result<deviations::BoxedQuery<'static, Backend>, AppError> {
    let mut query = deviations::table.into_boxed();
    if let Some(scope) = filter.scope {
        query = query.filter(deviations::agency_id.eq(scope));
    }
    if let Some(agency) = filter.agency {
        query = query.filter(deviations::agency_id.eq(agency));
    }
    if let Some(year) = filter.year {
        query = query
            .filter(deviations::created_at.ge(year_start(year)?))
            .filter(deviations::created_at.lt(year_start(year + 1)?));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(deviations::kind.eq(kind));
    }
    if let Some(official) = filter.official {
        query = query.filter(deviations::official_id.eq(official));
    }
    Ok(query)
}

/// One page of the filtered deviations, oldest first.
pub fn page(
    conn: &mut Conn,
    filter: &ReportFilter,
    after: Option<DeviationId>,
    limit: i64,
) -> Result<Vec<Deviation>, AppError> {
    let mut query = filtered(filter)?;
    if let Some(after) = after {
        query = query.filter(deviations::id.gt(after));
    }
    Ok(query.order(deviations::id.asc()).limit(limit).load(conn)?)
}

/// Deviations of one kind in one agency, within the report's filters.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviationCount {
    /// `null` for national objects.
    pub agency_id: Option<AgencyId>,
    pub kind: DeviationKind,
    pub count: i64,
}

/// How many deviations of each kind each agency has in the filtered set, ordered by agency
/// (national objects first) and kind.
pub fn counts(conn: &mut Conn, filter: &ReportFilter) -> Result<Vec<DeviationCount>, AppError> {
    let rows: Vec<(Option<AgencyId>, DeviationKind)> = filtered(filter)?
        .select((deviations::agency_id, deviations::kind))
        .load(conn)?;
    let mut counts: BTreeMap<(Option<String>, &'static str), DeviationCount> = BTreeMap::new();
    for (agency_id, kind) in rows {
        let key = (agency_id.map(|a| a.to_string()), kind.as_str());
        counts
            .entry(key)
            .or_insert(DeviationCount {
                agency_id,
                kind,
                count: 0,
            })
            .count += 1;
    }
    Ok(counts.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_runs_from_midnight_to_midnight_in_jakarta() {
        let start = year_start(2026).unwrap().to_rfc3339();
        assert!(start.starts_with("2025-12-31T17:00:00"), "{start}");
        let next = year_start(2027).unwrap().to_rfc3339();
        assert!(next.starts_with("2026-12-31T17:00:00"), "{next}");
    }
}

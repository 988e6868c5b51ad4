//! Refused attempts to change locked results (an import into a locked stage, a score correction
//! by someone not allowed) are themselves audited: one event, in its own transaction after the
//! refusal, at most once per actor, stage and minute. The attempts folded into no event of their
//! own are counted and carried by the next event for the same actor and stage.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::agencies::model::AgencyId;
use crate::applications::model::ApplicationId;
use crate::audit::model::{AuditContext, NewAuditEvent};
use crate::audit::store as audit;
use crate::auth::model::UserId;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::openings::model::OpeningId;
use crate::openings::rounds::model::RoundId;
use crate::ranking::scores::import::ScoreImportReport;

/// How long one event stands for the refused attempts of one actor at one stage.
const WINDOW_SECONDS: i64 = 60;

/// Whose refused attempts at which stage one event stands for. `object` is the selection round
/// (imports) or the opening (corrections) whose stage `stage` is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefusalKey {
    pub actor: UserId,
    pub object: String,
    pub stage: String,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    opened_at: DateTime<Utc>,
    /// Refused attempts in this window after the one its event recorded.
    folded: u32,
}

/// In-process limiter of refusal events (a restart forgets it, so the first refusal after a
/// restart writes a new event even within the same minute).
#[derive(Debug, Default)]
pub struct RefusalLimiter {
    windows: Mutex<HashMap<RefusalKey, Window>>,
}

impl RefusalLimiter {
    /// Counts one refused attempt at `now`. Returns `Some(attempts)` when an event is due, with
    /// how many refused attempts it stands for (this one and those folded since the previous
    /// event); `None` when the attempt is folded into the current minute's event.
    pub fn admit(&self, key: RefusalKey, now: DateTime<Utc>) -> Option<u32> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window_open = |w: &Window| now < w.opened_at + Duration::seconds(WINDOW_SECONDS);
        if let Some(window) = windows.get_mut(&key)
            && window_open(window)
        {
            window.folded = window.folded.saturating_add(1);
            return None;
        }
        // Closed windows with nothing folded no longer matter.
        windows.retain(|_, w| window_open(w) || w.folded > 0);
        let carried = windows.remove(&key).map_or(0, |w| w.folded);
        windows.insert(
            key,
            Window {
                opened_at: now,
                folded: 0,
            },
        );
        Some(carried.saturating_add(1))
    }
}

/// Records a refused import (rows for a locked stage), in its own transaction.
pub fn record_refused_import(
    conn: &mut Conn,
    ctx: &AuditContext,
    round: RoundId,
    scope: Option<AgencyId>,
    report: &ScoreImportReport,
    rows_locked: u64,
    attempts: u32,
) -> Result<(), AppError> {
    let event = NewAuditEvent::new("objective_scores.refused", "selection_round", round)
        .agency(scope)
        .payload(json!({
            "reason": "results_locked", "stage_code": report.stage_code, "mode": report.mode,
            "file_sha256": report.file_sha256, "rows_read": report.rows_read,
            "rows_locked": rows_locked, "rows_rejected": report.rows_rejected,
            "rows_accepted": report.rows_accepted, "recorded": report.recorded,
            "attempts": attempts,
        }));
    db::write_transaction(conn, |conn| audit::append(conn, ctx, event))
}

/// What a refused score correction asked to change.
pub struct RefusedCorrection<'a> {
    pub application: ApplicationId,
    pub opening: OpeningId,
    pub agency: AgencyId,
    pub stage_code: &'a str,
    pub stage_locked: bool,
}

/// What a refused correction of `application` at `stage_code` aimed at; `None` when there is
/// no such application or its plan has no SKD stage with this code (nothing to record).
pub fn refused_correction<'a>(
    conn: &mut Conn,
    application: ApplicationId,
    stage_code: &'a str,
) -> Result<Option<RefusedCorrection<'a>>, AppError> {
    use diesel::prelude::*;

    use crate::db::schema::{applications, openings};
    use crate::openings::model::Opening;
    use crate::ranking::scores::rules::{self, StageLookup};

    let Some((opening_id, agency)) = applications::table
        .find(application)
        .select((applications::opening_id, applications::agency_id))
        .first::<(OpeningId, AgencyId)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let opening: Opening = openings::table.find(opening_id).first(conn)?;
    let StageLookup::Skd(index, _) = rules::stage_lookup(&opening, stage_code)? else {
        return Ok(None);
    };
    Ok(Some(RefusedCorrection {
        application,
        opening: opening_id,
        agency,
        stage_code,
        stage_locked: rules::correction_allowed(&opening, index).is_ok(),
    }))
}

/// Records a score correction refused to its caller (not allowed), in its own transaction.
pub fn record_refused_correction(
    conn: &mut Conn,
    ctx: &AuditContext,
    refused: &RefusedCorrection,
    attempts: u32,
) -> Result<(), AppError> {
    let event = NewAuditEvent::new(
        "score_correction.refused",
        "application",
        refused.application,
    )
    .agency(Some(refused.agency))
    .payload(json!({
        "reason": "forbidden", "opening_id": refused.opening, "stage_code": refused.stage_code,
        "stage_locked": refused.stage_locked, "attempts": attempts,
    }));
    db::write_transaction(conn, |conn| audit::append(conn, ctx, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static ACTOR: UserId = UserId::generate();
    }

    fn key(stage: &str) -> RefusalKey {
        RefusalKey {
            actor: ACTOR.with(|a| *a),
            object: "selection_round:r1".into(),
            stage: stage.into(),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_733_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn one_event_a_minute_carries_the_attempts_folded_since_the_last() {
        let limiter = RefusalLimiter::default();
        assert_eq!(limiter.admit(key("SKD"), at(0)), Some(1));
        assert_eq!(limiter.admit(key("SKD"), at(10)), None);
        assert_eq!(limiter.admit(key("SKD"), at(59)), None);
        // Another stage has its own minute.
        assert_eq!(limiter.admit(key("SKB"), at(30)), Some(1));
        // The minute is over: this event stands for itself and the two folded attempts.
        assert_eq!(limiter.admit(key("SKD"), at(60)), Some(3));
        assert_eq!(limiter.admit(key("SKD"), at(200)), Some(1));
    }
}

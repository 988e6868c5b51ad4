//! Validation of an assessment plan and its seat groups against the round's rule set and the
//! agency's level: every problem names its field. Pure: no database.

use std::collections::BTreeSet;

use super::{
    Advance, Aggregate, AssessmentPlan, PanelSpec, PlanContext, SCREENING, SKD, SeatGroup, Stage,
    StageKind,
};
use crate::error::FieldError;
use crate::openings::rounds::rules::{PartKind, RuleSetRules};

/// Validates seat groups: at least one, unique, positive seats, each with a threshold set, and
/// at most [`MAX_SEATS`] in all.
pub fn validate_seat_groups(groups: &[SeatGroup], rules: &RuleSetRules) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if groups.is_empty() {
        errors.push(FieldError::new(
            "seat_groups",
            "at least one seat group is required",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, group) in groups.iter().enumerate() {
        if !seen.insert(group.group.as_str()) {
            errors.push(FieldError::new(
                format!("seat_groups[{i}].group"),
                "appears twice",
            ));
        }
        if rules.threshold_set_for(&group.group).is_none() {
            errors.push(FieldError::new(
                format!("seat_groups[{i}].group"),
                format!(
                    "the rule set has no threshold set for seat group {}",
                    group.group
                ),
            ));
        }
        if !(1..=100_000).contains(&group.seats) {
            errors.push(FieldError::new(
                format!("seat_groups[{i}].seats"),
                "must be between 1 and 100000",
            ));
        }
    }
    let total: i64 = groups.iter().map(|g| i64::from(g.seats)).sum();
    if total > MAX_SEATS {
        errors.push(FieldError::new(
            "seat_groups",
            format!("the seats of all groups must add up to at most {MAX_SEATS}, not {total}"),
        ));
    }
    errors
}

/// The most seats one opening can have, in all its seat groups.
pub const MAX_SEATS: i64 = 100_000;

/// Every problem with the plan, each naming its field (`plan.stages[1].parts[0].weight_percent`).
pub fn validate_plan(plan: &AssessmentPlan, ctx: &PlanContext) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if plan.stages.is_empty() {
        errors.push(FieldError::new(
            "plan.stages",
            "at least one stage is required",
        ));
        return errors;
    }
    let mut codes = BTreeSet::new();
    for (i, stage) in plan.stages.iter().enumerate() {
        let field = |rest: &str| format!("plan.stages[{i}].{rest}");
        if !codes.insert(stage.code.as_str()) {
            errors.push(FieldError::new(
                field("code"),
                format!("stage {} appears twice", stage.code),
            ));
        }
        validate_stage(stage, ctx, &field, &mut errors);
    }
    // In i64: weights far out of range (reported above) must not overflow or wrap to 100.
    let total: i64 = plan
        .stages
        .iter()
        .map(|s| i64::from(s.weight_percent))
        .sum();
    if total != 100 {
        errors.push(FieldError::new(
            "plan.stages",
            format!("stage weights must sum to 100 percent, not {total}"),
        ));
    }
    errors
}

fn validate_stage(
    stage: &Stage,
    ctx: &PlanContext,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) {
    let mut err = |f: &str, m: String| errors.push(FieldError::new(field(f), m));
    if stage.code.trim().is_empty() {
        err("code", "must not be blank".into());
    }
    if stage.name.trim().is_empty() {
        err("name", "must not be blank".into());
    }
    if stage.code == SCREENING && stage.kind != StageKind::Administrative {
        err(
            "code",
            format!(
                "`{SCREENING}` names administrative screening; a scored stage needs another code"
            ),
        );
    }
    if !(0..=100).contains(&stage.weight_percent) {
        err("weight_percent", "must be between 0 and 100".into());
    }
    let is_skd = stage.test.as_deref() == Some(SKD);
    match stage.kind {
        StageKind::Administrative => {
            if stage.weight_percent != 0 {
                err(
                    "weight_percent",
                    "an administrative stage carries no weight".into(),
                );
            }
        }
        StageKind::Objective => {
            if let Some(test) = stage.test.as_deref().filter(|t| *t != SKD) {
                err(
                    "test",
                    format!("unknown test {test}; only `skd` comes from the rule set"),
                );
            }
            if is_skd && stage.weight_percent != ctx.rules.final_weights.skd {
                err(
                    "weight_percent",
                    format!(
                        "the rule set weighs SKD at {} percent",
                        ctx.rules.final_weights.skd
                    ),
                );
            }
        }
        StageKind::Panel => match &stage.panel {
            None => err(
                "panel",
                "a panel stage needs its scoring (min_scorers, blind, aggregate)".into(),
            ),
            Some(panel) => validate_panel(panel, &mut err),
        },
        StageKind::Composite => {}
    }
    if stage.kind != StageKind::Objective && stage.test.is_some() {
        err("test", "only an objective stage takes a test".into());
    }
    if stage.kind != StageKind::Panel && stage.panel.is_some() {
        err(
            "panel",
            "only a panel stage takes panel scoring; composite parts carry their own".into(),
        );
    }
    let range = stage.range(ctx.rules);
    match (stage.kind, range) {
        (StageKind::Administrative, _) => {
            if stage.score_min.is_some() || stage.score_max.is_some() {
                err("score_max", "an administrative stage has no score".into());
            }
        }
        (_, None) => err("score_max", "score_min and score_max are required".into()),
        (_, Some((min, max))) if is_skd => {
            if stage.score_min.is_some_and(|m| m != min)
                || stage.score_max.is_some_and(|m| m != max)
            {
                err(
                    "score_max",
                    format!("the SKD range is {min} to {max} under the rule set"),
                );
            }
        }
        (_, Some((min, max))) => {
            if min < 0 || max <= min {
                err(
                    "score_max",
                    "the range must satisfy 0 <= score_min < score_max".into(),
                );
            }
        }
    }
    if let (Some(minimum), Some((min, max))) = (stage.total_minimum, range)
        && !(min..=max).contains(&minimum)
    {
        err(
            "total_minimum",
            format!("must lie within the stage's range {min} to {max}"),
        );
    }
    if stage.kind == StageKind::Administrative && stage.total_minimum.is_some() {
        err(
            "total_minimum",
            "an administrative stage has no score".into(),
        );
    }
    match stage.advance {
        Some(Advance::MultipleOfQuota { multiplier }) if !(1..=100).contains(&multiplier) => {
            err("advance.multiplier", "must be between 1 and 100".into())
        }
        Some(Advance::Absolute { count }) if count < 1 => {
            err("advance.count", "must be at least 1".into())
        }
        _ => {}
    }
    let mut tie_keys: Vec<&str> = vec!["total", "gpa", "older"];
    if is_skd {
        tie_keys.extend(ctx.rules.skd.subtests.iter().map(|s| s.code.as_str()));
    }
    tie_keys.extend(stage.parts.iter().map(|p| p.code.as_str()));
    for (k, key) in stage.tie_break.iter().enumerate() {
        if !tie_keys.contains(&key.as_str()) {
            err(
                &format!("tie_break[{k}]"),
                format!("{key} is not a tie-break key of this stage"),
            );
        }
    }
    if stage.kind == StageKind::Composite {
        validate_parts(stage, ctx, field, errors);
    } else if !stage.parts.is_empty() {
        errors.push(FieldError::new(
            field("parts"),
            "only a composite stage has parts",
        ));
    }
}

/// `err` receives a field relative to the stage or part (`panel.min_scorers`).
fn validate_panel(panel: &PanelSpec, err: &mut dyn FnMut(&str, String)) {
    if !(2..=15).contains(&panel.min_scorers) {
        err(
            "panel.min_scorers",
            "at least 2 independent scorers, at most 15".into(),
        );
    }
    if panel.aggregate == Aggregate::TrimmedMean && panel.min_scorers < 3 {
        err(
            "panel.aggregate",
            "a trimmed mean needs at least 3 scorers".into(),
        );
    }
}

fn validate_parts(
    stage: &Stage,
    ctx: &PlanContext,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) {
    if stage.parts.is_empty() {
        errors.push(FieldError::new(
            field("parts"),
            "a composite stage needs at least one part",
        ));
        return;
    }
    let bounds = ctx.rules.part_bounds(ctx.agency_level);
    let mut codes = BTreeSet::new();
    for (j, part) in stage.parts.iter().enumerate() {
        let part_field = format!("parts[{j}]");
        let mut err = |f: &str, m: String| {
            errors.push(FieldError::new(field(&format!("{part_field}.{f}")), m))
        };
        if !codes.insert(part.code.as_str()) {
            err("code", format!("part {} appears twice", part.code));
        }
        if !(0..=100).contains(&part.weight_percent) {
            err("weight_percent", "must be between 0 and 100".into());
        }
        if part.score_min < 0 || part.score_max <= part.score_min {
            err(
                "score_max",
                "the range must satisfy 0 <= score_min < score_max".into(),
            );
        }
        if part.kind == PartKind::Interview && part.panel.is_none() {
            err(
                "panel",
                "an interview is scored by a panel: give min_scorers, blind and aggregate".into(),
            );
        }
        if let Some(panel) = &part.panel {
            validate_panel(panel, &mut err);
        }
        if let Some(bounds) = &bounds {
            let level = ctx.agency_level.as_str();
            match bounds.iter().find(|b| b.part_kind == part.kind) {
                None => err(
                    "kind",
                    format!(
                        "the rule set allows no {} part for {level} agencies",
                        part.kind.as_str()
                    ),
                ),
                Some(b) if !(b.min_percent..=b.max_percent).contains(&part.weight_percent) => err(
                    "weight_percent",
                    format!(
                        "a {} part of a {level} agency must weigh {} to {} percent of the stage",
                        part.kind.as_str(),
                        b.min_percent,
                        b.max_percent
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    if let Some(bounds) = &bounds {
        for bound in bounds {
            let count = stage
                .parts
                .iter()
                .filter(|p| p.kind == bound.part_kind)
                .count() as i32;
            if bound.max_count.is_some_and(|n| count > n) {
                errors.push(FieldError::new(
                    field("parts"),
                    format!(
                        "at most {} {} part(s) allowed",
                        bound.max_count.unwrap_or(0),
                        bound.part_kind.as_str()
                    ),
                ));
            }
            let required = bound.min_percent > 0;
            if required && count == 0 {
                errors.push(FieldError::new(
                    field("parts"),
                    format!(
                        "a {} part of at least {} percent is required",
                        bound.part_kind.as_str(),
                        bound.min_percent
                    ),
                ));
            }
        }
    }
    let total: i64 = stage
        .parts
        .iter()
        .map(|p| i64::from(p.weight_percent))
        .sum();
    if total != 100 {
        errors.push(FieldError::new(
            field("parts"),
            format!("part weights must sum to 100 percent of the stage, not {total}"),
        ));
    }
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;

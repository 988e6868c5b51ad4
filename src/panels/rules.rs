//! The rules of panel scoring as plain functions: which plan entry a panel scores, the JPT
//! composition rules, when a panel may start, what a valid score is, and when the chair may
//! lock. Pure: no database, no HTTP.

use std::collections::BTreeMap;

use super::rubrics::model::Criterion;
use crate::error::{AppError, FieldError};
use crate::openings::plan::{AssessmentPlan, PanelSpec, StageKind};

/// The plan entry a panel scores: its panel spec and the score range of the stage or part.
#[derive(Debug, Clone)]
pub struct PanelTarget {
    pub spec: PanelSpec,
    pub stage_index: usize,
    pub score_min: i32,
    pub score_max: i32,
}

/// Finds the panel stage `stage`, or the panel part `part` of the composite stage `stage`.
pub fn panel_target(
    plan: &AssessmentPlan,
    stage: &str,
    part: Option<&str>,
) -> Result<PanelTarget, AppError> {
    let (index, found) = plan
        .stages
        .iter()
        .enumerate()
        .find(|(_, s)| s.code == stage)
        .ok_or_else(|| AppError::field("stage_code", format!("the plan has no stage {stage}")))?;
    let not_panel = |field: &str, what: String| AppError::field(field, what);
    match (found.kind, part) {
        (StageKind::Panel, None) => Ok(PanelTarget {
            spec: found.panel.clone().ok_or_else(|| {
                not_panel("stage_code", format!("stage {stage} has no panel spec"))
            })?,
            stage_index: index,
            score_min: found.score_min.unwrap_or(0),
            score_max: found.score_max.unwrap_or(100),
        }),
        (StageKind::Composite, Some(part)) => {
            let p = found.parts.iter().find(|p| p.code == part).ok_or_else(|| {
                not_panel("part_code", format!("stage {stage} has no part {part}"))
            })?;
            Ok(PanelTarget {
                spec: p.panel.clone().ok_or_else(|| {
                    not_panel(
                        "part_code",
                        format!("part {part} of {stage} is not scored by a panel"),
                    )
                })?,
                stage_index: index,
                score_min: p.score_min,
                score_max: p.score_max,
            })
        }
        (StageKind::Composite, None) => Err(not_panel(
            "part_code",
            format!("stage {stage} is composite: name its panel part"),
        )),
        (_, Some(_)) => Err(not_panel(
            "part_code",
            format!("stage {stage} has no parts"),
        )),
        (kind, None) => Err(not_panel(
            "stage_code",
            format!(
                "stage {stage} is a {} stage, not a panel stage",
                kind.as_str()
            ),
        )),
    }
}

/// What the JPT rules look at in a panel's membership.
#[derive(Debug, Clone, Copy)]
pub struct Composition {
    pub members: usize,
    pub internal: usize,
    pub party_members: usize,
}

/// Most internal members a JPT panel may have: 45 % of the members.
pub const JPT_MAX_INTERNAL_PERCENT: usize = 45;

/// High-leadership (JPT) open selection: 5 to 9 members, an odd number, at most 45 % from
/// inside the agency, no member of a political party. 422 naming the first rule broken.
pub fn check_jpt_composition(c: Composition) -> Result<(), AppError> {
    let refuse = |code: &'static str, detail: String| AppError::Invalid {
        code,
        detail,
        errors: vec![FieldError::new(
            "members",
            "the JPT panel composition rules",
        )],
    };
    if !(5..=9).contains(&c.members) {
        return Err(refuse(
            "jpt_panel_size",
            format!("a JPT panel has 5 to 9 members; this one has {}", c.members),
        ));
    }
    if c.members.is_multiple_of(2) {
        return Err(refuse(
            "jpt_panel_even",
            format!(
                "a JPT panel has an odd number of members; this one has {}",
                c.members
            ),
        ));
    }
    if c.internal * 100 > c.members * JPT_MAX_INTERNAL_PERCENT {
        return Err(refuse(
            "jpt_panel_internal_share",
            format!(
                "at most {JPT_MAX_INTERNAL_PERCENT}% of a JPT panel may come from the agency; {} of {} do",
                c.internal, c.members
            ),
        ));
    }
    if c.party_members > 0 {
        return Err(refuse(
            "jpt_panel_party_member",
            format!(
                "no member of a JPT panel may belong to a political party; {} do",
                c.party_members
            ),
        ));
    }
    Ok(())
}

/// What must hold before a panel's stage starts.
pub struct Readiness<'a> {
    pub target: &'a str,
    pub members: usize,
    pub chairs: usize,
    pub min_scorers: i32,
    /// Members who have not declared (by id, for HR).
    pub undeclared: Vec<String>,
}

pub fn check_ready(r: &Readiness) -> Result<(), AppError> {
    let conflict = |code, detail| Err(AppError::conflict(code, detail));
    if r.members < r.min_scorers as usize {
        return conflict(
            "panel_too_small",
            format!(
                "the panel of {} has {} members but each application needs {} scorers",
                r.target, r.members, r.min_scorers
            ),
        );
    }
    if r.chairs != 1 {
        return conflict(
            "panel_chair_missing",
            format!("the panel of {} needs exactly one chair", r.target),
        );
    }
    if !r.undeclared.is_empty() {
        return conflict(
            "declaration_missing",
            format!(
                "every member declares conflicts of interest before the stage starts; not yet: {}",
                r.undeclared.join(", ")
            ),
        );
    }
    Ok(())
}

/// A score must give every criterion of the rubric a level of its scale, name no other
/// criterion, and justify each level at either end of the scale (in at least 20 characters).
pub fn check_score(
    criteria: &[Criterion],
    scale: (i32, i32),
    levels: &BTreeMap<String, i32>,
    justifications: &BTreeMap<String, String>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let (min, max) = scale;
    for criterion in criteria {
        let field = format!("levels.{}", criterion.code);
        match levels.get(&criterion.code) {
            None => errors.push(FieldError::new(&field, "a level is required")),
            Some(level) if !(min..=max).contains(level) => {
                errors.push(FieldError::new(&field, format!("must be between {min} and {max}")))
            }
            Some(level) if (*level == min || *level == max) && !justified(justifications, &criterion.code) => {
                errors.push(FieldError::new(
                    format!("justifications.{}", criterion.code),
                    "a level at either end of the scale needs a justification of at least 20 characters",
                ))
            }
            Some(_) => {}
        }
    }
    let known = |code: &String| criteria.iter().any(|c| &c.code == code);
    for code in levels.keys().filter(|c| !known(c)) {
        errors.push(FieldError::new(
            format!("levels.{code}"),
            "the rubric has no such criterion",
        ));
    }
    for (code, text) in justifications {
        if !known(code) {
            errors.push(FieldError::new(
                format!("justifications.{code}"),
                "the rubric has no such criterion",
            ));
        } else if text.chars().count() > 4000 {
            errors.push(FieldError::new(
                format!("justifications.{code}"),
                "at most 4000 characters",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Shortest justification of a level at either end of the scale.
pub const MIN_END_JUSTIFICATION_CHARS: usize = 20;

fn justified(justifications: &BTreeMap<String, String>, code: &str) -> bool {
    justifications
        .get(code)
        .is_some_and(|t| t.trim().chars().count() >= MIN_END_JUSTIFICATION_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panels::rubrics::model::LevelDescriptor;

    fn c(members: usize, internal: usize, party_members: usize) -> Composition {
        Composition {
            members,
            internal,
            party_members,
        }
    }

    fn code_of(r: Result<(), AppError>) -> &'static str {
        match r {
            Err(AppError::Invalid { code, .. }) | Err(AppError::Conflict { code, .. }) => code,
            Ok(()) => "ok",
            Err(_) => "other",
        }
    }

    #[test]
    fn jpt_panels_have_five_to_nine_members_odd_and_at_most_45_percent_internal() {
        assert_eq!(code_of(check_jpt_composition(c(5, 2, 0))), "ok");
        assert_eq!(code_of(check_jpt_composition(c(9, 4, 0))), "ok");
        assert_eq!(code_of(check_jpt_composition(c(3, 0, 0))), "jpt_panel_size");
        assert_eq!(
            code_of(check_jpt_composition(c(11, 0, 0))),
            "jpt_panel_size"
        );
        assert_eq!(code_of(check_jpt_composition(c(6, 2, 0))), "jpt_panel_even");
        // 3 of 5 = 60 %; 4 of 9 = 44.4 % passes, 5 of 9 = 55.6 % fails; 3 of 7 = 42.9 %.
        assert_eq!(
            code_of(check_jpt_composition(c(5, 3, 0))),
            "jpt_panel_internal_share"
        );
        assert_eq!(
            code_of(check_jpt_composition(c(9, 5, 0))),
            "jpt_panel_internal_share"
        );
        assert_eq!(code_of(check_jpt_composition(c(7, 3, 0))), "ok");
        assert_eq!(
            code_of(check_jpt_composition(c(7, 0, 1))),
            "jpt_panel_party_member"
        );
    }

    #[test]
    fn a_panel_starts_with_enough_members_one_chair_and_every_declaration() {
        let ready = |members, chairs, undeclared: Vec<String>| {
            code_of(check_ready(&Readiness {
                target: "WWN",
                members,
                chairs,
                min_scorers: 2,
                undeclared,
            }))
        };
        assert_eq!(ready(2, 1, vec![]), "ok");
        assert_eq!(ready(1, 1, vec![]), "panel_too_small");
        assert_eq!(ready(3, 0, vec![]), "panel_chair_missing");
        assert_eq!(ready(3, 1, vec!["u".into()]), "declaration_missing");
    }

    fn criteria() -> Vec<Criterion> {
        let levels = (1..=5)
            .map(|level| LevelDescriptor {
                level,
                descriptor: format!("level {level}"),
            })
            .collect();
        vec![Criterion {
            code: "K1".into(),
            name: "Integrity".into(),
            weight: 1,
            levels,
        }]
    }

    #[test]
    fn levels_at_the_ends_of_the_scale_need_a_justification() {
        let levels = |l: i32| BTreeMap::from([("K1".to_string(), l)]);
        let none = BTreeMap::new();
        assert!(check_score(&criteria(), (1, 5), &levels(3), &none).is_ok());
        assert!(check_score(&criteria(), (1, 5), &levels(5), &none).is_err());
        assert!(
            check_score(
                &criteria(),
                (1, 5),
                &levels(1),
                &BTreeMap::from([("K1".into(), "short".into())])
            )
            .is_err()
        );
        let why = BTreeMap::from([(
            "K1".to_string(),
            "Answered every case with evidence.".to_string(),
        )]);
        assert!(check_score(&criteria(), (1, 5), &levels(5), &why).is_ok());
        assert!(check_score(&criteria(), (1, 5), &levels(6), &why).is_err());
        assert!(check_score(&criteria(), (1, 5), &BTreeMap::new(), &none).is_err());
        let extra = BTreeMap::from([("K1".to_string(), 3), ("K9".to_string(), 3)]);
        assert!(check_score(&criteria(), (1, 5), &extra, &none).is_err());
    }
}

//! Job-person match (JPM): a person's assessed levels against a position's competency standard.
//! Reused by promotion and talent management.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{CompetencyId, StandardItem};

/// The gap in one competency of the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompetencyGap {
    pub competency_id: CompetencyId,
    pub code: String,
    pub required_level: i32,
    /// 0 when the person has no assessment in it.
    pub assessed_level: i32,
    /// assessed − required: negative is a shortfall, positive a surplus.
    pub gap: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobMatch {
    pub gaps: Vec<CompetencyGap>,
    /// Σ min(assessed, required) / Σ required, in hundredths of a percent (10000 = 100%):
    /// a surplus in one competency does not make up for a shortfall in another.
    pub match_basis_points: i32,
    /// Competencies of the standard where the person is below the required level.
    pub shortfalls: i32,
}

/// Computes the match; assessments of competencies outside the standard are ignored.
pub fn job_match(standard: &[StandardItem], assessed: &[(CompetencyId, i32)]) -> JobMatch {
    let gaps: Vec<CompetencyGap> = standard
        .iter()
        .map(|item| {
            let assessed_level = assessed
                .iter()
                .find(|(id, _)| *id == item.competency_id)
                .map(|(_, level)| *level)
                .unwrap_or(0);
            CompetencyGap {
                competency_id: item.competency_id,
                code: item.code.clone(),
                required_level: item.required_level,
                assessed_level,
                gap: assessed_level - item.required_level,
            }
        })
        .collect();
    let required: i64 = gaps.iter().map(|g| i64::from(g.required_level)).sum();
    let met: i64 = gaps
        .iter()
        .map(|g| i64::from(g.assessed_level.min(g.required_level)))
        .sum();
    let match_basis_points = if required == 0 {
        10_000
    } else {
        (met * 10_000 / required) as i32
    };
    JobMatch {
        shortfalls: gaps.iter().filter(|g| g.gap < 0).count() as i32,
        gaps,
        match_basis_points,
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::CompetencyKind;
    use super::*;

    fn item(code: &str, required: i32) -> StandardItem {
        StandardItem {
            competency_id: CompetencyId(uuid::Uuid::new_v4()),
            code: code.into(),
            kind: CompetencyKind::Managerial,
            name: code.into(),
            required_level: required,
        }
    }

    #[test]
    fn surplus_does_not_offset_a_shortfall_and_missing_counts_as_zero() {
        let standard = [item("M1", 3), item("M2", 4), item("T1", 3)];
        let assessed = [
            (standard[0].competency_id, 5),
            (standard[1].competency_id, 2),
            (CompetencyId(uuid::Uuid::new_v4()), 5),
        ];
        let result = job_match(&standard, &assessed);
        // met = 3 + 2 + 0 of required 10.
        assert_eq!(result.match_basis_points, 5_000);
        assert_eq!(result.shortfalls, 2);
        assert_eq!(
            result.gaps.iter().map(|g| g.gap).collect::<Vec<_>>(),
            [2, -2, -3]
        );
    }

    #[test]
    fn meeting_every_level_is_a_full_match_and_rounding_is_down() {
        let standard = [item("A", 3), item("B", 3), item("C", 3)];
        let full: Vec<_> = standard.iter().map(|s| (s.competency_id, 3)).collect();
        assert_eq!(job_match(&standard, &full).match_basis_points, 10_000);
        let partial = [
            (standard[0].competency_id, 3),
            (standard[1].competency_id, 3),
            (standard[2].competency_id, 2),
        ];
        // 8 / 9 = 88.888..% → 8888 basis points.
        assert_eq!(job_match(&standard, &partial).match_basis_points, 8_888);
    }
}

//! Aggregating the independent scores of one application into its stage result, in integer
//! fixed-point (× 100) so that every database and every run gives the same bytes: each
//! criterion's mean, the weighted total on the rubric's scale, the same mapped onto the stage's
//! score range, the spread between scorers and the divergence flag. Pure: no database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::openings::plan::Aggregate;

/// What aggregation needs of the rubric: the weight of each criterion and the scale.
#[derive(Debug, Clone)]
pub struct Scale {
    pub weights: BTreeMap<String, i64>,
    pub min: i64,
    pub max: i64,
}

/// `num / den` rounded half up, for `num ≥ 0`, `den > 0`.
fn div_round(num: i128, den: i128) -> i64 {
    ((2 * num + den) / (2 * den)) as i64
}

impl Scale {
    fn total_weight(&self) -> i128 {
        self.weights.values().map(|w| i128::from(*w)).sum()
    }

    /// Σ weight × level of one score (levels are checked against the rubric before).
    fn weighted_sum(&self, levels: &BTreeMap<String, i32>) -> i128 {
        self.weights
            .iter()
            .map(|(code, w)| i128::from(*w) * i128::from(levels.get(code).copied().unwrap_or(0)))
            .sum()
    }

    /// One score's weighted level × 100 on the rubric's scale.
    pub fn weighted_x100(&self, levels: &BTreeMap<String, i32>) -> i32 {
        let total = self.total_weight().max(1);
        div_round(100 * self.weighted_sum(levels), total) as i32
    }
}

/// One scorer's current score of the application.
#[derive(Debug, Clone)]
pub struct ScoreInput<S> {
    pub scorer: S,
    pub levels: BTreeMap<String, i32>,
}

/// The stage's own score range, onto which the weighted total is mapped.
#[derive(Debug, Clone, Copy)]
pub struct StageRange {
    pub min: i64,
    pub max: i64,
}

/// The aggregate of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Aggregated {
    /// Scores submitted (current versions).
    pub scorers: u32,
    /// Scores the aggregate is computed from (a trimmed mean drops the highest and lowest).
    pub counted: u32,
    /// `mean` or `trimmed_mean`; a trimmed mean of fewer than 3 scores falls back to the mean.
    pub aggregate: String,
    /// Mean level of each criterion × 100.
    pub criteria_x100: BTreeMap<String, i64>,
    /// Weighted mean level × 100 on the rubric's scale.
    pub weighted_total_x100: i64,
    /// The weighted total mapped linearly onto the stage's score range, × 100.
    pub stage_score_x100: i64,
    /// Highest minus lowest weighted total of the scorers, × 100.
    pub spread_x100: i64,
    /// The spread exceeds the panel's divergence threshold.
    pub divergent: bool,
}

/// Aggregates the scores of one application (at least one), ordered by scorer for ties.
pub fn aggregate<S: Ord + Clone>(
    scale: &Scale,
    range: StageRange,
    how: Aggregate,
    divergence_x100: i64,
    scores: &[ScoreInput<S>],
) -> Option<Aggregated> {
    if scores.is_empty() {
        return None;
    }
    let mut ordered: Vec<(i128, &ScoreInput<S>)> = scores
        .iter()
        .map(|s| (scale.weighted_sum(&s.levels), s))
        .collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.scorer.cmp(&b.1.scorer)));
    let weighted: Vec<i64> = scores
        .iter()
        .map(|s| i64::from(scale.weighted_x100(&s.levels)))
        .collect();
    let spread =
        weighted.iter().max().copied().unwrap_or(0) - weighted.iter().min().copied().unwrap_or(0);
    let trimmed = how == Aggregate::TrimmedMean && ordered.len() >= 3;
    let counted: Vec<&ScoreInput<S>> = if trimmed {
        ordered[1..ordered.len() - 1]
            .iter()
            .map(|(_, s)| *s)
            .collect()
    } else {
        ordered.iter().map(|(_, s)| *s).collect()
    };
    let n = counted.len() as i128;
    let criteria_x100 = scale
        .weights
        .keys()
        .map(|code| {
            let sum: i128 = counted
                .iter()
                .map(|s| i128::from(s.levels.get(code).copied().unwrap_or(0)))
                .sum();
            (code.clone(), div_round(100 * sum, n))
        })
        .collect();
    let total: i128 = counted.iter().map(|s| scale.weighted_sum(&s.levels)).sum();
    let denominator = n * scale.total_weight().max(1);
    Some(Aggregated {
        scorers: scores.len() as u32,
        counted: counted.len() as u32,
        aggregate: if trimmed { "trimmed_mean" } else { "mean" }.into(),
        criteria_x100,
        weighted_total_x100: div_round(100 * total, denominator),
        stage_score_x100: stage_score_x100(scale, range, total, denominator),
        spread_x100: spread,
        divergent: spread > divergence_x100,
    })
}

/// `100 × (stage_min + (T/D − a) / (b − a) × (stage_max − stage_min))` for the mean weighted
/// level `T/D` on the scale `a..b`, from the exact sums (no rounding before the last step).
fn stage_score_x100(scale: &Scale, range: StageRange, total: i128, denominator: i128) -> i64 {
    let above_min = total - i128::from(scale.min) * denominator;
    let width = i128::from(scale.max - scale.min).max(1);
    let stage_width = i128::from(range.max - range.min);
    100 * range.min + div_round(100 * above_min.max(0) * stage_width, denominator * width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale() -> Scale {
        // Two criteria on a 1–5 scale, weighted 60 and 40.
        Scale {
            weights: [("K1".to_string(), 60), ("K2".to_string(), 40)].into(),
            min: 1,
            max: 5,
        }
    }

    fn score(scorer: u32, k1: i32, k2: i32) -> ScoreInput<u32> {
        ScoreInput {
            scorer,
            levels: [("K1".to_string(), k1), ("K2".to_string(), k2)].into(),
        }
    }

    const RANGE: StageRange = StageRange { min: 0, max: 100 };

    #[test]
    fn the_mean_is_worked_from_the_exact_sums() {
        // Scorer 1: 0.6×4 + 0.4×3 = 3.6; scorer 2: 0.6×5 + 0.4×4 = 4.6. Mean 4.1.
        // K1 mean (4+5)/2 = 4.5; K2 (3+4)/2 = 3.5. Stage: (4.1 − 1)/4 × 100 = 77.5.
        let a = aggregate(
            &scale(),
            RANGE,
            Aggregate::Mean,
            150,
            &[score(1, 4, 3), score(2, 5, 4)],
        )
        .unwrap();
        assert_eq!(a.criteria_x100["K1"], 450);
        assert_eq!(a.criteria_x100["K2"], 350);
        assert_eq!(a.weighted_total_x100, 410);
        assert_eq!(a.stage_score_x100, 7750);
        assert_eq!(a.spread_x100, 100);
        assert!(!a.divergent);
        assert_eq!((a.scorers, a.counted), (2, 2));
    }

    #[test]
    fn thirds_round_half_up_once_at_the_end() {
        // Three scorers on K1 only (weights 60/40; K2 all 1): K1 = 2, 2, 3 → mean 7/3 = 2.333…
        let s = [score(1, 2, 1), score(2, 2, 1), score(3, 3, 1)];
        let a = aggregate(&scale(), RANGE, Aggregate::Mean, 150, &s).unwrap();
        assert_eq!(a.criteria_x100["K1"], 233);
        // Weighted: (0.6×7/3 + 0.4×1) = 1.8 → 180; stage (1.8 − 1)/4 × 100 = 20 → 2000.
        assert_eq!(a.weighted_total_x100, 180);
        assert_eq!(a.stage_score_x100, 2000);
        // 2.5 rounds up: K1 = 2, 3 → 250 exactly; 1 and 2 on a 3-way split 1.666 → 167.
        let b = aggregate(
            &scale(),
            RANGE,
            Aggregate::Mean,
            150,
            &[score(1, 1, 1), score(2, 2, 1), score(3, 2, 1)],
        )
        .unwrap();
        assert_eq!(b.criteria_x100["K1"], 167);
    }

    #[test]
    fn a_trimmed_mean_drops_the_highest_and_lowest_scorer() {
        let s = [
            score(1, 1, 1),
            score(2, 3, 3),
            score(3, 4, 4),
            score(4, 5, 5),
        ];
        let a = aggregate(&scale(), RANGE, Aggregate::TrimmedMean, 150, &s).unwrap();
        assert_eq!(a.counted, 2);
        assert_eq!(a.weighted_total_x100, 350);
        assert_eq!(a.aggregate, "trimmed_mean");
        assert_eq!(a.spread_x100, 400);
        assert!(a.divergent);
        // Fewer than three scores: the plain mean, and it says so.
        let b = aggregate(&scale(), RANGE, Aggregate::TrimmedMean, 150, &s[..2]).unwrap();
        assert_eq!((b.counted, b.aggregate.as_str()), (2, "mean"));
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_of_the_scores() {
        let s = [
            score(3, 2, 5),
            score(1, 5, 1),
            score(2, 3, 3),
            score(4, 4, 2),
        ];
        let mut r = s.clone();
        r.reverse();
        for how in [Aggregate::Mean, Aggregate::TrimmedMean] {
            assert_eq!(
                aggregate(&scale(), RANGE, how, 100, &s),
                aggregate(&scale(), RANGE, how, 100, &r)
            );
        }
    }

    #[test]
    fn the_stage_range_maps_the_scale_ends_onto_its_ends() {
        let range = StageRange { min: 20, max: 80 };
        let low = aggregate(
            &scale(),
            range,
            Aggregate::Mean,
            150,
            &[score(1, 1, 1), score(2, 1, 1)],
        )
        .unwrap();
        let high = aggregate(
            &scale(),
            range,
            Aggregate::Mean,
            150,
            &[score(1, 5, 5), score(2, 5, 5)],
        )
        .unwrap();
        assert_eq!((low.stage_score_x100, high.stage_score_x100), (2000, 8000));
        assert_eq!(scale().weighted_x100(&score(1, 5, 4).levels), 460);
    }
}

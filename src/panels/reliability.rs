//! Rater analytics for selection panels: intraclass correlation (Shrout & Fleiss 1979),
//! Koo & Li (2016) reliability bands, and per-rater leniency/severity.
//!
//! Everything here is a pure function over panelists' weighted total scores; there is no
//! I/O and no state. Degenerate inputs (too few targets or raters, ragged rows, non-finite
//! scores, zero variance) yield `None` rather than `NaN` or infinity.
//!
//! Notation follows Shrout, P. E., & Fleiss, J. L. (1979), "Intraclass correlations: Uses in
//! assessing rater reliability", *Psychological Bulletin* 86(2), 420–428: `n` targets
//! (applications), `k` raters (panelists), and the ANOVA mean squares BMS (between targets),
//! WMS (within targets), JMS (between judges) and EMS (residual).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Relative tolerance under which a sum of squares or a denominator is treated as zero.
///
/// Scores are sums of weighted criteria, so exact zeros can come out as tiny round-off
/// residues; anything this small relative to the data's own scale is "no variance".
const RELATIVE_EPSILON: f64 = 1e-12;

/// The ANOVA mean squares of a complete targets × raters matrix (Shrout & Fleiss 1979, Table 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSquares {
    /// Between-targets mean square, `SS_rows / (n − 1)`.
    pub bms: f64,
    /// Within-target mean square, `SS_within / (n (k − 1))` (one-way residual).
    pub wms: f64,
    /// Between-judges (raters) mean square, `SS_cols / (k − 1)`.
    pub jms: f64,
    /// Residual mean square of the two-way model, `SS_error / ((n − 1)(k − 1))`.
    pub ems: f64,
}

/// The six Shrout & Fleiss (1979) intraclass correlations of a fully crossed design,
/// where every rater scored every target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IccForms {
    /// ICC(1,1): one-way random, single rating (raters not identified).
    pub icc1_1: f64,
    /// ICC(2,1): two-way random, absolute agreement, single rating.
    pub icc2_1: f64,
    /// ICC(3,1): two-way mixed, consistency, single rating.
    pub icc3_1: f64,
    /// ICC(1,k): one-way random, reliability of the mean of `k` ratings.
    pub icc1_k: f64,
    /// ICC(2,k): two-way random, absolute agreement, mean of `k` ratings.
    pub icc2_k: f64,
    /// ICC(3,k): two-way mixed, consistency, mean of `k` ratings.
    pub icc3_k: f64,
    /// Number of targets `n` (rows).
    pub targets: usize,
    /// Number of raters `k` (columns).
    pub raters: usize,
}

/// The intraclass correlations of a one-way design, where each target is scored by `k`
/// raters but not necessarily the same ones (e.g. a panel of M members where each
/// application gets N < M scorers). Only the Shrout & Fleiss case-1 forms are defined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OneWayForms {
    /// ICC(1,1): reliability of a single rating.
    pub icc1_1: f64,
    /// ICC(1,k): reliability of the mean of the `k` ratings each target received.
    pub icc1_k: f64,
    /// Number of targets `n`.
    pub targets: usize,
    /// Ratings per target `k`.
    pub raters_per_target: usize,
}

/// Reliability band of an ICC value, after Koo, T. K., & Li, M. Y. (2016), "A guideline of
/// selecting and reporting intraclass correlation coefficients for reliability research",
/// *Journal of Chiropractic Medicine* 15(2), 155–163.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// ICC below 0.5.
    Poor,
    /// ICC from 0.5 up to (not including) 0.75.
    Moderate,
    /// ICC from 0.75 up to and including 0.9.
    Good,
    /// ICC above 0.9.
    Excellent,
}

/// One rater's average signed deviation from the panel mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RaterLeniency {
    /// Mean over scored targets of (this rater's score − the target's panel mean).
    /// Positive = lenient, negative = severe.
    pub mean_deviation: f64,
    /// Number of targets that contributed (targets with at least two distinct raters).
    pub scored: usize,
}

/// All six Shrout & Fleiss ICC forms from a complete targets × raters matrix
/// (`matrix[target][rater]`).
///
/// Returns `None` unless there are at least 2 targets and 2 raters, every row has the same
/// length, every score is finite, and every denominator is non-zero; in particular a matrix
/// with no variance (all values equal, or all target means equal) gives `None`.
/// Values can be negative when raters agree less than chance; they are not clamped.
pub fn two_way(matrix: &[Vec<f64>]) -> Option<IccForms> {
    let ms = two_way_mean_squares(matrix)?;
    let n = matrix.len();
    let k = common_width(matrix)?;
    let (nf, kf) = (n as f64, k as f64);
    let MeanSquares { bms, wms, jms, ems } = ms;
    let scale = bms + wms + jms + ems;
    Some(IccForms {
        icc1_1: ratio(bms - wms, bms + (kf - 1.0) * wms, scale)?,
        icc2_1: ratio(
            bms - ems,
            bms + (kf - 1.0) * ems + kf * (jms - ems) / nf,
            scale,
        )?,
        icc3_1: ratio(bms - ems, bms + (kf - 1.0) * ems, scale)?,
        icc1_k: ratio(bms - wms, bms, scale)?,
        icc2_k: ratio(bms - ems, bms + (jms - ems) / nf, scale)?,
        icc3_k: ratio(bms - ems, bms, scale)?,
        targets: n,
        raters: k,
    })
}

/// The ANOVA mean squares (BMS, WMS, JMS, EMS) of a complete targets × raters matrix.
///
/// Same preconditions as [`two_way`], except that only a completely constant matrix (zero
/// total variance) is rejected here; a residual sum of squares that round-off pushes below
/// zero is clamped to zero.
pub fn two_way_mean_squares(matrix: &[Vec<f64>]) -> Option<MeanSquares> {
    let k = common_width(matrix)?;
    let n = matrix.len();
    let (nf, kf) = (n as f64, k as f64);
    let grand = grand_mean(matrix)?;
    let ss_total = sum_sq_dev(matrix.iter().flatten().copied(), grand);
    if !has_variance(ss_total, matrix) {
        return None;
    }
    let ss_rows = kf * sum_sq_dev(matrix.iter().filter_map(|r| mean(r)), grand);
    let col_means = (0..k).filter_map(|j| mean_iter(matrix.iter().map(|r| r[j])));
    let ss_cols = nf * sum_sq_dev(col_means, grand);
    let ss_within = within_sum_sq(matrix);
    let ss_error = (ss_within - ss_cols).max(0.0);
    Some(MeanSquares {
        bms: ss_rows / (nf - 1.0),
        wms: ss_within / (nf * (kf - 1.0)),
        jms: ss_cols / (kf - 1.0),
        ems: ss_error / ((nf - 1.0) * (kf - 1.0)),
    })
}

/// ICC(1,1) and ICC(1,k) for a one-way design: `groups[target]` holds the `k` scores that
/// target received, from raters who may differ between targets.
///
/// Returns `None` unless there are at least 2 targets, every target has the same `k ≥ 2`
/// scores, every score is finite, and the data have non-zero variance and non-zero
/// denominators. On a fully crossed matrix this gives the same ICC(1,1) and ICC(1,k) as
/// [`two_way`].
pub fn one_way(groups: &[Vec<f64>]) -> Option<OneWayForms> {
    let k = common_width(groups)?;
    let n = groups.len();
    let (nf, kf) = (n as f64, k as f64);
    let grand = grand_mean(groups)?;
    let ss_total = sum_sq_dev(groups.iter().flatten().copied(), grand);
    if !has_variance(ss_total, groups) {
        return None;
    }
    let bms = kf * sum_sq_dev(groups.iter().filter_map(|g| mean(g)), grand) / (nf - 1.0);
    let wms = within_sum_sq(groups) / (nf * (kf - 1.0));
    let scale = bms + wms;
    Some(OneWayForms {
        icc1_1: ratio(bms - wms, bms + (kf - 1.0) * wms, scale)?,
        icc1_k: ratio(bms - wms, bms, scale)?,
        targets: n,
        raters_per_target: k,
    })
}

/// Koo & Li (2016) band of an ICC value.
///
/// Boundaries: `icc < 0.5` is [`Band::Poor`]; `0.5 ≤ icc < 0.75` is [`Band::Moderate`];
/// `0.75 ≤ icc ≤ 0.9` is [`Band::Good`] (0.9 itself is still good); `icc > 0.9` is
/// [`Band::Excellent`]. So 0.5 and 0.75 belong to the band above them, 0.9 to the band
/// below. A `NaN` compares false everywhere and falls to [`Band::Poor`], the conservative
/// reading.
pub fn band(icc: f64) -> Band {
    if icc > 0.9 {
        Band::Excellent
    } else if icc >= 0.75 {
        Band::Good
    } else if icc >= 0.5 {
        Band::Moderate
    } else {
        Band::Poor
    }
}

/// Leniency/severity of each rater from `(rater, target, score)` triples.
///
/// For each target the panel mean is the mean of all its scores. A rater's
/// `mean_deviation` is the average, over the targets they scored, of (their score − that
/// target's panel mean): positive means lenient, negative severe. If a rater appears more
/// than once for the same target, their scores for it are averaged first (each triple still
/// counts towards the panel mean).
///
/// Targets scored by only one distinct rater are skipped: the panel mean is then that
/// rater's own score, so the deviation is 0 by construction and says nothing. Such targets
/// are not counted in `scored`, and a rater with no remaining targets is absent from the
/// result. Non-finite scores are ignored.
pub fn leniency<R: Ord + Clone, T: Ord + Clone>(
    scores: &[(R, T, f64)],
) -> BTreeMap<R, RaterLeniency> {
    let mut sums: BTreeMap<R, (f64, usize)> = BTreeMap::new();
    for (target_mean, by_rater) in group_by_target(scores).into_values() {
        if by_rater.len() < 2 {
            continue;
        }
        for (rater, own) in by_rater {
            let entry = sums.entry(rater).or_insert((0.0, 0));
            entry.0 += own - target_mean;
            entry.1 += 1;
        }
    }
    sums.into_iter()
        .map(|(rater, (total, scored))| {
            let mean_deviation = total / scored as f64;
            (
                rater,
                RaterLeniency {
                    mean_deviation,
                    scored,
                },
            )
        })
        .collect()
}

/// Per target: (panel mean of all its finite scores, each rater's mean score for it).
fn group_by_target<R: Ord + Clone, T: Ord + Clone>(
    scores: &[(R, T, f64)],
) -> BTreeMap<T, (f64, BTreeMap<R, f64>)> {
    let mut raw: BTreeMap<T, BTreeMap<R, Vec<f64>>> = BTreeMap::new();
    for (rater, target, score) in scores.iter().filter(|s| s.2.is_finite()) {
        raw.entry(target.clone())
            .or_default()
            .entry(rater.clone())
            .or_default()
            .push(*score);
    }
    raw.into_iter()
        .filter_map(|(target, by_rater)| {
            let panel_mean = mean_iter(by_rater.values().flatten().copied())?;
            let own: BTreeMap<R, f64> = by_rater
                .into_iter()
                .filter_map(|(r, v)| mean(&v).map(|m| (r, m)))
                .collect();
            Some((target, (panel_mean, own)))
        })
        .collect()
}

/// The common row length `k` if there are ≥ 2 rows, all of the same length ≥ 2, and every
/// value is finite.
fn common_width(matrix: &[Vec<f64>]) -> Option<usize> {
    let k = matrix.first()?.len();
    let rectangular = matrix.iter().all(|row| row.len() == k);
    let finite = matrix.iter().flatten().all(|x| x.is_finite());
    (matrix.len() >= 2 && k >= 2 && rectangular && finite).then_some(k)
}

/// Whether the total sum of squares is meaningfully above zero relative to the data's size.
fn has_variance(ss_total: f64, matrix: &[Vec<f64>]) -> bool {
    let magnitude: f64 = matrix.iter().flatten().map(|x| x * x).sum();
    ss_total.is_finite() && ss_total > RELATIVE_EPSILON * magnitude.max(f64::MIN_POSITIVE)
}

/// `num / den`, or `None` when `den` is (relative to `scale`) zero or the result not finite.
fn ratio(num: f64, den: f64, scale: f64) -> Option<f64> {
    if den.abs() <= RELATIVE_EPSILON * scale.abs() || den == 0.0 {
        return None;
    }
    let value = num / den;
    value.is_finite().then_some(value)
}

/// Sum over rows of the squared deviations from each row's own mean.
fn within_sum_sq(matrix: &[Vec<f64>]) -> f64 {
    matrix
        .iter()
        .filter_map(|row| mean(row).map(|m| sum_sq_dev(row.iter().copied(), m)))
        .sum()
}

/// Mean of every value in the matrix.
fn grand_mean(matrix: &[Vec<f64>]) -> Option<f64> {
    mean_iter(matrix.iter().flatten().copied())
}

/// Sum of squared deviations of `values` from `centre`.
fn sum_sq_dev(values: impl Iterator<Item = f64>, centre: f64) -> f64 {
    values.map(|x| (x - centre) * (x - centre)).sum()
}

/// Arithmetic mean of a slice; `None` when empty.
fn mean(values: &[f64]) -> Option<f64> {
    mean_iter(values.iter().copied())
}

/// Arithmetic mean of an iterator; `None` when empty.
fn mean_iter(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    (count > 0).then(|| sum / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shrout & Fleiss (1979), Psychological Bulletin 86(2), 420–428, Table 2:
    /// 6 targets (rows) × 4 judges (columns).
    fn shrout_fleiss() -> Vec<Vec<f64>> {
        vec![
            vec![9.0, 2.0, 5.0, 8.0],
            vec![6.0, 1.0, 3.0, 2.0],
            vec![8.0, 4.0, 6.0, 8.0],
            vec![7.0, 1.0, 2.0, 6.0],
            vec![10.0, 5.0, 6.0, 9.0],
            vec![6.0, 2.0, 4.0, 7.0],
        ]
    }

    /// Pingouin's `icc` example dataset: 8 wines (targets) × 4 judges A–D.
    /// Data: raphaelvallat/pingouin, `pingouin/datasets/icc.csv` (long format
    /// Wine,Judge,Scores, pivoted here to rows = wines, columns = judges A, B, C, D).
    fn pingouin_wine() -> Vec<Vec<f64>> {
        vec![
            vec![1.0, 2.0, 0.0, 1.0],
            vec![1.0, 3.0, 3.0, 2.0],
            vec![3.0, 8.0, 1.0, 4.0],
            vec![6.0, 4.0, 3.0, 3.0],
            vec![6.0, 5.0, 5.0, 6.0],
            vec![7.0, 5.0, 6.0, 2.0],
            vec![8.0, 7.0, 7.0, 9.0],
            vec![9.0, 9.0, 9.0, 8.0],
        ]
    }

    fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{what}: got {actual}, expected {expected} ± {tolerance}"
        );
    }

    /// Published figures are rounded to 2 decimals, so allow half a unit in the last place.
    const TWO_DP: f64 = 0.005;
    /// Pingouin prints `.round(3)`.
    const THREE_DP: f64 = 0.0005;

    #[test]
    fn shrout_fleiss_table3_mean_squares() {
        // Shrout & Fleiss (1979), Table 3 (ANOVA of the Table 2 data):
        // BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02.
        let Some(ms) = two_way_mean_squares(&shrout_fleiss()) else {
            panic!("Shrout–Fleiss data must give mean squares");
        };
        assert_close(ms.bms, 11.24, TWO_DP, "BMS");
        assert_close(ms.wms, 6.26, TWO_DP, "WMS");
        assert_close(ms.jms, 32.49, TWO_DP, "JMS");
        assert_close(ms.ems, 1.02, TWO_DP, "EMS");
    }

    #[test]
    fn shrout_fleiss_table4_icc_forms() {
        // Shrout & Fleiss (1979), Table 4: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71,
        // ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91.
        let Some(icc) = two_way(&shrout_fleiss()) else {
            panic!("Shrout–Fleiss data must give ICCs");
        };
        assert_close(icc.icc1_1, 0.17, TWO_DP, "ICC(1,1)");
        assert_close(icc.icc2_1, 0.29, TWO_DP, "ICC(2,1)");
        assert_close(icc.icc3_1, 0.71, TWO_DP, "ICC(3,1)");
        assert_close(icc.icc1_k, 0.44, TWO_DP, "ICC(1,4)");
        assert_close(icc.icc2_k, 0.62, TWO_DP, "ICC(2,4)");
        assert_close(icc.icc3_k, 0.91, TWO_DP, "ICC(3,4)");
        assert_eq!((icc.targets, icc.raters), (6, 4));
    }

    #[test]
    fn pingouin_wine_example_icc_forms() {
        // Second, independent worked example: the `pingouin.intraclass_corr` docstring
        // (raphaelvallat/pingouin, pingouin/reliability.py; rendered at
        // https://pingouin-stats.org/generated/pingouin.intraclass_corr.html), "ICCs of wine
        // quality assessed by 4 judges", printed with .round(3):
        //   ICC1 0.728 (F 11.680), ICC2 0.728, ICC3 0.729 (F 11.787),
        //   ICC1k 0.914, ICC2k 0.914, ICC3k 0.915.
        let data = pingouin_wine();
        let Some(icc) = two_way(&data) else {
            panic!("wine data must give ICCs");
        };
        assert_close(icc.icc1_1, 0.728, THREE_DP, "ICC1");
        assert_close(icc.icc2_1, 0.728, THREE_DP, "ICC2");
        assert_close(icc.icc3_1, 0.729, THREE_DP, "ICC3");
        assert_close(icc.icc1_k, 0.914, THREE_DP, "ICC1k");
        assert_close(icc.icc2_k, 0.914, THREE_DP, "ICC2k");
        assert_close(icc.icc3_k, 0.915, THREE_DP, "ICC3k");
        assert_eq!((icc.targets, icc.raters), (8, 4));
        // Same docstring: F for case 1 is BMS/WMS = 11.680, for cases 2–3 BMS/EMS = 11.787.
        let Some(ms) = two_way_mean_squares(&data) else {
            panic!("wine data must give mean squares");
        };
        assert_close(ms.bms / ms.wms, 11.680, THREE_DP, "F (case 1)");
        assert_close(ms.bms / ms.ems, 11.787, THREE_DP, "F (cases 2, 3)");
    }

    #[test]
    fn one_way_matches_two_way_case_one() {
        for data in [shrout_fleiss(), pingouin_wine()] {
            let (Some(two), Some(one)) = (two_way(&data), one_way(&data)) else {
                panic!("both designs must be computable");
            };
            assert_close(one.icc1_1, two.icc1_1, 1e-12, "ICC(1,1)");
            assert_close(one.icc1_k, two.icc1_k, 1e-12, "ICC(1,k)");
            assert_eq!(one.targets, two.targets);
            assert_eq!(one.raters_per_target, two.raters);
        }
        // And against the published Shrout & Fleiss Table 4 figures directly.
        let Some(one) = one_way(&shrout_fleiss()) else {
            panic!("one-way Shrout–Fleiss must be computable");
        };
        assert_close(one.icc1_1, 0.17, TWO_DP, "ICC(1,1)");
        assert_close(one.icc1_k, 0.44, TWO_DP, "ICC(1,4)");
    }

    #[test]
    fn one_way_is_invariant_to_order_within_a_target() {
        // In the one-way design raters are not identified, so shuffling a target's scores
        // must not change anything (unlike ICC(2,1)/ICC(3,1)).
        let data = shrout_fleiss();
        let shuffled: Vec<Vec<f64>> = data
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut r = row.clone();
                r.rotate_left(i % 4);
                r
            })
            .collect();
        assert_eq!(one_way(&data), one_way(&shuffled));
    }

    #[test]
    fn perfect_agreement_is_one() {
        let data = vec![
            vec![1.0, 1.0, 1.0],
            vec![5.0, 5.0, 5.0],
            vec![3.0, 3.0, 3.0],
        ];
        // EMS = WMS = 0 and JMS = 0, so every form is exactly 1.
        let Some(icc) = two_way(&data) else {
            panic!("perfect agreement with target variance must be computable");
        };
        for v in [
            icc.icc1_1, icc.icc2_1, icc.icc3_1, icc.icc1_k, icc.icc2_k, icc.icc3_k,
        ] {
            assert_close(v, 1.0, 1e-12, "perfect agreement");
        }
    }

    #[test]
    fn degenerate_inputs_are_none() {
        let empty: Vec<Vec<f64>> = vec![];
        let one_target = vec![vec![1.0, 2.0, 3.0]];
        let one_rater = vec![vec![1.0], vec![2.0], vec![3.0]];
        let ragged = vec![vec![1.0, 2.0], vec![3.0, 4.0, 5.0]];
        let constant = vec![vec![7.0, 7.0], vec![7.0, 7.0], vec![7.0, 7.0]];
        let constant_fraction = vec![vec![0.1, 0.1, 0.1], vec![0.1, 0.1, 0.1]];
        let non_finite = vec![vec![1.0, f64::NAN], vec![3.0, 4.0]];
        let infinite = vec![vec![1.0, f64::INFINITY], vec![3.0, 4.0]];
        let empty_rows: Vec<Vec<f64>> = vec![vec![], vec![]];
        for bad in [
            &empty,
            &one_target,
            &one_rater,
            &ragged,
            &constant,
            &constant_fraction,
            &non_finite,
            &infinite,
            &empty_rows,
        ] {
            assert_eq!(two_way(bad), None, "two_way({bad:?})");
            assert_eq!(one_way(bad), None, "one_way({bad:?})");
        }
        assert_eq!(two_way_mean_squares(&constant), None);
    }

    #[test]
    fn equal_target_means_are_none() {
        // Raters disagree but every target has the same mean: BMS = 0, so ICC(1,k) and
        // ICC(3,k) have a zero denominator.
        let data = vec![vec![1.0, 3.0], vec![3.0, 1.0], vec![2.0, 2.0]];
        assert_eq!(two_way(&data), None);
        assert_eq!(one_way(&data), None);
    }

    #[test]
    fn results_are_finite_and_can_be_negative() {
        // More disagreement within targets than between them: ICC(1,1) < 0.
        let data = vec![vec![1.0, 9.0], vec![9.0, 1.0], vec![4.0, 7.0]];
        let Some(one) = one_way(&data) else {
            panic!("computable");
        };
        assert!(one.icc1_1 < 0.0 && one.icc1_1.is_finite());
    }

    #[test]
    fn band_boundaries() {
        assert_eq!(band(-0.3), Band::Poor);
        assert_eq!(band(0.0), Band::Poor);
        assert_eq!(band(0.499_999), Band::Poor);
        assert_eq!(band(0.5), Band::Moderate);
        assert_eq!(band(0.749_999), Band::Moderate);
        assert_eq!(band(0.75), Band::Good);
        assert_eq!(band(0.9), Band::Good);
        assert_eq!(band(0.900_001), Band::Excellent);
        assert_eq!(band(1.0), Band::Excellent);
        assert_eq!(band(f64::NAN), Band::Poor);
    }

    #[test]
    fn band_uses_snake_case_names() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};
        for (name, expected) in [
            ("poor", Band::Poor),
            ("moderate", Band::Moderate),
            ("good", Band::Good),
            ("excellent", Band::Excellent),
        ] {
            let de: StrDeserializer<'_, Error> = name.into_deserializer();
            assert_eq!(Band::deserialize(de).ok(), Some(expected), "{name}");
        }
        let de: StrDeserializer<'_, Error> = "Good".into_deserializer();
        assert!(Band::deserialize(de).is_err());
    }

    #[test]
    fn band_of_published_values() {
        // Shrout & Fleiss Table 4 values through the Koo & Li bands.
        let Some(icc) = two_way(&shrout_fleiss()) else {
            panic!("computable");
        };
        assert_eq!(band(icc.icc1_1), Band::Poor);
        assert_eq!(band(icc.icc2_k), Band::Moderate);
        assert_eq!(band(icc.icc3_k), Band::Excellent);
    }

    #[test]
    fn leniency_hand_worked_example() {
        // Hand-worked:
        //   app1: A 8, B 6, C 4   -> mean 6; deviations A +2, B 0, C -2
        //   app2: A 9, B 7        -> mean 8; deviations A +1, B -1
        //   app3: C 5             -> single rater: skipped
        //   app4: B 3, C 1        -> mean 2; deviations B +1, C -1
        // A: (2 + 1) / 2 = 1.5 over 2; B: (0 - 1 + 1) / 3 = 0 over 3; C: (-2 - 1) / 2 = -1.5
        // over 2 (app3 excluded).
        let scores = vec![
            ("A", "app1", 8.0),
            ("B", "app1", 6.0),
            ("C", "app1", 4.0),
            ("A", "app2", 9.0),
            ("B", "app2", 7.0),
            ("C", "app3", 5.0),
            ("B", "app4", 3.0),
            ("C", "app4", 1.0),
        ];
        let result = leniency(&scores);
        assert_eq!(result.len(), 3);
        let expect = [("A", 1.5, 2), ("B", 0.0, 3), ("C", -1.5, 2)];
        for (rater, deviation, scored) in expect {
            let Some(r) = result.get(rater) else {
                panic!("rater {rater} missing");
            };
            assert_close(r.mean_deviation, deviation, 1e-12, rater);
            assert_eq!(r.scored, scored, "{rater} scored");
        }
    }

    #[test]
    fn leniency_skips_single_rater_targets_entirely() {
        // D only ever scores alone: absent from the result. A duplicate score by the same
        // rater on one target is still a single-rater target.
        let scores = vec![
            ("D", 1, 10.0),
            ("D", 2, 3.0),
            ("D", 2, 5.0),
            ("A", 3, 4.0),
            ("B", 3, 6.0),
        ];
        let result = leniency(&scores);
        assert!(!result.contains_key("D"));
        let (Some(a), Some(b)) = (result.get("A"), result.get("B")) else {
            panic!("A and B must be present");
        };
        assert_close(a.mean_deviation, -1.0, 1e-12, "A");
        assert_close(b.mean_deviation, 1.0, 1e-12, "B");
        assert_eq!((a.scored, b.scored), (1, 1));
    }

    #[test]
    fn leniency_averages_duplicate_scores_and_ignores_non_finite() {
        // A scores target 1 twice (4 and 6, own mean 5); B scores 8. Panel mean over all
        // three scores = 6. A: 5 - 6 = -1; B: 8 - 6 = +2. The NaN is ignored.
        let scores = vec![
            ("A", 1, 4.0),
            ("A", 1, 6.0),
            ("B", 1, 8.0),
            ("C", 1, f64::NAN),
        ];
        let result = leniency(&scores);
        assert_eq!(result.len(), 2);
        let (Some(a), Some(b)) = (result.get("A"), result.get("B")) else {
            panic!("A and B must be present");
        };
        assert_close(a.mean_deviation, -1.0, 1e-12, "A");
        assert_close(b.mean_deviation, 2.0, 1e-12, "B");
    }

    #[test]
    fn leniency_of_empty_input_is_empty() {
        let none: Vec<(u32, u32, f64)> = vec![];
        assert!(leniency(&none).is_empty());
    }
}

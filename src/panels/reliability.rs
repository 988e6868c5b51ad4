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
#[path = "reliability_tests.rs"]
mod tests;

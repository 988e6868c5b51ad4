//! Rater analytics for auditors: each panelist's leniency or severity against the panel mean,
//! their score distribution, inter-rater reliability (the Shrout–Fleiss ICC forms the design
//! allows, and the form the band is read from), the divergence list and the recusal count.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{ApplicationId, PanelId, ScoreVersion, UserId};
use super::reliability::{self, Band};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RaterStats {
    pub user_id: UserId,
    /// Applications scored (current versions).
    pub scored: usize,
    /// Mean of (own weighted total − the application's panel mean), on the rubric's scale;
    /// positive = lenient, negative = severe. `null` when no application had another scorer.
    pub mean_deviation: Option<f64>,
    /// How often the rater gave each level, over all criteria.
    pub level_counts: BTreeMap<i32, usize>,
}

/// The ICC forms the design allows: every form when every application was scored by the same
/// raters (a fully crossed design), only ICC(1,·) when raters differ between applications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reliability {
    /// `crossed` (two-way) or `nested` (one-way).
    pub design: String,
    pub applications: usize,
    pub raters_per_application: usize,
    pub icc1_1: Option<f64>,
    pub icc1_k: Option<f64>,
    pub icc2_1: Option<f64>,
    pub icc2_k: Option<f64>,
    pub icc3_1: Option<f64>,
    pub icc3_k: Option<f64>,
    /// The form the band is read from: the stage result is the mean of k raters, judged on
    /// absolute agreement, so ICC(2,k) for a crossed design and ICC(1,k) for a nested one.
    pub band_form: String,
    pub band: Band,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Divergence {
    pub application_id: ApplicationId,
    pub panel_code: String,
    pub spread_x100: i64,
    pub moderated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RaterAnalytics {
    pub panel_id: PanelId,
    pub raters: Vec<RaterStats>,
    /// `null` when the scores do not allow it (fewer than 2 applications with 2 or more scores
    /// each, or no variance at all).
    pub reliability: Option<Reliability>,
    pub divergences: Vec<Divergence>,
    pub recusals: usize,
}

/// Per-rater statistics from the current scores of each application.
pub fn rater_stats(
    scores: &BTreeMap<ApplicationId, Vec<ScoreVersion>>,
) -> Result<Vec<RaterStats>, crate::error::AppError> {
    let triples: Vec<(UserId, ApplicationId, f64)> = scores
        .iter()
        .flat_map(|(a, vs)| {
            vs.iter()
                .map(move |v| (v.user_id, *a, f64::from(v.weighted_x100) / 100.0))
        })
        .collect();
    let leniency = reliability::leniency(&triples);
    let mut stats: BTreeMap<UserId, RaterStats> = BTreeMap::new();
    for v in scores.values().flatten() {
        let entry = stats.entry(v.user_id).or_insert_with(|| RaterStats {
            user_id: v.user_id,
            scored: 0,
            mean_deviation: leniency.get(&v.user_id).map(|l| round4(l.mean_deviation)),
            level_counts: BTreeMap::new(),
        });
        entry.scored += 1;
        for level in v.parsed_levels()?.values() {
            *entry.level_counts.entry(*level).or_default() += 1;
        }
    }
    Ok(stats.into_values().collect())
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// ICC over the applications scored by the most common number of raters k ≥ 2.
pub fn reliability_of(scores: &BTreeMap<ApplicationId, Vec<ScoreVersion>>) -> Option<Reliability> {
    let mut by_k: BTreeMap<usize, usize> = BTreeMap::new();
    for vs in scores.values().filter(|vs| vs.len() >= 2) {
        *by_k.entry(vs.len()).or_default() += 1;
    }
    let (k, _) = by_k.iter().max_by_key(|(k, n)| (**n, **k))?;
    let rows: Vec<&Vec<ScoreVersion>> = scores.values().filter(|vs| vs.len() == *k).collect();
    let raters: BTreeSet<Vec<UserId>> = rows
        .iter()
        .map(|vs| {
            vs.iter()
                .map(|v| v.user_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        })
        .collect();
    let matrix: Vec<Vec<f64>> = rows
        .iter()
        .map(|vs| {
            let mut sorted: Vec<&ScoreVersion> = vs.iter().collect();
            sorted.sort_by_key(|v| v.user_id);
            sorted
                .iter()
                .map(|v| f64::from(v.weighted_x100) / 100.0)
                .collect()
        })
        .collect();
    if raters.len() == 1 {
        let f = reliability::two_way(&matrix)?;
        Some(Reliability {
            design: "crossed".into(),
            applications: f.targets,
            raters_per_application: f.raters,
            icc1_1: Some(round4(f.icc1_1)),
            icc1_k: Some(round4(f.icc1_k)),
            icc2_1: Some(round4(f.icc2_1)),
            icc2_k: Some(round4(f.icc2_k)),
            icc3_1: Some(round4(f.icc3_1)),
            icc3_k: Some(round4(f.icc3_k)),
            band_form: "ICC(2,k)".into(),
            band: reliability::band(f.icc2_k),
        })
    } else {
        let f = reliability::one_way(&matrix)?;
        Some(Reliability {
            design: "nested".into(),
            applications: f.targets,
            raters_per_application: f.raters_per_target,
            icc1_1: Some(round4(f.icc1_1)),
            icc1_k: Some(round4(f.icc1_k)),
            icc2_1: None,
            icc2_k: None,
            icc3_1: None,
            icc3_k: None,
            band_form: "ICC(1,k)".into(),
            band: reliability::band(f.icc1_k),
        })
    }
}

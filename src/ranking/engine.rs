//! Who passes SKD (the basic competency test) and who goes on to the next stage, per seat group.
//! Pure and deterministic: every figure comes from the selection year's rules, never from code.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::openings::rounds::rules::{RuleSetRules, Scoring, ThresholdSet};

/// The tie-break key that names the SKD total rather than a subtest.
const TOTAL: &str = "total";

/// Every problem with one applicant's SKD scores, as (subtest code, message) pairs.
/// Subtests of the rules come first in rule order, then unknown codes in name order.
pub fn check_scores(rules: &RuleSetRules, scores: &BTreeMap<String, i32>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for subtest in &rules.skd.subtests {
        let code = subtest.code.clone();
        let Some(&value) = scores.get(&subtest.code) else {
            problems.push((code, "a score is required".to_string()));
            continue;
        };
        if !(0..=subtest.max_points).contains(&value) {
            problems.push((
                code.clone(),
                format!("must be between 0 and {}", subtest.max_points),
            ));
        }
        // A zero or negative step is a broken rule set (its validation rejects it), not a bad score.
        if let Scoring::RightWrong { points_correct } = subtest.scoring
            && points_correct > 0
            && value % points_correct != 0
        {
            problems.push((
                code,
                format!(
                    "must be a multiple of {points_correct}: each question scores {points_correct} or 0"
                ),
            ));
        }
    }
    for code in scores.keys() {
        if rules.subtest(code).is_none() {
            problems.push((code.clone(), "no such subtest in the rule set".to_string()));
        }
    }
    problems
}

/// One applicant's SKD scores, keyed by subtest code, in the seat group they compete in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkdEntry<Id> {
    pub id: Id,
    pub seat_group: String,
    pub scores: BTreeMap<String, i32>,
}

/// One passing rule an applicant did not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailedRule {
    /// A subtest code, or `total`.
    pub rule: String,
    pub minimum: i32,
    pub actual: i32,
}

/// The SKD outcome of one applicant, with a sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkdResult<Id> {
    pub id: Id,
    pub seat_group: String,
    pub total: i32,
    /// Code of the threshold set applied; `None` if the rules have none for the seat group.
    pub threshold_set: Option<String>,
    pub passed: bool,
    pub failed: Vec<FailedRule>,
    /// Among passers of the same seat group, 1-based competition ranking ("1, 2, 2, 4").
    pub rank: Option<u32>,
    pub goes_on: bool,
    pub reason: String,
}

/// Evaluates SKD for everyone and decides, per seat group, who goes on: the top
/// `multiplier × seats` passers by the rules' tie-break chain, plus everyone tied with the last
/// of them on the whole chain. Scores are expected to have passed [`check_scores`]; a missing
/// subtest counts as 0 and an unknown one is ignored.
///
/// The output is sorted by seat group, then passers by rank (then id), then the others by id,
/// and does not depend on the order of `entries`.
pub fn evaluate_skd<Id: Ord + Clone>(
    rules: &RuleSetRules,
    entries: Vec<SkdEntry<Id>>,
    seats: &BTreeMap<String, i32>,
    multiplier: i32,
) -> Vec<SkdResult<Id>> {
    let mut groups: BTreeMap<String, Vec<Row<Id>>> = BTreeMap::new();
    for entry in entries {
        let row = judge(rules, entry);
        groups
            .entry(row.result.seat_group.clone())
            .or_default()
            .push(row);
    }
    let mut out = Vec::new();
    for (group, rows) in groups {
        let group_seats = seats.get(&group).copied().unwrap_or(0);
        let (mut passers, mut others): (Vec<Row<Id>>, Vec<Row<Id>>) =
            rows.into_iter().partition(|r| r.result.passed);
        // Ids may repeat in bad input; the scores break that last tie so the order stays total.
        passers.sort_by(|a, b| {
            b.chain
                .cmp(&a.chain)
                .then_with(|| a.result.id.cmp(&b.result.id))
                .then_with(|| a.scores.cmp(&b.scores))
        });
        others.sort_by(|a, b| {
            a.result
                .id
                .cmp(&b.result.id)
                .then_with(|| a.scores.cmp(&b.scores))
        });
        let cut = Cutoff::new(rules, &group, &passers, group_seats, multiplier);
        for (row, &rank) in passers.iter_mut().zip(&cut.ranks) {
            cut.decide(row, rank);
        }
        out.extend(passers.into_iter().map(|r| r.result));
        out.extend(others.into_iter().map(|r| r.result));
    }
    out
}

/// An applicant under evaluation: the result so far, and what ranking needs.
struct Row<Id> {
    result: SkdResult<Id>,
    /// Values of the tie-break chain, in chain order; higher is better at every key.
    chain: Vec<i32>,
    scores: BTreeMap<String, i32>,
}

fn score(scores: &BTreeMap<String, i32>, code: &str) -> i32 {
    scores.get(code).copied().unwrap_or(0)
}

/// Total, thresholds and pass/fail of one applicant; rank and going on come later, per group.
fn judge<Id>(rules: &RuleSetRules, entry: SkdEntry<Id>) -> Row<Id> {
    let SkdEntry {
        id,
        seat_group,
        scores,
    } = entry;
    let total = rules
        .skd
        .subtests
        .iter()
        .fold(0i32, |sum, s| sum.saturating_add(score(&scores, &s.code)));
    let chain = rules
        .skd
        .tie_break
        .iter()
        .map(|key| match key.as_str() {
            TOTAL => total,
            code => score(&scores, code),
        })
        .collect();
    let (threshold_set, passed, failed, reason) = match rules.threshold_set_for(&seat_group) {
        None => (
            None,
            false,
            Vec::new(),
            format!("no threshold set applies to seat group {seat_group}"),
        ),
        Some(set) => {
            let failed = unmet_rules(rules, set, &scores, total);
            let reason = if failed.is_empty() {
                String::new() // written once the group is ranked
            } else {
                let parts: Vec<String> = failed
                    .iter()
                    .map(|f| format!("{} {} < {}", f.rule, f.actual, f.minimum))
                    .collect();
                format!("failed: {}", parts.join(", "))
            };
            (Some(set.code.clone()), failed.is_empty(), failed, reason)
        }
    };
    Row {
        result: SkdResult {
            id,
            seat_group,
            total,
            threshold_set,
            passed,
            failed,
            rank: None,
            goes_on: false,
            reason,
        },
        chain,
        scores,
    }
}

/// Every minimum of the set that is not met: subtests in rule order, then any minimum naming an
/// unknown subtest (a broken rule set, still reported rather than silently passed), then the total.
fn unmet_rules(
    rules: &RuleSetRules,
    set: &ThresholdSet,
    scores: &BTreeMap<String, i32>,
    total: i32,
) -> Vec<FailedRule> {
    let known = rules.skd.subtests.iter().map(|s| s.code.as_str());
    let unknown = set
        .subtest_minimums
        .keys()
        .map(String::as_str)
        .filter(|code| rules.subtest(code).is_none());
    let mut failed: Vec<FailedRule> = known
        .chain(unknown)
        .filter_map(|code| {
            let minimum = *set.subtest_minimums.get(code)?;
            let actual = score(scores, code);
            (actual < minimum).then(|| FailedRule {
                rule: code.to_string(),
                minimum,
                actual,
            })
        })
        .collect();
    if let Some(minimum) = set.total_minimum
        && total < minimum
    {
        failed.push(FailedRule {
            rule: TOTAL.to_string(),
            minimum,
            actual: total,
        });
    }
    failed
}

/// The cut-off of one seat group, computed from its passers sorted best first.
struct Cutoff<'a> {
    group: &'a str,
    keys: &'a [String],
    multiplier: i32,
    seats: i32,
    /// `multiplier × seats`, never negative.
    places: usize,
    passers: usize,
    /// Competition rank of every passer, in sorted order.
    ranks: Vec<u32>,
    /// The last place inside the cut-off (rank and chain), if anyone is cut at all.
    last: Option<(u32, Vec<i32>)>,
    /// How many go on, ties at the cut-off included.
    going: usize,
}

impl<'a> Cutoff<'a> {
    fn new<Id>(
        rules: &'a RuleSetRules,
        group: &'a str,
        sorted: &[Row<Id>],
        seats: i32,
        multiplier: i32,
    ) -> Self {
        let mut ranks: Vec<u32> = Vec::with_capacity(sorted.len());
        for (i, row) in sorted.iter().enumerate() {
            let rank = match (i.checked_sub(1), ranks.last()) {
                (Some(prev), Some(&r)) if sorted[prev].chain == row.chain => r,
                _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
            };
            ranks.push(rank);
        }
        let product = (i64::from(multiplier) * i64::from(seats)).max(0);
        let n = usize::try_from(product).unwrap_or(usize::MAX);
        let last = (n > 0 && sorted.len() > n).then(|| (ranks[n - 1], sorted[n - 1].chain.clone()));
        let going = match &last {
            None if n == 0 => 0,
            None => sorted.len(),
            Some((_, chain)) => sorted.iter().filter(|r| r.chain >= *chain).count(),
        };
        Cutoff {
            group,
            keys: &rules.skd.tie_break,
            multiplier,
            seats,
            places: n,
            passers: sorted.len(),
            ranks,
            last,
            going,
        }
    }

    /// Sets rank, going on and the reason of one passer, given its rank.
    fn decide<Id>(&self, row: &mut Row<Id>, rank: u32) {
        let head = format!(
            "passed; rank {rank} of {} in seat group {}",
            self.passers, self.group
        );
        let basis = format!(
            "{} × {}",
            self.multiplier,
            plural(self.seats, "seat", "seats")
        );
        let within = format!("within the top {} ({basis})", self.places);
        let (goes_on, tail) = if self.places == 0 {
            (
                false,
                format!("the cut-off is 0 ({basis}), so nobody goes on"),
            )
        } else {
            match &self.last {
                None => (true, within),
                Some((last_rank, last)) => match row.chain.cmp(last) {
                    // Only a tie that straddles the cut-off lets more than `places` through.
                    Ordering::Equal if self.going > self.places => (
                        true,
                        format!(
                            "tied with the last place (rank {last_rank}) on {}; {} go on for {} ({basis})",
                            self.keys_or_none(),
                            self.going,
                            plural(self.places, "place", "places"),
                        ),
                    ),
                    Ordering::Greater | Ordering::Equal => (true, within),
                    Ordering::Less => (false, self.below(&row.chain, *last_rank, last)),
                },
            }
        };
        row.result.rank = Some(rank);
        row.result.goes_on = goes_on;
        row.result.reason = format!("{head}; {tail}");
    }

    fn keys_or_none(&self) -> String {
        if self.keys.is_empty() {
            "every key (the rules give no tie-break chain)".to_string()
        } else {
            self.keys.join(", ")
        }
    }

    /// Why a passer is cut: below on the first key, or on a later key of the tie-break chain.
    fn below(&self, chain: &[i32], last_rank: u32, last: &[i32]) -> String {
        let cut = format!("below the cut-off of {}", self.places);
        let decider = chain.iter().zip(last).position(|(a, b)| a != b);
        match decider {
            Some(i) if i > 0 => format!(
                "{cut}; equal to the last place (rank {last_rank}) on {} but lower on {} ({} < {})",
                self.keys[..i].join(", "),
                self.keys[i],
                chain[i],
                last[i]
            ),
            _ => cut,
        }
    }
}

/// "1 seat", "2 seats".
fn plural<N: PartialEq + From<u8> + std::fmt::Display>(n: N, one: &str, many: &str) -> String {
    if n == N::from(1) {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn casn_2024() -> RuleSetRules {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../seed/rule-sets/casn-2024.json")).unwrap();
        serde_json::from_value(file["rules"].clone()).unwrap()
    }

    fn scores(twk: i32, tiu: i32, tkp: i32) -> BTreeMap<String, i32> {
        BTreeMap::from([
            ("TWK".to_string(), twk),
            ("TIU".to_string(), tiu),
            ("TKP".to_string(), tkp),
        ])
    }

    fn entry(id: u32, group: &str, twk: i32, tiu: i32, tkp: i32) -> SkdEntry<u32> {
        SkdEntry {
            id,
            seat_group: group.to_string(),
            scores: scores(twk, tiu, tkp),
        }
    }

    fn seats(groups: &[(&str, i32)]) -> BTreeMap<String, i32> {
        groups.iter().map(|(g, n)| (g.to_string(), *n)).collect()
    }

    /// Evaluates one applicant alone, with plenty of seats.
    fn one(group: &str, twk: i32, tiu: i32, tkp: i32) -> SkdResult<u32> {
        let rules = casn_2024();
        let mut out = evaluate_skd(
            &rules,
            vec![entry(1, group, twk, tiu, tkp)],
            &seats(&[(group, 10)]),
            3,
        );
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    fn failed(result: &SkdResult<u32>) -> Vec<(&str, i32, i32)> {
        result
            .failed
            .iter()
            .map(|f| (f.rule.as_str(), f.minimum, f.actual))
            .collect()
    }

    fn by_id(out: &[SkdResult<u32>], id: u32) -> &SkdResult<u32> {
        out.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn general_thresholds_apply_to_each_subtest_separately() {
        let high_total_low_twk = one("general", 60, 175, 225);
        assert_eq!(high_total_low_twk.total, 460);
        assert!(!high_total_low_twk.passed);
        assert!(!high_total_low_twk.goes_on);
        assert_eq!(high_total_low_twk.rank, None);
        assert_eq!(failed(&high_total_low_twk), [("TWK", 65, 60)]);
        assert_eq!(high_total_low_twk.reason, "failed: TWK 60 < 65");
        assert_eq!(high_total_low_twk.threshold_set.as_deref(), Some("general"));

        let at_every_minimum = one("general", 65, 80, 166);
        assert!(at_every_minimum.passed);
        assert!(at_every_minimum.goes_on);
        assert_eq!(at_every_minimum.rank, Some(1));

        assert_eq!(failed(&one("general", 150, 75, 225)), [("TIU", 80, 75)]);
        assert_eq!(failed(&one("general", 150, 175, 165)), [("TKP", 166, 165)]);
        let everything_low = one("general", 60, 75, 160);
        assert_eq!(
            failed(&everything_low),
            [("TWK", 65, 60), ("TIU", 80, 75), ("TKP", 166, 160)]
        );
        assert_eq!(
            everything_low.reason,
            "failed: TWK 60 < 65, TIU 75 < 80, TKP 160 < 166"
        );
    }

    #[test]
    fn cum_laude_and_diaspora_need_a_total_of_311_and_tiu_85() {
        // TWK 50 would fail the general set; this group has its own.
        let at_minimum = one("cum_laude", 50, 85, 176);
        assert_eq!(at_minimum.total, 311);
        assert!(at_minimum.passed, "{}", at_minimum.reason);
        assert_eq!(
            at_minimum.threshold_set.as_deref(),
            Some("cum_laude_diaspora")
        );
        assert!(one("diaspora", 50, 85, 176).passed);

        assert_eq!(failed(&one("cum_laude", 100, 80, 200)), [("TIU", 85, 80)]);
        let low_total = one("cum_laude", 50, 85, 175);
        assert_eq!(failed(&low_total), [("total", 311, 310)]);
        assert_eq!(low_total.reason, "failed: total 310 < 311");
        assert_eq!(
            failed(&one("diaspora", 50, 80, 170)),
            [("TIU", 85, 80), ("total", 311, 300)]
        );
    }

    #[test]
    fn affirmative_groups_need_a_total_of_286_and_tiu_60() {
        let at_minimum = one("disability", 40, 60, 186);
        assert_eq!(at_minimum.total, 286);
        assert!(at_minimum.passed, "{}", at_minimum.reason);
        assert_eq!(at_minimum.threshold_set.as_deref(), Some("affirmative"));
        assert!(one("papua", 40, 60, 186).passed);

        assert_eq!(
            failed(&one("disability", 40, 60, 185)),
            [("total", 286, 285)]
        );
        assert_eq!(
            failed(&one("disadvantaged_region", 100, 55, 200)),
            [("TIU", 60, 55)]
        );
    }

    #[test]
    fn a_seat_group_without_a_threshold_set_does_not_pass() {
        let veteran = one("veterans", 150, 175, 225);
        assert!(!veteran.passed);
        assert!(!veteran.goes_on);
        assert_eq!(veteran.threshold_set, None);
        assert!(veteran.failed.is_empty());
        assert_eq!(
            veteran.reason,
            "no threshold set applies to seat group veterans"
        );
    }

    #[test]
    fn check_scores_names_every_problem_by_subtest() {
        let rules = casn_2024();
        assert_eq!(check_scores(&rules, &scores(65, 80, 167)), vec![]);
        assert_eq!(check_scores(&rules, &scores(0, 0, 0)), vec![]);
        assert_eq!(check_scores(&rules, &scores(150, 175, 225)), vec![]);

        let mut bad = scores(62, 180, 0);
        bad.remove("TKP");
        bad.insert("XYZ".to_string(), 10);
        let problems = check_scores(&rules, &bad);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["TWK", "TIU", "TKP", "XYZ"]);
        assert!(problems[0].1.contains("multiple of 5"), "{problems:?}");
        assert!(problems[1].1.contains("between 0 and 175"), "{problems:?}");
        assert!(problems[2].1.contains("required"), "{problems:?}");
        assert!(problems[3].1.contains("no such subtest"), "{problems:?}");

        assert_eq!(
            check_scores(&rules, &scores(-5, 80, 226)),
            vec![
                ("TWK".to_string(), "must be between 0 and 150".to_string()),
                ("TKP".to_string(), "must be between 0 and 225".to_string()),
            ]
        );
    }

    #[test]
    fn a_tie_on_total_is_broken_by_tkp_at_the_cut_off() {
        let rules = casn_2024();
        let entries = vec![
            entry(5, "general", 80, 90, 180),   // 350
            entry(4, "general", 95, 100, 185),  // 380, TKP 185
            entry(1, "general", 100, 100, 200), // 400
            entry(3, "general", 90, 100, 190),  // 380, TKP 190
            entry(2, "general", 100, 95, 200),  // 395
        ];
        let out = evaluate_skd(&rules, entries, &seats(&[("general", 1)]), 3);
        let ids: Vec<u32> = out.iter().map(|r| r.id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        let ranks: Vec<Option<u32>> = out.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
        let going: Vec<bool> = out.iter().map(|r| r.goes_on).collect();
        assert_eq!(going, [true, true, true, false, false]);
        assert_eq!(
            by_id(&out, 1).reason,
            "passed; rank 1 of 5 in seat group general; within the top 3 (3 × 1 seat)"
        );
        assert_eq!(
            by_id(&out, 4).reason,
            "passed; rank 4 of 5 in seat group general; below the cut-off of 3; \
             equal to the last place (rank 3) on total but lower on TKP (185 < 190)"
        );
        assert_eq!(
            by_id(&out, 5).reason,
            "passed; rank 5 of 5 in seat group general; below the cut-off of 3"
        );
    }

    #[test]
    fn everyone_tied_with_the_last_place_on_the_whole_chain_goes_on() {
        let rules = casn_2024();
        let entries = vec![
            entry(1, "general", 100, 100, 200),
            entry(2, "general", 100, 95, 200),
            entry(4, "general", 90, 100, 190),
            entry(3, "general", 90, 100, 190),
            entry(5, "general", 80, 90, 180),
        ];
        let out = evaluate_skd(&rules, entries, &seats(&[("general", 1)]), 3);
        let rows: Vec<(u32, Option<u32>, bool)> =
            out.iter().map(|r| (r.id, r.rank, r.goes_on)).collect();
        assert_eq!(
            rows,
            [
                (1, Some(1), true),
                (2, Some(2), true),
                (3, Some(3), true),
                (4, Some(3), true),
                (5, Some(5), false),
            ]
        );
        assert_eq!(
            by_id(&out, 4).reason,
            "passed; rank 3 of 5 in seat group general; tied with the last place (rank 3) \
             on total, TKP, TIU, TWK; 4 go on for 3 places (3 × 1 seat)"
        );
        assert_eq!(by_id(&out, 3).reason, by_id(&out, 4).reason);
        assert_eq!(
            by_id(&out, 2).reason,
            "passed; rank 2 of 5 in seat group general; within the top 3 (3 × 1 seat)"
        );
    }

    #[test]
    fn a_tie_inside_the_cut_off_lets_no_one_extra_through() {
        let rules = casn_2024();
        let entries = vec![
            entry(1, "general", 100, 100, 200),
            entry(2, "general", 90, 100, 190),
            entry(3, "general", 90, 100, 190),
            entry(4, "general", 80, 90, 180),
        ];
        let out = evaluate_skd(&rules, entries, &seats(&[("general", 1)]), 3);
        let rows: Vec<(u32, Option<u32>, bool)> =
            out.iter().map(|r| (r.id, r.rank, r.goes_on)).collect();
        assert_eq!(
            rows,
            [
                (1, Some(1), true),
                (2, Some(2), true),
                (3, Some(2), true),
                (4, Some(4), false),
            ]
        );
        assert!(
            by_id(&out, 3)
                .reason
                .ends_with("within the top 3 (3 × 1 seat)")
        );
    }

    #[test]
    fn seat_groups_are_cut_separately() {
        let rules = casn_2024();
        let entries = vec![
            entry(1, "general", 70, 85, 170),     // 325
            entry(2, "general", 70, 85, 168),     // 323
            entry(3, "cum_laude", 100, 150, 200), // 450
            entry(4, "cum_laude", 100, 145, 200), // 445: beats everyone in general, still cut
            entry(5, "veterans", 150, 175, 225),
            entry(6, "disability", 50, 60, 200), // passes, but the group has no seats
            entry(7, "general", 60, 175, 225),   // fails TWK
        ];
        let out = evaluate_skd(
            &rules,
            entries,
            &seats(&[("general", 1), ("cum_laude", 1)]),
            1,
        );
        let rows: Vec<(u32, &str, Option<u32>, bool)> = out
            .iter()
            .map(|r| (r.id, r.seat_group.as_str(), r.rank, r.goes_on))
            .collect();
        assert_eq!(
            rows,
            [
                (3, "cum_laude", Some(1), true),
                (4, "cum_laude", Some(2), false),
                (6, "disability", Some(1), false),
                (1, "general", Some(1), true),
                (2, "general", Some(2), false),
                (7, "general", None, false),
                (5, "veterans", None, false),
            ]
        );
        assert_eq!(
            by_id(&out, 6).reason,
            "passed; rank 1 of 1 in seat group disability; \
             the cut-off is 0 (1 × 0 seats), so nobody goes on"
        );
    }

    #[test]
    fn everyone_passing_goes_on_when_there_are_fewer_passers_than_places() {
        let rules = casn_2024();
        let entries = vec![
            entry(1, "general", 100, 100, 200),
            entry(2, "general", 100, 100, 200),
            entry(3, "general", 50, 100, 200),
        ];
        let out = evaluate_skd(&rules, entries, &seats(&[("general", 2)]), 3);
        let going: Vec<(u32, bool)> = out.iter().map(|r| (r.id, r.goes_on)).collect();
        assert_eq!(going, [(1, true), (2, true), (3, false)]);
        assert_eq!(
            by_id(&out, 2).reason,
            "passed; rank 1 of 2 in seat group general; within the top 6 (3 × 2 seats)"
        );
    }

    const GROUPS: [&str; 4] = ["general", "cum_laude", "disability", "veterans"];

    /// Few distinct scores around the thresholds, so that passes, failures and ties at the
    /// cut-off (on the total alone and on the whole chain) are all common.
    fn arb_entry() -> impl Strategy<Value = SkdEntry<u32>> {
        (
            0u32..40,
            0usize..GROUPS.len(),
            12..=14i32,
            16..=17i32,
            165..=167i32,
        )
            .prop_map(|(id, group, twk, tiu, tkp)| entry(id, GROUPS[group], twk * 5, tiu * 5, tkp))
    }

    fn arb_case() -> impl Strategy<Value = (Vec<SkdEntry<u32>>, BTreeMap<String, i32>, i32)> {
        (
            prop::collection::vec(arb_entry(), 0..60),
            prop::collection::btree_map(
                prop::sample::select(GROUPS.to_vec()).prop_map(str::to_string),
                0..3i32,
                0..4,
            ),
            1..=3i32,
        )
    }

    /// The 2024 chain (total, TKP, TIU, TWK) of a result, recomputed from its entry.
    fn chain(entries: &[SkdEntry<u32>], r: &SkdResult<u32>) -> Vec<i32> {
        let e = entries.iter().find(|e| e.id == r.id).unwrap();
        let s = |code: &str| e.scores[code];
        vec![s("TWK") + s("TIU") + s("TKP"), s("TKP"), s("TIU"), s("TWK")]
    }

    proptest! {
        #[test]
        fn the_order_of_the_input_does_not_matter(
            (entries, shuffled, seats, multiplier) in arb_case().prop_flat_map(
                |(entries, seats, multiplier)| {
                    let shuffled = Just(entries.clone()).prop_shuffle();
                    (Just(entries), shuffled, Just(seats), Just(multiplier))
                }
            ),
        ) {
            let rules = casn_2024();
            let a = evaluate_skd(&rules, entries, &seats, multiplier);
            let b = evaluate_skd(&rules, shuffled, &seats, multiplier);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn at_least_the_cut_off_goes_on_and_nobody_cut_ranks_above_anyone_going(
            (mut entries, seats, multiplier) in arb_case(),
        ) {
            // Unique ids, so that each result can be traced back to its scores.
            for (i, e) in entries.iter_mut().enumerate() {
                e.id = i as u32;
            }
            let rules = casn_2024();
            let out = evaluate_skd(&rules, entries.clone(), &seats, multiplier);
            prop_assert_eq!(out.len(), entries.len());
            for group in GROUPS {
                let passers: Vec<&SkdResult<u32>> =
                    out.iter().filter(|r| r.seat_group == group && r.passed).collect();
                let places = (multiplier * seats.get(group).copied().unwrap_or(0)) as usize;
                let going: Vec<u32> = passers.iter().filter(|r| r.goes_on).filter_map(|r| r.rank).collect();
                let cut: Vec<u32> = passers.iter().filter(|r| !r.goes_on).filter_map(|r| r.rank).collect();
                prop_assert!(going.len() >= places.min(passers.len()));
                if places == 0 {
                    prop_assert!(going.is_empty());
                }
                for g in &going {
                    for c in &cut {
                        prop_assert!(g < c, "rank {} goes on but rank {} does not", g, c);
                    }
                }
                // Competition ranking: one more than the number of strictly better passers.
                for r in &passers {
                    let better = passers.iter().filter(|o| chain(&entries, o) > chain(&entries, r)).count();
                    prop_assert_eq!(r.rank, Some(better as u32 + 1));
                }
            }
        }

        #[test]
        fn a_failing_applicant_never_goes_on((entries, seats, multiplier) in arb_case()) {
            let rules = casn_2024();
            for r in evaluate_skd(&rules, entries, &seats, multiplier) {
                prop_assert_eq!(r.passed, r.threshold_set.is_some() && r.failed.is_empty());
                if !r.passed {
                    prop_assert!(!r.goes_on);
                    prop_assert_eq!(r.rank, None);
                }
            }
        }
    }
}

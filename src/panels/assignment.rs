//! Distribution of applications to selection-panel members: balanced, seeded (reproducible by an
//! auditor from the recorded seed) and respecting recusals.
//!
//! Everything here is pure: the same inputs (as sets, whatever their order) and the same seed always
//! give the same result, so an auditor can recompute an assignment from the recorded seed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Applications that cannot get the required number of scorers because too many members are
/// excluded from them (or the panel is too small). Every such application is listed, not just the
/// first one found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall<A> {
    /// Scorers required per application.
    pub required: usize,
    /// The short applications, in ascending order.
    pub applications: Vec<A>,
    /// `eligible[i]` is the number of members eligible to score `applications[i]`.
    pub eligible: Vec<usize>,
}

impl<A: fmt::Debug> fmt::Display for Shortfall<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} application(s) have fewer than {} eligible panel members:",
            self.applications.len(),
            self.required
        )?;
        for (application, eligible) in self.applications.iter().zip(&self.eligible) {
            write!(f, " {application:?} ({eligible} eligible)")?;
        }
        Ok(())
    }
}

impl<A: fmt::Debug> std::error::Error for Shortfall<A> {}

/// Assigns `scorers` distinct members to every application.
///
/// - Balanced: each application takes the eligible members with the lowest current load, the most
///   constrained applications (fewest eligible members) being served first; then single
///   assignments are moved from a member to an eligible one with at least 2 fewer until no such
///   move remains. With no exclusions, max load − min load ≤ 1; with exclusions the result is
///   balanced up to such single moves (not a global optimum under adversarial exclusions).
/// - Randomised by `seed` only: the processing order of applications and the tie-break order of
///   equally loaded members are drawn from `ChaCha8Rng::seed_from_u64(seed)`. The tie-break order
///   is redrawn for each application so that members are paired with varied co-scorers.
/// - Independent of input order: both slices are sorted and de-duplicated first.
/// - Exclusions `(application, member)` are never assigned; pairs naming an application or member
///   not in the inputs are ignored.
///
/// Each application's member list is sorted ascending. Fails, without assigning anything, if any
/// application has fewer than `scorers` eligible members.
pub fn assign<A: Ord + Clone, M: Ord + Clone>(
    applications: &[A],
    members: &[M],
    scorers: usize,
    excluded: &BTreeSet<(A, M)>,
    seed: u64,
) -> Result<BTreeMap<A, Vec<M>>, Shortfall<A>> {
    let applications = sorted_unique(applications);
    let members = sorted_unique(members);
    let eligible = eligible_members(&applications, &members, excluded);
    check_shortfall(&applications, &eligible, scorers)?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..applications.len()).collect();
    order.shuffle(&mut rng);
    // Stable sort: among equally constrained applications the shuffled order is kept.
    order.sort_by_key(|&app| eligible[app].len());

    let mut load = vec![0usize; members.len()];
    let mut tie_break: Vec<usize> = (0..members.len()).collect();
    let mut rank = vec![0usize; members.len()];
    let mut chosen: Vec<Vec<usize>> = vec![Vec::new(); applications.len()];
    for &app in &order {
        tie_break.shuffle(&mut rng);
        for (position, &member) in tie_break.iter().enumerate() {
            rank[member] = position;
        }
        let mut picked = eligible[app].clone();
        picked.sort_by_key(|&member| (load[member], rank[member]));
        picked.truncate(scorers);
        for &member in &picked {
            load[member] += 1;
        }
        chosen[app] = picked;
    }
    let mut final_tie_break: Vec<usize> = (0..members.len()).collect();
    final_tie_break.shuffle(&mut rng);
    rebalance(&mut chosen, &eligible, &mut load, &order, &final_tie_break);

    Ok(applications
        .into_iter()
        .zip(chosen)
        .map(|(app, picked)| {
            let assigned = picked.iter().map(|&m| members[m].clone()).collect();
            (app, assigned)
        })
        .collect())
}

/// Picks who takes over `application` when `leaving` is recused from it after assignment.
///
/// Candidates are the `members` not excluded from `application`, not already assigned to it and
/// not `leaving`; the one with the lowest current load (counted over the whole `assignment`) wins,
/// ties broken by the seeded member order (see [`member_order`]). Returns `None` if nobody is
/// eligible. Deterministic for the same inputs and seed; `seed` should be recorded with the
/// replacement decision.
pub fn replacement<A: Ord + Clone, M: Ord + Clone>(
    assignment: &BTreeMap<A, Vec<M>>,
    application: &A,
    leaving: &M,
    members: &[M],
    excluded: &BTreeSet<(A, M)>,
    seed: u64,
) -> Option<M> {
    let current = assignment.get(application);
    let is_assigned = |member: &M| current.is_some_and(|assigned| assigned.contains(member));
    let load = loads(assignment);
    member_order(members, seed)
        .into_iter()
        .enumerate()
        .filter(|(_, member)| member != leaving && !is_assigned(member))
        .filter(|(_, member)| !excluded.contains(&(application.clone(), member.clone())))
        .min_by_key(|(rank, member)| (load.get(member).copied().unwrap_or(0), *rank))
        .map(|(_, member)| member)
}

/// The number of applications assigned to each member. Members with no application are absent.
pub fn loads<A, M: Ord + Clone>(assignment: &BTreeMap<A, Vec<M>>) -> BTreeMap<M, usize> {
    let mut load = BTreeMap::new();
    for member in assignment.values().flatten() {
        *load.entry(member.clone()).or_insert(0) += 1;
    }
    load
}

/// The seeded random order of the (sorted, de-duplicated) members that [`replacement`] uses to
/// break ties between equally loaded members.
pub fn member_order<M: Ord + Clone>(members: &[M], seed: u64) -> Vec<M> {
    let mut order = sorted_unique(members);
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    order
}

fn sorted_unique<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort();
    items.dedup();
    items
}

/// Greedy assignment can leave a spread of 2 or more under heavy exclusions; this moves single
/// assignments from a member to an eligible one with at least 2 fewer until no such move is left.
/// Each move strictly lowers the sum of squared loads, so the loop terminates.
fn rebalance(
    chosen: &mut [Vec<usize>],
    eligible: &[Vec<usize>],
    load: &mut [usize],
    order: &[usize],
    tie_break: &[usize],
) {
    let mut rank = vec![0usize; load.len()];
    for (position, &member) in tie_break.iter().enumerate() {
        rank[member] = position;
    }
    let mut moved = true;
    while moved {
        moved = false;
        for &app in order {
            for slot in 0..chosen[app].len() {
                let from = chosen[app][slot];
                let to = eligible[app]
                    .iter()
                    .copied()
                    .filter(|&m| load[m] + 2 <= load[from] && !chosen[app].contains(&m))
                    .min_by_key(|&m| (load[m], rank[m]));
                if let Some(to) = to {
                    chosen[app][slot] = to;
                    load[from] -= 1;
                    load[to] += 1;
                    moved = true;
                }
            }
            chosen[app].sort_unstable();
        }
    }
}

/// For each application (by index), the indices of the members it may be assigned, ascending.
fn eligible_members<A: Ord, M: Ord>(
    applications: &[A],
    members: &[M],
    excluded: &BTreeSet<(A, M)>,
) -> Vec<Vec<usize>> {
    let mut barred = vec![vec![false; members.len()]; applications.len()];
    for (app, member) in excluded {
        if let (Ok(a), Ok(m)) = (
            applications.binary_search(app),
            members.binary_search(member),
        ) {
            barred[a][m] = true;
        }
    }
    barred
        .iter()
        .map(|row| (0..members.len()).filter(|&m| !row[m]).collect())
        .collect()
}

fn check_shortfall<A: Clone>(
    applications: &[A],
    eligible: &[Vec<usize>],
    scorers: usize,
) -> Result<(), Shortfall<A>> {
    let (short, counts): (Vec<A>, Vec<usize>) = applications
        .iter()
        .zip(eligible)
        .filter(|(_, members)| members.len() < scorers)
        .map(|(app, members)| (app.clone(), members.len()))
        .unzip();
    if short.is_empty() {
        Ok(())
    } else {
        Err(Shortfall {
            required: scorers,
            applications: short,
            eligible: counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn range(n: u32) -> Vec<u32> {
        (0..n).collect()
    }

    fn spread(assignment: &BTreeMap<u32, Vec<u32>>, members: &[u32]) -> usize {
        let load = loads(assignment);
        let counts: Vec<usize> = members
            .iter()
            .map(|m| load.get(m).copied().unwrap_or(0))
            .collect();
        counts.iter().max().unwrap() - counts.iter().min().unwrap()
    }

    fn assert_well_formed(
        assignment: &BTreeMap<u32, Vec<u32>>,
        applications: &[u32],
        members: &[u32],
        scorers: usize,
        excluded: &BTreeSet<(u32, u32)>,
    ) {
        assert_eq!(assignment.len(), applications.len());
        for app in applications {
            let assigned = &assignment[app];
            assert_eq!(assigned.len(), scorers, "application {app}");
            assert!(assigned.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
            for member in assigned {
                assert!(members.contains(member));
                assert!(
                    !excluded.contains(&(*app, *member)),
                    "excluded pair assigned"
                );
            }
        }
    }

    /// Whether moving one assignment from a member to an eligible one with ≥ 2 fewer is possible.
    fn single_move_improves(
        assignment: &BTreeMap<u32, Vec<u32>>,
        members: &[u32],
        excluded: &BTreeSet<(u32, u32)>,
    ) -> bool {
        let load = loads(assignment);
        let of = |m: &u32| load.get(m).copied().unwrap_or(0);
        assignment.iter().any(|(app, assigned)| {
            assigned.iter().any(|from| {
                members.iter().any(|to| {
                    of(to) + 2 <= of(from)
                        && !assigned.contains(to)
                        && !excluded.contains(&(*app, *to))
                })
            })
        })
    }

    #[test]
    fn heavy_exclusions_leave_no_improving_move() {
        let (apps, members) = (range(28), range(7));
        let excluded: BTreeSet<(u32, u32)> = (0..28)
            .flat_map(|a| [(a, a % 7), (a, (a * 3 + 1) % 7), (a, (a / 4) % 7)])
            .collect();
        for seed in 0..50 {
            let result = assign(&apps, &members, 2, &excluded, seed).unwrap();
            assert_well_formed(&result, &apps, &members, 2, &excluded);
            assert!(!single_move_improves(&result, &members, &excluded));
        }
    }

    #[test]
    fn balanced_without_exclusions() {
        for (apps, members, scorers) in
            [(2000, 9, 2), (7, 3, 2), (100, 5, 3), (1, 4, 4), (10, 1, 1)]
        {
            let (apps, members) = (range(apps), range(members));
            let none = BTreeSet::new();
            let result = assign(&apps, &members, scorers, &none, 42).unwrap();
            assert_well_formed(&result, &apps, &members, scorers, &none);
            assert!(spread(&result, &members) <= 1, "{apps:?}×{members:?}");
        }
    }

    #[test]
    fn zero_scorers_and_no_applications() {
        let result = assign(&range(3), &range(2), 0, &BTreeSet::new(), 1).unwrap();
        assert!(result.values().all(Vec::is_empty));
        assert_eq!(result.len(), 3);
        let empty: &[u32] = &[];
        assert!(
            assign(empty, &range(2), 2, &BTreeSet::new(), 1)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn reproducible_for_seed_and_varies_across_seeds() {
        let (apps, members) = (range(200), range(9));
        let none = BTreeSet::new();
        let first = assign(&apps, &members, 2, &none, 7).unwrap();
        assert_eq!(first, assign(&apps, &members, 2, &none, 7).unwrap());
        assert_ne!(first, assign(&apps, &members, 2, &none, 8).unwrap());
    }

    #[test]
    fn independent_of_input_order_and_duplicates() {
        let (apps, members) = (range(300), range(7));
        let excluded: BTreeSet<_> = [(3, 1), (10, 4), (250, 0)].into();
        let expected = assign(&apps, &members, 3, &excluded, 99).unwrap();
        let mut shuffled_apps = apps.clone();
        shuffled_apps.reverse();
        shuffled_apps.push(5);
        let shuffled_members = vec![6, 2, 0, 5, 1, 3, 4, 2];
        let got = assign(&shuffled_apps, &shuffled_members, 3, &excluded, 99).unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn pairs_members_with_varied_co_scorers() {
        let (apps, members) = (range(2000), range(9));
        let result = assign(&apps, &members, 2, &BTreeSet::new(), 3).unwrap();
        let pairs: BTreeSet<&Vec<u32>> = result.values().collect();
        assert_eq!(pairs.len(), 36, "all 9·8/2 pairs occur");
    }

    #[test]
    fn respects_exclusions_and_stays_balanced() {
        let (apps, members) = (range(100), range(5));
        let excluded: BTreeSet<_> = [(0, 0), (1, 0), (2, 3), (50, 4), (99, 2), (99, 1)].into();
        for seed in 0..20 {
            let result = assign(&apps, &members, 3, &excluded, seed).unwrap();
            assert_well_formed(&result, &apps, &members, 3, &excluded);
            assert!(spread(&result, &members) <= 1, "seed {seed}");
        }
    }

    #[test]
    fn tight_exclusions_force_the_only_choice() {
        let excluded: BTreeSet<_> = [(0, 0), (0, 1)].into();
        let result = assign(&range(4), &range(4), 2, &excluded, 5).unwrap();
        assert_eq!(result[&0], vec![2, 3]);
    }

    #[test]
    fn reports_every_shortfall() {
        let excluded: BTreeSet<_> = [(1, 0), (4, 2), (4, 1), (9, 0)].into();
        let err = assign(&range(6), &range(3), 3, &excluded, 1).unwrap_err();
        assert_eq!(err.applications, vec![1, 4]);
        assert_eq!(err.eligible, vec![2, 1]);
        assert_eq!(err.required, 3);
        assert!(err.to_string().contains("2 application(s)"));

        let err = assign(&range(2), &range(2), 3, &BTreeSet::new(), 1).unwrap_err();
        assert_eq!(err.applications, vec![0, 1]);
    }

    #[test]
    fn replacement_picks_least_loaded_eligible() {
        let assignment: BTreeMap<u32, Vec<u32>> = [
            (0, vec![0, 1]),
            (1, vec![0, 2]),
            (2, vec![1, 2]),
            (3, vec![0, 3]),
        ]
        .into();
        let members = range(5);
        // Member 4 has load 0 and is eligible.
        let none = BTreeSet::new();
        assert_eq!(
            replacement(&assignment, &0, &0, &members, &none, 1),
            Some(4)
        );
        // With 4 excluded, 3 (load 1) beats 2 (load 2); 1 is already assigned, 0 is leaving.
        let excluded: BTreeSet<_> = [(0, 4)].into();
        assert_eq!(
            replacement(&assignment, &0, &0, &members, &excluded, 1),
            Some(3)
        );
        let excluded: BTreeSet<_> = [(0, 4), (0, 3), (0, 2)].into();
        assert_eq!(
            replacement(&assignment, &0, &0, &members, &excluded, 1),
            None
        );
    }

    #[test]
    fn replacement_ties_follow_seeded_order() {
        let assignment: BTreeMap<u32, Vec<u32>> = [(0, vec![0])].into();
        let members = range(6);
        for seed in 0..10 {
            let order = member_order(&members, seed);
            let expected = order.iter().copied().find(|&m| m != 0);
            let got = replacement(&assignment, &0, &0, &members, &BTreeSet::new(), seed);
            assert_eq!(got, expected);
            assert_eq!(
                got,
                replacement(&assignment, &0, &0, &members, &BTreeSet::new(), seed)
            );
        }
    }

    proptest! {
        #[test]
        fn prop_assignment_is_valid(
            n_apps in 0u32..60,
            n_members in 1u32..10,
            scorers in 0usize..5,
            raw_excluded in proptest::collection::vec((0u32..60, 0u32..10), 0..40),
            seed in any::<u64>(),
        ) {
            let (apps, members) = (range(n_apps), range(n_members));
            let excluded: BTreeSet<_> = raw_excluded.into_iter().collect();
            match assign(&apps, &members, scorers, &excluded, seed) {
                Ok(result) => {
                    assert_well_formed(&result, &apps, &members, scorers, &excluded);
                    if excluded.is_empty() {
                        prop_assert!(spread(&result, &members) <= 1);
                    }
                    prop_assert!(!single_move_improves(&result, &members, &excluded));
                }
                Err(short) => {
                    prop_assert!(!short.applications.is_empty());
                    for app in &apps {
                        let eligible = members
                            .iter()
                            .filter(|m| !excluded.contains(&(*app, **m)))
                            .count();
                        let listed = short.applications.contains(app);
                        prop_assert_eq!(listed, eligible < scorers);
                    }
                }
            }
        }

        #[test]
        fn prop_replacement_is_eligible_and_least_loaded(
            n_apps in 1u32..30,
            n_members in 2u32..8,
            raw_excluded in proptest::collection::vec((0u32..30, 0u32..8), 0..20),
            seed in any::<u64>(),
        ) {
            let (apps, members) = (range(n_apps), range(n_members));
            let Ok(result) = assign(&apps, &members, 1, &BTreeSet::new(), seed) else {
                return Ok(());
            };
            let excluded: BTreeSet<_> = raw_excluded.into_iter().collect();
            let app = 0;
            let leaving = result[&app][0];
            let load = loads(&result);
            let got = replacement(&result, &app, &leaving, &members, &excluded, seed);
            let candidates: Vec<u32> = members
                .iter()
                .copied()
                .filter(|m| *m != leaving && !excluded.contains(&(app, *m)))
                .collect();
            match got {
                None => prop_assert!(candidates.is_empty()),
                Some(m) => {
                    prop_assert!(candidates.contains(&m));
                    let min = candidates
                        .iter()
                        .map(|c| load.get(c).copied().unwrap_or(0))
                        .min()
                        .unwrap();
                    prop_assert_eq!(load.get(&m).copied().unwrap_or(0), min);
                }
            }
        }
    }
}

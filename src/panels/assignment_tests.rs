//! The balanced, seeded assignment of scorers: balance, reproducibility, recusals.

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
                of(to) + 2 <= of(from) && !assigned.contains(to) && !excluded.contains(&(*app, *to))
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
    for (apps, members, scorers) in [(2000, 9, 2), (7, 3, 2), (100, 5, 3), (1, 4, 4), (10, 1, 1)] {
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

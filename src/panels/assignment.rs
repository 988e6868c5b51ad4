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
#[path = "assignment_tests.rs"]
mod tests;

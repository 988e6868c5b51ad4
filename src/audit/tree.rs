//! The stored Merkle tree over the sealed events (`audit_tree_nodes`): grown as events are
//! sealed, read a few complete subtrees at a time. The arithmetic is in [`super::merkle`].

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::merkle::{self, Hash, Node, ProofError};
use crate::db::Conn;
use crate::db::schema::audit_tree_nodes;
use crate::error::AppError;

/// The leaf of an event: SHA-256(0x00 ‖ its hash), the 32 bytes its hex `hash` spells. A stored
/// hash that is not 64 hex digits (only a direct edit makes one) is taken as its bytes, so the
/// tree still grows over it; verification reports the event.
pub fn leaf_of(event_hash: &str) -> Hash {
    match hex::decode(event_hash) {
        Ok(bytes) if bytes.len() == 32 => merkle::hash_leaf(&bytes),
        _ => merkle::hash_leaf(event_hash.as_bytes()),
    }
}

/// How many events the stored tree covers (its leaves are events 1..=size).
pub fn size(conn: &mut Conn) -> Result<u64, AppError> {
    let last: Option<i64> = audit_tree_nodes::table
        .filter(audit_tree_nodes::level.eq(0))
        .select(diesel::dsl::max(audit_tree_nodes::idx))
        .first(conn)?;
    Ok(last.map_or(0, |i| i as u64 + 1))
}

/// The stored hashes of `nodes`, in one query; absent nodes are absent from the map.
pub fn load(conn: &mut Conn, nodes: &[Node]) -> Result<BTreeMap<Node, Hash>, AppError> {
    if nodes.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut by_level: BTreeMap<u8, Vec<i64>> = BTreeMap::new();
    for node in nodes {
        by_level
            .entry(node.level)
            .or_default()
            .push(node.index as i64);
    }
    let mut query = audit_tree_nodes::table
        .select((
            audit_tree_nodes::level,
            audit_tree_nodes::idx,
            audit_tree_nodes::hash,
        ))
        .into_boxed();
    for (level, indexes) in by_level {
        query = query.or_filter(
            audit_tree_nodes::level
                .eq(i32::from(level))
                .and(audit_tree_nodes::idx.eq_any(indexes)),
        );
    }
    let rows: Vec<(i32, i64, String)> = query.load(conn)?;
    rows.into_iter()
        .map(|(level, index, hash)| {
            let node = Node {
                level: level as u8,
                index: index as u64,
            };
            Ok((node, parse_hash(&hash).ok_or_else(|| broken_node(node))?))
        })
        .collect()
}

fn parse_hash(text: &str) -> Option<Hash> {
    hex::decode(text).ok()?.try_into().ok()
}

fn broken_node(node: Node) -> AppError {
    AppError::internal(format!(
        "stored tree node (level {}, index {}) is not a SHA-256 hash",
        node.level, node.index
    ))
}

/// The head of the stored tree at `size` leaves.
pub fn root_at(conn: &mut Conn, size: u64) -> Result<Hash, AppError> {
    let nodes = load(conn, &merkle::nodes_for_root(size))?;
    Ok(merkle::root(&nodes, size)?)
}

/// Appends `events` (id, stored hash), in this order, as the next leaves, with every subtree
/// they complete, in the caller's transaction (under the chain lock). A leaf names its event,
/// which is how an event gets its position: leaf `idx` is the event at `seq = idx + 1`.
pub fn append_leaves(conn: &mut Conn, events: &[(i64, String)]) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    let size = size(conn)?;
    // The complete subtrees of the current tree are the left siblings the new leaves need.
    let edge = load(conn, &merkle::nodes_for_root(size))?;
    let mut frontier = merkle::Frontier::resume(size, &edge)?;
    let mut completed = Vec::new();
    for (_, hash) in events {
        frontier.push_recording(leaf_of(hash), &mut completed);
    }
    let new_rows: Vec<_> = completed
        .iter()
        .map(|(node, value)| {
            let event = (node.level == 0).then(|| events[(node.index - size) as usize].0);
            (
                audit_tree_nodes::level.eq(i32::from(node.level)),
                audit_tree_nodes::idx.eq(node.index as i64),
                audit_tree_nodes::hash.eq(hex::encode(value)),
                audit_tree_nodes::event_id.eq(event),
            )
        })
        .collect();
    for chunk in new_rows.chunks(250) {
        crate::on_backend!(conn, |c| diesel::insert_into(audit_tree_nodes::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// A stored tree that lacks a node it should have is damaged, not a caller's mistake.
impl From<ProofError> for AppError {
    fn from(error: ProofError) -> Self {
        AppError::internal(format!("the stored audit tree is incomplete: {error}"))
    }
}

/// A stored node that is missing or differs from the node recomputed from the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The first event the node covers.
    pub first_seq: i64,
    pub reason: String,
}

const VERIFY_BATCH: i64 = 2_000;

/// Recomputes every complete subtree of the stored tree from the events' hashes, a batch at a
/// time, and compares it with the stored one; the tree must not have a leaf without its event.
/// The first difference is returned (None: the stored tree is exactly the events' tree). The
/// size is read first: nodes are only ever added with their events, in one transaction, so
/// a sealer committing meanwhile cannot make a sound tree look damaged.
pub fn verify(conn: &mut Conn) -> Result<Option<Damage>, AppError> {
    let tree_size = size(conn)?;
    let mut frontier = merkle::Frontier::default();
    while frontier.size() < tree_size {
        let after = frontier.size() as i64;
        let batch = VERIFY_BATCH.min(tree_size as i64 - after);
        let events = super::store::sealed_after(conn, after, batch)?;
        let mut computed = Vec::new();
        for (expected, event) in (after + 1..).zip(&events) {
            if event.seq != expected {
                return Ok(Some(Damage {
                    first_seq: expected,
                    reason: format!("the leaf of event {expected} names no event: it was removed"),
                }));
            }
            frontier.push_recording(leaf_of(&event.hash), &mut computed);
        }
        let nodes: Vec<Node> = computed.iter().map(|(node, _)| *node).collect();
        let stored = load(conn, &nodes)?;
        for (node, hash) in &computed {
            let first_seq = (node.index << node.level) as i64 + 1;
            let differs = match stored.get(node) {
                None => "is missing",
                Some(s) if s != hash => "does not match the events",
                Some(_) => continue,
            };
            let last_seq = first_seq + (1i64 << node.level) - 1;
            return Ok(Some(Damage {
                first_seq,
                reason: format!(
                    "the Merkle tree node over events {first_seq} to {last_seq} (level {}, index {}) {differs}",
                    node.level, node.index
                ),
            }));
        }
        if (events.len() as i64) < batch {
            break;
        }
    }
    if frontier.size() < tree_size {
        return Ok(Some(Damage {
            first_seq: frontier.size() as i64 + 1,
            reason: format!(
                "the Merkle tree has {tree_size} leaves but only {} of them name an event: events were removed",
                frontier.size()
            ),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_is_over_the_32_bytes_of_the_event_hash() {
        let hash = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
        assert_eq!(
            leaf_of(hash),
            merkle::hash_leaf(&hex::decode(hash).unwrap())
        );
        assert_eq!(leaf_of("edited"), merkle::hash_leaf(b"edited"));
    }
}

//! The Merkle tree hash of RFC 9162 section 2.1 over the sealed audit events, as pure functions:
//! the tree head, inclusion proofs, consistency proofs and their verification, for any tree size.
//!
//! A tree is read only through its *complete subtrees* ([`Node`]: an aligned block of 2^level
//! leaves), which the store keeps as they complete. Any head or proof of a tree of size n needs
//! at most about 2·log2(n) of them: [`nodes_for_root`], [`nodes_for_inclusion`] and
//! [`nodes_for_consistency`] name them, so the store can fetch them in one query, and the proof
//! functions then take them from a lookup. [`Frontier`] grows the tree a leaf at a time and
//! says which nodes each new leaf completes.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// A SHA-256 value: a leaf, an interior node, or a tree head.
pub type Hash = [u8; 32];

/// The leaf hash of RFC 9162 2.1.1: SHA-256(0x00 ‖ entry).
pub fn hash_leaf(entry: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(entry)
        .finalize()
        .into()
}

/// An interior node of RFC 9162 2.1.1: SHA-256(0x01 ‖ left ‖ right).
pub fn hash_children(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The head of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete subtree: leaves `index·2^level .. (index+1)·2^level`; level 0 is one leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Node {
    pub level: u8,
    pub index: u64,
}

impl Node {
    /// The complete subtree that is exactly `start..end`, if that range is one.
    fn spanning(start: u64, end: u64) -> Option<Node> {
        let width = end - start;
        (width.is_power_of_two() && start.is_multiple_of(width)).then(|| Node {
            level: width.trailing_zeros() as u8,
            index: start >> width.trailing_zeros(),
        })
    }
}

/// The largest power of two below `n` (n ≥ 2): where RFC 9162 splits a tree of n leaves.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Why a proof or a request for one does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of size {first} cannot precede one of size {second}")]
    SizesOutOfOrder { first: u64, second: u64 },
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the proof does not lead to the tree head")]
    RootMismatch,
    #[error("the proof does not lead to the earlier tree head")]
    FirstRootMismatch,
    #[error("a complete subtree the proof needs is missing: level {}, index {}", .0.level, .0.index)]
    MissingNode(Node),
}

/// Complete-subtree hashes looked up by node; a missing one is an error, never a guess.
pub trait Nodes {
    fn node(&self, node: Node) -> Result<Hash, ProofError>;
}

impl Nodes for BTreeMap<Node, Hash> {
    fn node(&self, node: Node) -> Result<Hash, ProofError> {
        self.get(&node)
            .copied()
            .ok_or(ProofError::MissingNode(node))
    }
}

/// Records which nodes a computation asks for (and answers with zeros).
struct Recorder(std::cell::RefCell<Vec<Node>>);

impl Nodes for Recorder {
    fn node(&self, node: Node) -> Result<Hash, ProofError> {
        self.0.borrow_mut().push(node);
        Ok([0; 32])
    }
}

fn recorded(run: impl FnOnce(&Recorder) -> Result<(), ProofError>) -> Vec<Node> {
    let recorder = Recorder(Default::default());
    // The recorder answers every node, so only a range error can occur, and the callers check
    // ranges first.
    let _ = run(&recorder);
    let mut nodes = recorder.0.into_inner();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

/// MTH(D[start..end]) from complete subtrees: the range itself when it is one, else split.
fn subtree_hash(nodes: &impl Nodes, start: u64, end: u64) -> Result<Hash, ProofError> {
    if let Some(node) = Node::spanning(start, end) {
        return nodes.node(node);
    }
    let k = split(end - start);
    Ok(hash_children(
        &subtree_hash(nodes, start, start + k)?,
        &subtree_hash(nodes, start + k, end)?,
    ))
}

/// The tree head MTH(D[0..size]).
pub fn root(nodes: &impl Nodes, size: u64) -> Result<Hash, ProofError> {
    if size == 0 {
        return Ok(empty_root());
    }
    subtree_hash(nodes, 0, size)
}

/// The nodes [`root`] reads for a tree of `size` leaves: at most one per set bit of `size`.
pub fn nodes_for_root(size: u64) -> Vec<Node> {
    recorded(|r| root(r, size).map(drop))
}

/// PATH(m, D[start..end]) of RFC 9162 2.1.3.1, leaf first.
fn path(nodes: &impl Nodes, m: u64, start: u64, end: u64) -> Result<Vec<Hash>, ProofError> {
    if end - start == 1 {
        return Ok(Vec::new());
    }
    let k = split(end - start);
    let (mut proof, sibling) = if m < k {
        let proof = path(nodes, m, start, start + k)?;
        (proof, subtree_hash(nodes, start + k, end)?)
    } else {
        let proof = path(nodes, m - k, start + k, end)?;
        (proof, subtree_hash(nodes, start, start + k)?)
    };
    proof.push(sibling);
    Ok(proof)
}

/// The audit path of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(nodes: &impl Nodes, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    path(nodes, index, 0, size)
}

/// The nodes [`inclusion_proof`] reads.
pub fn nodes_for_inclusion(index: u64, size: u64) -> Vec<Node> {
    recorded(|r| inclusion_proof(r, index, size).map(drop))
}

/// SUBPROOF(m, D[start..end], b) of RFC 9162 2.1.4.1.
fn subproof(
    nodes: &impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
) -> Result<Vec<Hash>, ProofError> {
    let n = end - start;
    if m == n {
        return Ok(if whole {
            Vec::new()
        } else {
            vec![subtree_hash(nodes, start, end)?]
        });
    }
    let k = split(n);
    let (mut proof, other) = if m <= k {
        let proof = subproof(nodes, m, start, start + k, whole)?;
        (proof, subtree_hash(nodes, start + k, end)?)
    } else {
        let proof = subproof(nodes, m - k, start + k, end, false)?;
        (proof, subtree_hash(nodes, start, start + k)?)
    };
    proof.push(other);
    Ok(proof)
}

/// The proof that the tree of `first` leaves is a prefix of the tree of `second` leaves.
pub fn consistency_proof(
    nodes: &impl Nodes,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == 0 || first == second {
        return Ok(Vec::new());
    }
    subproof(nodes, first, 0, second, true)
}

/// The nodes [`consistency_proof`] reads.
pub fn nodes_for_consistency(first: u64, second: u64) -> Vec<Node> {
    recorded(|r| consistency_proof(r, first, second).map(drop))
}

/// Verifies an inclusion proof by the algorithm of RFC 9162 2.1.3.2.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = hash_children(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = hash_children(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if r == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Verifies a consistency proof by the algorithm of RFC 9162 2.1.4.2.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if first == 0 {
        // The empty tree is a prefix of every tree; its proof is empty.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    let Some((&first_hash, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength);
    };
    // When `first` is a power of two, the first subtree is the old root itself.
    let (path, seed) = if first.is_power_of_two() {
        (proof, *first_root)
    } else {
        (rest, first_hash)
    };
    let (mut f_n, mut s_n) = (first - 1, second - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (seed, seed);
    for c in path {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = hash_children(c, &f_r);
            s_r = hash_children(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = hash_children(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if f_r != *first_root {
        return Err(ProofError::FirstRootMismatch);
    }
    if s_r != *second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Every complete subtree of `leaves` (leaf hashes), as the store would hold them.
pub fn complete_subtrees(leaves: &[Hash]) -> BTreeMap<Node, Hash> {
    let mut frontier = Frontier::default();
    let mut completed = Vec::new();
    for leaf in leaves {
        frontier.push_recording(*leaf, &mut completed);
    }
    completed.into_iter().collect()
}

/// The tree grown one leaf at a time, keeping only its right edge (one complete subtree per
/// set bit of the size, largest first): O(log n) memory for a log of any length. Pushing a leaf
/// yields every subtree it completes, which is what the store keeps.
#[derive(Debug, Default)]
pub struct Frontier {
    edge: Vec<(u8, Hash)>,
    size: u64,
}

impl Frontier {
    /// Continues a tree of `size` leaves from its complete subtrees (the nodes of
    /// [`nodes_for_root`]), looked up in `nodes`.
    pub fn resume(size: u64, nodes: &impl Nodes) -> Result<Self, ProofError> {
        // nodes_for_root lists them smallest level first; the edge runs largest first.
        let edge = (nodes_for_root(size).into_iter().rev())
            .map(|node| Ok((node.level, nodes.node(node)?)))
            .collect::<Result<_, ProofError>>()?;
        Ok(Self { edge, size })
    }

    /// Adds the next leaf, noting every complete subtree it completes (itself first).
    pub fn push_recording(&mut self, leaf: Hash, completed: &mut Vec<(Node, Hash)>) {
        let leaf_index = self.size;
        let at = |level: u8| Node {
            level,
            index: leaf_index >> level,
        };
        let mut node = (0u8, leaf);
        completed.push((at(0), leaf));
        while let Some(&(level, left)) = self.edge.last() {
            if level != node.0 {
                break;
            }
            self.edge.pop();
            node = (level + 1, hash_children(&left, &node.1));
            completed.push((at(node.0), node.1));
        }
        self.edge.push(node);
        self.size += 1;
    }

    /// Adds the next leaf.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u8, leaf);
        while let Some(&(level, left)) = self.edge.last() {
            if level != node.0 {
                break;
            }
            self.edge.pop();
            node = (level + 1, hash_children(&left, &node.1));
        }
        self.edge.push(node);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// MTH of the leaves so far: the right edge folded from the right.
    pub fn root(&self) -> Hash {
        let mut hashes = self.edge.iter().rev().map(|(_, h)| *h);
        match hashes.next() {
            None => empty_root(),
            Some(last) => hashes.fold(last, |right, left| hash_children(&left, &right)),
        }
    }
}

#[cfg(test)]
#[path = "merkle_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "merkle_crosscheck_tests.rs"]
mod crosscheck;

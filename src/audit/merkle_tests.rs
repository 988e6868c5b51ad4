//! Checked against someone else's numbers: the leaves, subtree hashes, tree heads and proofs of
//! transparency-dev/merkle (`testonly/constants.go`, `proof/verify_test.go`), the reference
//! vectors of RFC 6962 logs, with their corruptions; then property tests against a naive
//! recursive MTH written straight from RFC 9162 2.1.1.

use proptest::prelude::*;

use super::*;

fn h(hex_text: &str) -> Hash {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

fn vector_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|x| hex::decode(x).unwrap())
    .collect()
}

/// Tree heads by size, 0 to 8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Complete subtree hashes by level and index.
const NODES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// (leaf index, tree size, audit path).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (first size, second size, consistency proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn hashes(hex_list: &[&str]) -> Vec<Hash> {
    hex_list.iter().map(|x| h(x)).collect()
}

fn vector_tree() -> BTreeMap<Node, Hash> {
    let leaves: Vec<Hash> = vector_leaves().iter().map(|l| hash_leaf(l)).collect();
    complete_subtrees(&leaves)
}

#[test]
fn leaf_and_subtree_hashes_match_the_vectors() {
    let tree = vector_tree();
    for (level, row) in NODES.iter().enumerate() {
        for (index, want) in row.iter().enumerate() {
            let node = Node {
                level: level as u8,
                index: index as u64,
            };
            assert_eq!(tree[&node], h(want), "{node:?}");
        }
    }
    assert_eq!(tree.len(), 15);
}

#[test]
fn tree_heads_of_every_size_match_the_vectors() {
    let leaves: Vec<Hash> = vector_leaves().iter().map(|l| hash_leaf(l)).collect();
    for (size, want) in ROOTS.iter().enumerate() {
        // The tree as it stood at that size: only the subtrees complete by then.
        let nodes = complete_subtrees(&leaves[..size]);
        assert_eq!(root(&nodes, size as u64).unwrap(), h(want), "size {size}");
        assert_eq!(naive_root(&leaves[..size]), h(want), "naive, size {size}");
    }
}

#[test]
fn inclusion_proofs_match_the_vectors_and_corruptions_fail() {
    let tree = vector_tree();
    let leaves = vector_leaves();
    for (index, size, want) in INCLUSION {
        let proof = inclusion_proof(&tree, index, size).unwrap();
        assert_eq!(proof, hashes(want), "leaf {index} of {size}");
        let leaf = hash_leaf(&leaves[index as usize]);
        let head = h(ROOTS[size as usize]);
        assert_eq!(verify_inclusion(index, size, &leaf, &proof, &head), Ok(()));
        for (what, index, size, leaf, proof, head) in
            inclusion_corruptions(index, size, leaf, &proof, head)
        {
            assert!(
                verify_inclusion(index, size, &leaf, &proof, &head).is_err(),
                "{what} verified (leaf {index} of {size})"
            );
        }
    }
}

type InclusionProbe = (&'static str, u64, u64, Hash, Vec<Hash>, Hash);
/// (what, first size, second size, first head, second head, proof).
type ConsistencyProbe = (&'static str, u64, u64, Hash, Hash, Vec<Hash>);

/// The corruptions of transparency-dev's `corruptInclusionProof`.
fn inclusion_corruptions(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
    head: Hash,
) -> Vec<InclusionProbe> {
    let some: Hash = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    let mut probes: Vec<InclusionProbe> = vec![
        (
            "index - 1",
            index.wrapping_sub(1),
            size,
            leaf,
            proof.to_vec(),
            head,
        ),
        ("index + 1", index + 1, size, leaf, proof.to_vec(), head),
        ("index ^ 2", index ^ 2, size, leaf, proof.to_vec(), head),
        ("size * 2", index, size * 2, leaf, proof.to_vec(), head),
        ("size / 2", index, size / 2, leaf, proof.to_vec(), head),
        ("wrong leaf", index, size, some, proof.to_vec(), head),
        (
            "empty root",
            index,
            size,
            leaf,
            proof.to_vec(),
            empty_root(),
        ),
        ("random root", index, size, leaf, proof.to_vec(), some),
        (
            "trailing root",
            index,
            size,
            leaf,
            [proof, &[head]].concat(),
            head,
        ),
        (
            "preceding root",
            index,
            size,
            leaf,
            [&[head], proof].concat(),
            head,
        ),
    ];
    for i in 0..proof.len() {
        let mut flipped = proof.to_vec();
        flipped[i][0] ^= 8;
        probes.push(("flipped bit", index, size, leaf, flipped, head));
    }
    if !proof.is_empty() {
        probes.push((
            "removed",
            index,
            size,
            leaf,
            proof[..proof.len() - 1].to_vec(),
            head,
        ));
    }
    if proof.len() > 1 {
        let inserted = [&[proof[0], some], &proof[1..]].concat();
        probes.push(("inserted", index, size, leaf, inserted, head));
    }
    probes
}

#[test]
fn consistency_proofs_match_the_vectors_and_corruptions_fail() {
    let tree = vector_tree();
    for (first, second, want) in CONSISTENCY {
        let proof = consistency_proof(&tree, first, second).unwrap();
        assert_eq!(proof, hashes(want), "{first} to {second}");
        let (r1, r2) = (h(ROOTS[first as usize]), h(ROOTS[second as usize]));
        assert_eq!(verify_consistency(first, second, &r1, &r2, &proof), Ok(()));
        if proof.is_empty() {
            continue;
        }
        let some: Hash = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        let mut probes: Vec<ConsistencyProbe> = vec![
            ("first - 1", first - 1, second, r1, r2, proof.clone()),
            ("first + 1", first + 1, second, r1, r2, proof.clone()),
            ("first ^ 2", first ^ 2, second, r1, r2, proof.clone()),
            ("second * 2", first, second * 2, r1, r2, proof.clone()),
            ("second / 2", first, second / 2, r1, r2, proof.clone()),
            ("wrong first root", first, second, some, r2, proof.clone()),
            ("wrong second root", first, second, r1, some, proof.clone()),
            ("swapped roots", first, second, r2, r1, proof.clone()),
            ("empty proof", first, second, r1, r2, Vec::new()),
            (
                "trailing root",
                first,
                second,
                r1,
                r2,
                [&proof[..], &[r2]].concat(),
            ),
            (
                "preceding root",
                first,
                second,
                r1,
                r2,
                [&[r1], &proof[..]].concat(),
            ),
            (
                "preceding proof[0]",
                first,
                second,
                r1,
                r2,
                [&[proof[0]], &proof[..]].concat(),
            ),
            (
                "truncated",
                first,
                second,
                r1,
                r2,
                proof[..proof.len() - 1].to_vec(),
            ),
        ];
        for i in 0..proof.len() {
            let mut flipped = proof.clone();
            flipped[i][0] ^= 16;
            probes.push(("flipped bit", first, second, r1, r2, flipped));
        }
        for (what, a, b, x, y, p) in probes {
            assert!(
                verify_consistency(a, b, &x, &y, &p).is_err(),
                "{what} verified ({first} to {second})"
            );
        }
    }
}

#[test]
fn the_edge_cases_of_transparency_devs_verifier() {
    let (a, b) = (h(ROOTS[1]), h(ROOTS[2]));
    let empty = empty_root();
    // Sizes that are always consistent, and time travel.
    assert!(verify_consistency(0, 0, &a, &a, &[]).is_ok());
    assert!(verify_consistency(0, 1, &a, &b, &[]).is_ok());
    assert!(verify_consistency(1, 1, &b, &b, &[]).is_ok());
    assert!(verify_consistency(1, 0, &a, &b, &[]).is_err());
    assert!(verify_consistency(2, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 0, &empty, &b, &[]).is_err());
    assert!(verify_consistency(1, 1, &empty, &b, &[]).is_err());
    // Equal roots but a proof that should be empty.
    for (first, second) in [(0, 0), (0, 1), (1, 1)] {
        assert!(verify_consistency(first, second, &empty, &empty, &[empty]).is_err());
    }
    // A one-leaf tree: its head is its leaf and the path is empty.
    let leaf = hash_leaf(b"data");
    assert!(verify_inclusion(0, 1, &leaf, &[], &leaf).is_ok());
    for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
        assert!(verify_inclusion(index, size, &leaf, &[], &leaf).is_err());
    }
}

#[test]
fn a_head_or_proof_reads_few_nodes_and_a_new_leaf_completes_its_parents() {
    assert_eq!(nodes_for_root(8), [Node { level: 3, index: 0 }]);
    assert_eq!(nodes_for_root(7).len(), 3);
    // log2(n) hashes in a proof at sixteen million events (24), from at most twice as many
    // stored nodes (the right edge of the tree is made of several complete subtrees).
    let size = 16_000_000;
    let any_node = Recorder(Default::default());
    assert_eq!(
        inclusion_proof(&any_node, 12_345_678, size).unwrap().len(),
        24
    );
    assert!(nodes_for_inclusion(12_345_678, size).len() <= 48);
    assert!(nodes_for_inclusion(size - 1, size).len() <= 48);
    assert!(nodes_for_consistency(9_999_999, size).len() <= 48);
    // The eighth leaf completes itself and three parents; the fifth only itself.
    let mut frontier = Frontier::default();
    let mut completed = Vec::new();
    for i in 0..8u64 {
        completed.clear();
        frontier.push_recording(hash_leaf(&i.to_be_bytes()), &mut completed);
        if i == 4 {
            assert_eq!(completed.len(), 1);
        }
    }
    let nodes: Vec<Node> = completed.iter().map(|(node, _)| *node).collect();
    assert_eq!(
        nodes,
        [
            Node { level: 0, index: 7 },
            Node { level: 1, index: 3 },
            Node { level: 2, index: 1 },
            Node { level: 3, index: 0 },
        ]
    );
}

/// The frontier's head at every size, and a frontier resumed from stored nodes, agree with the
/// heads computed from the stored subtrees.
#[test]
fn the_frontier_gives_the_head_of_every_size_and_resumes_from_stored_nodes() {
    let leaves: Vec<Hash> = (0u64..70).map(|i| hash_leaf(&i.to_be_bytes())).collect();
    let all = complete_subtrees(&leaves);
    let mut frontier = Frontier::default();
    assert_eq!(frontier.root(), empty_root());
    for (i, leaf) in leaves.iter().enumerate() {
        let size = i as u64 + 1;
        frontier.push_recording(*leaf, &mut Vec::new());
        assert_eq!(frontier.root(), naive_root(&leaves[..=i]), "size {size}");
        let mut resumed = Frontier::resume(size, &all).unwrap();
        assert_eq!(resumed.root(), frontier.root(), "resumed at {size}");
        if let Some(next) = leaves.get(i + 1) {
            let mut completed = Vec::new();
            resumed.push_recording(*next, &mut completed);
            assert!(
                completed.iter().all(|(node, hash)| all[node] == *hash),
                "after {size}"
            );
        }
    }
}

#[test]
fn a_missing_node_is_an_error_never_a_guess() {
    let mut tree = vector_tree();
    tree.remove(&Node { level: 1, index: 1 });
    assert_eq!(
        inclusion_proof(&tree, 0, 8),
        Err(ProofError::MissingNode(Node { level: 1, index: 1 }))
    );
}

/// MTH of RFC 9162 2.1.1, straight from its definition, over leaf hashes.
pub(super) fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            hash_children(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

fn random_leaves(size: usize) -> Vec<Hash> {
    (0..size)
        .map(|i| hash_leaf(&(i as u64).to_be_bytes()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_inclusion_proof_verifies_and_every_flipped_bit_fails(
        size in 1usize..600, pick in any::<prop::sample::Index>(), bit in 0usize..256,
    ) {
        let leaves = random_leaves(size);
        let tree = complete_subtrees(&leaves);
        let head = root(&tree, size as u64).unwrap();
        prop_assert_eq!(head, naive_root(&leaves));
        let index = pick.index(size);
        let proof = inclusion_proof(&tree, index as u64, size as u64).unwrap();
        prop_assert!(proof.len() <= 64 - (size as u64).leading_zeros() as usize);
        prop_assert_eq!(verify_inclusion(index as u64, size as u64, &leaves[index], &proof, &head), Ok(()));
        if !proof.is_empty() {
            let mut flipped = proof.clone();
            flipped[(bit / 8) % proof.len()][bit % 32] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(index as u64, size as u64, &leaves[index], &flipped, &head).is_err());
        }
        let mut wrong_leaf = leaves[index];
        wrong_leaf[bit % 32] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(index as u64, size as u64, &wrong_leaf, &proof, &head).is_err());
        let other = (index + 1) % size;
        if other != index && leaves[other] != leaves[index] {
            prop_assert!(verify_inclusion(other as u64, size as u64, &leaves[index], &proof, &head).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewrite_fails(
        second in 1usize..600, pick in any::<prop::sample::Index>(), bit in 0usize..256,
    ) {
        let leaves = random_leaves(second);
        let first = pick.index(second) + 1;
        let tree = complete_subtrees(&leaves);
        let (r1, r2) = (naive_root(&leaves[..first]), naive_root(&leaves));
        let proof = consistency_proof(&tree, first as u64, second as u64).unwrap();
        prop_assert_eq!(verify_consistency(first as u64, second as u64, &r1, &r2, &proof), Ok(()));
        // A log that rewrote one leaf before `first` and rehashed everything after it.
        let mut rewritten = leaves.clone();
        rewritten[bit % first][bit % 32] ^= 1 << (bit % 8);
        let rewritten_tree = complete_subtrees(&rewritten);
        let new_head = root(&rewritten_tree, second as u64).unwrap();
        let new_proof = consistency_proof(&rewritten_tree, first as u64, second as u64).unwrap();
        if first < second {
            prop_assert!(verify_consistency(first as u64, second as u64, &r1, &new_head, &new_proof).is_err());
        } else {
            prop_assert_ne!(r1, new_head);
        }
        if !proof.is_empty() {
            let mut flipped = proof.clone();
            flipped[(bit / 8) % proof.len()][bit % 32] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(first as u64, second as u64, &r1, &r2, &flipped).is_err());
        }
    }
}

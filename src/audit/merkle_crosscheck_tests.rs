//! Cross-checked with an independent implementation, the `ct-merkle` crate (0.2): the same
//! heads and the same proof bytes, and each side's proofs verify with the other's verifier.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use proptest::prelude::*;
use sha2::Sha256;

use super::*;

fn entries(size: usize) -> Vec<Vec<u8>> {
    (0..size)
        .map(|i| format!("event {i}").into_bytes())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn same_heads_and_proofs(size in 1usize..300, pick in any::<prop::sample::Index>()) {
        let entries = entries(size);
        let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        entries.iter().for_each(|e| theirs.push(e.clone()));
        let leaves: Vec<Hash> = entries.iter().map(|e| hash_leaf(e)).collect();
        let ours = complete_subtrees(&leaves);
        let head = root(&ours, size as u64).unwrap();
        let their_head = theirs.root();
        prop_assert_eq!(&their_head.as_bytes()[..], &head[..]);

        let index = pick.index(size);
        let proof = inclusion_proof(&ours, index as u64, size as u64).unwrap();
        let their_proof = theirs.prove_inclusion(index);
        prop_assert_eq!(their_proof.as_bytes().to_vec(), proof.concat());
        let from_ours = InclusionProof::<Sha256>::from_bytes(proof.concat());
        prop_assert!(their_head.verify_inclusion(&entries[index], index as u64, &from_ours).is_ok());

        // The tree of `first` leaves against the whole tree.
        let first = index + 1;
        let proof = consistency_proof(&ours, first as u64, size as u64).unwrap();
        let old_head = super::tests::naive_root(&leaves[..first]);
        prop_assert_eq!(verify_consistency(first as u64, size as u64, &old_head, &head, &proof), Ok(()));
        if first < size {
            let their_proof = theirs.prove_consistency(size - first);
            prop_assert_eq!(their_proof.as_bytes().to_vec(), proof.concat());
            let old = RootHash::<Sha256>::new(old_head.into(), first as u64);
            let from_ours = ConsistencyProof::<Sha256>::try_from_bytes(proof.concat()).unwrap();
            prop_assert!(their_head.verify_consistency(&old, &from_ours).is_ok());
        }
    }
}

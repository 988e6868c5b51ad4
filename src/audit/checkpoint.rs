//! Ed25519 checkpoints: the server signs (seq, head hash) with a key kept outside the database, so
//! an auditor holding a checkpoint can detect a rewritten chain or removed newest events.

use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use super::model::Checkpoint;
use crate::config::load_or_create_random_file;
use crate::db::types::Timestamp;
use crate::error::AppError;
use secrecy::ExposeSecret;

/// The exact bytes a checkpoint signature covers.
pub fn signed_message(seq: i64, head_hash: &str, signed_at: &Timestamp) -> String {
    format!(
        "asn-merit-checkpoint:v1:{seq}:{head_hash}:{}",
        signed_at.to_rfc3339()
    )
}

/// The exact bytes a signed tree head's signature covers: the tree size, its root (hex) and time.
pub fn tree_head_message(tree_size: i64, root_hash: &str, signed_at: &Timestamp) -> String {
    format!(
        "asn-merit-tree-head:v1:{tree_size}:{root_hash}:{}",
        signed_at.to_rfc3339()
    )
}

pub struct CheckpointSigner {
    key: SigningKey,
}

impl CheckpointSigner {
    /// Loads the key file, or creates it (mode 0600) on first start. Returns whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), AppError> {
        let (seed, created) = load_or_create_random_file(path, 32)?;
        let bytes: [u8; 32] = seed.expose_secret().try_into().map_err(|_| {
            AppError::internal(format!(
                "{} must hold a 32-byte Ed25519 seed",
                path.display()
            ))
        })?;
        Ok((
            Self {
                key: SigningKey::from_bytes(&bytes),
            },
            created,
        ))
    }

    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Loads an existing key file; unlike [`Self::load_or_create`], a missing file is an error,
    /// since a key made up on the spot cannot vouch for any checkpoint.
    pub fn load(path: &Path) -> Result<Self, AppError> {
        if !path.exists() {
            return Err(AppError::internal(format!(
                "no checkpoint signing key at {} (set AUDIT_SIGNING_KEY_FILE, or give --public-key)",
                path.display()
            )));
        }
        Ok(Self::load_or_create(path)?.0)
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs the chain head and the tree head of the first `seq` events, at the same time.
    pub fn sign(&self, seq: i64, head_hash: &str, root_hash: &str) -> Checkpoint {
        let signed_at = Timestamp::now();
        let sign = |message: String| hex::encode(self.key.sign(message.as_bytes()).to_bytes());
        Checkpoint {
            seq,
            head_hash: head_hash.to_string(),
            signed_at,
            public_key: self.public_key_hex(),
            signature: sign(signed_message(seq, head_hash, &signed_at)),
            root_hash: Some(root_hash.to_string()),
            tree_signature: Some(sign(tree_head_message(seq, root_hash, &signed_at))),
        }
    }
}

/// A checkpoint an auditor kept, with the key it must be signed by. The key comes from the verifier
/// (the server's own signer, the installation's key file, `--public-key`), never from the checkpoint:
/// whoever forges a checkpoint can put their own key in it.
#[derive(Debug, Clone)]
pub struct PinnedCheckpoint {
    pub checkpoint: Checkpoint,
    pub trusted_key: VerifyingKey,
}

impl PinnedCheckpoint {
    pub fn new(checkpoint: Checkpoint, trusted_key: VerifyingKey) -> Self {
        Self {
            checkpoint,
            trusted_key,
        }
    }
}

/// Parses a hex Ed25519 public key, as `GET /api/v1/audit/checkpoints` publishes it.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("a public key is 64 hex characters (32 bytes)")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_string())
}

/// Checks the checkpoint's signatures with the trusted key only: the chain signature always, the
/// tree-head signature when the checkpoint has one (a root without its signature, or the reverse,
/// is refused). The `public_key` the checkpoint carries is informational; one naming any other
/// key is refused rather than ignored, so that a checkpoint from another installation (or a
/// forger) is reported as such.
pub fn verify(cp: &Checkpoint, trusted_key: &VerifyingKey) -> Result<(), String> {
    check_chain_head(cp, trusted_key)?;
    match (&cp.root_hash, &cp.tree_signature) {
        (None, None) => Ok(()),
        (Some(root_hash), Some(tree_signature)) => {
            check_tree_head(cp, root_hash, tree_signature, trusted_key).map(|_| ())
        }
        _ => Err("the checkpoint has a root_hash or a tree_signature without the other".into()),
    }
}

/// A tree head whose signature verified: the size and root an inclusion or consistency proof
/// must lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedTreeHead {
    pub tree_size: u64,
    pub root: crate::audit::merkle::Hash,
}

/// Checks a checkpoint as a signed tree head with the trusted key only: both its signatures (see
/// [`verify`]), and that it has a tree head at all.
pub fn verify_tree_head(
    cp: &Checkpoint,
    trusted_key: &VerifyingKey,
) -> Result<VerifiedTreeHead, String> {
    let (Some(root_hash), Some(tree_signature)) = (&cp.root_hash, &cp.tree_signature) else {
        return Err(format!(
            "checkpoint {} has no signed tree head (it was made before the Merkle tree)",
            cp.seq
        ));
    };
    // The whole checkpoint: the key it names, the chain head's signature and the tree head's.
    check_chain_head(cp, trusted_key)?;
    check_tree_head(cp, root_hash, tree_signature, trusted_key)
}

fn check_chain_head(cp: &Checkpoint, trusted_key: &VerifyingKey) -> Result<(), String> {
    check_named_key(cp, trusted_key)?;
    check_signature(
        trusted_key,
        &signed_message(cp.seq, &cp.head_hash, &cp.signed_at),
        &cp.signature,
        "the checkpoint's signature",
    )
}

fn check_tree_head(
    cp: &Checkpoint,
    root_hash: &str,
    tree_signature: &str,
    trusted_key: &VerifyingKey,
) -> Result<VerifiedTreeHead, String> {
    let tree_size = u64::try_from(cp.seq).map_err(|_| "the tree size is negative")?;
    let root = hex::decode(root_hash)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the head's root_hash is not 32 hex bytes")?;
    check_signature(
        trusted_key,
        &tree_head_message(cp.seq, root_hash, &cp.signed_at),
        tree_signature,
        "the tree head's signature",
    )?;
    Ok(VerifiedTreeHead { tree_size, root })
}

fn check_named_key(cp: &Checkpoint, trusted_key: &VerifyingKey) -> Result<(), String> {
    let trusted_hex = hex::encode(trusted_key.to_bytes());
    if cp.public_key.trim().eq_ignore_ascii_case(&trusted_hex) {
        return Ok(());
    }
    Err(format!(
        "the checkpoint names public key {} but the trusted key is {trusted_hex}: it is not signed with the installation's key",
        cp.public_key
    ))
}

fn check_signature(
    trusted_key: &VerifyingKey,
    message: &str,
    signature_hex: &str,
    what: &str,
) -> Result<(), String> {
    let sig_bytes: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{what} is not 64 hex bytes"))?;
    trusted_key
        .verify(message.as_bytes(), &Signature::from_bytes(&sig_bytes))
        .map_err(|_| format!("{what} does not verify with the trusted key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "5f2c0a9e6b1d4c3f8a7e2d1c0b9a8f7e6d5c4b3a291807f6e5d4c3b2a1908f7e";
    const ROOT: &str = "0e2c1a9f6b1d4c3f8a7e2d1c0b9a8f7e6d5c4b3a291807f6e5d4c3b2a1908f70";

    fn installation() -> CheckpointSigner {
        CheckpointSigner::from_seed([7; 32])
    }

    #[test]
    fn a_checkpoint_signed_by_the_installation_verifies() {
        let signer = installation();
        assert_eq!(
            verify(&signer.sign(12, HEAD, ROOT), &signer.verifying_key()),
            Ok(())
        );
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_that_names_that_key_is_refused() {
        // Self-consistent: signed by the forger and carrying the forger's key.
        let forged = CheckpointSigner::from_seed([9; 32]).sign(12, HEAD, ROOT);
        let reason = verify(&forged, &installation().verifying_key()).unwrap_err();
        assert!(
            reason.contains("not signed with the installation's key"),
            "{reason}"
        );
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_that_names_the_installation_key_is_refused() {
        let installation = installation();
        let mut forged = CheckpointSigner::from_seed([9; 32]).sign(12, HEAD, ROOT);
        forged.public_key = installation.public_key_hex();
        let reason = verify(&forged, &installation.verifying_key()).unwrap_err();
        assert!(reason.contains("signature does not verify"), "{reason}");
    }

    #[test]
    fn an_altered_checkpoint_is_refused() {
        let signer = installation();
        let mut moved = signer.sign(12, HEAD, ROOT);
        moved.seq = 13;
        assert!(verify(&moved, &signer.verifying_key()).is_err());
    }

    #[test]
    fn public_keys_parse_from_hex_only() {
        let signer = installation();
        assert_eq!(
            parse_public_key(&signer.public_key_hex().to_uppercase()),
            Ok(signer.verifying_key())
        );
        assert!(parse_public_key("ab").is_err());
        assert!(parse_public_key(&"zz".repeat(32)).is_err());
    }
}

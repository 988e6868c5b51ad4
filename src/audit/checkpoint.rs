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

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, seq: i64, head_hash: &str) -> Checkpoint {
        let signed_at = Timestamp::now();
        let signature = self
            .key
            .sign(signed_message(seq, head_hash, &signed_at).as_bytes());
        Checkpoint {
            seq,
            head_hash: head_hash.to_string(),
            signed_at,
            public_key: self.public_key_hex(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// Checks the checkpoint's signature against the public key it names.
pub fn verify_signature(cp: &Checkpoint) -> Result<(), String> {
    let key_bytes: [u8; 32] = hex::decode(&cp.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the checkpoint's public key is not 32 hex bytes")?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| "the checkpoint's public key is invalid")?;
    let sig_bytes: [u8; 64] = hex::decode(&cp.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the checkpoint's signature is not 64 hex bytes")?;
    key.verify(
        signed_message(cp.seq, &cp.head_hash, &cp.signed_at).as_bytes(),
        &Signature::from_bytes(&sig_bytes),
    )
    .map_err(|_| "the checkpoint's signature does not verify".to_string())
}

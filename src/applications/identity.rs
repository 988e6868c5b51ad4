//! Identity numbers at rest: NIK and KK are encrypted with an AEAD (XChaCha20-Poly1305, key in a
//! file outside the database) and matched through keyed hashes (HMAC), so that uniqueness and
//! later conflict-of-interest matching never need the clear value.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretSlice};

use crate::audit::model::PersonalDigester;
use crate::error::AppError;

/// Encrypts and hashes identity numbers.
#[derive(Clone)]
pub struct IdentityVault {
    cipher: XChaCha20Poly1305,
    digester: PersonalDigester,
}

/// Which number a hash is of; the label keeps NIK and KK hashes apart.
#[derive(Debug, Clone, Copy)]
pub enum IdNumber {
    Nik,
    Kk,
}

impl IdentityVault {
    pub fn new(key: &SecretSlice<u8>, digester: PersonalDigester) -> Result<Self, AppError> {
        let cipher = XChaCha20Poly1305::new_from_slice(key.expose_secret())
            .map_err(|_| AppError::internal("the identity key must be 32 bytes"))?;
        Ok(Self { cipher, digester })
    }

    /// `v1:<base64 nonce ‖ ciphertext>`, with a fresh random 192-bit nonce per value.
    pub fn encrypt(&self, clear: &str) -> Result<String, AppError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce)
            .map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), clear.as_bytes())
            .map_err(|_| AppError::internal("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("v1:{}", STANDARD_NO_PAD.encode(out)))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, AppError> {
        let bytes = stored
            .strip_prefix("v1:")
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > 24)
            .ok_or_else(|| AppError::internal("an encrypted identity number is malformed"))?;
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&bytes[..24]);
        let clear = self
            .cipher
            .decrypt(&XNonce::from(nonce), &bytes[24..])
            .map_err(|_| {
                AppError::internal("an identity number does not decrypt under this key")
            })?;
        String::from_utf8(clear).map_err(AppError::internal_from)
    }

    /// The keyed hash used for uniqueness and matching; also the form the audit chain records.
    pub fn hash(&self, kind: IdNumber, clear: &str) -> String {
        let label = match kind {
            IdNumber::Nik => "nik",
            IdNumber::Kk => "kk",
        };
        self.digester.digest(&format!("{label}:{clear}"))
    }

    pub fn digester(&self) -> &PersonalDigester {
        &self.digester
    }
}

/// `3201**********01`: the region and the last two digits, enough for an officer to tell rows apart.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (4, 2);
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', chars.len() - head - tail))
        .chain(&chars[chars.len() - tail..])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(byte: u8) -> IdentityVault {
        let key: SecretSlice<u8> = vec![byte; 32].into();
        IdentityVault::new(&key, PersonalDigester::new(vec![7u8; 32].into())).unwrap()
    }

    #[test]
    fn numbers_round_trip_with_fresh_nonces_and_fail_under_another_key() {
        let v = vault(1);
        let a = v.encrypt("3201014506990001").unwrap();
        let b = v.encrypt("3201014506990001").unwrap();
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("3201014506990001"));
        assert_eq!(v.decrypt(&a).unwrap(), "3201014506990001");
        assert!(vault(2).decrypt(&a).is_err());
        assert_eq!(v.hash(IdNumber::Nik, "1"), v.hash(IdNumber::Nik, "1"));
        assert_ne!(v.hash(IdNumber::Nik, "1"), v.hash(IdNumber::Kk, "1"));
        assert_eq!(mask("3201014506990001"), "3201**********01");
    }
}

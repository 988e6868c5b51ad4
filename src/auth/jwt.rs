//! Access tokens: short-lived JWTs with a pinned algorithm and checked `exp`, `iss` and `aud`.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{Role, UserId};
use crate::agencies::model::AgencyId;
use crate::config::{Config, JwtKeySource};
use crate::error::AppError;

/// Tolerated clock skew when checking `exp`.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub role: Role,
    pub agency: Option<AgencyId>,
    /// Session id; logout and account changes revoke it.
    pub jti: Uuid,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
}

pub struct TokenService {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl TokenService {
    pub fn from_config(config: &Config) -> Result<Self, AppError> {
        let (algorithm, encoding, decoding) = match &config.jwt_key {
            JwtKeySource::Hs256(secret) => (
                Algorithm::HS256,
                EncodingKey::from_secret(secret.expose_secret()),
                DecodingKey::from_secret(secret.expose_secret()),
            ),
            JwtKeySource::EdDsaPem(pem) => {
                let pem = std::str::from_utf8(pem.expose_secret())
                    .map_err(|_| AppError::internal("JWT_ED25519_KEY_FILE is not PEM text"))?;
                let key = SigningKey::from_pkcs8_pem(pem).map_err(|_| {
                    AppError::internal("JWT_ED25519_KEY_FILE is not a PKCS#8 Ed25519 private key")
                })?;
                let der = key
                    .to_pkcs8_der()
                    .map_err(|_| AppError::internal("cannot encode the Ed25519 key"))?;
                (
                    Algorithm::EdDSA,
                    EncodingKey::from_ed_der(der.as_bytes()),
                    DecodingKey::from_ed_der(&key.verifying_key().to_bytes()),
                )
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        Ok(Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.jwt_ttl,
        })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for one session.
    pub fn issue(
        &self,
        user: UserId,
        role: Role,
        agency: Option<AgencyId>,
        jti: Uuid,
        now: i64,
    ) -> Result<(String, Claims), AppError> {
        let claims = Claims {
            sub: user,
            role,
            agency,
            jti,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
        };
        let token = jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("cannot sign token: {e}")))?;
        Ok((token, claims))
    }

    /// Decodes and validates a token; every failure is the same 401 for the caller.
    pub fn validate(&self, token: &str) -> Result<Claims, AppError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| {
                AppError::unauthorized("invalid_token", "the access token is invalid or expired")
            })
    }
}

//! The authenticated caller of a request, as an actix extractor.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::policy::Principal;
use super::session_cache::VerifiedSession;
use super::store as users;
use crate::app::AppState;
use crate::error::AppError;

/// Authenticates the bearer token: signature, algorithm, `exp`/`iss`/`aud`, then the session
/// (not revoked, user still active with the same role and agency).
impl FromRequest for Principal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("application state missing"))?;
            let token = token.ok_or_else(|| {
                AppError::unauthorized("missing_token", "this endpoint needs a bearer access token")
            })?;
            let session = match state.sessions.get(&token) {
                Some(session) => session,
                None => {
                    let generation = state.sessions.generation();
                    let claims = state.tokens.validate(&token)?;
                    let (jti, user, role, agency) =
                        (claims.jti, claims.sub, claims.role, claims.agency);
                    let valid = state
                        .db
                        .run(move |conn| {
                            users::sessions::session_is_valid(conn, jti, user, role, agency)
                        })
                        .await?;
                    if !valid {
                        return Err(AppError::unauthorized(
                            "invalid_token",
                            "the access token is invalid or expired",
                        ));
                    }
                    let session = VerifiedSession {
                        jti,
                        user,
                        role,
                        agency,
                        expires: claims.exp,
                    };
                    state.sessions.remember(&token, session, generation);
                    session
                }
            };
            Ok(Principal {
                user_id: session.user,
                role: session.role,
                agency: session.agency,
                session: session.jti,
                at: state.clock.now(),
            })
        })
    }
}

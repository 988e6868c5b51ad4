//! HTTP surface of login, sessions and user accounts.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::login;
use super::model::{
    ActivateRequest, ActivationToken, CreateUserRequest, LoginRequest, LoginResponse, NewUser,
    Role, UpdateUserRequest, UserChanges, UserCreated, UserId, UserView, normalize_email,
};
use super::policy::{self, Permission, Principal};
use super::rules;
use super::store::{self, UserFilter};
use crate::agencies::model::AgencyId;
use crate::app::{AppState, CreateRequest};
use crate::audit::model::NewAuditEvent;
use crate::audit::store as audit;
use crate::error::{AppError, Problem};
use crate::http::client_address::ClientAddress;
use crate::http::extract::JsonBody;
use crate::http::idempotency::IdempotencyKey;
use crate::http::middleware::RequestId;
use crate::http::pagination::{PageQuery, split_page};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    pub role: Option<Role>,
    pub agency_id: Option<AgencyId>,
}

/// Exchange email and password for a short-lived access token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, headers(("Retry-After" = u64, description = "Seconds until this client may try again")),
            description = "too_many_login_attempts: too many failures from this client address (for any email), or for this email from an address that has failed for it (a delay that doubles per further failure); see Retry-After")))]
#[tracing::instrument(skip_all)]
pub async fn login_user(
    state: web::Data<AppState>,
    request_id: RequestId,
    client: ClientAddress,
    body: JsonBody<LoginRequest>,
) -> Result<web::Json<LoginResponse>, AppError> {
    let LoginRequest { email, password } = body.value;
    Ok(web::Json(
        login::login(&state, &email, password, client.0, request_id.0).await?,
    ))
}

/// Revoke the caller's token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = Problem)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn logout_user(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
) -> Result<HttpResponse, AppError> {
    let ctx = principal.audit_context(Some(request_id.0));
    let jti = principal.session;
    state
        .db
        .write(move |conn| {
            store::sessions::revoke_session(conn, jti)?;
            audit::append(
                conn,
                &ctx,
                NewAuditEvent::new("auth.logout", "session", jti).agency(principal.agency),
            )?;
            Ok(())
        })
        .await?;
    state.sessions.forget_session(jti);
    Ok(HttpResponse::NoContent().finish())
}

/// Set one's own password with the one-time activation (or reset) token.
#[utoipa::path(post, path = "/api/v1/auth/activate", tag = "auth", request_body = ActivateRequest,
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all)]
pub async fn activate_account(
    state: web::Data<AppState>,
    request_id: RequestId,
    body: JsonBody<ActivateRequest>,
) -> Result<HttpResponse, AppError> {
    let ActivateRequest { token, password } = body.value;
    login::activate(&state, token, password, request_id.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = Problem)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<web::Json<UserView>, AppError> {
    let id = principal.user_id;
    let user = state
        .db
        .run(move |conn| store::find_by_id(conn, id))
        .await?;
    user.map(|u| web::Json(u.into()))
        .ok_or_else(AppError::not_found)
}

/// Create an account; the response carries the one-time activation token (shown once).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same key and body within 24 h")),
    responses((status = 201, body = UserCreated), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    key: IdempotencyKey,
    body: JsonBody<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::UserManage)?;
    let asked = body.value;
    let agency = rules::agency_for_new_user(&principal, asked.role, asked.agency_id)?;
    let new = NewUser {
        email: normalize_email(&asked.email),
        full_name: asked.full_name.trim().to_string(),
        role: asked.role,
        agency_id: agency,
        password_hash: None,
    };
    let request = CreateRequest {
        principal: &principal,
        request_id,
        key,
        operation: "POST /api/v1/users",
        body_sha256: &body.body_sha256,
    };
    let (digester, ttl) = (state.digester.clone(), state.config.activation_ttl);
    state
        .create_once(request, forget_activation_token, move |conn, ctx| {
            if let Some(agency) = agency
                && crate::agencies::store::find_by_id(conn, agency)?.is_none()
            {
                return Err(AppError::field("agency_id", "no such agency"));
            }
            let user = store::create(conn, ctx, &digester, new)?;
            let (token, expires_at) =
                store::activation::issue_activation_token(conn, user.id, "activation", ttl)?;
            Ok(UserCreated {
                user: user.into(),
                activation: ActivationToken { token, expires_at },
            })
        })
        .await
}

/// A replayed account creation does not show the one-time activation token again (it is kept
/// nowhere in clear); whoever lost it asks for a reset.
fn forget_activation_token(body: &mut serde_json::Value) {
    body["activation"]["token"] = serde_json::Value::String(String::new());
}

/// List accounts in the caller's scope (an HR officer: the panelists of their agency).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery, UserListQuery),
    responses((status = 200, body = UserPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    filter: web::Query<UserListQuery>,
) -> Result<web::Json<UserPage>, AppError> {
    policy::authorize(&principal, Permission::UserRead)?;
    let limit = page.limit()?;
    let scope = policy::list_scope(&principal);
    let nothing = || {
        Ok(web::Json(UserPage {
            items: vec![],
            next_cursor: None,
        }))
    };
    let agency = match (scope, filter.agency_id) {
        (Some(own), Some(asked)) if own != asked => return nothing(),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let Some(role) = rules::listed_role(&principal, filter.role) else {
        return nothing();
    };
    let filter = UserFilter {
        agency,
        role,
        after: page.cursor::<UserId>()?,
    };
    let rows = state
        .db
        .run(move |conn| store::list(conn, &filter, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |u| u.id);
    Ok(web::Json(UserPage {
        items: rows.into_iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// One account: yourself, or one in your scope if your role reads it (an HR officer reads
/// panelists only; any other account is 404 to them).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<UserId>,
) -> Result<web::Json<UserView>, AppError> {
    let id = id.into_inner();
    let user = state
        .db
        .run(move |conn| {
            if id == principal.user_id {
                return store::find_by_id(conn, id)?.ok_or_else(AppError::not_found);
            }
            // Accounts a caller may not read do not exist for them.
            policy::load(conn, &principal, Permission::UserRead, |c| {
                store::find_by_id(c, id)
            })
            .and_then(|user| rules::check_can_read(&principal, &user).map(|()| user))
            .map_err(|e| match e {
                AppError::Forbidden { .. } => AppError::not_found(),
                other => other,
            })
        })
        .await?;
    Ok(web::Json(user.into()))
}

/// Rename, change the role of, disable or re-enable an account. Disabling or a role change
/// revokes the account's tokens at once. A member of a panel that has not locked keeps their
/// role until it locks (409 `sits_on_panel`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUserRequest,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_user(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<UserId>,
    body: JsonBody<UpdateUserRequest>,
) -> Result<web::Json<UserView>, AppError> {
    let id = id.into_inner();
    let request = body.value;
    let ctx = principal.audit_context(Some(request_id.0));
    let digester = state.digester.clone();
    let changes = UserChanges {
        full_name: request.full_name,
        role: request.role,
        active: request.active,
    };
    // Checked on the locked row, so a concurrent change cannot slip between check and write.
    let user = state
        .db
        .write(move |conn| {
            let target = policy::load(conn, &principal, Permission::UserManage, |c| {
                store::find_for_update(c, id)
            })?;
            rules::check_user_change(&principal, &target, changes.role, changes.active)?;
            if changes.role.is_some_and(|role| role != target.role) {
                crate::panels::store::check_role_may_change(conn, target.id)?;
            }
            store::update(conn, &ctx, &digester, target, changes)
        })
        .await?;
    state.sessions.forget_user(user.id);
    Ok(web::Json(user.into()))
}

/// Issue a new one-time token with which the user sets a new password (no one else sets it).
///
/// The old password stops working and every session of the user ends at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ActivationToken), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    state: web::Data<AppState>,
    principal: Principal,
    request_id: RequestId,
    id: web::Path<UserId>,
) -> Result<web::Json<ActivationToken>, AppError> {
    let id = id.into_inner();
    let ctx = principal.audit_context(Some(request_id.0));
    let ttl = state.config.activation_ttl;
    let (token, expires_at) = state
        .db
        .write(move |conn| {
            let target = policy::load(conn, &principal, Permission::UserManage, |c| {
                store::find_for_update(c, id)
            })?;
            rules::check_can_reset(&principal, &target)?;
            let issued = store::activation::issue_activation_token(conn, target.id, "reset", ttl)?;
            let revoked = store::end_credentials(conn, target.id, ctx.at)?;
            audit::append(
                conn,
                &ctx,
                NewAuditEvent::new("user.password_reset_issued", "user", target.id)
                    .agency(target.agency_id)
                    .payload(serde_json::json!({
                        "expires_at": issued.1.to_rfc3339(),
                        "password_cleared": true,
                        "sessions_revoked": revoked,
                    })),
            )?;
            Ok(issued)
        })
        .await?;
    state.sessions.forget_user(id);
    Ok(web::Json(ActivationToken { token, expires_at }))
}

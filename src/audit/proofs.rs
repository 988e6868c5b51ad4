//! Inclusion and consistency proofs over the stored Merkle tree (RFC 9162 2.1.3 and 2.1.4), each
//! from the few stored subtrees it needs. Hashes are hex.

use std::collections::BTreeMap;

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::merkle::{self, Node};
use super::model::AuditEvent;
use super::tree;
use crate::app::AppState;
use crate::auth::policy::{self, Permission, Principal};
use crate::db::{Conn, Database};
use crate::error::{AppError, Problem};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The event's sequence number; its leaf is number `seq - 1` of the tree.
    #[param(minimum = 1)]
    pub seq: i64,
    /// The size of the tree the proof is for: from `seq` to the current size.
    #[param(minimum = 1)]
    pub tree_size: i64,
}

/// The event, its leaf and the audit path to the head of the tree of `tree_size` events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    pub event: AuditEvent,
    pub leaf_index: i64,
    pub tree_size: i64,
    /// SHA-256(0x00 ‖ the 32 bytes of `event.hash`).
    pub leaf_hash: String,
    /// The sibling hashes from the leaf up (RFC 9162 2.1.3.1).
    pub audit_path: Vec<String>,
    /// The head of the tree of `tree_size` events.
    pub root_hash: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The earlier tree size.
    #[param(minimum = 1)]
    pub first: i64,
    /// The later tree size: from `first` to the current size.
    #[param(minimum = 1)]
    pub second: i64,
}

/// The proof that the tree of `first` events is a prefix of the tree of `second` events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    pub first: i64,
    pub second: i64,
    pub first_root: String,
    pub second_root: String,
    /// RFC 9162 2.1.4.1; empty when the sizes are equal.
    pub proof: Vec<String>,
}

fn hexes(hashes: &[merkle::Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

/// Runs `build` with the stored tree's size, in one database call, when the tree holds at least
/// `wanted` events. When it holds fewer, the committed events are sealed first and `build` runs
/// once more (and refuses a size still beyond it). A proof over a size already sealed needs
/// nothing newer, so proof requests do not queue for the chain lock behind the writers.
async fn over_stored_tree<T: Send + 'static>(
    db: &Database,
    wanted: i64,
    build: impl Fn(&mut Conn, i64) -> Result<T, AppError> + Clone + Send + 'static,
) -> Result<T, AppError> {
    let first = build.clone();
    let attempt = db
        .run(move |conn| {
            let stored = tree::size(conn)? as i64;
            if wanted > stored {
                return Ok(None);
            }
            first(conn, stored).map(Some)
        })
        .await?;
    if let Some(built) = attempt {
        return Ok(built);
    }
    super::sealer::seal_now(db).await?;
    db.run(move |conn| {
        let stored = tree::size(conn)? as i64;
        build(conn, stored)
    })
    .await
}

/// `size` must lie between `at_least` and the stored tree's size.
fn check_size(field: &str, size: i64, at_least: i64, stored: i64) -> Result<(), AppError> {
    if size < at_least || size > stored {
        return Err(AppError::field(
            field,
            format!("must be between {at_least} and the current tree size, {stored}"),
        ));
    }
    Ok(())
}

/// Loads the stored nodes several computations need, in one query.
fn nodes_for(
    conn: &mut Conn,
    needs: &[Vec<Node>],
) -> Result<BTreeMap<Node, merkle::Hash>, AppError> {
    let all: Vec<Node> = needs.concat();
    tree::load(conn, &all)
}

/// Proof that one event is in the tree (for an agency's auditor, only the agency's events).
#[utoipa::path(get, path = "/api/v1/audit/proofs/inclusion", tag = "audit", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn inclusion_proof(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<InclusionQuery>,
) -> Result<web::Json<InclusionProof>, AppError> {
    policy::authorize(&principal, Permission::AuditRead)?;
    let InclusionQuery { seq, tree_size } = query.into_inner();
    let scope = policy::list_scope(&principal);
    let proof = over_stored_tree(&state.db, tree_size, move |conn, stored| {
        if seq < 1 {
            return Err(AppError::field("seq", "must be at least 1"));
        }
        check_size("tree_size", tree_size, seq, stored)?;
        let event: AuditEvent =
            super::store::sealed_at(conn, seq)?.ok_or_else(AppError::not_found)?;
        if scope.is_some_and(|own| event.agency_id != Some(own)) {
            return Err(AppError::not_found());
        }
        let (index, size) = (seq as u64 - 1, tree_size as u64);
        let nodes = nodes_for(
            conn,
            &[
                merkle::nodes_for_inclusion(index, size),
                merkle::nodes_for_root(size),
            ],
        )?;
        let path = merkle::inclusion_proof(&nodes, index, size)?;
        let root = merkle::root(&nodes, size)?;
        Ok(InclusionProof {
            leaf_index: index as i64,
            tree_size,
            leaf_hash: hex::encode(tree::leaf_of(&event.hash)),
            audit_path: hexes(&path),
            root_hash: hex::encode(root),
            event,
        })
    })
    .await?;
    Ok(web::Json(proof))
}

/// Proof that an earlier tree is a prefix of a later one (hashes only: every auditor).
#[utoipa::path(get, path = "/api/v1/audit/proofs/consistency", tag = "audit", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn consistency_proof(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ConsistencyQuery>,
) -> Result<web::Json<ConsistencyProof>, AppError> {
    policy::authorize(&principal, Permission::AuditRead)?;
    let ConsistencyQuery { first, second } = query.into_inner();
    let proof = over_stored_tree(&state.db, second, move |conn, stored| {
        if first < 1 {
            return Err(AppError::field("first", "must be at least 1"));
        }
        check_size("second", second, first, stored)?;
        let (m, n) = (first as u64, second as u64);
        let nodes = nodes_for(
            conn,
            &[
                merkle::nodes_for_consistency(m, n),
                merkle::nodes_for_root(m),
                merkle::nodes_for_root(n),
            ],
        )?;
        Ok(ConsistencyProof {
            first,
            second,
            first_root: hex::encode(merkle::root(&nodes, m)?),
            second_root: hex::encode(merkle::root(&nodes, n)?),
            proof: hexes(&merkle::consistency_proof(&nodes, m, n)?),
        })
    })
    .await?;
    Ok(web::Json(proof))
}

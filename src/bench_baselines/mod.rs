//! Baselines for the benchmark runner only (cargo feature `bench-baselines`, off by default and
//! never in the shipped binary): the same agency read without the JWT + authorization layer, the
//! same authenticated agency create without its audit event, the raw argon2 hash rate, and the
//! import's floor ([`import_floor`]).

pub mod import_floor;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::agencies::model::{AgencyId, AgencyView, CreateAgencyRequest, NewAgency};
use crate::agencies::store;
use crate::app::AppState;
use crate::auth::policy::{self, Permission, Principal};
use crate::error::AppError;
use crate::http::extract::JsonBody;
use actix_web::{HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/bench/agencies/{id}").route(web::get().to(get_agency_unauthenticated)),
    )
    .service(web::resource("/bench/agencies").route(web::post().to(create_agency_unaudited)));
}

async fn get_agency_unauthenticated(
    state: web::Data<AppState>,
    id: web::Path<AgencyId>,
) -> Result<web::Json<AgencyView>, AppError> {
    let id = id.into_inner();
    let agency = state
        .db
        .run(move |conn| store::find_by_id(conn, id))
        .await?;
    agency
        .map(|a| web::Json(a.into()))
        .ok_or_else(AppError::not_found)
}

/// The same authenticated, authorized create as `POST /api/v1/agencies`, minus its audit event.
async fn create_agency_unaudited(
    state: web::Data<AppState>,
    principal: Principal,
    body: JsonBody<CreateAgencyRequest>,
) -> Result<HttpResponse, AppError> {
    policy::authorize(&principal, Permission::AgencyManage)?;
    let (new, at) = (NewAgency::from(body.value), principal.at);
    let agency = state
        .db
        .write(move |conn| store::insert(conn, new, at))
        .await?;
    Ok(HttpResponse::Created().json(AgencyView::from(agency)))
}

/// Raw argon2id hashes per second on `threads` threads for `seconds` (the login benchmark's ceiling).
pub fn hash_rate(threads: usize, seconds: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    if crate::auth::password::hash_blocking("Bench-Password-123!").is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// `bench-import-floor`: prints `persons applications skipped transform_seconds write_seconds`.
pub fn import_floor_command(
    config: crate::config::Config,
    file: &std::path::Path,
    round: uuid::Uuid,
    batch: usize,
) -> Result<std::process::ExitCode, AppError> {
    let state = crate::build_state(config)?;
    let mut conn = crate::db::establish(&state.config.database_url)?;
    let round = crate::openings::rounds::model::RoundId(round);
    let floor = import_floor::run(&mut conn, &state.identities, file, round, batch)?;
    println!(
        "{} {} {} {:.3} {:.3}",
        floor.persons,
        floor.applications,
        floor.skipped_rows,
        floor.transform_seconds,
        floor.write_seconds
    );
    Ok(std::process::ExitCode::SUCCESS)
}

//! The router: every route of the service, assembled from the domains.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, web};
use utoipa::OpenApi;

use crate::error::AppError;
use crate::http::ops;
use crate::openings::{catalogue, public, rounds};
use crate::{agencies, applications, audit, auth, deviations, openings, panels, ranking};

/// A resource whose unsupported methods answer 405 in the problem format.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// 405 with the `Allow` header the resource's documented operations give (the spec drift tests
/// keep the document and the routes in step).
async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut response = AppError::MethodNotAllowed.error_response();
    let allow = req
        .match_pattern()
        .and_then(|pattern| allowed_methods().get(&pattern));
    if let Some(allow) = allow.and_then(|a| header::HeaderValue::from_str(a).ok()) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// Per documented path (`/api/v1/users/{id}`), its methods as an `Allow` value (`GET, PATCH`).
fn allowed_methods() -> &'static HashMap<String, String> {
    static ALLOWED: OnceLock<HashMap<String, String>> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        let document = crate::openapi::ApiDoc::openapi();
        document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ];
                let allow: Vec<&str> = methods
                    .into_iter()
                    .filter_map(|(name, present)| present.then_some(name))
                    .collect();
                (path.clone(), allow.join(", "))
            })
            .collect()
    })
}

/// Every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    #[cfg(feature = "bench-baselines")]
    cfg.configure(crate::bench_baselines::routes);
    cfg.service(resource("/healthz").route(web::get().to(ops::healthz)))
        .service(resource("/readyz").route(web::get().to(ops::readyz)))
        .service(resource("/metrics").route(web::get().to(ops::metrics)))
        .service(
            web::scope("/api/v1")
                .service(
                    resource("/openapi.json").route(web::get().to(crate::openapi::openapi_json)),
                )
                .service(resource("/auth/login").route(web::post().to(auth::routes::login_user)))
                .service(resource("/auth/logout").route(web::post().to(auth::routes::logout_user)))
                .service(
                    resource("/auth/activate")
                        .route(web::post().to(auth::routes::activate_account)),
                )
                .service(resource("/me").route(web::get().to(auth::routes::get_me)))
                .service(
                    resource("/users")
                        .route(web::get().to(auth::routes::list_users))
                        .route(web::post().to(auth::routes::create_user)),
                )
                .service(
                    resource("/users/{id}")
                        .route(web::get().to(auth::routes::get_user))
                        .route(web::patch().to(auth::routes::update_user)),
                )
                .service(
                    resource("/users/{id}/reset-password")
                        .route(web::post().to(auth::routes::reset_password)),
                )
                .service(
                    resource("/grants")
                        .route(web::get().to(auth::grants::routes::list_grants))
                        .route(web::post().to(auth::grants::routes::create_grant)),
                )
                .service(
                    resource("/grants/{id}").route(web::get().to(auth::grants::routes::get_grant)),
                )
                .service(
                    resource("/grants/{id}/revoke")
                        .route(web::post().to(auth::grants::routes::revoke_grant)),
                )
                .service(
                    resource("/agencies")
                        .route(web::get().to(agencies::routes::list_agencies))
                        .route(web::post().to(agencies::routes::create_agency)),
                )
                .service(
                    resource("/agencies/{id}")
                        .route(web::get().to(agencies::routes::get_agency))
                        .route(web::patch().to(agencies::routes::update_agency))
                        .route(web::delete().to(agencies::routes::delete_agency)),
                )
                .service(resource("/audit/events").route(web::get().to(audit::routes::list_events)))
                .service(
                    resource("/audit/verify").route(web::get().to(audit::routes::verify_chain)),
                )
                .service(
                    resource("/audit/proofs/inclusion")
                        .route(web::get().to(audit::proofs::inclusion_proof)),
                )
                .service(
                    resource("/audit/proofs/consistency")
                        .route(web::get().to(audit::proofs::consistency_proof)),
                )
                .service(
                    resource("/audit/checkpoints")
                        .route(web::get().to(audit::routes::list_checkpoints))
                        .route(web::post().to(audit::routes::create_checkpoint)),
                )
                .configure(opening_routes)
                .configure(panel_routes),
        );
}

/// Rubrics and panels: the HR side (`setup`, `oversight`), then the member's side (`queue`).
fn panel_routes(cfg: &mut web::ServiceConfig) {
    use panels::routes::{chair as c, oversight as o, queue as q, setup as s};
    use panels::rubrics::routes as r;
    cfg.service(
        resource("/rubrics")
            .route(web::get().to(r::list_rubrics))
            .route(web::post().to(r::create_rubric)),
    )
    .service(resource("/rubrics/{id}").route(web::get().to(r::get_rubric)))
    .service(resource("/rubrics/{id}/versions").route(web::post().to(r::create_rubric_version)))
    .service(
        resource("/openings/{id}/panels")
            .route(web::get().to(s::list_panels))
            .route(web::post().to(s::create_panel)),
    )
    .service(resource("/panels/{id}").route(web::get().to(s::get_panel)))
    .service(resource("/panels/{id}/members").route(web::post().to(s::add_member)))
    .service(resource("/panels/{id}/members/{user_id}").route(web::delete().to(s::remove_member)))
    .service(
        resource("/panels/{id}/applications/{application_id}/material")
            .route(web::get().to(s::get_material))
            .route(web::put().to(s::attach_material)),
    )
    .service(resource("/panels/{id}/assignments").route(web::get().to(o::list_assignments)))
    .service(resource("/panels/{id}/recusals").route(web::get().to(o::list_recusals)))
    .service(resource("/panels/{id}/results").route(web::get().to(o::get_panel_results)))
    .service(resource("/panels/{id}/analytics").route(web::get().to(o::get_rater_analytics)))
    .service(resource("/panels/{id}/unlock").route(web::post().to(o::unlock_panel)))
    .service(resource("/panels/{id}/queue").route(web::get().to(q::get_queue)))
    .service(resource("/panels/{id}/declaration").route(web::put().to(q::declare_conflicts)))
    .service(
        resource("/panels/{id}/queue/{code}/score")
            .route(web::get().to(q::get_own_score))
            .route(web::post().to(q::submit_score))
            .route(web::put().to(q::amend_score)),
    )
    .service(
        resource("/panels/{id}/queue/{code}/scores").route(web::get().to(q::list_fellow_scores)),
    )
    .service(resource("/panels/{id}/queue/{code}/recuse").route(web::post().to(q::recuse_self)))
    .service(
        resource("/panels/{id}/queue/{code}/conflict-check")
            .route(web::post().to(q::check_conflict)),
    )
    .service(resource("/panels/{id}/moderation").route(web::get().to(c::list_divergent)))
    .service(resource("/panels/{id}/moderation/{code}").route(web::post().to(c::moderate)))
    .service(resource("/panels/{id}/lock").route(web::post().to(c::lock_panel)));
}

/// Competencies, positions, rule sets, rounds, openings, deviations and the public openings.
fn opening_routes(cfg: &mut web::ServiceConfig) {
    use catalogue::routes as cat;
    use openings::routes as op;
    use rounds::routes as rnd;
    cfg.service(
        resource("/competencies")
            .route(web::get().to(cat::list_competencies))
            .route(web::post().to(cat::create_competency)),
    )
    .service(
        resource("/competencies/{id}")
            .route(web::get().to(cat::get_competency))
            .route(web::patch().to(cat::update_competency)),
    )
    .service(
        resource("/positions")
            .route(web::get().to(cat::list_positions))
            .route(web::post().to(cat::create_position)),
    )
    .service(
        resource("/positions/{id}")
            .route(web::get().to(cat::get_position))
            .route(web::patch().to(cat::update_position)),
    )
    .service(resource("/positions/{id}/job-match").route(web::post().to(cat::match_position)))
    .service(
        resource("/rule-sets")
            .route(web::get().to(rnd::list_rule_sets))
            .route(web::post().to(rnd::create_rule_set)),
    )
    .service(
        resource("/rule-sets/{id}")
            .route(web::get().to(rnd::get_rule_set))
            .route(web::patch().to(rnd::update_rule_set)),
    )
    .service(
        resource("/selection-rounds")
            .route(web::get().to(rnd::list_rounds))
            .route(web::post().to(rnd::create_round)),
    )
    .service(
        resource("/selection-rounds/{id}")
            .route(web::get().to(rnd::get_round))
            .route(web::patch().to(rnd::update_round)),
    )
    .service(
        resource("/openings")
            .route(web::get().to(op::list_openings))
            .route(web::post().to(op::create_opening)),
    )
    .service(
        resource("/openings/{id}")
            .route(web::get().to(op::get_opening))
            .route(web::patch().to(op::update_opening)),
    )
    .service(resource("/openings/{id}/publish").route(web::post().to(op::publish_opening)))
    .service(resource("/openings/{id}/close").route(web::post().to(op::close_opening)))
    .service(resource("/openings/{id}/start-screening").route(web::post().to(op::start_screening)))
    .service(
        resource("/openings/{id}/start-stage").route(web::post().to(ranking::stages::start_stage)),
    )
    .service(
        resource("/openings/{id}/lock-stage").route(web::post().to(ranking::stages::lock_stage)),
    )
    .service(
        resource("/openings/{id}/applications")
            .route(web::get().to(applications::routes::list_applications))
            .route(web::post().to(applications::routes::create_application)),
    )
    .service(
        resource("/applications/{id}").route(web::get().to(applications::routes::get_application)),
    )
    .service(
        resource("/selection-rounds/{id}/application-imports")
            .route(web::post().to(applications::imports::routes::create_import)),
    )
    .service(
        resource("/selection-rounds/{id}/scores")
            .route(web::post().to(ranking::routes::import_scores)),
    )
    .service(
        resource("/openings/{id}/screening/run")
            .route(web::post().to(applications::screening::routes::run_screening)),
    )
    .service(
        resource("/applications/{id}/screening-decision")
            .route(web::post().to(applications::screening::routes::decide_screening)),
    )
    .service(
        resource("/openings/{id}/screening")
            .route(web::get().to(applications::screening::routes::list_screening)),
    )
    .service(
        resource("/openings/{id}/screening/publish")
            .route(web::post().to(applications::appeals::routes::publish_screening)),
    )
    .service(
        resource("/applications/{id}/score-corrections")
            .route(web::post().to(ranking::routes::correct_score)),
    )
    .service(
        resource("/applications/{id}/appeals")
            .route(web::post().to(applications::appeals::routes::create_appeal)),
    )
    .service(
        resource("/openings/{id}/appeals")
            .route(web::get().to(applications::appeals::routes::list_appeals)),
    )
    .service(
        resource("/appeals/{id}").route(web::get().to(applications::appeals::routes::get_appeal)),
    )
    .service(
        resource("/appeals/{id}/decision")
            .route(web::post().to(applications::appeals::routes::decide_appeal)),
    )
    .service(
        resource("/public/openings/{id}/screening-results")
            .route(web::get().to(applications::appeals::routes::list_public_screening_results)),
    )
    .service(
        resource("/openings/{id}/stages/{code}/results")
            .route(web::get().to(ranking::routes::get_stage_results)),
    )
    .service(
        resource("/application-imports/{id}")
            .route(web::get().to(applications::imports::routes::get_import)),
    )
    .service(
        resource("/application-imports/{id}/errors")
            .route(web::get().to(applications::imports::routes::list_import_errors)),
    )
    .service(
        resource("/applications/{id}/withdraw")
            .route(web::post().to(applications::routes::withdraw_application)),
    )
    .service(resource("/deviations").route(web::get().to(deviations::routes::list_deviations)))
    .service(resource("/deviations/{id}").route(web::get().to(deviations::routes::get_deviation)))
    .service(
        resource("/reports/deviations").route(web::get().to(deviations::routes::deviation_report)),
    )
    .service(resource("/public/openings").route(web::get().to(public::list_public_openings)))
    .service(resource("/public/openings/{id}").route(web::get().to(public::get_public_opening)));
}

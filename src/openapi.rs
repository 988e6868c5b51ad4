//! The OpenAPI document, generated from the handlers' annotations (committed as api-spec/openapi.json).

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::openings::{catalogue, public, rounds};
use crate::{agencies, applications, audit, auth, deviations, error, http, openings, ranking};

#[derive(OpenApi)]
#[openapi(
    info(title = "asn-merit", description = "System of record for merit-based civil-service (ASN) recruitment and promotion."),
    paths(
        http::ops::healthz, http::ops::readyz, http::ops::metrics, openapi_json,
        auth::routes::login_user, auth::routes::logout_user, auth::routes::activate_account, auth::routes::get_me,
        auth::routes::create_user, auth::routes::list_users, auth::routes::get_user, auth::routes::update_user,
        auth::routes::reset_password,
        auth::grants::routes::create_grant, auth::grants::routes::list_grants,
        auth::grants::routes::get_grant, auth::grants::routes::revoke_grant,
        agencies::routes::create_agency, agencies::routes::list_agencies, agencies::routes::get_agency,
        agencies::routes::update_agency, agencies::routes::delete_agency,
        audit::routes::list_events, audit::routes::verify_chain, audit::routes::list_checkpoints,
        audit::routes::create_checkpoint,
        catalogue::routes::create_competency, catalogue::routes::list_competencies, catalogue::routes::get_competency,
        catalogue::routes::update_competency, catalogue::routes::create_position, catalogue::routes::list_positions,
        catalogue::routes::get_position, catalogue::routes::update_position, catalogue::routes::match_position,
        rounds::routes::create_rule_set, rounds::routes::list_rule_sets, rounds::routes::get_rule_set,
        rounds::routes::update_rule_set, rounds::routes::create_round, rounds::routes::list_rounds,
        rounds::routes::get_round, rounds::routes::update_round,
        openings::routes::create_opening, openings::routes::list_openings, openings::routes::get_opening,
        openings::routes::update_opening, openings::routes::publish_opening, openings::routes::close_opening,
        openings::routes::start_screening, ranking::stages::start_stage, ranking::stages::lock_stage,
        applications::routes::create_application, applications::routes::list_applications,
        applications::routes::get_application, applications::routes::withdraw_application,
        applications::imports::routes::create_import, applications::imports::routes::get_import,
        applications::imports::routes::list_import_errors,
        ranking::routes::import_scores, ranking::routes::get_stage_results,
        applications::screening::routes::run_screening, applications::screening::routes::list_screening,
        applications::screening::routes::decide_screening, ranking::routes::correct_score,
        applications::appeals::routes::publish_screening, applications::appeals::routes::create_appeal,
        applications::appeals::routes::list_appeals, applications::appeals::routes::get_appeal,
        applications::appeals::routes::decide_appeal, applications::appeals::routes::list_public_screening_results,
        deviations::routes::list_deviations, deviations::routes::get_deviation,
        public::list_public_openings, public::get_public_opening,
    ),
    components(schemas(error::Problem, error::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, logout, activation"),
        (name = "users", description = "Accounts and roles"),
        (name = "agencies", description = "Agencies (instansi)"),
        (name = "audit", description = "Tamper-evident audit chain"),
        (name = "positions", description = "Competency catalogue, positions and job-person match"),
        (name = "rounds", description = "National rule sets and selection rounds"),
        (name = "openings", description = "Openings (formasi), assessment plans and lifecycle"),
        (name = "applications", description = "Applications (pendaftaran), imports, withdrawal"),
        (name = "deviations", description = "Departures from merit order or published rules"),
        (name = "public", description = "Transparency: published openings, no login"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

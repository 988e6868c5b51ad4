//! The OpenAPI document, generated from the handlers' annotations (committed as api-spec/openapi.json).

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::openings::{catalogue, public, rounds};

mod refusals;
use crate::{
    agencies, applications, audit, auth, deviations, error, http, openings, panels, ranking,
};

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
        audit::routes::create_checkpoint, audit::proofs::inclusion_proof, audit::proofs::consistency_proof,
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
        deviations::routes::list_deviations, deviations::routes::get_deviation, deviations::routes::deviation_report,
        public::list_public_openings, public::get_public_opening,
        panels::rubrics::routes::create_rubric, panels::rubrics::routes::list_rubrics,
        panels::rubrics::routes::get_rubric, panels::rubrics::routes::create_rubric_version,
        panels::routes::setup::create_panel, panels::routes::setup::list_panels, panels::routes::setup::get_panel,
        panels::routes::setup::add_member, panels::routes::setup::remove_member,
        panels::routes::setup::attach_material, panels::routes::setup::get_material,
        panels::routes::oversight::list_assignments, panels::routes::oversight::list_recusals,
        panels::routes::oversight::get_panel_results, panels::routes::oversight::get_rater_analytics,
        panels::routes::oversight::unlock_panel,
        panels::routes::queue::get_queue, panels::routes::queue::declare_conflicts,
        panels::routes::queue::submit_score, panels::routes::queue::amend_score,
        panels::routes::queue::get_own_score, panels::routes::queue::list_fellow_scores,
        panels::routes::queue::recuse_self, panels::routes::queue::check_conflict,
        panels::routes::chair::list_divergent, panels::routes::chair::moderate,
        panels::routes::chair::lock_panel,
    ),
    components(schemas(error::Problem, error::FieldError)),
    modifiers(&BearerAuth, &ServerFacts),
    tags(
        (name = "auth", description = "Login, logout, activation"),
        (name = "users", description = "Accounts and roles"),
        (name = "agencies", description = "Agencies (instansi)"),
        (name = "audit", description = "Tamper-evident audit chain"),
        (name = "positions", description = "Competency catalogue, positions and job-person match"),
        (name = "rounds", description = "National rule sets and selection rounds"),
        (name = "openings", description = "Openings (formasi), assessment plans and lifecycle"),
        (name = "applications", description = "Applications (pendaftaran), imports, withdrawal"),
        (name = "panels", description = "Blind panel scoring: rubrics, panels, conflicts of interest, scores, rater analytics"),
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

/// What holds for every operation because of the shared plumbing, written into each one so the
/// document says what the server does: error bodies are `application/problem+json`; the 4xx and
/// 503 answers the extractors, limits and the pool give; the `Idempotency-Key` format.
struct ServerFacts;

impl Modify for ServerFacts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                facts::problem_media_type(operation);
                facts::shared_responses(path, operation);
                facts::idempotency_key_format(operation);
                refusals::in_operation(operation);
            }
        }
        refusals::in_components(openapi);
    }
}

mod facts {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{
        ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type,
    };

    const PROBLEM: &str = "application/problem+json";

    /// A response whose body is a `Problem` is sent as `application/problem+json`.
    pub fn problem_media_type(operation: &mut Operation) {
        for response in operation.responses.responses.values_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            if let Some(content) = response.content.shift_remove("application/json") {
                let is_problem = matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
                let media_type = if is_problem {
                    PROBLEM
                } else {
                    "application/json"
                };
                response.content.insert(media_type.to_string(), content);
            }
        }
    }

    fn problem(description: &str) -> Response {
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    }

    fn add(operation: &mut Operation, status: &str, description: &str) {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem(description)));
    }

    /// The answers of the shared extractors and limits, where they apply.
    pub fn shared_responses(path: &str, operation: &mut Operation) {
        let parameters = operation.parameters.as_deref().unwrap_or_default();
        let has_query = parameters
            .iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Query));
        let has_path = path.contains('{');
        let has_idempotency_key = parameters.iter().any(|p| p.name == "Idempotency-Key");
        let has_body = operation.request_body.is_some();
        let json_body = operation
            .request_body
            .as_ref()
            .is_some_and(|b| b.content.contains_key("application/json"));
        if has_query || has_path || has_idempotency_key || has_body {
            add(
                operation,
                "400",
                "Malformed request: `malformed_json` (body), `invalid_query`, `invalid_path_parameter`, `invalid_idempotency_key`",
            );
        }
        if has_body {
            add(
                operation,
                "408",
                "`body_timeout`: the body stopped arriving",
            );
            add(operation, "413", "`payload_too_large`");
            add(operation, "415", "`unsupported_media_type`");
        }
        if json_body || has_query {
            add(
                operation,
                "422",
                "`validation_failed`: invalid values, per field in `errors`",
            );
        }
        add(
            operation,
            "431",
            "`headers_too_large`: request headers over 16 KiB or 64 fields",
        );
        if path != "/healthz" && path != "/metrics" {
            add(
                operation,
                "503",
                "`database_unavailable` or another temporary condition; retry",
            );
        }
    }

    /// Idempotency keys are 1 to 200 visible ASCII characters.
    pub fn idempotency_key_format(operation: &mut Operation) {
        let Some(parameters) = operation.parameters.as_mut() else {
            return;
        };
        for parameter in parameters.iter_mut() {
            if parameter.name == "Idempotency-Key" {
                let schema = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(200))
                    .pattern(Some("^[!-~]{1,200}$"));
                parameter.schema = Some(RefOr::T(schema.into()));
            }
        }
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

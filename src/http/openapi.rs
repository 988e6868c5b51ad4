//! The OpenAPI document, generated from the handlers' annotations (committed as api-spec/openapi.json).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{agencies, audit, auth, error, http};

#[derive(OpenApi)]
#[openapi(
    info(title = "asn-merit", description = "System of record for merit-based civil-service (ASN) recruitment and promotion."),
    paths(
        http::ops::healthz, http::ops::readyz, http::ops::metrics, http::ops::openapi_json,
        auth::routes::login_user, auth::routes::logout_user, auth::routes::activate_account, auth::routes::get_me,
        auth::routes::create_user, auth::routes::list_users, auth::routes::get_user, auth::routes::update_user,
        auth::routes::reset_password,
        agencies::routes::create_agency, agencies::routes::list_agencies, agencies::routes::get_agency,
        agencies::routes::update_agency, agencies::routes::delete_agency,
        audit::routes::list_events, audit::routes::verify_chain, audit::routes::list_checkpoints,
        audit::routes::create_checkpoint,
    ),
    components(schemas(error::Problem, error::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, logout, activation"),
        (name = "users", description = "Accounts and roles"),
        (name = "agencies", description = "Agencies (instansi)"),
        (name = "audit", description = "Tamper-evident audit chain"),
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

//! The OpenAPI 3.1 document, generated from the handlers' annotations, completed here with the
//! problem responses every operation may give, and served at `/api/v1/openapi.json`.

use crate::service::state::AppState;
use axum::{Json, Router, routing::get};
use marketplace_api::Problem;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// Every error status an operation may answer, with its meaning.
const ERRORS: [(u16, &str); 10] = [
    (400, "Malformed request: bad JSON, path or query"),
    (
        401,
        "Missing or invalid credentials (API key, embedded token or portal session)",
    ),
    (
        403,
        "The caller's role or origin may not do this, or the listing is not deployable (with reasons)",
    ),
    (404, "Not found, or not visible to this caller"),
    (
        409,
        "Conflict: a duplicate unique value, a state that forbids the change, or an existing instance",
    ),
    (413, "The request body is too large"),
    (415, "The request body is not application/json"),
    (
        422,
        "Field errors, every one at once; or a request naming nothing usable (routing_key_missing)",
    ),
    (
        429,
        "Too many attempts (portal sign-in); `Retry-After` says when to try again",
    ),
    (500, "Internal error"),
];

/// The problems an operation can give beyond what its shape says (see [`problems_of`]): `(operation
/// id, added, removed)`.
const EXCEPTIONS: &[(&str, &[u16], &[u16])] = &[
    ("delete_api_key", &[409], &[]),
    ("create_signing_key", &[409], &[]),
    ("create_version", &[409], &[]),
    ("replace_version", &[409], &[]),
    ("publish_version", &[409], &[]),
    ("create_marketplace", &[409], &[]),
    ("delete_marketplace", &[409], &[]),
    ("create_customer", &[409], &[]),
    ("patch_customer", &[409], &[]),
    ("delete_customer", &[400], &[]),
    ("activate_for_customer", &[403, 409], &[]),
    ("patch_instance", &[409], &[]),
    ("delete_instance", &[409], &[]),
    ("upgrade_instance", &[409], &[]),
    ("pause_instance", &[409], &[]),
    ("resume_instance", &[409], &[]),
    ("embedded_activate", &[400, 404, 409], &[]),
    ("embedded_patch_instance", &[409], &[]),
    ("embedded_delete_instance", &[409], &[]),
    ("embedded_pause_instance", &[409], &[]),
    ("embedded_resume_instance", &[409], &[]),
    ("embedded_test_instance", &[409], &[]),
    ("embedded_launch_instance", &[409], &[]),
    // 409 `invalid_state`: a deactivated instance, or the connection's OAuth app not set up.
    ("embedded_authorize_connection", &[409], &[]),
    ("authorize_connection", &[409], &[]),
    ("rotate_instance_sso_client", &[409], &[]),
    ("rotate_configuration_sso_client", &[409], &[]),
    ("delete_event_configuration", &[409], &[]),
    ("publish_event_configuration", &[], &[]),
    ("ping_event_configuration", &[409], &[]),
    ("link_event_configuration", &[409], &[]),
    ("redeliver", &[409], &[]),
    ("vendor_result", &[409], &[]),
    // Form or JSON; credentials in the body or HTTP Basic; no field errors (OAuth2 errors).
    ("vendor_token", &[401], &[413, 422]),
    // Form only (any content type is read as a form); OAuth2 errors, no field errors.
    ("oidc_token", &[401], &[415, 422]),
    // The trigger takes any bytes: no JSON to reject, no field to name.
    ("trigger", &[409], &[400, 415, 422]),
    ("create_invitation", &[409], &[]),
    ("embedded_create_invitation", &[409], &[]),
    // No credential: wrong ones are 401 `invalid_credentials`; a locked email 429.
    ("portal_login", &[401, 429], &[]),
    // The session is read, never refused for its role or origin (only unsafe methods are).
    ("portal_session", &[], &[403]),
    // Any bytes; the key is checked by the service (401), routing needs a value (422).
    ("shared_trigger", &[401, 409], &[415]),
    ("create_template", &[409], &[]),
    ("decide_template", &[409], &[]),
    ("delete_record_type", &[409], &[]),
    ("put_collection", &[409], &[]),
    ("delete_collection", &[409], &[]),
    ("put_instance_mappings", &[409], &[]),
    ("create_tenant", &[409], &[]),
    ("delete_tenant", &[409], &[]),
    ("create_credential", &[409], &[]),
    ("register_marketplace", &[409], &[]),
    ("create_partner_signing_key", &[409], &[]),
    // 404: the version is not listed in the partner's marketplace.
    ("submit_partner_template", &[404, 409], &[]),
    ("embedded_put_instance_mappings", &[409], &[]),
    ("delete_provider", &[409], &[]),
    ("delete_application", &[409], &[]),
    ("add_application_version", &[409], &[]),
    ("remove_application_version", &[409], &[]),
    ("run_connection_test", &[409], &[]),
    ("create_certification_request", &[409], &[]),
    ("decide_certification_request", &[409], &[]),
];

/// The problem statuses an operation can answer: 400 where a query or body is parsed, 413/415/422
/// where a JSON body is, 404 where a path names something, 401 where a credential is checked,
/// 403 where an embedded token's role and origin are, or an API key's role on a write (`read`
/// is false: a reviewer key is refused, `forbidden_role`), 500 always; then [`EXCEPTIONS`].
fn problems_of(operation: &Operation, read: bool) -> Vec<u16> {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    let mut codes = vec![500];
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    // Every parameter is inline (the derive makes no parameter references).
    let has = |place: ParameterIn| {
        parameters
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    if has(ParameterIn::Query) {
        codes.push(400);
    }
    if has(ParameterIn::Path) {
        codes.push(404);
    }
    if operation.request_body.is_some() {
        codes.extend([400, 413, 415, 422]);
    }
    let schemes: Vec<&str> = operation
        .security
        .iter()
        .flatten()
        .flat_map(|requirement| {
            serde_json::to_value(requirement)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
                .unwrap_or_default()
        })
        .map(|name| match name.as_str() {
            "embedded_token" | "portal_session" => "embedded_token",
            "api_key" => "api_key",
            _ => "other",
        })
        .collect();
    if !schemes.is_empty() {
        codes.push(401);
    }
    if schemes.contains(&"embedded_token") || (schemes.contains(&"api_key") && !read) {
        codes.push(403);
    }
    let id = operation.operation_id.as_deref().unwrap_or_default();
    for (name, added, removed) in EXCEPTIONS {
        if *name == id {
            codes.extend(added.iter().copied());
            codes.retain(|c| !removed.contains(c));
        }
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The document's base: info and security schemes.
pub fn base() -> OpenApi {
    let mut api = OpenApi::builder()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Embeddable integration marketplace")
                .version(env!("CARGO_PKG_VERSION"))
                .license(Some(
                    utoipa::openapi::LicenseBuilder::new()
                        .name("Apache-2.0 OR MIT")
                        .identifier(Some("Apache-2.0 OR MIT"))
                        .build(),
                ))
                .description(Some(
                    "Admin API (`Authorization: Bearer <API key>`) and embedded API (`Authorization: Bearer <host-signed token>`). \
                     Every error is `application/problem+json`.",
                ))
                .build(),
        )
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "api_key",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "partner_client",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
    );
    components.add_security_scheme(
        "registration_token",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "vendor_token",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "sso_access_token",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "portal_session",
        SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
            utoipa::openapi::security::ApiKeyValue::with_description(
                "mp_session",
                "The customer portal's session cookie; unsafe methods also need `X-CSRF-Token` \
                 (the session's `csrf_token`) and the service's own `Origin`",
            ),
        )),
    );
    components.add_security_scheme(
        "embedded_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    api
}

/// Adds the problem schema and, to each operation, the problem responses it can give.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    for (code, description) in ERRORS {
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(Problem::name())))
                    .build(),
            )
            .build();
        components
            .responses
            .insert(format!("Problem{code}"), RefOr::T(response));
    }
    for item in api.paths.paths.values_mut() {
        // (operation, whether it only reads)
        let operations: [(&mut Option<Operation>, bool); 8] = [
            (&mut item.get, true),
            (&mut item.put, false),
            (&mut item.post, false),
            (&mut item.delete, false),
            (&mut item.options, true),
            (&mut item.head, true),
            (&mut item.patch, false),
            (&mut item.trace, true),
        ];
        for (operation, read) in operations {
            let Some(operation) = operation else { continue };
            describe_responses(operation);
            for code in problems_of(operation, read) {
                operation
                    .responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::from_response_name(format!("Problem{code}")))
                    });
            }
        }
    }
    api
}

/// Gives each of the operation's own responses that the handler left undescribed its status's
/// reason phrase ("OK", "Created", "No Content"): OpenAPI 3.1 requires a description, and
/// utoipa leaves an empty one out of the document.
fn describe_responses(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if response.description.is_empty() {
            let reason = status
                .parse::<u16>()
                .ok()
                .and_then(|code| axum::http::StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason());
            response.description = reason.unwrap_or("Response").to_owned();
        }
    }
}

/// The whole OpenAPI document, as `GET /api/v1/openapi.json` serves it.
pub fn document() -> OpenApi {
    let (_, api) = super::api_router().split_for_parts();
    finish(api)
}

/// Serves the document.
pub fn router(api: OpenApi) -> Router<AppState> {
    let api = std::sync::Arc::new(api);
    Router::new().route(
        "/api/v1/openapi.json",
        get(move || async move { Json(api.as_ref().clone()) }),
    )
}

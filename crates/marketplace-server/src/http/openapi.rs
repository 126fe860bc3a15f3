//! The OpenAPI 3.1 document, generated from the handlers' annotations, completed here with the
//! problem responses every operation may give, and served at `/api/v1/openapi.json`.

use crate::error::Problem;
use crate::state::AppState;
use axum::{Json, Router, routing::get};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// Every error status an operation may answer, with its meaning.
const ERRORS: [(&str, &str); 9] = [
    ("400", "Malformed request: bad JSON, path or query"),
    (
        "401",
        "Missing or invalid credentials (API key or embedded token)",
    ),
    (
        "403",
        "The caller's role may not do this, or the listing is not deployable (with reasons)",
    ),
    ("404", "Not found, or not visible to this caller"),
    (
        "409",
        "Conflict: a duplicate unique value, a state that forbids the change, or an existing instance",
    ),
    ("413", "The request body is too large"),
    ("415", "The request body is not application/json"),
    ("422", "Field errors, every one at once"),
    ("500", "Internal error"),
];

/// The document's base: info and security schemes.
pub fn base() -> OpenApi {
    let mut api = OpenApi::builder()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Embeddable integration marketplace")
                .version(env!("CARGO_PKG_VERSION"))
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

/// Adds the problem schema and the error responses to every operation.
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
        let operations: [&mut Option<Operation>; 8] = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            for (code, _) in ERRORS {
                operation
                    .responses
                    .responses
                    .entry(code.to_owned())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::from_response_name(format!("Problem{code}")))
                    });
            }
        }
    }
    api
}

/// Serves the document.
pub fn router(api: OpenApi) -> Router<AppState> {
    let api = std::sync::Arc::new(api);
    Router::new().route(
        "/api/v1/openapi.json",
        get(move || async move { Json(api.as_ref().clone()) }),
    )
}

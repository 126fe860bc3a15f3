//! The embedded API, for customer users with a signed token: the catalog of the token's
//! marketplace (what core's `marketplace::visible` shows the customer's tenant; anything else is
//! 404), details, validation, and the customer's own instances with their logs and executions
//! (from any marketplace: instances stay manageable).
//!
//! Order of checks on writes: 401 (token) → 403 (role) → 404 (not found or another customer's)
//! → deployability (403/409) → 422 (every field error at once).

use crate::error::{ApiError, ApiResult};
use crate::http::commerce::{review_view, subscription_view};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::instances::{activated_view, record, view};
use crate::http::observability::{execution_view, executions_page, logs_page};
use crate::http::{List, decode, page_of, page_request};
use crate::service::auth::CustomerUser;
use crate::service::catalog::{CustomerSnapshot, Snapshot, snapshot, views};
use crate::service::certification;
use crate::service::instances::{
    self, Activation, Idempotency, InstanceFilter, OneClick, Reconfiguration, Transition,
};
use crate::service::reviews;
use crate::service::runner;
use crate::service::state::AppState;
use crate::service::subscriptions::{self, Ending};
use crate::service::templates;
use crate::store::reviews::Review;
use crate::store::subscriptions::SubscriptionFilter;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace_api::PageQuery;
use marketplace_api::certification::Support;
use marketplace_api::commerce::{DeactivateBody, ReviewBody, ReviewView, SubscriptionView};
use marketplace_api::embedded::{CatalogApplication, CatalogCollection, CatalogProvider};
use marketplace_api::embedded::{
    MarketplaceDetail, MarketplaceEntry, MarketplaceQuery, TestBody, ValidateBody, ValidateResult,
    write_entry,
};
use marketplace_api::instances::{ActivationBody, InstanceView, LaunchUrl, ReconfigureBody};
use marketplace_api::observability::{ExecutionQuery, ExecutionView, LogQuery, LogView};
use marketplace_api::templates::{EmbeddedActivationBody, OneClickBody};
use marketplace_core::CatalogFilter;
use marketplace_core::certification::Tier;
use marketplace_core::commerce::Cancellation;
use marketplace_core::config::Audience;
use marketplace_core::permission::{Action, Decision, authorize};
use marketplace_core::values::{Editor, ValidationOptions, validate_config};
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(marketplace))
        .routes(routes!(marketplace_entry))
        .routes(routes!(validate))
        .routes(routes!(activate, list_instances))
        .routes(routes!(get_instance, patch_instance, delete_instance))
        .routes(routes!(pause_instance))
        .routes(routes!(deactivate_instance))
        .routes(routes!(list_subscriptions))
        .routes(routes!(list_reviews, create_review))
        .routes(routes!(patch_review))
        .routes(routes!(resume_instance))
        .routes(routes!(test_instance))
        .routes(routes!(launch_instance))
        .routes(routes!(instance_logs))
        .routes(routes!(instance_executions))
}

/// Checks the caller may do `action` on a resource of `owner`: 403 for the role, 404 for another customer's.
fn allow(user: &CustomerUser, action: Action, owner: Option<&str>) -> ApiResult<()> {
    let owner = owner.map(marketplace_core::CustomerId::from);
    match authorize(&user.actor(), action, owner.as_ref()) {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ApiError::forbidden(
            "forbidden_role",
            "a viewer may not change anything",
        )),
        Decision::NotFound => Err(ApiError::NotFound("instance")),
    }
}

/// The catalog of the user's marketplace and the user's customer's view of it.
async fn views_of(
    state: &AppState,
    user: &CustomerUser,
) -> ApiResult<(std::sync::Arc<Snapshot>, std::sync::Arc<CustomerSnapshot>)> {
    views(
        state,
        &user.organization_id,
        &user.marketplace_id,
        &user.customer_id,
    )
    .await
}

/// The marketplace: listed integrations with activation state and deployability.
#[utoipa::path(get, operation_id = "embedded_marketplace", path = "/api/v1/embedded/marketplace", tag = "embedded", security(("embedded_token" = [])),
    params(MarketplaceQuery), responses((status = 200, body = List<MarketplaceEntry>)))]
async fn marketplace(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(query): ApiQuery<MarketplaceQuery>,
    RawQuery(raw_query): RawQuery,
) -> ApiResult<Response> {
    allow(&user, Action::ReadCatalog, None)?;
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let limit = page.limit as usize;
    let tier = match query.tier {
        None => None,
        Some(tier) => Some(Tier::from_name(tier.as_str()).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "tier must be compatible, ready, certified or one_click",
            )
        })?),
    };
    let (snapshot, context) = views_of(&state, &user).await?;
    // The same request of the same customer against the same catalog snapshot answers the
    // page already rendered (dropped with the customer's snapshot on any write of theirs).
    let page_key = format!(
        "{}|{:?}|{}|{}",
        user.marketplace_id,
        user.tenant_id,
        raw_query.as_deref().unwrap_or_default(),
        user.embedded_config
            .as_ref()
            .and_then(|values| serde_json::to_string(values).ok())
            .unwrap_or_default()
    );
    if let Some(body) = context.rendered_page(&page_key, &snapshot) {
        return Ok(json_body(body));
    }
    let customer = snapshot.context(
        &context,
        user.tenant_id.as_deref(),
        user.embedded_config.as_ref(),
    );
    let filter = CatalogFilter {
        category: query.category,
        label: query.label,
        q: query.q,
        tier,
    };
    let entries = snapshot.catalog.query(customer, &filter);
    let start = match page.cursor.as_deref() {
        None => 0,
        Some(cursor) => entries
            .iter()
            .position(|e| e.listing.integration.id.as_str() == cursor)
            .map_or(entries.len(), |p| p + 1),
    };
    let page = &entries[start.min(entries.len())..];
    let page = &page[..limit.min(page.len())];
    let next_cursor = (start + limit < entries.len())
        .then(|| page.last().map(|e| e.listing.integration.id.as_str()))
        .flatten();
    // The entries are written from each listing's prefix, serialised once per snapshot: the
    // catalog read's cost is then mostly what depends on the customer.
    let prefixes = snapshot.entry_prefixes();
    let mut body = Vec::with_capacity(64 + page.len() * 512);
    body.extend_from_slice(b"{\"items\":[");
    for (i, entry) in page.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let prefix = &prefixes[entry.listing.integration.id.as_str()];
        write_entry(&mut body, prefix, entry);
    }
    body.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut body, &next_cursor)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    body.push(b'}');
    #[cfg(debug_assertions)]
    {
        // Debug builds (every test) check the written body against the serialised entries.
        let items: Vec<MarketplaceEntry> = page.iter().map(MarketplaceEntry::from).collect();
        let expected = serde_json::to_value(List {
            items,
            next_cursor: next_cursor.map(str::to_owned),
        })
        .expect("serialisable");
        let written: serde_json::Value = serde_json::from_slice(&body).expect("JSON written");
        debug_assert_eq!(
            written, expected,
            "the catalog body as written and as serialised"
        );
    }
    let body = Bytes::from(body);
    context.keep_page(page_key, &snapshot, body.clone());
    Ok(json_body(body))
}

/// A JSON response of bytes already written.
fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One integration of the marketplace, with the spec the customer fills in, and what its
/// certification shows: provider, supported applications, documentation, and from the
/// `certified` tier on its mapping collections.
#[utoipa::path(get, operation_id = "embedded_marketplace_entry", path = "/api/v1/embedded/marketplace/{integration_id}", tag = "embedded", security(("embedded_token" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 200, body = MarketplaceDetail)))]
async fn marketplace_entry(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<Json<MarketplaceDetail>> {
    allow(&user, Action::ReadCatalog, None)?;
    let (snapshot, context) = views_of(&state, &user).await?;
    let customer = snapshot.context(
        &context,
        user.tenant_id.as_deref(),
        user.embedded_config.as_ref(),
    );
    let entry = snapshot
        .catalog
        .entry(customer, &integration_id)
        .ok_or(ApiError::NotFound("integration"))?;
    let mut detail =
        MarketplaceDetail::new(&entry, snapshot.overview_html(&integration_id).to_owned());
    detail.workflow_templates =
        templates::approved(&state, &integration_id, &entry.listing.version)
            .await?
            .into_iter()
            .map(|(template, connections)| crate::http::templates::summary(template, connections))
            .collect();
    let listed = entry.listing;
    let details = certification::catalog_details(
        &state,
        &user.organization_id,
        &integration_id,
        &listed.version,
        listed.tier,
    )
    .await?;
    detail.provider = details.provider.map(|p| CatalogProvider {
        name: p.name,
        url: p.url,
        logo_url: p.logo_url,
        support: Support {
            email: p.support.email,
            url: p.support.url,
        },
    });
    detail.applications = details
        .applications
        .into_iter()
        .map(|a| CatalogApplication {
            name: a.name,
            versions: a.versions,
        })
        .collect();
    let paid = listed
        .listing
        .pricing
        .as_ref()
        .is_some_and(marketplace_core::commerce::Pricing::is_paid);
    detail.review_prompt = reviews::prompt(&state, &user.customer_id, &integration_id, paid)
        .await?
        .map(|prompt| prompt.as_str().to_owned());
    detail.documentation_html = crate::markdown::overview_html(&details.documentation);
    detail.documentation = details.documentation;
    detail.collections = details
        .collections
        .into_iter()
        .map(|c| CatalogCollection {
            name: c.name,
            record_type: c.record_type,
            direction: c.direction.into(),
            notes: c.notes,
        })
        .collect();
    Ok(Json(detail))
}

/// Check values against the listed version's spec, as the customer would submit them.
#[utoipa::path(post, operation_id = "embedded_validate", path = "/api/v1/embedded/marketplace/{integration_id}/validate", tag = "embedded",
    security(("embedded_token" = [])), params(("integration_id" = String, Path, description = "Integration id")),
    request_body = ValidateBody, responses((status = 200, body = ValidateResult)))]
async fn validate(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(integration_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ValidateResult>> {
    allow(&user, Action::Validate, None)?;
    let snapshot = snapshot(&state, &user.organization_id, &user.marketplace_id).await?;
    let listed = snapshot
        .visible(&integration_id, user.tenant_id.as_deref())
        .ok_or(ApiError::NotFound("integration"))?;
    let body: ValidateBody = decode(body)?;
    let errors = validate_config(
        &listed.version.config,
        &body.config,
        ValidationOptions::complete(Editor::Customer),
    );
    Ok(Json(ValidateResult {
        valid: errors.is_empty(),
        errors: errors.iter().map(Into::into).collect(),
    }))
}

/// Activate a listed integration, with the customer's config or, in one click, from an approved
/// workflow template of the listed version (`template_id` and the template's `connections`).
/// `Idempotency-Key` is honoured: a retry returns the same instance.
#[utoipa::path(post, operation_id = "embedded_activate", path = "/api/v1/embedded/instances", tag = "embedded", security(("embedded_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key returns the same instance")),
    request_body = EmbeddedActivationBody,
    responses((status = 201, body = InstanceView, description = "The instance; a retry with the same Idempotency-Key answers the same instance, with `Idempotent-Replayed: true`")))]
async fn activate(
    State(state): State<AppState>,
    user: CustomerUser,
    headers: HeaderMap,
    ApiJson(raw): ApiJson<Value>,
) -> ApiResult<(
    StatusCode,
    [(&'static str, &'static str); 1],
    Json<InstanceView>,
)> {
    allow(&user, Action::Activate, None)?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 255 => Some(k.to_owned()),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 visible characters",
                ));
            }
        },
    };
    let integration_id = raw
        .get("integration_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let snapshot = snapshot(&state, &user.organization_id, &user.marketplace_id).await?;
    if !integration_id.is_empty()
        && snapshot
            .visible(&integration_id, user.tenant_id.as_deref())
            .is_none()
    {
        return Err(ApiError::NotFound("integration"));
    }
    let hash = instances::request_hash(&integration_id, &raw);
    let (body, one_click) = if raw.get("template_id").is_some() {
        one_click_body(&state, &user, &snapshot, raw).await?
    } else {
        (decode::<ActivationBody>(raw)?, None)
    };
    let activation = Activation {
        organization_id: &user.organization_id,
        customer_id: &user.customer_id,
        integration_id: &body.integration_id,
        name: body.name,
        values: body.config,
        editor: Editor::Customer,
        embedded_values: user.embedded_config.clone(),
        idempotency: idempotency_key.map(|key| Idempotency { key, hash }),
        one_click,
        marketplace_id: Some(&user.marketplace_id),
    };
    let (view, replayed) =
        activated_view(instances::activate(&state, &snapshot, activation, record).await?)?;
    let replayed = if replayed { "true" } else { "false" };
    Ok((
        StatusCode::CREATED,
        [("idempotent-replayed", replayed)],
        Json(view),
    ))
}

/// A one-click activation's body: no `config` (422 `/config` `invalid`), and an approved
/// template of the listed version (404 otherwise).
async fn one_click_body(
    state: &AppState,
    user: &CustomerUser,
    snapshot: &crate::service::catalog::Snapshot,
    raw: Value,
) -> ApiResult<(ActivationBody, Option<OneClick>)> {
    if raw.get("config").is_some() {
        return Err(ApiError::field(marketplace_core::FieldError::new(
            "/config",
            marketplace_core::FieldErrorCode::Invalid,
            "a one-click activation takes its config from the template: send `connections` only",
        )));
    }
    let body: OneClickBody = decode(raw)?;
    let listed = snapshot
        .visible(&body.integration_id, user.tenant_id.as_deref())
        .ok_or(ApiError::NotFound("integration"))?;
    let template = templates::for_one_click(
        state,
        &user.organization_id,
        &body.template_id,
        &body.integration_id,
        &listed.version,
    )
    .await?;
    let activation = ActivationBody {
        integration_id: body.integration_id,
        name: body.name,
        config: Map::new(),
    };
    let one_click = OneClick {
        template,
        connections: body.connections,
    };
    Ok((activation, Some(one_click)))
}

/// The customer's instances.
#[utoipa::path(get, operation_id = "embedded_list_instances", path = "/api/v1/embedded/instances", tag = "embedded", security(("embedded_token" = [])),
    params(PageQuery), responses((status = 200, body = List<InstanceView>)))]
async fn list_instances(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<InstanceView>>> {
    allow(&user, Action::ReadInstances, Some(&user.customer_id))?;
    let filter = InstanceFilter {
        customer_id: Some(user.customer_id.clone()),
        ..Default::default()
    };
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let page = instances::list(
        &state,
        &user.organization_id,
        &filter,
        &page,
        Audience::Customer,
    )
    .await?;
    Ok(Json(crate::http::page_of(page, view)))
}

/// One of the caller's customer's instances, if `action` is allowed on it (403 for the role,
/// 404 for another customer's).
pub(crate) async fn own_instance(
    state: &AppState,
    user: &CustomerUser,
    action: Action,
    id: &str,
) -> ApiResult<marketplace_core::Instance> {
    allow(user, action, None)?;
    let instance = instances::load(state, &user.organization_id, id, None).await?;
    allow(user, action, Some(instance.customer_id.as_str()))?;
    Ok(instance)
}

/// Applies a state transition to one of the customer's instances (each transition is its own
/// permission).
async fn transition(
    state: &AppState,
    user: &CustomerUser,
    id: &str,
    transition: Transition,
) -> ApiResult<Json<InstanceView>> {
    let action = match transition {
        Transition::Pause => Action::Pause,
        Transition::Resume => Action::Resume,
        Transition::Deactivate(_) => Action::Deactivate,
    };
    let instance = own_instance(state, user, action, id).await?;
    let shown = instances::transition(
        state,
        &user.organization_id,
        &instance,
        transition,
        Audience::Customer,
    )
    .await?;
    Ok(Json(view(shown)))
}

/// One of the customer's instances.
#[utoipa::path(get, operation_id = "embedded_get_instance", path = "/api/v1/embedded/instances/{id}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn get_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    Ok(Json(view(
        instances::show(&state, &instance, Audience::Customer).await?,
    )))
}

/// Reconfigure an instance: the customer's values are replaced (omitted secrets kept).
#[utoipa::path(patch, operation_id = "embedded_patch_instance", path = "/api/v1/embedded/instances/{id}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = ReconfigureBody,
    responses((status = 200, body = InstanceView)))]
async fn patch_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::Reconfigure, &id).await?;
    let body: ReconfigureBody = decode(body)?;
    let update: Map<String, Value> = match body.config {
        Some(update) => update,
        None => instance.config.clone(),
    };
    let change = Reconfiguration {
        update: &update,
        name: body.name,
        editor: Editor::Customer,
        embedded_values: user.embedded_config.as_ref(),
        enabled_flows: body.enabled_flows,
    };
    Ok(Json(view(
        instances::reconfigure(&state, &user.organization_id, &instance, change).await?,
    )))
}

/// Deactivate an instance; its subscription ends, cancelled by the customer with the reason
/// `unspecified` (`POST .../deactivate` gives one).
#[utoipa::path(delete, operation_id = "embedded_delete_instance", path = "/api/v1/embedded/instances/{id}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn delete_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let ending = Ending::by_customer(Cancellation::unspecified());
    transition(&state, &user, &id, Transition::Deactivate(ending)).await
}

/// Deactivate an instance saying why: its subscription ends, cancelled by the customer with
/// this reason (`/reason` `option` for another).
#[utoipa::path(post, operation_id = "embedded_deactivate_instance", path = "/api/v1/embedded/instances/{id}/deactivate", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = DeactivateBody,
    responses((status = 200, body = InstanceView)))]
async fn deactivate_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<InstanceView>> {
    let cancellation =
        marketplace_core::commerce::parse_cancellation(&body, "").map_err(ApiError::Validation)?;
    let ending = Ending::by_customer(cancellation);
    transition(&state, &user, &id, Transition::Deactivate(ending)).await
}

/// The reviews of an integration in the customer's catalog (authors not named).
#[utoipa::path(get, operation_id = "embedded_list_reviews", path = "/api/v1/embedded/marketplace/{integration_id}/reviews", tag = "embedded",
    security(("embedded_token" = [])), params(("integration_id" = String, Path, description = "Integration id")),
    responses((status = 200, body = List<ReviewView>)))]
async fn list_reviews(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<Json<List<ReviewView>>> {
    allow(&user, Action::ReadCatalog, None)?;
    in_catalog(&state, &user, &integration_id).await?;
    let found = reviews::of_integration(&state, &integration_id).await?;
    Ok(Json(List {
        items: found
            .into_iter()
            .map(|r| {
                let mine = r.customer_id == user.customer_id;
                ReviewView {
                    mine: Some(mine),
                    ..review_view(r, None)
                }
            })
            .collect(),
        next_cursor: None,
    }))
}

/// Review an integration of the catalog: customers who subscribed to it (403
/// `not_a_subscriber`), once (409 `review_exists`; edit it with `PATCH`).
#[utoipa::path(post, operation_id = "embedded_create_review", path = "/api/v1/embedded/marketplace/{integration_id}/reviews", tag = "embedded",
    security(("embedded_token" = [])), params(("integration_id" = String, Path, description = "Integration id")),
    request_body = ReviewBody, responses((status = 201, body = ReviewView)))]
async fn create_review(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(integration_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    allow(&user, Action::Review, Some(&user.customer_id))?;
    in_catalog(&state, &user, &integration_id).await?;
    let review = reviews::create(
        &state,
        &user.organization_id,
        &user.customer_id,
        &integration_id,
        &body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(own_review(review))))
}

/// Edit the customer's own review (another's is 404); `follow_up` once the customer came back
/// (422 `/follow_up` `not_editable` before).
#[utoipa::path(patch, operation_id = "embedded_patch_review", path = "/api/v1/embedded/reviews/{id}", tag = "embedded",
    security(("embedded_token" = [])), params(("id" = String, Path, description = "Review id")),
    request_body = ReviewBody, responses((status = 200, body = ReviewView)))]
async fn patch_review(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ReviewView>> {
    allow(&user, Action::Review, Some(&user.customer_id))?;
    let review =
        reviews::edit(&state, &user.organization_id, &user.customer_id, &id, &body).await?;
    Ok(Json(own_review(review)))
}

/// The customer's own review, as the embedded API shows it.
fn own_review(review: Review) -> ReviewView {
    ReviewView {
        mine: Some(true),
        ..review_view(review, None)
    }
}

/// 404 unless the integration is in the user's catalog.
async fn in_catalog(state: &AppState, user: &CustomerUser, integration_id: &str) -> ApiResult<()> {
    let snapshot = snapshot(state, &user.organization_id, &user.marketplace_id).await?;
    snapshot
        .visible(integration_id, user.tenant_id.as_deref())
        .map(|_| ())
        .ok_or(ApiError::NotFound("integration"))
}

/// The customer's subscriptions, newest id last.
#[utoipa::path(get, operation_id = "embedded_list_subscriptions", path = "/api/v1/embedded/subscriptions", tag = "embedded", security(("embedded_token" = [])),
    params(PageQuery), responses((status = 200, body = List<SubscriptionView>)))]
async fn list_subscriptions(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<SubscriptionView>>> {
    // Who may see the customer's instances may see what they subscribed to.
    allow(&user, Action::ReadInstances, Some(&user.customer_id))?;
    let filter = SubscriptionFilter {
        customer_id: Some(user.customer_id.clone()),
        ..SubscriptionFilter::default()
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = subscriptions::list(&state, &user.organization_id, &filter, &page).await?;
    Ok(Json(page_of(page, subscription_view)))
}

/// Pause an instance.
#[utoipa::path(post, operation_id = "embedded_pause_instance", path = "/api/v1/embedded/instances/{id}/pause", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn pause_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    transition(&state, &user, &id, Transition::Pause).await
}

/// Resume a paused instance.
#[utoipa::path(post, operation_id = "embedded_resume_instance", path = "/api/v1/embedded/instances/{id}/resume", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn resume_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    transition(&state, &user, &id, Transition::Resume).await
}

/// Run a flow of the instance with test input, now, and return the execution.
#[utoipa::path(post, operation_id = "embedded_test_instance", path = "/api/v1/embedded/instances/{id}/test", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = TestBody,
    responses((status = 200, body = ExecutionView)))]
async fn test_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ExecutionView>> {
    let instance = own_instance(&state, &user, Action::TestRun, &id).await?;
    let body: TestBody = decode(body)?;
    let execution = runner::test_run(
        &state,
        &user.organization_id,
        &instance,
        body.flow.as_deref(),
        &body.input,
    )
    .await?;
    Ok(Json(execution_view(execution)))
}

/// Where the user signs in to the vendor's product for an active instance of theirs: the
/// bookmark, or a single-use launch link (60 s) of the service's OpenID Provider. 409
/// `sso_not_configured` when the instance's integration has no SSO, `instance_not_active`.
#[utoipa::path(post, operation_id = "embedded_launch_instance", path = "/api/v1/embedded/instances/{id}/launch", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = LaunchUrl)))]
async fn launch_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<LaunchUrl>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let url = crate::service::sso::launch(&state, &user, &instance).await?;
    Ok(Json(LaunchUrl { url }))
}

/// Logs of one of the customer's instances.
#[utoipa::path(get, operation_id = "embedded_instance_logs", path = "/api/v1/embedded/instances/{id}/logs", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), LogQuery), responses((status = 200, body = List<LogView>)))]
async fn instance_logs(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Json<List<LogView>>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let query = LogQuery {
        instance_id: Some(instance.id.to_string()),
        customer_id: None,
        ..query
    };
    Ok(Json(
        logs_page(&state, &user.organization_id, &query).await?,
    ))
}

/// Executions of one of the customer's instances.
#[utoipa::path(get, operation_id = "embedded_instance_executions", path = "/api/v1/embedded/instances/{id}/executions", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), ExecutionQuery), responses((status = 200, body = List<ExecutionView>)))]
async fn instance_executions(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> ApiResult<Json<List<ExecutionView>>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let query = ExecutionQuery {
        instance_id: Some(instance.id.to_string()),
        customer_id: None,
        ..query
    };
    Ok(Json(
        executions_page(&state, &user.organization_id, &query).await?,
    ))
}

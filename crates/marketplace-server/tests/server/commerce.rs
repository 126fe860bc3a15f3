//! Commerce over HTTP: listing prices, the subscriptions activations start and deactivations
//! end (with the customer's reason), imported history, the scoring policy and a listing's score
//! with its calendar-month edges.

use super::common::{TestServer, customer, error_codes, first_error, items, orders_config, sink};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    prices_are_exact_and_checked,
    activations_subscribe_and_deactivations_cancel,
    imports_are_history_checked_item_by_item,
    the_score_follows_the_policy_and_the_calendar,
    excessive_cancellations_count_every_subscriber_begun_by_then,
    reviews_prompts_disputes_and_returns,
);

/// Imports past subscriptions, all of which must be accepted.
async fn import_history(server: &TestServer, items: Vec<Value>) {
    let (status, body) = server
        .admin(
            Method::POST,
            "/api/v1/subscriptions/import",
            Some(json!({"items": items})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The default marketplace's listing of an integration.
async fn listing(server: &TestServer, integration: &str) -> Value {
    let (status, listing) = server
        .admin_get(&format!("/api/v1/marketplace/listings/{integration}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    listing
}

/// Puts the default marketplace's listing of "Orders" with `pricing` (left out when `None`).
async fn price(
    server: &TestServer,
    integration: &str,
    pricing: Option<Value>,
) -> (StatusCode, Value) {
    let mut body = json!({"version": "1.0.0", "customer_deployable": true,
                          "allow_multiple_instances": true});
    if let Some(pricing) = pricing {
        body["pricing"] = pricing;
    }
    server
        .admin(
            Method::PUT,
            &format!("/api/v1/marketplace/listings/{integration}"),
            Some(body),
        )
        .await
}

/// The subscriptions the admin API lists for a query.
async fn subscriptions(server: &TestServer, query: &str) -> Vec<Value> {
    let (status, list) = server
        .admin_get(&format!("/api/v1/subscriptions?{query}"))
        .await;
    items(status, &list)
}

async fn prices_are_exact_and_checked(server: TestServer) {
    let orders = server.orders_listed(true).await;
    assert_eq!(listing(&server, &orders).await["pricing"], Value::Null);

    let (status, body) = price(
        &server,
        &orders,
        Some(json!({"currency": "EUR", "up_front": "0", "monthly": "9.9"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let eur = json!({"currency": "EUR", "up_front": "0.00", "monthly": "9.90"});
    assert_eq!(body["pricing"], eur);
    // Left out: kept. Shown in the customer's catalog as the admin sees it.
    let (status, body) = price(&server, &orders, None).await;
    assert_eq!((status, &body["pricing"]), (StatusCode::OK, &eur));
    let token = server.token("acme", "ann", "admin");
    let (status, catalog) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    let entries = items(status, &catalog);
    assert_eq!(entries[0]["pricing"], eur, "{catalog}");

    // Every problem, with its path and code.
    let cases = [
        (
            json!({"currency": "EUR", "up_front": 5, "monthly": "1"}),
            "/pricing/up_front",
            "type",
        ),
        (
            json!({"currency": "EURO", "up_front": "1", "monthly": "1"}),
            "/pricing/currency",
            "option",
        ),
        (
            json!({"currency": "JPY", "up_front": "10.5", "monthly": "0"}),
            "/pricing/up_front",
            "format",
        ),
        (
            json!({"currency": "BHD", "up_front": "1.0005", "monthly": "0"}),
            "/pricing/up_front",
            "format",
        ),
        (
            json!({"currency": "EUR", "up_front": "-1", "monthly": "0"}),
            "/pricing/up_front",
            "min",
        ),
    ];
    for (pricing, path, code) in cases {
        let (status, problem) = price(&server, &orders, Some(pricing)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(first_error(&problem), (Some(path), Some(code)), "{problem}");
    }
    // Three minor digits in BHD; `null` makes it free again.
    let (_, body) = price(
        &server,
        &orders,
        Some(json!({"currency": "BHD", "up_front": "1.5", "monthly": "0.125"})),
    )
    .await;
    assert_eq!(
        body["pricing"],
        json!({"currency": "BHD", "up_front": "1.500", "monthly": "0.125"})
    );
    let (_, body) = price(&server, &orders, Some(Value::Null)).await;
    assert_eq!(body["pricing"], Value::Null);
}

async fn activations_subscribe_and_deactivations_cancel(server: TestServer) {
    let orders = server.orders_listed(true).await;
    price(
        &server,
        &orders,
        Some(json!({"currency": "EUR", "up_front": "49", "monthly": "9.90"})),
    )
    .await;
    let acme = server.token("acme", "ann", "admin");
    let endpoint = sink().await;
    let first = server
        .activate(&acme, &orders, orders_config(&endpoint))
        .await;
    let first_id = first["id"].as_str().unwrap();

    let found = subscriptions(&server, &format!("integration_id={orders}")).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let subscription = &found[0];
    assert_eq!(subscription["status"], "active");
    assert_eq!(subscription["instance_id"], first_id);
    assert_eq!(subscription["returning"], false);
    assert_eq!(
        subscription["pricing"],
        json!({"currency": "EUR", "up_front": "49.00", "monthly": "9.90"})
    );
    // A later price change leaves it.
    price(
        &server,
        &orders,
        Some(json!({"currency": "EUR", "up_front": "0", "monthly": "19"})),
    )
    .await;
    let id = subscription["id"].as_str().unwrap();
    let (status, same) = server
        .admin_get(&format!("/api/v1/subscriptions/{id}"))
        .await;
    assert_eq!(
        (status, &same["pricing"]["monthly"]),
        (StatusCode::OK, &json!("9.90"))
    );

    // A reason outside the list is refused, naming it.
    let deactivate = |instance: String, body: Value| {
        let token = acme.clone();
        let server = &server;
        async move {
            server
                .embedded(
                    &token,
                    Method::POST,
                    &format!("/api/v1/embedded/instances/{instance}/deactivate"),
                    Some(body),
                )
                .await
        }
    };
    let (status, problem) = deactivate(first_id.to_owned(), json!({"reason": "bored"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/reason"), Some("option")));
    let (status, instance) = deactivate(
        first_id.to_owned(),
        json!({"reason": "too_expensive", "comment": "over budget"}),
    )
    .await;
    assert_eq!(
        (status, &instance["status"]),
        (StatusCode::OK, &json!("deactivated"))
    );
    let (_, cancelled) = server
        .admin_get(&format!("/api/v1/subscriptions/{id}"))
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancelled_by"], "customer");
    assert_eq!(
        cancelled["cancellation"],
        json!({"reason": "too_expensive", "comment": "over budget"})
    );
    assert!(cancelled["cancelled_at"].is_string());
    let customer = subscription["customer_id"].as_str().unwrap();
    let (status, events) = server
        .admin_get(&format!("/api/v1/events?customer_id={customer}"))
        .await;
    let of_subscription: Vec<Value> = items(status, &events)
        .into_iter()
        .filter(|e| e["data"]["subscription_id"] == id)
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        of_subscription,
        [
            json!("subscription.created"),
            json!("subscription.cancelled")
        ]
    );

    // Back after cancelling: a return, at the price now. A plain DELETE says nothing.
    let second = server
        .activate(&acme, &orders, orders_config(&endpoint))
        .await;
    let second_id = second["id"].as_str().unwrap();
    let now_active = subscriptions(&server, "status=active").await;
    assert_eq!(now_active.len(), 1);
    assert_eq!(now_active[0]["returning"], true);
    assert_eq!(now_active[0]["pricing"]["monthly"], "19.00");
    let (status, _) = server
        .embedded(
            &acme,
            Method::DELETE,
            &format!("/api/v1/embedded/instances/{second_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let plain = &subscriptions(
        &server,
        &format!(
            "customer_id={}",
            now_active[0]["customer_id"].as_str().unwrap()
        ),
    )
    .await;
    let plain = plain
        .iter()
        .find(|s| s["instance_id"] == second_id)
        .unwrap();
    assert_eq!(
        plain["cancellation"],
        json!({"reason": "unspecified", "comment": null})
    );

    // The organization's deactivation is the organization's; another customer sees only its own.
    let globex = server.token("globex", "gus", "admin");
    let third = server
        .activate(&globex, &orders, orders_config(&endpoint))
        .await;
    let third_id = third["id"].as_str().unwrap();
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/instances/{third_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, own) = server
        .embedded_get(&globex, "/api/v1/embedded/subscriptions")
        .await;
    let own = items(status, &own);
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["instance_id"], third_id);
    assert_eq!(
        (&own[0]["cancelled_by"], &own[0]["cancellation"]),
        (&json!("organization"), &Value::Null)
    );
    let (status, acme_own) = server
        .embedded_get(&acme, "/api/v1/embedded/subscriptions")
        .await;
    assert_eq!(items(status, &acme_own).len(), 2);
    let (status, _) = server
        .admin_get("/api/v1/subscriptions?status=paused")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn imports_are_history_checked_item_by_item(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let marketplace = listing(&server, &orders).await["marketplace_id"].clone();
    let acme = customer(&server, "Acme").await;
    let item = |subscribed: &str, cancelled: Value| {
        json!({"customer_id": acme, "marketplace_id": marketplace, "integration_id": orders,
               "pricing": {"currency": "USD", "up_front": "0", "monthly": "5"},
               "subscribed_at": subscribed, "cancelled_at": cancelled})
    };
    let import = |items: Vec<Value>| {
        let server = &server;
        async move {
            server
                .admin(
                    Method::POST,
                    "/api/v1/subscriptions/import",
                    Some(json!({"items": items})),
                )
                .await
        }
    };
    let cases = [
        (
            item("2026-01-01T00:00:00Z", json!("2999-01-01T00:00:00Z")),
            "/items/1/cancelled_at",
            "max",
        ),
        (
            item("2026-03-01T00:00:00Z", json!("2026-02-01T00:00:00Z")),
            "/items/1/cancelled_at",
            "min",
        ),
        (
            item("2999-03-01T00:00:00Z", Value::Null),
            "/items/1/subscribed_at",
            "max",
        ),
        (
            item("March", Value::Null),
            "/items/1/subscribed_at",
            "format",
        ),
    ];
    let good = item("2026-01-01T00:00:00Z", json!("2026-02-15T00:00:00Z"));
    for (bad, path, code) in cases {
        let (status, problem) = import(vec![good.clone(), bad]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(first_error(&problem), (Some(path), Some(code)), "{problem}");
    }
    let mut stranger = good.clone();
    stranger["customer_id"] = json!("cus_nobody");
    let (status, problem) = import(vec![stranger]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/items/0/customer_id"), Some("invalid_reference"))
    );
    // After an item core refuses, the next item's problems still name its own index.
    let mut stranger = good.clone();
    stranger["customer_id"] = json!("cus_nobody");
    let (status, problem) = import(vec![item("March", Value::Null), stranger]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let paths = error_codes(&problem);
    assert_eq!(
        paths,
        [
            ("/items/0/subscribed_at", "format"),
            ("/items/1/customer_id", "invalid_reference")
        ]
    );
    assert!(subscriptions(&server, "").await.is_empty(), "all or none");

    let (status, body) = import(vec![good, item("2026-05-01T00:00:00Z", Value::Null)]).await;
    assert_eq!(
        (status, body),
        (StatusCode::CREATED, json!({"imported": 2}))
    );
    let found = subscriptions(&server, &format!("customer_id={acme}")).await;
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|s| s["imported"] == true && s["instance_id"].is_null())
    );
    let cancelled: Vec<_> = found
        .iter()
        .filter(|s| s["status"] == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["cancelled_by"], "customer");
    assert_eq!(cancelled[0]["cancellation"]["reason"], "unspecified");
    assert_eq!(cancelled[0]["subscribed_at"], "2026-01-01T00:00:00Z");
}

async fn the_score_follows_the_policy_and_the_calendar(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let marketplace = listing(&server, &orders).await["marketplace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let score_path = format!("/api/v1/marketplaces/{marketplace}/listings/{orders}/score");
    let (status, fresh) = server.admin_get(&score_path).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(
        (fresh["score"].as_u64(), &fresh["visibility"]),
        (Some(100), &json!("visible"))
    );
    let codes: Vec<&str> = fresh["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "unsupported_application_version",
            "negative_reviews",
            "excessive_cancellations",
            "misrepresentation"
        ]
    );

    // Subscribed on Jan 31: cancelled exactly one month later (Feb 28, clamped) is not
    // misrepresentation; exactly seven months later (Aug 31) is; a month and a day later is.
    let mut items_ = Vec::new();
    for (name, cancelled) in [
        ("One", "2026-02-28T10:00:00Z"),
        ("Seven", "2026-08-31T10:00:00Z"),
        ("Between", "2026-03-01T10:00:00Z"),
        ("Late", "2026-09-01T10:00:00Z"),
    ] {
        let id = customer(&server, name).await;
        items_.push(
            json!({"customer_id": id, "marketplace_id": marketplace, "integration_id": orders,
            "pricing": null, "subscribed_at": "2026-01-31T10:00:00Z", "cancelled_at": cancelled,
            "cancellation": {"reason": "not_working"}}),
        );
    }
    import_history(&server, items_).await;
    let at = "2026-10-01T00:00:00Z";
    let (status, scored) = server.admin_get(&format!("{score_path}?at={at}")).await;
    assert_eq!(status, StatusCode::OK, "{scored}");
    let factor = |score: &Value, code: &str| {
        score["factors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap()
            .clone()
    };
    let misrepresentation = factor(&scored, "misrepresentation");
    assert_eq!(
        (
            misrepresentation["count"].as_u64(),
            misrepresentation["points"].as_i64()
        ),
        (Some(2), Some(-10))
    );
    assert_eq!(scored["score"], 90);
    assert_eq!(scored["evaluated_at"], at);
    // Before any cancellation: nothing counted.
    let (_, earlier) = server
        .admin_get(&format!("{score_path}?at=2026-02-01T00:00:00Z"))
        .await;
    assert_eq!(earlier["score"], 100, "{earlier}");

    // The policy: defaults, checked, and a stricter one moves the listing out of external
    // search and then out of the marketplace.
    let (status, policy) = server.admin_get("/api/v1/scoring-policy").await;
    assert_eq!(
        (status, &policy["delist_threshold"]),
        (StatusCode::OK, &json!(40))
    );
    let mut wrong = policy.clone();
    wrong["delist_threshold"] = json!(70);
    let (status, problem) = server
        .admin(Method::PUT, "/api/v1/scoring-policy", Some(wrong))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/delist_threshold"), Some("max"))
    );
    let mut strict = policy.clone();
    strict["external_search_threshold"] = json!(95);
    let (status, saved) = server
        .admin(Method::PUT, "/api/v1/scoring-policy", Some(strict.clone()))
        .await;
    assert_eq!((status, &saved), (StatusCode::OK, &strict));
    // A customer's instance keeps running whatever the listing's visibility.
    let acme = server.token("acme", "ann", "admin");
    let instance = server
        .activate(&acme, &orders, orders_config(&sink().await))
        .await;
    let instance_path = format!(
        "/api/v1/embedded/instances/{}",
        instance["id"].as_str().unwrap()
    );
    let rescore = || {
        let state = server.state.clone();
        async move {
            marketplace_server::service::scoring::rescore(
                &state,
                marketplace_server::store::now_ms(),
            )
            .await
            .unwrap()
        }
    };
    // (The service's own re-scorer may get there first: the visibility is what is checked.)
    rescore().await;
    assert_eq!(
        listing(&server, &orders).await["visibility"],
        "hidden_from_external_search"
    );
    assert_eq!(rescore().await, 0, "moved once");
    let (status, _) = server
        .embedded_get(&acme, &format!("/api/v1/embedded/marketplace/{orders}"))
        .await;
    assert_eq!(status, StatusCode::OK, "hidden from external search only");
    let (_, hidden) = server.admin_get(&format!("{score_path}?at={at}")).await;
    assert_eq!(
        hidden["visibility"], "hidden_from_external_search",
        "{hidden}"
    );
    assert_eq!(
        hidden["thresholds"],
        json!({"external_search": 95, "delist": 40})
    );
    strict["delist_threshold"] = json!(91);
    server
        .admin(Method::PUT, "/api/v1/scoring-policy", Some(strict))
        .await;
    let (_, delisted) = server.admin_get(&format!("{score_path}?at={at}")).await;
    assert_eq!(delisted["visibility"], "delisted");
    rescore().await;
    assert_eq!(listing(&server, &orders).await["visibility"], "delisted");
    let (status, _) = server
        .embedded_get(&acme, &format!("/api/v1/embedded/marketplace/{orders}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "out of the marketplace");
    let (status, still) = server.embedded_get(&acme, &instance_path).await;
    assert_eq!(
        (status, &still["status"]),
        (StatusCode::OK, &json!("active"))
    );
    // The default policy again: listed again.
    server
        .admin(Method::PUT, "/api/v1/scoring-policy", Some(policy.clone()))
        .await;
    rescore().await;
    assert_eq!(listing(&server, &orders).await["visibility"], "visible");
    let (status, _) = server
        .admin_get(&format!(
            "/api/v1/marketplaces/{marketplace}/listings/int_nope/score"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The store gives scoring the uncancelled subscriptions as a count (core's
/// `ScoreFacts::uncancelled`): 5 customer cancellations in the period are judged by the share
/// once 20 uncancelled subscriptions have begun, and by the count before.
async fn excessive_cancellations_count_every_subscriber_begun_by_then(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let marketplace = listing(&server, &orders).await["marketplace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut history = Vec::new();
    for i in 0..25 {
        let id = customer(&server, &format!("Subscriber{i:02}")).await;
        history.push(if i < 5 {
            json!({"customer_id": id, "marketplace_id": marketplace, "integration_id": orders,
                   "pricing": null, "subscribed_at": "2026-09-01T10:00:00Z",
                   "cancelled_at": "2026-09-10T10:00:00Z",
                   "cancellation": {"reason": "not_working"}})
        } else {
            json!({"customer_id": id, "marketplace_id": marketplace, "integration_id": orders,
                   "pricing": null, "subscribed_at": "2026-09-15T10:00:00Z"})
        });
    }
    import_history(&server, history).await;
    let score_path = format!("/api/v1/marketplaces/{marketplace}/listings/{orders}/score");
    let excessive = |at: &'static str| {
        let (server, score_path) = (&server, &score_path);
        async move {
            let (status, scored) = server.admin_get(&format!("{score_path}?at={at}")).await;
            assert_eq!(status, StatusCode::OK, "{scored}");
            let factor = scored["factors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "excessive_cancellations")
                .unwrap()
                .clone();
            (factor["count"].as_u64(), factor["points"].as_i64())
        }
    };
    // Before the 20 began: 5 subscribers, 5 cancellations reach the count (5).
    assert_eq!(
        excessive("2026-09-12T00:00:00Z").await,
        (Some(5), Some(-15))
    );
    // After: 25 subscribers, 5 cancellations are 20 %, under the share (25 %).
    assert_eq!(excessive("2026-10-01T00:00:00Z").await, (Some(5), Some(0)));
}

async fn reviews_prompts_disputes_and_returns(server: TestServer) {
    let orders = server.orders_listed(true).await;
    price(
        &server,
        &orders,
        Some(json!({"currency": "EUR", "up_front": "0", "monthly": "9.90"})),
    )
    .await;
    let marketplace = listing(&server, &orders).await["marketplace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acme = server.token("acme", "ann", "admin");
    let detail = format!("/api/v1/embedded/marketplace/{orders}");
    let reviews_path = format!("{detail}/reviews");
    let prompt = |token: String| {
        let (server, detail) = (&server, detail.clone());
        async move {
            let (status, body) = server.embedded_get(&token, &detail).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["review_prompt"].clone()
        }
    };
    assert_eq!(prompt(acme.clone()).await, Value::Null);
    let write = |token: &str, body: Value| {
        let (server, token, path) = (&server, token.to_owned(), reviews_path.clone());
        async move {
            server
                .embedded(&token, Method::POST, &path, Some(body))
                .await
        }
    };
    let (status, problem) = write(&acme, json!({"rating": 1, "text": "broken"})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_a_subscriber"))
    );

    let endpoint = sink().await;
    let first = server
        .activate(&acme, &orders, orders_config(&endpoint))
        .await;
    assert_eq!(prompt(acme.clone()).await, "review");
    let (status, problem) = write(&acme, json!({"rating": 9})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first_error(&problem), (Some("/rating"), Some("max")));
    let (status, review) = write(&acme, json!({"rating": 1, "text": "broken"})).await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    assert_eq!(
        (review["negative"].as_bool(), review.get("customer_id")),
        (Some(true), None)
    );
    let (status, problem) = write(&acme, json!({"rating": 2})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("review_exists"))
    );
    assert_eq!(prompt(acme.clone()).await, Value::Null);
    let review_id = review["id"].as_str().unwrap().to_owned();
    let edit = |token: &str, body: Value| {
        let (server, token, path) = (
            &server,
            token.to_owned(),
            format!("/api/v1/embedded/reviews/{review_id}"),
        );
        async move {
            server
                .embedded(&token, Method::PATCH, &path, Some(body))
                .await
        }
    };
    let (status, problem) = edit(&acme, json!({"follow_up": "better now"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/follow_up"), Some("not_editable"))
    );
    let globex = server.token("globex", "gus", "admin");
    let (status, _) = edit(&globex, json!({"rating": 5})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, listed) = server.embedded_get(&globex, &reviews_path).await;
    let listed = items(status, &listed);
    assert_eq!((listed.len(), listed[0].get("customer_id")), (1, None));

    // The vendor's side: named, and not counted until its window passes.
    let (status, admin_list) = server
        .admin_get(&format!(
            "/api/v1/reviews?integration_id={orders}&negative=true"
        ))
        .await;
    let admin_list = items(status, &admin_list);
    assert_eq!(admin_list.len(), 1);
    assert!(
        admin_list[0]["customer_id"]
            .as_str()
            .unwrap()
            .starts_with("cus_")
    );
    assert_eq!(admin_list[0]["counts_against_score"], false);
    let score_path = format!("/api/v1/marketplaces/{marketplace}/listings/{orders}/score");
    let later =
        marketplace_core::delivery::rfc3339(marketplace_server::store::now_ms() + 31 * 86_400_000);
    let negative_points = || {
        let (server, path) = (&server, format!("{score_path}?at={later}"));
        async move {
            let (status, score) = server.admin_get(&path).await;
            assert_eq!(status, StatusCode::OK, "{score}");
            let factors = score["factors"].as_array().unwrap().clone();
            let negative = factors
                .iter()
                .find(|f| f["code"] == "negative_reviews")
                .unwrap();
            negative["points"].as_i64().unwrap()
        }
    };
    assert_eq!(negative_points().await, -5);

    // Disputes: only negative reviews, once; pending shields; decided by another key.
    server
        .activate(&globex, &orders, orders_config(&endpoint))
        .await;
    let (status, positive) = write(&globex, json!({"rating": 4})).await;
    assert_eq!(status, StatusCode::CREATED);
    // The catalog's rating follows the reviews.
    let (status, catalog) = server
        .embedded_get(&globex, "/api/v1/embedded/marketplace")
        .await;
    let entries = items(status, &catalog);
    assert_eq!(
        entries[0]["rating"],
        json!({"average": "2.5", "count": 2}),
        "{catalog}"
    );
    let dispute = |id: String| {
        let server = &server;
        async move {
            server
                .admin(
                    Method::POST,
                    &format!("/api/v1/reviews/{id}/dispute"),
                    Some(json!({"reason": "never installed"})),
                )
                .await
        }
    };
    let (status, problem) = dispute(positive["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("review_not_negative"))
    );
    let (status, disputed) = dispute(review_id.clone()).await;
    assert_eq!(
        (status, &disputed["dispute"]["status"]),
        (StatusCode::CREATED, &json!("pending"))
    );
    let (status, problem) = dispute(review_id.clone()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("dispute_exists"))
    );
    assert_eq!(negative_points().await, 0);
    let decision = format!("/api/v1/reviews/{review_id}/dispute/decision");
    let (status, problem) = server
        .admin(
            Method::POST,
            &decision,
            Some(json!({"decision": "reject", "notes": "mine"})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("self_review"))
    );
    let (_, reviewer) = super::common::key(&server, "reviewer").await;
    let (status, decided) = server
        .call(
            Some(&reviewer),
            Method::POST,
            &decision,
            Some(json!({"decision": "reject", "notes": "it was used"})),
        )
        .await;
    assert_eq!(
        (status, &decided["dispute"]["status"]),
        (StatusCode::OK, &json!("rejected")),
        "{decided}"
    );
    assert_eq!(negative_points().await, -5);
    let (status, responded) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/reviews/{review_id}/response"),
            Some(json!({"text": "fixed in 1.1"})),
        )
        .await;
    assert_eq!(
        (status, &responded["vendor_response"]["text"]),
        (StatusCode::OK, &json!("fixed in 1.1"))
    );

    // Acme leaves with a reason and comes back: its review no longer counts, and it is asked
    // for a follow-up, once.
    let first_id = first["id"].as_str().unwrap();
    let (status, _) = server
        .embedded(
            &acme,
            Method::POST,
            &format!("/api/v1/embedded/instances/{first_id}/deactivate"),
            Some(json!({"reason": "not_working"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    server
        .activate(&acme, &orders, orders_config(&endpoint))
        .await;
    assert_eq!(prompt(acme.clone()).await, "follow_up");
    let (status, followed) = edit(&acme, json!({"follow_up": "works since 1.1"})).await;
    assert_eq!(
        (status, &followed["returned"]),
        (StatusCode::OK, &json!(true)),
        "{followed}"
    );
    assert_eq!(prompt(acme.clone()).await, Value::Null);
    assert_eq!(negative_points().await, 0);
}

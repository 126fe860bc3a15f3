//! Single sign-on over real HTTP: bookmark launch links, and the service as an OpenID Provider
//! from the embedded launch to a verified ID token (launch ticket, session cookie, authorization
//! code with PKCE, token endpoint, JWKS, userinfo) with each refusal on the way.

use crate::on_both_backends;
use crate::server::common::{TestServer, items, orders_version, sink};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(bookmark_launch, oidc_end_to_end);

/// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CALLBACK: &str = "https://app.example/cb";

/// A listed integration (customer-deployable) whose published event configuration has `sso`.
async fn integration_with_sso(server: &TestServer, name: &str, sso: Value) -> (String, String) {
    let listing = json!({"customer_deployable": true, "allow_multiple_instances": true});
    let integration = server
        .listed_integration(name, orders_version("1.0.0"), listing)
        .await;
    let working = json!({"url": sink().await, "event_types": ["instance.activated"], "sso": sso});
    let (configuration, _) = server.event_configuration(&integration, working).await;
    (integration, configuration)
}

fn config() -> Value {
    crate::server::common::orders_config("https://orders.example/in")
}

/// The draft of a configuration as a body for `PUT .../working` (its URL, types and SSO).
async fn sso_of_draft(server: &TestServer, configuration: &str) -> Value {
    let (status, shown) = server
        .admin_get(&format!("/api/v1/event-configurations/{configuration}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let working = &shown["working"];
    json!({"url": working["url"], "event_types": working["event_types"], "sso": working["sso"]})
}

async fn bookmark_launch(server: TestServer) {
    let sso = json!({"type": "bookmark", "url": "https://app.example/{customer_external_id}/i/{instance_id}"});
    let (integration, _) = integration_with_sso(&server, "Bookmarked", sso).await;
    let token = server.token("acme co", "u1", "admin");
    let instance = server.activate(&token, &integration, config()).await;
    let id = instance["id"].as_str().unwrap();
    let expected = format!("https://app.example/acme%20co/i/{id}");
    assert_eq!(instance["launch_url"], expected.as_str());
    let (status, list) = server
        .embedded_get(&token, "/api/v1/embedded/instances")
        .await;
    assert_eq!(items(status, &list)[0]["launch_url"], expected.as_str());
    let (_, admin_view) = server.admin_get(&format!("/api/v1/instances/{id}")).await;
    assert_eq!(admin_view["launch_url"], expected.as_str());
    let launch = format!("/api/v1/embedded/instances/{id}/launch");
    let (status, body) = server.embedded(&token, Method::POST, &launch, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"url": expected}));
    // A bookmark makes no OpenID client.
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{id}/sso-client/secret"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("sso_not_configured"))
    );
    // A viewer may launch too; another customer's instance is not found.
    let viewer = server.token("acme co", "u2", "viewer");
    let (status, _) = server.embedded(&viewer, Method::POST, &launch, None).await;
    assert_eq!(status, StatusCode::OK);
    let other = server.token("globex", "u1", "admin");
    let (status, _) = server.embedded(&other, Method::POST, &launch, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only an active instance launches.
    let pause = format!("/api/v1/embedded/instances/{id}/pause");
    let (status, _) = server.embedded(&token, Method::POST, &pause, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server.embedded(&token, Method::POST, &launch, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "instance_not_active");
    // Without SSO: no launch URL, and 409 `sso_not_configured`.
    let plain = server
        .listed_integration(
            "Plain",
            orders_version("1.0.0"),
            json!({"customer_deployable": true, "allow_multiple_instances": false}),
        )
        .await;
    let instance = server.activate(&token, &plain, config()).await;
    assert_eq!(instance["launch_url"], Value::Null);
    let launch = format!(
        "/api/v1/embedded/instances/{}/launch",
        instance["id"].as_str().unwrap()
    );
    let (status, body) = server.embedded(&token, Method::POST, &launch, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "sso_not_configured");
}

/// A client that does not follow redirects.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `url` with `pairs` added to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

/// A form-encoded body.
fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    (status, response.json().await.unwrap())
}

async fn oidc_end_to_end(server: TestServer) {
    let sso = json!({"type": "oidc", "client": "per_instance",
                     "redirect_urls": [CALLBACK, "https://app.example/other"],
                     "initiate_login_url": "https://app.example/login?tenant=1"});
    let (integration, configuration) = integration_with_sso(&server, "Federated", sso).await;
    let token = server.token("acme", "u1", "admin");
    let instance = server.activate(&token, &integration, config()).await;
    let id = instance["id"].as_str().unwrap().to_owned();
    let customer_id = instance["customer_id"].as_str().unwrap().to_owned();
    let base = server.base.clone();
    assert_eq!(
        instance["launch_url"],
        format!("{base}/sso/launch/{id}").as_str()
    );

    // Client secrets: per instance (client id = instance id) and shared (configuration id).
    let (status, client) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{id}/sso-client/secret"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{client}");
    assert_eq!(client["client_id"], id.as_str());
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    // The shared client's secret only where a draft or revision makes a shared client.
    let rotate_shared = format!("/api/v1/event-configurations/{configuration}/sso-client/secret");
    let (status, refused) = server.admin(Method::POST, &rotate_shared, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "sso_not_configured");
    let mut shared_sso = sso_of_draft(&server, &configuration).await;
    shared_sso["sso"]["client"] = json!("shared");
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/event-configurations/{configuration}/working"),
            Some(shared_sso),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, shared) = server.admin(Method::POST, &rotate_shared, None).await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["client_id"], configuration.as_str());
    let (status, _) = server
        .admin(
            Method::POST,
            "/api/v1/instances/ins_nope/sso-client/secret",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The launch link: a single-use ticket.
    let (status, launch) = server
        .embedded(
            &token,
            Method::POST,
            &format!("/api/v1/embedded/instances/{id}/launch"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{launch}");
    let url = launch["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{base}/sso/launch/{id}?ticket=")),
        "{url}"
    );
    let browser = no_redirects();
    let opened = browser.get(&url).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::FOUND);
    let location = header(&opened, "location");
    assert!(
        location.starts_with("https://app.example/login?"),
        "{location}"
    );
    let query = query_of(&location);
    assert_eq!(query["tenant"], "1");
    assert_eq!(query["iss"], base);
    assert_eq!(query["login_hint"], format!("{customer_id}/u1"));
    assert_eq!(query["target_link_uri"], CALLBACK);
    let cookie = header(&opened, "set-cookie");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(
        attributes[0].starts_with("mp_sso=") && attributes[0].len() > 30,
        "{cookie}"
    );
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/oidc",
        "Max-Age=600",
    ] {
        assert!(attributes.contains(&attribute), "{attribute} in {cookie}");
    }
    let session = attributes[0].to_owned();
    let (status, body) = problem(browser.get(&url).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_ticket");
    let forged = format!("{base}/sso/launch/{id}?ticket=forged");
    let (status, _) = problem(browser.get(&forged).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Discovery.
    let (status, discovery) = server
        .call(None, Method::GET, "/.well-known/openid-configuration", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(discovery["issuer"], base.as_str());
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{base}/oidc/authorize").as_str()
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{base}/oidc/token").as_str()
    );
    assert_eq!(discovery["jwks_uri"], format!("{base}/oidc/jwks").as_str());
    assert_eq!(
        discovery["userinfo_endpoint"],
        format!("{base}/oidc/userinfo").as_str()
    );
    assert_eq!(discovery["response_types_supported"], json!(["code"]));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );

    // The authorization request.
    let authorize = |client_id: &str, redirect_uri: &str, cookie: Option<&str>| {
        let mut request = browser.get(with_query(
            &format!("{base}/oidc/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("scope", "openid email"),
                ("state", "st-1"),
                ("nonce", "n-0S6"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        ));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let code = || async {
        let response = authorize(&id, CALLBACK, Some(&session)).await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = header(&response, "location");
        assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
        let query = query_of(&location);
        assert_eq!(query["state"], "st-1");
        query["code"].clone()
    };
    let (status, body) = problem(authorize(&id, CALLBACK, None).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("login_required"))
    );
    let response = authorize(&id, "https://evil.example/cb", Some(&session))
        .await
        .unwrap();
    assert!(response.headers().get("location").is_none());
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_redirect_uri"))
    );
    let (status, body) = problem(
        authorize(&configuration, CALLBACK, Some(&session))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
    let without_pkce = browser
        .get(with_query(
            &format!("{base}/oidc/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", &id),
                ("redirect_uri", CALLBACK),
                ("scope", "openid"),
                ("state", "s"),
            ],
        ))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(without_pkce.status(), StatusCode::FOUND);
    let query = query_of(&header(&without_pkce, "location"));
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("invalid_request", "s")
    );
    assert!(!query.contains_key("code"));

    // The token endpoint.
    let exchange = |code: String, verifier: &'static str, secret: String| {
        server
            .client
            .post(format!("{base}/oidc/token"))
            .basic_auth(&id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
            ]))
            .send()
    };
    let first = code().await;
    let response = exchange(first.clone(), VERIFIER, secret.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    let id_token = tokens["id_token"].as_str().unwrap();

    // The ID token verifies with the published key.
    let (status, jwks) = server.call(None, Method::GET, "/oidc/jwks", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks["keys"][0]["use"], "sig");
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[&id]);
    validation.set_issuer(&[&base]);
    let verified = jsonwebtoken::decode::<Value>(id_token, &key, &validation).unwrap();
    assert_eq!(verified.header.kid, jwk.common.key_id);
    let claims = verified.claims;
    assert_eq!(claims["sub"], format!("{customer_id}/u1").as_str());
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["customer_external_id"], "acme");
    assert_eq!(claims["instance_id"], id.as_str());
    assert_eq!(claims["nonce"], "n-0S6");
    let mut other_audience = validation.clone();
    other_audience.set_audience(&[&configuration]);
    assert!(jsonwebtoken::decode::<Value>(id_token, &key, &other_audience).is_err());

    // Refusals: a used code, a wrong verifier, a wrong secret (the code survives it).
    let (status, body) = problem(exchange(first, VERIFIER, secret.clone()).await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = problem(
        exchange(
            code().await,
            "wrong-verifier-wrong-verifier-wrong-verifier",
            secret.clone(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let kept = code().await;
    let (status, body) = problem(
        exchange(kept.clone(), VERIFIER, "mpsso_wrong".into())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    // client_secret_post
    let response = server
        .client
        .post(format!("{base}/oidc/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", kept.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Userinfo.
    let access = tokens["access_token"].as_str().unwrap();
    let (status, info) = server
        .call(Some(access), Method::GET, "/oidc/userinfo", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["sub"], format!("{customer_id}/u1").as_str());
    assert_eq!(info["role"], "admin");
    assert_eq!(info["customer_external_id"], "acme");
    assert_eq!(info["instance_id"], id.as_str());
    // A ticket, a session and a code of an instance paused since sign no one in.
    let launch = format!("/api/v1/embedded/instances/{id}/launch");
    let (status, ticket) = server.embedded(&token, Method::POST, &launch, None).await;
    assert_eq!(status, StatusCode::OK);
    let issued_before = code().await;
    let pause = format!("/api/v1/embedded/instances/{id}/pause");
    let (status, _) = server.embedded(&token, Method::POST, &pause, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = problem(
        exchange(issued_before, VERIFIER, secret.clone())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let refused = authorize(&id, CALLBACK, Some(&session)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FOUND);
    let query = query_of(&header(&refused, "location"));
    assert_eq!(query["error"], "access_denied");
    assert!(!query.contains_key("code"));
    let response = browser
        .get(ticket["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(body["code"], "instance_not_active");
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = server
        .call(Some("nope"), Method::GET, "/oidc/userinfo", None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
}

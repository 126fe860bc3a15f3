//! The authorization matrix of the embedded API, as data: every endpoint × every kind of caller
//! → the expected status (and problem code), and every kind of bad credential → 401 on every
//! endpoint. What a caller may not see must never appear in what it is answered.

use super::common::{KEYS, TestServer, orders_config, sink};
use crate::on_both_backends;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    callers_get_their_due_on_every_endpoint,
    bad_credentials_are_401_on_every_endpoint
);

/// The body an endpoint is called with.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    /// Valid values for the listed version.
    Validate,
    /// An activation of the listed integration.
    Activate,
    /// A complete reconfiguration with a new name.
    Reconfigure,
    /// A test run of the webhook flow.
    TestRun,
}

/// One embedded endpoint and the status each caller of [`Caller::ALL`] gets, in that order.
///
/// `{integration}` is the listed integration; `{instance}` is the instance the caller aims at:
/// the first customer's (`acme`), except for [`Caller::ViewerOnTheirs`] (another customer's).
/// The rows run in this order for the owning admin, so each change finds the state it needs
/// (pause before resume, test before logs and executions, delete last).
struct Endpoint {
    method: &'static str,
    path: &'static str,
    body: Body,
    statuses: [u16; 5],
}

const fn ep(method: &'static str, path: &'static str, body: Body, statuses: [u16; 5]) -> Endpoint {
    Endpoint {
        method,
        path,
        body,
        statuses,
    }
}

#[rustfmt::skip]
const ENDPOINTS: [Endpoint; 13] = [
    //                                                                                     owner  owner  viewer   other     other
    //                                                                                     admin  viewer →theirs  customer  organization
    ep("GET",    "/api/v1/embedded/marketplace",                          Body::None,        [200,   200,   200,     200,      200]),
    ep("GET",    "/api/v1/embedded/marketplace/{integration}",            Body::None,        [200,   200,   200,     200,      404]),
    ep("POST",   "/api/v1/embedded/marketplace/{integration}/validate",   Body::Validate,    [200,   200,   200,     200,      404]),
    ep("POST",   "/api/v1/embedded/instances",                            Body::Activate,    [201,   403,   403,     201,      404]),
    ep("GET",    "/api/v1/embedded/instances",                            Body::None,        [200,   200,   200,     200,      200]),
    ep("GET",    "/api/v1/embedded/instances/{instance}",                 Body::None,        [200,   200,   404,     404,      404]),
    ep("PATCH",  "/api/v1/embedded/instances/{instance}",                 Body::Reconfigure, [200,   403,   403,     404,      404]),
    ep("POST",   "/api/v1/embedded/instances/{instance}/pause",           Body::None,        [200,   403,   403,     404,      404]),
    ep("POST",   "/api/v1/embedded/instances/{instance}/resume",          Body::None,        [200,   403,   403,     404,      404]),
    ep("POST",   "/api/v1/embedded/instances/{instance}/test",            Body::TestRun,     [200,   403,   403,     404,      404]),
    ep("GET",    "/api/v1/embedded/instances/{instance}/logs",            Body::None,        [200,   200,   404,     404,      404]),
    ep("GET",    "/api/v1/embedded/instances/{instance}/executions",      Body::None,        [200,   200,   404,     404,      404]),
    ep("DELETE", "/api/v1/embedded/instances/{instance}",                 Body::None,        [200,   403,   403,     404,      404]),
];

/// The callers of the matrix, one per status column of [`ENDPOINTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// An admin of `acme`, on `acme`'s instance.
    OwnerAdmin,
    /// A viewer of `acme`, on `acme`'s instance.
    OwnerViewer,
    /// A viewer of `acme`, on `globex`'s instance (403 before 404 for writes).
    ViewerOnTheirs,
    /// An admin of `globex`, on `acme`'s instance.
    OtherCustomerAdmin,
    /// An admin of a customer also called `acme`, of another organization, on `acme`'s instance.
    OtherOrganization,
}

impl Caller {
    const ALL: [Caller; 5] = [
        Caller::OwnerAdmin,
        Caller::OwnerViewer,
        Caller::ViewerOnTheirs,
        Caller::OtherCustomerAdmin,
        Caller::OtherOrganization,
    ];

    fn column(self) -> usize {
        Caller::ALL.iter().position(|c| *c == self).unwrap()
    }
}

/// The private key of the RSA pair the test organization does not register.
const OTHER_PRIVATE_KEY: &str = include_str!("../keys/other.key");
/// Its public key: the second organization of [`Fixture`] registers it under kid `rs`.
const OTHER_PUBLIC_KEY: &str = include_str!("../keys/other.pub");

/// What every scenario starts from: a listed integration, one instance of `acme` and one of
/// `globex`, and a second organization whose kid `rs` is the `other` key.
struct Fixture {
    integration: String,
    /// The delivery endpoint of the flow (a receiver on loopback).
    endpoint: String,
    /// `acme`'s instance.
    mine: String,
    /// `acme`'s service id.
    acme: String,
    /// `globex`'s instance.
    theirs: String,
    /// `globex`'s service id.
    globex: String,
    /// The second organization.
    other_organization: String,
}

impl Fixture {
    async fn new(server: &TestServer) -> Fixture {
        let endpoint = sink().await;
        let integration = server.orders_listed(true).await;
        let mut instances = Vec::new();
        for customer in ["acme", "globex"] {
            let (status, instance) = server
                .embedded(
                    &server.token(customer, "setup", "admin"),
                    Method::POST,
                    "/api/v1/embedded/instances",
                    Some(
                        json!({"integration_id": integration, "config": orders_config(&endpoint)}),
                    ),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{instance}");
            instances.push((
                instance["id"].as_str().unwrap().to_owned(),
                instance["customer_id"].as_str().unwrap().to_owned(),
            ));
        }
        let [(mine, acme), (theirs, globex)] = <[_; 2]>::try_from(instances).unwrap();
        let (other_organization, other_admin_key) =
            marketplace_server::service::organization::create_organization(
                &server.state.store,
                "Other Vendor",
            )
            .await
            .unwrap();
        let (status, body) = server
            .call(
                Some(&other_admin_key),
                Method::POST,
                "/api/v1/signing-keys",
                Some(
                    json!({"kid": "rs", "algorithm": "RS256", "public_key_pem": OTHER_PUBLIC_KEY}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Fixture {
            integration,
            endpoint,
            mine,
            acme,
            theirs,
            globex,
            other_organization,
        }
    }

    fn path(&self, endpoint: &Endpoint, instance: &str) -> String {
        endpoint
            .path
            .replace("{integration}", &self.integration)
            .replace("{instance}", instance)
    }

    fn body(&self, body: Body) -> Option<Value> {
        match body {
            Body::None => None,
            Body::Validate => Some(json!({"config": orders_config(&self.endpoint)})),
            Body::Activate => Some(
                json!({"integration_id": self.integration, "config": orders_config(&self.endpoint)}),
            ),
            Body::Reconfigure => {
                Some(json!({"name": "Renamed", "config": orders_config(&self.endpoint)}))
            }
            Body::TestRun => Some(json!({"input": {"order": {"id": "o-1"}, "addr": {"cc": "DE"}}})),
        }
    }
}

/// An answer of the service.
struct Reply {
    status: StatusCode,
    www_authenticate: Option<String>,
    body: Value,
    text: String,
}

/// Calls an endpoint with a raw `Authorization` header value (or none).
async fn send(
    server: &TestServer,
    authorization: Option<&str>,
    fixture: &Fixture,
    endpoint: &Endpoint,
    instance: &str,
) -> Reply {
    let method = Method::from_bytes(endpoint.method.as_bytes()).unwrap();
    let url = format!("{}{}", server.base, fixture.path(endpoint, instance));
    let mut request = server.client.request(method, url);
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    if let Some(body) = fixture.body(endpoint.body) {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let www_authenticate = header("www-authenticate");
    let content_type = header("content-type").unwrap_or_default();
    let text = response.text().await.unwrap();
    if !status.is_success() {
        assert_eq!(
            content_type, "application/problem+json",
            "errors are problems: {status} {text}"
        );
    }
    Reply {
        status,
        www_authenticate,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// The problem code an error status of the matrix carries.
fn code_of(status: u16) -> Option<&'static str> {
    match status {
        403 => Some("forbidden_role"),
        404 => Some("not_found"),
        _ => None,
    }
}

fn now() -> i64 {
    marketplace_server::store::now_ms() / 1000
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn callers_get_their_due_on_every_endpoint(server: TestServer) {
    let fx = Fixture::new(&server).await;
    let mut foreign_claims = server.claims("acme", "eve", "admin");
    foreign_claims["organization"] = json!(fx.other_organization);
    let foreign = jwt(
        json!({"alg": "RS256", "kid": "rs", "typ": "JWT"}),
        &foreign_claims,
        Some((Algorithm::RS256, rsa(OTHER_PRIVATE_KEY))),
    );
    // caller, token, the instance it aims at, ids it must never be shown.
    let callers = [
        (
            Caller::OwnerViewer,
            server.token("acme", "vic", "viewer"),
            &fx.mine,
            vec![&fx.theirs, &fx.globex],
        ),
        (
            Caller::ViewerOnTheirs,
            server.token("acme", "vic", "viewer"),
            &fx.theirs,
            vec![&fx.theirs, &fx.globex],
        ),
        (
            Caller::OtherCustomerAdmin,
            server.token("globex", "gus", "admin"),
            &fx.mine,
            vec![&fx.mine, &fx.acme],
        ),
        (
            Caller::OtherOrganization,
            foreign.clone(),
            &fx.mine,
            vec![
                &fx.mine,
                &fx.acme,
                &fx.theirs,
                &fx.globex,
                &fx.integration,
                &server.organization_id,
            ],
        ),
        // Last: its changes (deactivation included) must not disturb the other rounds.
        (
            Caller::OwnerAdmin,
            server.token("acme", "ada", "admin"),
            &fx.mine,
            vec![&fx.theirs, &fx.globex],
        ),
    ];
    for caller in Caller::ALL {
        assert!(
            callers.iter().any(|c| c.0 == caller),
            "{caller:?} has no round"
        );
    }
    for (caller, token, instance, hidden) in &callers {
        if *caller == Caller::OwnerAdmin {
            // Nothing the others tried changed either instance.
            for id in [&fx.mine, &fx.theirs] {
                assert_eq!(server.event_types(id).await, ["instance.activated"], "{id}");
                let (_, executions) = server
                    .admin_get(&format!("/api/v1/executions?instance_id={id}"))
                    .await;
                assert_eq!(executions["items"], json!([]), "{id}");
            }
        }
        for endpoint in &ENDPOINTS {
            let expected = endpoint.statuses[caller.column()];
            let reply = send(&server, Some(&bearer(token)), &fx, endpoint, instance).await;
            let what = format!("{caller:?} {} {}", endpoint.method, endpoint.path);
            assert_eq!(reply.status.as_u16(), expected, "{what}: {}", reply.text);
            if let Some(code) = code_of(expected) {
                assert_eq!(reply.body["code"], code, "{what}: {}", reply.text);
            }
            for id in hidden {
                assert!(
                    !reply.text.contains(id.as_str()),
                    "{what} shows {id}: {}",
                    reply.text
                );
            }
            // What the owner is shown of its instance is what the others must not be shown.
            if *caller == Caller::OwnerAdmin && endpoint.path.contains("{instance}") {
                assert!(
                    reply.text.contains(fx.mine.as_str()),
                    "{what}: {}",
                    reply.text
                );
            }
        }
    }

    // The lists the others see hold only their own: instances, and the catalog's counts
    // (`globex`: its instance and the one it activated above; the other organization: nothing).
    let others = [
        (
            server.token("globex", "gus", "admin"),
            Some(fx.globex.as_str()),
            2,
            vec![2],
        ),
        (foreign, None, 0, vec![]),
    ];
    for (token, customer, instances, catalog_counts) in others {
        let (status, list) = server
            .embedded_get(&token, "/api/v1/embedded/instances")
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), instances, "{list}");
        assert!(
            items.iter().all(|i| i["customer_id"].as_str() == customer),
            "{list}"
        );
        let (_, catalog) = server
            .embedded_get(&token, "/api/v1/embedded/marketplace")
            .await;
        let counts: Vec<u64> = catalog["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["instance_count"].as_u64().unwrap())
            .collect();
        assert_eq!(counts, catalog_counts, "{catalog}");
    }
}

/// A JWT built by hand: any header, any claims, signed (or not) with any key.
fn jwt(header: Value, claims: &Value, signer: Option<(Algorithm, EncodingKey)>) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = match signer {
        None => String::new(),
        Some((algorithm, key)) => {
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, algorithm).unwrap()
        }
    };
    format!("{message}.{signature}")
}

fn rsa(pem: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
}

/// A test key's PEM (private when `private`), by kid.
fn pem(kid: &str, private: bool) -> &'static str {
    let key = KEYS.iter().find(|k| k.0 == kid).unwrap();
    if private { key.2 } else { key.3 }
}

/// Claims signed with the test key of `key`, announced under kid `kid` with `algorithm`.
fn signed(claims: &Value, key: &str, algorithm: Algorithm, kid: &str) -> String {
    let private = pem(key, true).as_bytes();
    let encoding = match key {
        "rs" => EncodingKey::from_rsa_pem(private),
        "es" => EncodingKey::from_ec_pem(private),
        _ => EncodingKey::from_ed_pem(private),
    }
    .unwrap();
    let header = json!({"alg": format!("{algorithm:?}"), "kid": kid, "typ": "JWT"});
    jwt(header, claims, Some((algorithm, encoding)))
}

/// The claims with some replaced (`Value::Null` removes the claim).
fn with(claims: &Value, changes: &[(&str, Value)]) -> Value {
    let mut claims = claims.clone();
    for (key, value) in changes {
        match value {
            Value::Null => {
                claims.as_object_mut().unwrap().remove(*key);
            }
            v => claims[*key] = v.clone(),
        }
    }
    claims
}

async fn bad_credentials_are_401_on_every_endpoint(server: TestServer) {
    let fx = Fixture::new(&server).await;
    let now = now();
    let good = server.claims("acme", "ada", "admin");
    let rs = |claims: &Value| signed(claims, "rs", Algorithm::RS256, "rs");
    let org = server.organization_id.clone();

    // Tokens the service must accept, built by the same hands as the bad ones below: each bad
    // token is refused for its one defect, not for how it was made.
    let accepted = [
        ("RS256 built by hand", rs(&good)),
        (
            "ES256 under its kid",
            signed(&good, "es", Algorithm::ES256, "es"),
        ),
        (
            "EdDSA under its kid",
            signed(&good, "ed", Algorithm::EdDSA, "ed"),
        ),
        (
            "expired within the leeway",
            rs(&with(
                &good,
                &[("iat", json!(now - 600)), ("exp", json!(now - 30))],
            )),
        ),
        (
            "issued within the leeway ahead",
            rs(&with(
                &good,
                &[("iat", json!(now + 30)), ("exp", json!(now + 600))],
            )),
        ),
        (
            "lifetime of exactly one hour",
            rs(&with(
                &good,
                &[("iat", json!(now - 5)), ("exp", json!(now + 3595))],
            )),
        ),
        (
            "aud is the organization",
            rs(&with(&good, &[("aud", json!(org))])),
        ),
        (
            "aud lists only the organization",
            rs(&with(&good, &[("aud", json!([org]))])),
        ),
    ];
    for (name, token) in &accepted {
        for endpoint in ENDPOINTS.iter().filter(|e| e.method == "GET") {
            let reply = send(&server, Some(&bearer(token)), &fx, endpoint, &fx.mine).await;
            let expected = endpoint.statuses[Caller::OwnerAdmin.column()];
            assert_eq!(
                reply.status.as_u16(),
                expected,
                "{name} {} {}: {}",
                endpoint.method,
                endpoint.path,
                reply.text
            );
        }
    }

    let viewer = server.token("acme", "vic", "viewer");
    let escalated = {
        // A viewer's genuine token with its payload swapped for an admin's: the signature
        // no longer holds.
        let parts: Vec<&str> = viewer.split('.').collect();
        let payload = URL_SAFE_NO_PAD.encode(server.claims("acme", "vic", "admin").to_string());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    let header_only = |header: Value, payload: &str| {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        )
    };
    // name, the Authorization header (None: absent), the problem code.
    #[rustfmt::skip]
    let rejected: Vec<(&str, Option<String>, &str)> = vec![
        ("no Authorization header", None, "missing_credentials"),
        ("Basic scheme", Some("Basic YWRhOnNlY3JldA==".into()), "invalid_credentials"),
        ("empty bearer", Some("Bearer ".into()), "invalid_credentials"),
        ("not a JWT", Some(bearer("not-a-jwt")), "malformed_token"),
        ("three garbage segments", Some(bearer("a.b.c")), "malformed_token"),
        ("claims are not JSON", Some(bearer(&header_only(json!({"alg": "RS256", "kid": "rs"}), "not json"))), "malformed_token"),
        ("the admin API key", Some(bearer(&server.admin_key)), "malformed_token"),
        ("alg none, empty signature", Some(bearer(&jwt(json!({"alg": "none", "kid": "rs", "typ": "JWT"}), &good, None))), "malformed_token"),
        ("no kid", Some(bearer(&jwt(json!({"alg": "RS256", "typ": "JWT"}), &good, Some((Algorithm::RS256, rsa(pem("rs", true))))))), "missing_kid"),
        ("unknown kid", Some(bearer(&signed(&good, "rs", Algorithm::RS256, "nope"))), "unknown_kid"),
        ("unregistered key under kid rs", Some(bearer(&jwt(json!({"alg": "RS256", "kid": "rs", "typ": "JWT"}), &good, Some((Algorithm::RS256, rsa(OTHER_PRIVATE_KEY)))))), "invalid_signature"),
        ("viewer payload swapped for admin", Some(bearer(&escalated)), "invalid_signature"),
        ("HS256 keyed with the public PEM under kid rs", Some(bearer(&jwt(json!({"alg": "HS256", "kid": "rs", "typ": "JWT"}), &good, Some((Algorithm::HS256, EncodingKey::from_secret(pem("rs", false).as_bytes()).unwrap()))))), "algorithm_mismatch"),
        ("ES256 under the RS256 kid", Some(bearer(&signed(&good, "es", Algorithm::ES256, "rs"))), "algorithm_mismatch"),
        ("RS256 under the ES256 kid", Some(bearer(&signed(&good, "rs", Algorithm::RS256, "es"))), "algorithm_mismatch"),
        ("organization that does not exist", Some(bearer(&rs(&with(&good, &[("organization", json!("org_nope"))])))), "unknown_kid"),
        ("another organization, our key", Some(bearer(&rs(&with(&good, &[("organization", json!(fx.other_organization))])))), "invalid_signature"),
        ("aud is another audience", Some(bearer(&rs(&with(&good, &[("aud", json!("someone-else"))])))), "audience_mismatch"),
        ("aud lists another audience too", Some(bearer(&rs(&with(&good, &[("aud", json!([org, "someone-else"]))])))), "audience_mismatch"),
        ("expired beyond the leeway", Some(bearer(&rs(&with(&good, &[("iat", json!(now - 600)), ("exp", json!(now - 90))])))), "token_expired"),
        ("issued in the future", Some(bearer(&rs(&with(&good, &[("iat", json!(now + 300)), ("exp", json!(now + 900))])))), "token_not_yet_valid"),
        ("lifetime over one hour", Some(bearer(&rs(&with(&good, &[("iat", json!(now - 5)), ("exp", json!(now + 3600))])))), "token_lifetime_too_long"),
        ("exp before iat", Some(bearer(&rs(&with(&good, &[("iat", json!(now - 5)), ("exp", json!(now - 10))])))), "invalid_claim"),
        ("no sub", Some(bearer(&rs(&with(&good, &[("sub", Value::Null)])))), "missing_claim"),
        ("no customer", Some(bearer(&rs(&with(&good, &[("customer", Value::Null)])))), "missing_claim"),
        ("no organization", Some(bearer(&rs(&with(&good, &[("organization", Value::Null)])))), "missing_claim"),
        ("no iat", Some(bearer(&rs(&with(&good, &[("iat", Value::Null)])))), "missing_claim"),
        ("no exp", Some(bearer(&rs(&with(&good, &[("exp", Value::Null)])))), "missing_claim"),
        ("unknown role", Some(bearer(&rs(&with(&good, &[("role", json!("owner"))])))), "invalid_claim"),
        ("unknown customer, no customer_name", Some(bearer(&rs(&with(&good, &[("customer", json!("initech")), ("customer_name", Value::Null)])))), "unknown_customer"),
    ];
    for (name, authorization, code) in &rejected {
        for endpoint in &ENDPOINTS {
            let reply = send(&server, authorization.as_deref(), &fx, endpoint, &fx.mine).await;
            let what = format!("{name}: {} {}", endpoint.method, endpoint.path);
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{what}: {}",
                reply.text
            );
            assert_eq!(reply.body["code"], *code, "{what}: {}", reply.text);
            assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"), "{what}");
            for id in [&fx.mine, &fx.acme, &fx.theirs, &fx.globex] {
                assert!(!reply.text.contains(id.as_str()), "{what} shows {id}");
            }
        }
    }

    // Nothing a refused token asked for happened: no change, no run, no customer created.
    let (_, events) = server
        .admin_get(&format!("/api/v1/events?instance_id={}", fx.mine))
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    let (_, instances) = server.admin_get("/api/v1/instances").await;
    assert_eq!(
        instances["items"].as_array().unwrap().len(),
        2,
        "{instances}"
    );
    let (_, executions) = server.admin_get("/api/v1/executions").await;
    assert_eq!(executions["items"], json!([]));
    let (_, customers) = server.admin_get("/api/v1/customers").await;
    assert_eq!(
        customers["items"].as_array().unwrap().len(),
        2,
        "{customers}"
    );
}

//! The customer portal: invitations, accepting one, sessions (cookie flags, CSRF), lockout,
//! password resets, pinned roles, revocation of tokens and sessions, the embedded users API and
//! the portal page.

use super::common::{HOST_ORIGIN, TestServer, items};
use crate::on_both_backends;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    invitation_to_session_with_csrf,
    five_failures_lock_an_email,
    invitations_are_replaced_single_use_and_expire,
    a_reset_ends_other_sessions,
    pins_and_deletions_apply_at_once,
    the_portal_page_is_never_framed,
);

const PASSWORD: &str = "correct horse battery";

/// A request with optional cookie, CSRF token and origin; status, headers and JSON body.
struct Call<'a> {
    method: Method,
    path: &'a str,
    body: Option<Value>,
    cookie: Option<&'a str>,
    csrf: Option<&'a str>,
    origin: Option<&'a str>,
    bearer: Option<&'a str>,
}

impl<'a> Call<'a> {
    fn new(method: Method, path: &'a str) -> Self {
        Call {
            method,
            path,
            body: None,
            cookie: None,
            csrf: None,
            origin: None,
            bearer: None,
        }
    }

    async fn send(self, server: &TestServer) -> (StatusCode, HeaderMap, Value) {
        let mut request = server
            .client
            .request(self.method, format!("{}{}", server.base, self.path));
        if let Some(body) = self.body {
            request = request.json(&body);
        }
        if let Some(cookie) = self.cookie {
            request = request.header("cookie", format!("mp_session={cookie}"));
        }
        if let Some(csrf) = self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = self.origin {
            request = request.header("origin", origin);
        }
        if let Some(bearer) = self.bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn post(path: &str, body: Value) -> Call<'_> {
    Call {
        body: Some(body),
        ..Call::new(Method::POST, path)
    }
}

/// The `mp_session` cookie a response sets: (value, the whole `Set-Cookie` line).
fn session_cookie(headers: &HeaderMap) -> (String, String) {
    let line = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("mp_session="))
        .expect("a session cookie is set");
    let value = line["mp_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (value, line)
}

async fn customer(server: &TestServer, external_id: &str) -> String {
    let (status, body) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": format!("Customer {external_id}"), "external_id": external_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Invites through the admin API; the created invitation and its token.
async fn invite(
    server: &TestServer,
    customer_id: &str,
    email: &str,
    role: &str,
) -> (Value, String) {
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/customers/{customer_id}/invitations"),
            Some(json!({"email": email, "role": role})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let url = body["accept_url"].as_str().unwrap();
    let token = url.split_once("#token=").unwrap().1.to_owned();
    (body, token)
}

/// Accepts an invitation with [`PASSWORD`]; the session body and the cookie's value.
async fn accept(server: &TestServer, token: &str) -> (Value, String) {
    let (status, headers, body) = post(
        "/api/v1/portal/accept",
        json!({"token": token, "password": PASSWORD}),
    )
    .send(server)
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body, session_cookie(&headers).0)
}

async fn login(server: &TestServer, email: &str, password: &str) -> (StatusCode, HeaderMap, Value) {
    post(
        "/api/v1/portal/login",
        json!({"organization_id": server.organization_id, "email": email, "password": password}),
    )
    .send(server)
    .await
}

async fn session_of(server: &TestServer, cookie: &str) -> (StatusCode, Value) {
    let (status, _, body) = Call {
        cookie: Some(cookie),
        ..Call::new(Method::GET, "/api/v1/portal/session")
    }
    .send(server)
    .await;
    (status, body)
}

async fn scalar(server: &TestServer, sql: impl sqlx::SqlSafeStr, arg: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(arg.to_owned())
        .fetch_one(&server.state.store.db.write)
        .await
        .unwrap()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

async fn invitation_to_session_with_csrf(server: TestServer) {
    let acme = customer(&server, "acme").await;
    let (created, token) = invite(&server, &acme, " Ann@Example.com ", "admin").await;
    assert_eq!(created["email"], "ann@example.com");
    assert_eq!(created["customer_id"], acme.as_str());
    let prefix = format!(
        "{}/portal/{}/accept#token=",
        server.base, server.organization_id
    );
    assert!(created["accept_url"].as_str().unwrap().starts_with(&prefix));
    // The email is in the outbox, with the link; the event is recorded.
    let mails = scalar(
        &server,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'email' AND recipient = $1",
        r#"["ann@example.com"]"#,
    )
    .await;
    assert_eq!(mails, 1);
    let body: String = sqlx::query_scalar("SELECT body FROM notifications")
        .fetch_one(&server.state.store.db.read)
        .await
        .unwrap();
    assert!(body.contains(&format!("{prefix}{token}")), "{body}");
    let (status, events) = server
        .admin_get("/api/v1/events?type=customer_user.invited")
        .await;
    assert_eq!(items(status, &events).len(), 1, "{events}");

    // Password rules come first and leave the invitation usable.
    for (password, expected) in [("short", "min_length"), (&*"x".repeat(129), "max_length")] {
        let (status, _, body) = post(
            "/api/v1/portal/accept",
            json!({"token": token, "password": password}),
        )
        .send(&server)
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["path"], "/password");
        assert_eq!(body["errors"][0]["code"], expected);
    }
    let (status, headers, session) = post(
        "/api/v1/portal/accept",
        json!({"token": token, "password": PASSWORD, "name": "Ann"}),
    )
    .send(&server)
    .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let (cookie, line) = session_cookie(&headers);
    for flag in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(line.contains(flag), "{flag} in {line}");
    }
    assert_eq!(cookie.len(), 43, "32 random bytes, base64url");
    assert_eq!(session["user"]["role"], "admin");
    assert_eq!(session["user"]["name"], "Ann");
    assert_eq!(session["customer"]["external_id"], "acme");
    assert_eq!(session["organization_id"], server.organization_id.as_str());
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    // Stored as a hash only.
    let raw = scalar(
        &server,
        "SELECT COUNT(*) FROM portal_sessions WHERE token_hash = $1",
        &cookie,
    )
    .await;
    assert_eq!(raw, 0);
    // Single use.
    let (status, _, body) = post(
        "/api/v1/portal/accept",
        json!({"token": token, "password": PASSWORD}),
    )
    .send(&server)
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_invitation")
    );

    let (status, body) = session_of(&server, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["csrf_token"], csrf.as_str());
    // The embedded API takes the cookie: the catalog, and no CORS credentials ever.
    let (status, headers, body) = Call {
        cookie: Some(&cookie),
        origin: Some(HOST_ORIGIN),
        ..Call::new(Method::GET, "/api/v1/embedded/marketplace")
    }
    .send(&server)
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get("access-control-allow-credentials").is_none());

    // Unsafe methods need the CSRF token and the service's own origin.
    let path = "/api/v1/embedded/invitations";
    let invite_bob = || json!({"email": "bob@example.com", "role": "viewer"});
    for (csrf_sent, origin) in [
        (None, Some(server.base.as_str())),
        (Some("wrong"), Some(server.base.as_str())),
        (Some(csrf.as_str()), Some(HOST_ORIGIN)),
        (Some(csrf.as_str()), None),
    ] {
        let (status, _, body) = Call {
            cookie: Some(&cookie),
            csrf: csrf_sent,
            origin,
            ..post(path, invite_bob())
        }
        .send(&server)
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "csrf_failed"),
            "{csrf_sent:?} {origin:?}"
        );
    }
    let (status, _, body) = Call {
        cookie: Some(&cookie),
        csrf: Some(&csrf),
        origin: Some(&server.base),
        ..post(path, invite_bob())
    }
    .send(&server)
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["customer_id"], acme.as_str());

    // A Bearer wins over the cookie: the token's customer is listed, not the session's.
    let token = server.token("globex", "gus", "admin");
    let (status, _, body) = Call {
        cookie: Some(&cookie),
        bearer: Some(&token),
        ..Call::new(Method::GET, "/api/v1/embedded/users")
    }
    .send(&server)
    .await;
    let listed = items(status, &body);
    let ids: Vec<&str> = listed.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gus"]);

    // Wrong password; then the right one; the user view tells of it.
    let (status, _, body) = login(&server, "ann@example.com", "not the password").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let (status, headers, body) = login(&server, "ANN@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (second, _) = session_cookie(&headers);
    assert_ne!(second, cookie);
    let (status, users) = server
        .admin_get(&format!("/api/v1/customers/{acme}/users"))
        .await;
    let ann = &items(status, &users)[0];
    assert_eq!(ann["has_password"], true);
    assert!(ann["last_login_at"].is_string(), "{ann}");
    assert_eq!(ann["role_pinned"], Value::Null);
    assert_eq!(ann["locked_until"], Value::Null);

    // Sign out: the cookie is cleared and the session ends.
    let (status, headers, _) = Call {
        cookie: Some(&cookie),
        ..Call::new(Method::POST, "/api/v1/portal/logout")
    }
    .send(&server)
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (value, line) = session_cookie(&headers);
    assert!(value.is_empty() && line.contains("Max-Age=0"), "{line}");
    let (status, body) = session_of(&server, &cookie).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "no_session")
    );
    let (status, _) = session_of(&server, &second).await;
    assert_eq!(status, StatusCode::OK);
}

async fn five_failures_lock_an_email(server: TestServer) {
    let acme = customer(&server, "acme").await;
    let (_, token) = invite(&server, &acme, "ann@example.com", "admin").await;
    accept(&server, &token).await;
    for email in ["ann@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            let (status, _, body) = login(&server, email, "wrong password!").await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::UNAUTHORIZED, "invalid_credentials")
            );
        }
        // Locked, even with the right password; an unknown email alike.
        let (status, headers, body) = login(&server, email, PASSWORD).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            "{email}"
        );
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry), "{retry}");
    }
    let (status, users) = server
        .admin_get(&format!("/api/v1/customers/{acme}/users"))
        .await;
    assert!(
        items(status, &users)[0]["locked_until"].is_string(),
        "{users}"
    );
    // A success clears the count: four failures, a success, four more do not lock.
    let (_, token) = invite(&server, &acme, "bea@example.com", "viewer").await;
    accept(&server, &token).await;
    for round in 0..2 {
        for _ in 0..4 {
            let (status, _, _) = login(&server, "bea@example.com", "wrong password!").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}");
        }
        let (status, _, body) = login(&server, "bea@example.com", PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "round {round}: {body}");
    }
}

async fn invitations_are_replaced_single_use_and_expire(server: TestServer) {
    let acme = customer(&server, "acme").await;
    let globex = customer(&server, "globex").await;
    let (_, first) = invite(&server, &acme, "bob@example.com", "viewer").await;
    let (second_view, second) = invite(&server, &acme, "bob@example.com", "admin").await;
    let (status, list) = server
        .admin_get(&format!("/api/v1/customers/{acme}/invitations"))
        .await;
    let open = items(status, &list);
    assert_eq!(open.len(), 1, "{list}");
    assert_eq!(open[0]["id"], second_view["id"]);
    assert!(
        open[0].get("accept_url").is_none(),
        "the link is shown once"
    );
    let (status, _, body) = post(
        "/api/v1/portal/accept",
        json!({"token": first, "password": PASSWORD}),
    )
    .send(&server)
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_invitation")
    );
    let (session, _) = accept(&server, &second).await;
    assert_eq!(session["user"]["role"], "admin");
    assert!(session["user"]["id"].as_str().unwrap().starts_with("usr_"));

    // An existing user's email, in any customer of the organization: 409.
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/customers/{globex}/invitations"),
            Some(json!({"email": "BOB@example.com", "role": "viewer"})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "duplicate_email")
    );
    // A bad email or role: 422 with the path.
    for (body, path) in [
        (json!({"email": "not-an-email", "role": "viewer"}), "/email"),
        (json!({"email": "x@example.com", "role": "owner"}), "/role"),
    ] {
        let (status, problem) = server
            .admin(
                Method::POST,
                &format!("/api/v1/customers/{globex}/invitations"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["path"], path);
    }

    // Expired: 400 as well.
    let (carl, token) = invite(&server, &globex, "carl@example.com", "viewer").await;
    let carl_id = carl["id"].as_str().unwrap();
    sqlx::query("UPDATE invitations SET expires_at = 1 WHERE id = $1")
        .bind(carl_id.to_owned())
        .execute(&server.state.store.db.write)
        .await
        .unwrap();
    let (status, _, body) = post(
        "/api/v1/portal/accept",
        json!({"token": token, "password": PASSWORD}),
    )
    .send(&server)
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_invitation")
    );

    // Withdrawn: gone.
    let path = format!("/api/v1/customers/{globex}/invitations/{carl_id}");
    let (status, body) = server.admin_get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_reset_ends_other_sessions(server: TestServer) {
    let acme = customer(&server, "acme").await;
    let (_, token) = invite(&server, &acme, "ann@example.com", "admin").await;
    let (_, first) = accept(&server, &token).await;
    let (status, headers, _) = login(&server, "ann@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (second, _) = session_cookie(&headers);

    for email in ["ann@example.com", "nobody@example.com", "not an email"] {
        let (status, _, _) = post(
            "/api/v1/portal/password-reset",
            json!({"organization_id": server.organization_id, "email": email}),
        )
        .send(&server)
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{email}");
    }
    // One mail only: to the known email, with an accept link.
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM notifications WHERE subject LIKE 'Reset%'")
            .fetch_all(&server.state.store.db.read)
            .await
            .unwrap();
    assert_eq!(bodies.len(), 1);
    let link = bodies[0]
        .lines()
        .find(|l| l.contains("#token="))
        .expect("an accept link");
    let reset = link.split_once("#token=").unwrap().1;

    let new_password = "another long passphrase";
    let (status, headers, body) = post(
        "/api/v1/portal/accept",
        json!({"token": reset, "password": new_password}),
    )
    .send(&server)
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (third, _) = session_cookie(&headers);
    for ended in [&first, &second] {
        let (status, body) = session_of(&server, ended).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "no_session")
        );
    }
    assert_eq!(session_of(&server, &third).await.0, StatusCode::OK);
    let (status, _, _) = login(&server, "ann@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = login(&server, "ann@example.com", new_password).await;
    assert_eq!(status, StatusCode::OK);
}

async fn pins_and_deletions_apply_at_once(server: TestServer) {
    // A token's admin pinned to viewer acts as a viewer.
    let ada = server.token("acme", "ada", "admin");
    let (status, body) = server.embedded_get(&ada, "/api/v1/embedded/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let acme = body["items"][0]["customer_id"].as_str().unwrap().to_owned();
    let invite_body = json!({"email": "bob@example.com", "role": "viewer"});
    let (status, created) = server
        .embedded(
            &ada,
            Method::POST,
            "/api/v1/embedded/invitations",
            Some(invite_body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, user) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/customers/{acme}/users/ada"),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(
        (user["role"].as_str(), user["role_pinned"].as_str()),
        (Some("admin"), Some("viewer"))
    );
    let (status, body) = server
        .embedded(
            &ada,
            Method::POST,
            "/api/v1/embedded/invitations",
            Some(invite_body),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );
    let invitation = format!(
        "/api/v1/embedded/invitations/{}",
        created["id"].as_str().unwrap()
    );
    let (status, body) = server
        .embedded(&ada, Method::DELETE, &invitation, None)
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );
    let (status, _) = server.embedded_get(&ada, &invitation).await;
    assert_eq!(status, StatusCode::OK, "viewers read invitations");

    // A portal user pinned to viewer: the session says so.
    let (_, token) = invite(&server, &acme, "ann@example.com", "admin").await;
    let (session, cookie) = accept(&server, &token).await;
    let ann = session["user"]["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/customers/{acme}/users/{ann}"),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = session_of(&server, &cookie).await;
    assert_eq!(body["user"]["role"], "viewer");

    // The embedded users API: everyone lists, only admins delete.
    let root = server.token("acme", "root", "admin");
    let viewer = server.token("acme", "val", "viewer");
    let (status, list) = server.embedded_get(&viewer, "/api/v1/embedded/users").await;
    let ids: Vec<String> = items(status, &list)
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ids.contains(&ann) && ids.contains(&"ada".to_owned()),
        "{ids:?}"
    );
    let (status, body) = server
        .embedded(&viewer, Method::DELETE, "/api/v1/embedded/users/ada", None)
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );

    // Deleting a user revokes its (cached) token and ends its sessions at once.
    let (status, _) = server
        .embedded(&root, Method::DELETE, "/api/v1/embedded/users/ada", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server.embedded_get(&ada, "/api/v1/embedded/users").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "token_revoked")
    );
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{acme}/users/{ann}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = session_of(&server, &cookie).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "no_session")
    );
    let (status, _, body) = Call {
        cookie: Some(&cookie),
        ..Call::new(Method::GET, "/api/v1/embedded/marketplace")
    }
    .send(&server)
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "no_session")
    );

    // Deleting the customer deletes its invitations and sessions.
    let (_, token) = invite(&server, &acme, "cy@example.com", "viewer").await;
    let (_, cy) = accept(&server, &token).await;
    invite(&server, &acme, "dee@example.com", "viewer").await;
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{acme}?confirm_name=Customer%20acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for table in ["invitations", "portal_sessions"] {
        let left = scalar(
            &server,
            sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE customer_id = $1"
            )),
            &acme,
        )
        .await;
        assert_eq!(left, 0, "{table}");
    }
    assert_eq!(session_of(&server, &cy).await.0, StatusCode::UNAUTHORIZED);
}

async fn the_portal_page_is_never_framed(server: TestServer) {
    for path in ["", "/accept"] {
        let url = format!("{}/portal/{}{path}", server.base, server.organization_id);
        let response = server.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("script-src 'self'"), "{policy}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"data-mode="portal""#), "{html}");
        let organization = format!(r#"data-organization="{}""#, server.organization_id);
        assert!(html.contains(&organization));
    }
    // The iframe page keeps its allowed ancestors and says it is the iframe.
    let url = format!(
        "{}/embed/{}/marketplace",
        server.base, server.organization_id
    );
    let response = server.client.get(&url).send().await.unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains(&format!("frame-ancestors {HOST_ORIGIN}")),
        "{policy}"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"data-mode="iframe""#)
    );
    let response = server
        .client
        .get(format!("{}/portal/org_unknown", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

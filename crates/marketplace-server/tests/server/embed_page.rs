//! The iframe page: its headers (CSP frame-ancestors from the allowed origins, no caching, no
//! sniffing), the theme from the query checked, no token or customer data in it, its assets,
//! and the sanitised overview of the detail endpoint.

use super::common::{HOST_ORIGIN, TestServer, orders_version};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(iframe_page_and_assets, overview_is_sanitised_html);

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server
        .client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap()
}

async fn iframe_page_and_assets(server: TestServer) {
    let path = format!("/embed/{}/marketplace", server.organization_id);
    let response = get(&server, &path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let policy = header("content-security-policy");
    assert!(
        policy.ends_with(&format!("frame-ancestors {HOST_ORIGIN}")),
        "{policy}"
    );
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-type").starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"data-theme="light""#), "{html}");
    assert!(html.contains("&quot;"), "origins are escaped: {html}");
    assert!(!html.contains("eyJ"), "no token in the page");

    // The theme comes from the query when valid, else from the organization.
    let dark = get(&server, &format!("{path}?theme=dark&accent=%23112233"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dark.contains(r#"data-theme="dark""#) && dark.contains(r##"data-accent="#112233""##));
    let bad = get(
        &server,
        &format!("{path}?theme=%22%3E%3Cscript%3E&accent=red"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        bad.contains(r#"data-theme="light""#) && !bad.contains("<script>"),
        "{bad}"
    );

    // Without allowed origins nobody may frame it.
    let (status, _) = server
        .admin(
            Method::PATCH,
            "/api/v1/organization",
            Some(json!({"allowed_origins": []})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let closed = get(&server, &path).await;
    let policy = closed.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");

    let unknown = get(&server, "/embed/org_unknown/marketplace").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    for (asset, kind) in [
        ("marketplace.js", "text/javascript"),
        ("form.js", "text/javascript"),
        ("catalog.js", "text/javascript"),
        ("phrases.js", "text/javascript"),
        ("marketplace.css", "text/css"),
    ] {
        let response = get(&server, &format!("/embed/assets/{asset}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{asset}: {content_type}");
    }
    let missing = get(&server, "/embed/assets/..%2Fsecret").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn overview_is_sanitised_html(server: TestServer) {
    let overview = "## Orders\n\nSee [docs](https://example.com).\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))";
    let id = server
        .listed_integration(
            "Orders",
            orders_version("1.0.0"),
            json!({"overview": overview, "customer_deployable": true, "allow_multiple_instances": false}),
        )
        .await;
    let token = server.token("acme", "ada", "admin");
    let (status, detail) = server
        .embedded_get(&token, &format!("/api/v1/embedded/marketplace/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["overview"], overview);
    let html = detail["overview_html"].as_str().unwrap();
    assert!(html.contains("<h2>Orders</h2>"), "{html}");
    assert!(html.contains(r#"href="https://example.com""#), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
}

//! The OpenAPI document and the framework's own rejections, which must be problems too.

use super::common::{Backend, TestServer};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::Value;

on_both_backends!(openapi_covers_every_route, rejections_are_problems);

async fn openapi_covers_every_route(server: TestServer) {
    let (status, doc) = server
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/organization",
        "/api/v1/api-keys/{id}",
        "/api/v1/signing-keys/{kid}",
        "/api/v1/integrations/{id}/versions/{version}/publish",
        "/api/v1/marketplace/listings/{integration_id}",
        "/api/v1/customers/{id}/config/{integration_id}",
        "/api/v1/customers/{id}/users/{user_id}",
        "/api/v1/customers/{id}/instances",
        "/api/v1/instances/{id}/upgrade",
        "/api/v1/logs",
        "/api/v1/executions",
        "/api/v1/events",
        "/api/v1/embedded/marketplace/{integration_id}/validate",
        "/api/v1/embedded/instances/{id}/test",
        "/api/v1/embedded/instances/{id}/executions",
        "/webhooks/{secret}",
        "/api/v1/record-types/{name}",
        "/api/v1/integrations/{id}/versions/{version}/collections/validate",
        "/api/v1/integrations/{id}/versions/{version}/collections/{name}/preview",
        "/api/v1/instances/{id}/mappings/{collection}",
        "/api/v1/embedded/instances/{id}/mappings/{collection}/preview",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    // Each operation has its own id, and documents exactly the problems it can return.
    let mut operations = 0;
    let mut ids = std::collections::HashSet::new();
    let problems = |path: &str, method: &str| -> Vec<String> {
        let mut codes: Vec<String> = paths[path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|c| c.starts_with('4') || c.starts_with('5'))
            .cloned()
            .collect();
        codes.sort();
        codes
    };
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_owned()),
                "{method} {path}: operationId {id} is taken"
            );
            let codes = problems(path, method);
            assert!(
                codes.contains(&"500".to_owned()),
                "{method} {path} documents 500"
            );
            // A credential is checked where a security requirement names a scheme (`[{}]`, the
            // webhook trigger's, names none: its URL is its secret).
            let checks_credentials = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|requirement| requirement.as_object().is_some_and(|r| !r.is_empty()));
            if checks_credentials {
                assert!(
                    codes.contains(&"401".to_owned()),
                    "{method} {path} documents 401"
                );
            }
        }
    }
    for (path, method, expected) in [
        ("/api/v1/organization", "get", vec!["401", "500"]),
        ("/api/v1/api-keys", "get", vec!["400", "401", "500"]),
        // An API key's writes may be refused for its role (a reviewer key: 403 `forbidden_role`).
        (
            "/api/v1/api-keys/{id}",
            "delete",
            vec!["401", "403", "404", "409", "500"],
        ),
        (
            "/api/v1/customers",
            "post",
            vec!["400", "401", "403", "409", "413", "415", "422", "500"],
        ),
        (
            "/api/v1/workflow-templates/{id}/decision",
            "post",
            vec![
                "400", "401", "403", "404", "409", "413", "415", "422", "500",
            ],
        ),
        (
            "/api/v1/embedded/marketplace",
            "get",
            vec!["400", "401", "403", "500"],
        ),
        (
            "/api/v1/embedded/instances",
            "post",
            vec![
                "400", "401", "403", "404", "409", "413", "415", "422", "500",
            ],
        ),
        (
            "/webhooks/{secret}",
            "post",
            vec!["404", "409", "413", "500"],
        ),
    ] {
        assert_eq!(problems(path, method), expected, "{method} {path}");
    }
    assert!(operations >= 45, "{operations} operations");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

async fn rejections_are_problems(server: TestServer) {
    let key = server.admin_key.clone();
    let url = |p: &str| format!("{}{p}", server.base);
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (
            server
                .client
                .post(url("/api/v1/customers"))
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body("{nope"),
            400,
        ),
        (
            server
                .client
                .post(url("/api/v1/customers"))
                .bearer_auth(&key)
                .body("name=x"),
            415,
        ),
        (
            server
                .client
                .post(url("/api/v1/customers"))
                .bearer_auth(&key)
                .json(&serde_json::json!({"name": 5})),
            422,
        ),
        (
            server
                .client
                .get(url("/api/v1/customers?limit=abc"))
                .bearer_auth(&key),
            400,
        ),
        (
            server
                .client
                .get(url("/api/v1/nothing-here"))
                .bearer_auth(&key),
            404,
        ),
        (
            server
                .client
                .delete(url("/api/v1/organization"))
                .bearer_auth(&key),
            405,
        ),
        (server.client.get(url("/api/v1/customers")), 401),
        (
            server
                .client
                .get(url("/api/v1/customers"))
                .bearer_auth("mk_wrong"),
            401,
        ),
        (
            server
                .client
                .get(url("/api/v1/customers"))
                .header("authorization", "Basic abc"),
            401,
        ),
    ];
    for (request, expected) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), expected);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"].as_u64(), Some(expected as u64));
        for field in ["type", "title", "detail", "code"] {
            assert!(problem[field].is_string(), "{field} in {problem}");
        }
    }
    // Too large: announced by Content-Length, refused before the body is read (a raw request, so
    // that the client does not race the server's refusal while still sending).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/customers HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Read the answer's head: the server does not wait for a body it refuses.
    let mut answer = String::new();
    let mut buffer = [0u8; 4096];
    while !answer.contains("\r\n\r\n") {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buffer))
                .await
                .expect("the server answers before the body is sent")
                .unwrap();
        if read == 0 {
            break;
        }
        answer.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );

    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(serde_json::json!({"name": 5})),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["path"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/name"))
    );
}

/// `marketplace-server openapi` prints the very document the service serves (what the `openapi`
/// step of `cargo xtask test` lints).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_document_is_the_served_one() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (status, served) = server
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_marketplace-server"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, served);
}

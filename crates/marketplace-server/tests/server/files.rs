//! A customer's files: avatars (decoded, centre-cropped, 500×500 PNG, served by hash with
//! immutable caching) and attachments (accepted types, magic bytes, limits, downloads that no
//! browser renders, the embedded API's roles, and deletion with the customer); integration icons
//! (PNG and WebP fitted into 256×256, SVG sanitised, served by hash, shown in the catalog).

use super::common::{TestServer, customer, items};
use crate::on_both_backends;
use image::{ImageFormat, Rgb, RgbImage};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    avatars_are_cropped_resized_and_served,
    avatar_uploads_are_checked,
    every_accepted_kind_uploads,
    attachment_uploads_are_checked,
    attachments_are_listed_downloaded_and_deleted,
    embedded_attachments_follow_roles_and_customers,
    deleting_a_customer_deletes_its_files,
    files_are_documented,
    integration_icons_are_stored_served_and_shown,
    icon_uploads_are_checked,
);

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// A 300×100 image: red 100 px on each side, blue in the centre square.
fn two_colours() -> RgbImage {
    RgbImage::from_fn(300, 100, |x, _| {
        if (100..200).contains(&x) {
            Rgb([0, 0, 255])
        } else {
            Rgb([255, 0, 0])
        }
    })
}

fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A PNG whose header declares `width` × `height` (valid chunks and checksums, a tiny IDAT).
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend(data);
        out.extend(&typed);
        out.extend(crc32(&typed).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Sends raw bytes; returns the status, the headers and the body bytes.
async fn raw(
    server: &TestServer,
    credential: Option<&str>,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base))
        .body(body);
    if let Some(c) = credential {
        request = request.bearer_auth(c);
    }
    if let Some(t) = content_type {
        request = request.header(CONTENT_TYPE, t);
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    if !status.is_success() {
        assert_eq!(
            headers[CONTENT_TYPE], "application/problem+json",
            "errors are problems: {status}"
        );
    }
    (status, headers, bytes)
}

/// Sends only a request's head announcing `length` bytes of body; returns the answer the
/// service gives without waiting for the body (a raw request, so that the client does not race
/// the refusal while still sending).
async fn announced(
    server: &TestServer,
    method: &str,
    path: &str,
    content_type: &str,
    length: usize,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: {content_type}\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n",
        server.admin_key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    );
    read.await
        .expect("the service answers before the body is sent")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

async fn put_avatar(
    server: &TestServer,
    id: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let path = format!("/api/v1/customers/{id}/avatar");
    let key = server.admin_key.clone();
    let (status, _, body) = raw(
        server,
        Some(&key),
        Method::PUT,
        &path,
        Some(content_type),
        bytes,
    )
    .await;
    (status, json_of(&body))
}

/// Uploads one `multipart/form-data` part named `part`.
async fn upload(
    server: &TestServer,
    credential: &str,
    path: &str,
    part: &str,
    file_name: &str,
    content_type: &str,
    content: &[u8],
) -> (StatusCode, Value) {
    let boundary = "XbOuNdArYx0123456789";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend(content);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, _, bytes) = raw(
        server,
        Some(credential),
        Method::POST,
        path,
        Some(&format!("multipart/form-data; boundary={boundary}")),
        body,
    )
    .await;
    (status, json_of(&bytes))
}

async fn admin_upload(
    server: &TestServer,
    id: &str,
    name: &str,
    content_type: &str,
    content: &[u8],
) -> (StatusCode, Value) {
    let key = server.admin_key.clone();
    let path = format!("/api/v1/customers/{id}/attachments");
    upload(server, &key, &path, "file", name, content_type, content).await
}

/// The types of a customer's events.
async fn customer_event_types(server: &TestServer, id: &str) -> Vec<String> {
    let (status, events) = server
        .admin_get(&format!("/api/v1/events?customer_id={id}"))
        .await;
    items(status, &events)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn avatars_are_cropped_resized_and_served(server: TestServer) {
    let id = customer(&server, "Acme").await;
    let image = two_colours();
    let mut urls = Vec::new();
    for (content_type, format) in [
        ("image/png", ImageFormat::Png),
        ("image/jpeg", ImageFormat::Jpeg),
        ("image/webp", ImageFormat::WebP),
    ] {
        let (status, view) = put_avatar(&server, &id, content_type, encode(&image, format)).await;
        assert_eq!(status, StatusCode::OK, "{content_type}: {view}");
        assert_eq!(view["id"], json!(id));
        let url = view["avatar_url"].as_str().unwrap().to_owned();
        let prefix = format!("{}/avatars/", server.base);
        let file = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
        assert!(file.ends_with(".png") && file.len() == 64 + 4, "{url}");
        let (_, customer) = server.admin_get(&format!("/api/v1/customers/{id}")).await;
        assert_eq!(customer["avatar_url"], json!(url));

        // Served without credentials, cached for good, as a 500×500 PNG of the centre square.
        let response = server.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], "image/png");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let png = response.bytes().await.unwrap();
        let avatar = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .unwrap()
            .into_rgb8();
        assert_eq!(avatar.dimensions(), (500, 500), "{content_type}");
        for (x, y) in [(25, 25), (250, 250), (475, 475)] {
            let [r, g, b] = avatar.get_pixel(x, y).0;
            assert!(
                b > 200 && r < 60 && g < 60,
                "{content_type} ({x}, {y}): {r} {g} {b}"
            );
        }
        urls.push(url);
    }
    let types = customer_event_types(&server, &id).await;
    assert_eq!(
        types.iter().filter(|t| *t == "customer.updated").count(),
        3,
        "{types:?}"
    );

    // Deleting clears the URL; the image is no longer served.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{id}/avatar"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, customer) = server.admin_get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(customer["avatar_url"], Value::Null);
    let last = urls.last().unwrap();
    let response = server.client.get(last).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    for name in ["nothex.png", "deadbeef"] {
        let response = server
            .client
            .get(format!("{}/avatars/{name}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name}");
    }
    assert_eq!(
        customer_event_types(&server, &id)
            .await
            .iter()
            .filter(|t| *t == "customer.updated")
            .count(),
        4
    );
}

async fn avatar_uploads_are_checked(server: TestServer) {
    let id = customer(&server, "Acme").await;
    let png = encode(&two_colours(), ImageFormat::Png);
    // A PNG declared as JPEG, and bytes that are no image.
    for (content_type, bytes) in [
        ("image/jpeg", png.clone()),
        ("image/webp", png.clone()),
        ("image/png", b"not an image at all".to_vec()),
    ] {
        let (status, problem) = put_avatar(&server, &id, content_type, bytes).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{content_type}: {problem}"
        );
        assert_eq!(problem["code"], "invalid_image");
    }
    // Other types, or none.
    for content_type in ["image/gif", "application/pdf", "text/plain"] {
        let (status, problem) = put_avatar(&server, &id, content_type, png.clone()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(problem["code"], "unsupported_media_type");
    }
    let key = server.admin_key.clone();
    let (status, _, _) = raw(
        &server,
        Some(&key),
        Method::PUT,
        &format!("/api/v1/customers/{id}/avatar"),
        None,
        png.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Over 5 MiB: refused from `Content-Length` before the body is sent.
    let path = format!("/api/v1/customers/{id}/avatar");
    let answer = announced(&server, "PUT", &path, "image/png", 5 * 1024 * 1024 + 1).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // Exactly 5 MiB is read (and refused for what it is).
    let (status, problem) = put_avatar(&server, &id, "image/png", vec![0u8; 5 * 1024 * 1024]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // A decompression bomb: refused from its header, at once.
    let started = std::time::Instant::now();
    let (status, problem) =
        put_avatar(&server, &id, "image/png", png_declaring(100_000, 100_000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "invalid_image");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Just over 40 Mpx too.
    let (status, _) = put_avatar(&server, &id, "image/png", png_declaring(8000, 5001)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing was stored; an unknown customer is 404; no key is 401.
    let (_, customer) = server.admin_get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(customer["avatar_url"], Value::Null);
    let (status, _) = put_avatar(&server, "cus_nope", "image/png", png.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = raw(
        &server,
        None,
        Method::PUT,
        &format!("/api/v1/customers/{id}/avatar"),
        Some("image/png"),
        png,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn every_accepted_kind_uploads(server: TestServer) {
    let id = customer(&server, "Acme").await;
    let image = RgbImage::from_pixel(4, 4, Rgb([9, 9, 9]));
    let ooxml =
        |kind: &str| -> String { format!("application/vnd.openxmlformats-officedocument.{kind}") };
    let cases: Vec<(String, &str, Vec<u8>)> = vec![
        ("application/pdf".into(), "a.pdf", PDF.to_vec()),
        (
            "image/png".into(),
            "a.png",
            encode(&image, ImageFormat::Png),
        ),
        (
            "image/jpeg".into(),
            "a.jpg",
            encode(&image, ImageFormat::Jpeg),
        ),
        (
            "image/webp".into(),
            "a.webp",
            encode(&image, ImageFormat::WebP),
        ),
        (
            "text/plain; charset=utf-8".into(),
            "a.txt",
            "héllo\n".as_bytes().to_vec(),
        ),
        ("text/csv".into(), "a.csv", b"a,b\n1,2\n".to_vec()),
        ("application/json".into(), "a.json", br#"{"a": 1}"#.to_vec()),
        ("application/zip".into(), "a.zip", ZIP.to_vec()),
        (ooxml("wordprocessingml.document"), "a.docx", ZIP.to_vec()),
        (ooxml("spreadsheetml.sheet"), "a.xlsx", ZIP.to_vec()),
        (ooxml("presentationml.presentation"), "a.pptx", ZIP.to_vec()),
    ];
    for (content_type, name, content) in cases {
        let (status, view) = admin_upload(&server, &id, name, &content_type, &content).await;
        assert_eq!(status, StatusCode::CREATED, "{content_type}: {view}");
        let essence = content_type.split(';').next().unwrap();
        assert_eq!(view["content_type"], json!(essence));
        assert_eq!(view["name"], json!(name));
        assert_eq!(view["size"], json!(content.len()));
        assert_eq!(view["customer_id"], json!(id));
        assert_eq!(
            view["uploaded_by"],
            json!({"kind": "organization", "user_id": null})
        );
        assert_eq!(view["sha256"].as_str().unwrap().len(), 64);
    }
}

async fn attachment_uploads_are_checked(server: TestServer) {
    let id = customer(&server, "Acme").await;
    let png = encode(
        &RgbImage::from_pixel(4, 4, Rgb([9, 9, 9])),
        ImageFormat::Png,
    );
    for content_type in [
        "text/html",
        "image/gif",
        "application/octet-stream",
        "application/x-msdownload",
    ] {
        let (status, problem) = admin_upload(&server, &id, "x", content_type, b"<html>").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(problem["code"], "unsupported_media_type");
    }
    for (content_type, content) in [
        ("application/pdf", png.as_slice()),
        ("image/png", b"just text".as_slice()),
        ("application/zip", PDF),
        ("application/json", b"{not json".as_slice()),
        ("text/plain", b"\xff\xfe\x00".as_slice()),
    ] {
        let (status, problem) = admin_upload(&server, &id, "x", content_type, content).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{content_type}: {problem}"
        );
        assert_eq!(problem["code"], "content_mismatch");
    }
    // Over 10 MiB: the file (within the body's room for headers), then the body itself.
    let (status, problem) = admin_upload(
        &server,
        &id,
        "big.txt",
        "text/plain",
        &vec![b'a'; 10 * 1024 * 1024 + 1],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(problem["code"], "payload_too_large");
    let path = format!("/api/v1/customers/{id}/attachments");
    let answer = announced(
        &server,
        "POST",
        &path,
        "multipart/form-data; boundary=x",
        11 * 1024 * 1024,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Exactly 10 MiB is fine.
    let (status, view) = admin_upload(
        &server,
        &id,
        "ten.txt",
        "text/plain",
        &vec![b'a'; 10 * 1024 * 1024],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    // No `file` part; not multipart; an unknown customer.
    let key = server.admin_key.clone();
    let path = format!("/api/v1/customers/{id}/attachments");
    let (status, problem) = upload(
        &server,
        &key,
        &path,
        "document",
        "a.txt",
        "text/plain",
        b"a",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["path"], "/file");
    let (status, _, _) = raw(
        &server,
        Some(&key),
        Method::POST,
        &path,
        Some("application/json"),
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = admin_upload(&server, "cus_nope", "a.txt", "text/plain", b"a").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only the 10 MiB file was stored.
    let (status, list) = server.admin_get(&path).await;
    assert_eq!(items(status, &list).len(), 1);
}

async fn attachments_are_listed_downloaded_and_deleted(server: TestServer) {
    let id = customer(&server, "Acme").await;
    let mut ids = Vec::new();
    for name in [
        "Invoice-2024.pdf",
        "C:\\Users\\ada\\invoice-2025.pdf",
        "résumé final (1).pdf",
        "notes.txt",
    ] {
        let (content_type, content) = if name.ends_with(".txt") {
            ("text/plain", b"notes".as_slice())
        } else {
            ("application/pdf", PDF)
        };
        let (status, view) = admin_upload(&server, &id, name, content_type, content).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        ids.push(view["id"].as_str().unwrap().to_owned());
    }
    let base = format!("/api/v1/customers/{id}/attachments");
    let names = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, list) = server.admin_get(&format!("{base}?q=INVOICE")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&list), ["Invoice-2024.pdf", "invoice-2025.pdf"]);
    let (_, list) = server.admin_get(&format!("{base}?q=%25")).await;
    assert_eq!(names(&list), Vec::<String>::new(), "wildcards are literal");
    let (_, page) = server.admin_get(&format!("{base}?limit=3")).await;
    assert_eq!(names(&page).len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = server
        .admin_get(&format!("{base}?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(names(&rest), ["notes.txt"]);

    let (status, one) = server.admin_get(&format!("{base}/{}", ids[2])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["name"], "résumé final (1).pdf");
    let key = server.admin_key.clone();
    let (status, headers, content) = raw(
        &server,
        Some(&key),
        Method::GET,
        &format!("{base}/{}/content", ids[2]),
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content, PDF);
    assert_eq!(headers[CONTENT_TYPE], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final%20%281%29.pdf"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], "sandbox");
    assert_eq!(headers["content-length"], PDF.len().to_string().as_str());

    let (status, _) = server
        .admin(Method::DELETE, &format!("{base}/{}", ids[0]), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for path in [
        format!("{base}/{}", ids[0]),
        format!("{base}/{}/content", ids[0]),
    ] {
        let (status, _) = server.admin_get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = server
        .admin(Method::DELETE, &format!("{base}/{}", ids[0]), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let types = customer_event_types(&server, &id).await;
    assert_eq!(
        types.iter().filter(|t| *t == "attachment.created").count(),
        4,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "attachment.deleted").count(),
        1,
        "{types:?}"
    );
}

async fn embedded_attachments_follow_roles_and_customers(server: TestServer) {
    let admin = server.token("acme", "ada", "admin");
    let viewer = server.token("acme", "vic", "viewer");
    let other = server.token("globex", "gus", "admin");
    let path = "/api/v1/embedded/attachments";
    let (status, view) = upload(
        &server,
        &admin,
        path,
        "file",
        "a.txt",
        "text/plain",
        b"acme",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(
        view["uploaded_by"],
        json!({"kind": "customer_user", "user_id": "ada"})
    );
    let attachment = view["id"].as_str().unwrap().to_owned();
    let customer_id = view["customer_id"].as_str().unwrap().to_owned();

    // Viewers read, never write.
    let (status, problem) =
        upload(&server, &viewer, path, "file", "b.txt", "text/plain", b"x").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["code"], "forbidden_role");
    let (status, list) = server.embedded_get(&viewer, path).await;
    assert_eq!(items(status, &list).len(), 1);
    let (status, _) = server
        .embedded_get(&viewer, &format!("{path}/{attachment}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, content) = raw(
        &server,
        Some(&viewer),
        Method::GET,
        &format!("{path}/{attachment}/content"),
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(
        (status, content.as_slice()),
        (StatusCode::OK, b"acme".as_slice())
    );
    let (status, _) = server
        .embedded(
            &viewer,
            Method::DELETE,
            &format!("{path}/{attachment}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another customer sees nothing of it.
    let (status, list) = server.embedded_get(&other, path).await;
    assert_eq!(items(status, &list).len(), 0);
    for suffix in ["", "/content"] {
        let (status, _) = server
            .embedded_get(&other, &format!("{path}/{attachment}{suffix}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{suffix}");
    }
    let (status, _) = server
        .embedded(
            &other,
            Method::DELETE,
            &format!("{path}/{attachment}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor through the admin API under another customer.
    let (_, globex) = server.embedded_get(&other, path).await;
    assert!(globex["items"].as_array().unwrap().is_empty());
    let globex_id = customer(&server, "Initech").await;
    let (status, _) = server
        .admin_get(&format!(
            "/api/v1/customers/{globex_id}/attachments/{attachment}"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The vendor sees the customer user's upload.
    let (status, one) = server
        .admin_get(&format!(
            "/api/v1/customers/{customer_id}/attachments/{attachment}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["uploaded_by"]["user_id"], "ada");

    let (status, _) = server
        .embedded(
            &admin,
            Method::DELETE,
            &format!("{path}/{attachment}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .embedded_get(&admin, &format!("{path}/{attachment}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.embedded_get("not-a-token", path).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn deleting_a_customer_deletes_its_files(server: TestServer) {
    let id = customer(&server, "Acme").await;
    let keep = customer(&server, "Globex").await;
    let png = encode(&two_colours(), ImageFormat::Png);
    for customer in [&id, &keep] {
        let (status, _) = put_avatar(&server, customer, "image/png", png.clone()).await;
        assert_eq!(status, StatusCode::OK);
        for name in ["a.pdf", "b.pdf"] {
            let (status, _) = admin_upload(&server, customer, name, "application/pdf", PDF).await;
            assert_eq!(status, StatusCode::CREATED);
        }
    }
    let count = |table: &'static str, customer: String| {
        let pool = server.state.store.db.read.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE customer_id = $1"
            )))
            .bind(customer)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(count("attachments", id.clone()).await, 2);
    assert_eq!(count("avatars", id.clone()).await, 1);
    let (status, body) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{id}?confirm_name=Acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(count("attachments", id.clone()).await, 0);
    assert_eq!(count("avatars", id.clone()).await, 0);
    assert_eq!(count("attachments", keep.clone()).await, 2);
    assert_eq!(count("avatars", keep.clone()).await, 1);
    // The other customer's avatar (the same image, so the same URL) is still served.
    let (_, globex) = server.admin_get(&format!("/api/v1/customers/{keep}")).await;
    let response = server
        .client
        .get(globex["avatar_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn files_are_documented(server: TestServer) {
    let (status, doc) = server
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let paths = &doc["paths"];
    let problems = |path: &str, method: &str| -> Vec<String> {
        let responses = paths[path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is documented"));
        let mut codes: Vec<String> = responses
            .keys()
            .filter(|c| c.starts_with('4') || c.starts_with('5'))
            .cloned()
            .collect();
        codes.sort();
        codes
    };
    let customer = "/api/v1/customers/{id}/attachments";
    let one = "/api/v1/customers/{id}/attachments/{attachment_id}";
    let embedded = "/api/v1/embedded/attachments";
    for (path, method, expected) in [
        (
            "/api/v1/customers/{id}/avatar",
            "put",
            vec!["400", "401", "403", "404", "413", "415", "422", "500"],
        ),
        (
            "/api/v1/customers/{id}/avatar",
            "delete",
            vec!["401", "403", "404", "500"],
        ),
        ("/avatars/{file}", "get", vec!["404", "500"]),
        (
            customer,
            "post",
            vec!["400", "401", "403", "404", "413", "415", "422", "500"],
        ),
        (customer, "get", vec!["400", "401", "404", "500"]),
        (one, "get", vec!["401", "404", "500"]),
        (one, "delete", vec!["401", "403", "404", "500"]),
        (
            "/api/v1/customers/{id}/attachments/{attachment_id}/content",
            "get",
            vec!["401", "404", "500"],
        ),
        (
            embedded,
            "post",
            vec!["400", "401", "403", "413", "415", "422", "500"],
        ),
        (embedded, "get", vec!["400", "401", "403", "500"]),
        (
            "/api/v1/embedded/attachments/{attachment_id}",
            "delete",
            vec!["401", "403", "404", "500"],
        ),
        (
            "/api/v1/embedded/attachments/{attachment_id}/content",
            "get",
            vec!["401", "403", "404", "500"],
        ),
    ] {
        assert_eq!(problems(path, method), expected, "{method} {path}");
    }
    let upload = &paths[customer]["post"]["requestBody"]["content"];
    assert!(
        upload["multipart/form-data"]["schema"].is_object(),
        "{upload}"
    );
    let avatar = &paths["/api/v1/customers/{id}/avatar"]["put"]["requestBody"]["content"];
    for image in ["image/png", "image/jpeg", "image/webp"] {
        assert!(avatar[image].is_object(), "{image}: {avatar}");
    }
    assert_eq!(paths["/avatars/{file}"]["get"]["security"], json!([{}]));
}

async fn put_icon(
    server: &TestServer,
    id: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let key = server.admin_key.clone();
    let path = format!("/api/v1/integrations/{id}/icon");
    let (status, _, body) = raw(
        server,
        Some(&key),
        Method::PUT,
        &path,
        Some(content_type),
        bytes,
    )
    .await;
    (status, json_of(&body))
}

async fn integration_icons_are_stored_served_and_shown(server: TestServer) {
    let id = server.orders_listed(false).await;
    let token = server.token("acme", "ada", "admin");
    // A 300×100 WebP: fitted into 256×256 (256×85), served as PNG under its hash.
    let (status, view) = put_icon(
        &server,
        &id,
        "image/webp",
        encode(&two_colours(), ImageFormat::WebP),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let url = view["icon_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/icons/", server.base)) && url.ends_with(".png"),
        "{url}"
    );
    let response = server.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let icon =
        image::load_from_memory_with_format(&response.bytes().await.unwrap(), ImageFormat::Png)
            .unwrap();
    assert_eq!((icon.width(), icon.height()), (256, 85));
    // The catalog shows it at once (the upload is a catalog change).
    let (_, catalog) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    let entry = items(StatusCode::OK, &catalog)
        .into_iter()
        .find(|e| e["integration_id"] == json!(id))
        .unwrap();
    assert_eq!(entry["icon_url"], json!(url));

    // An SVG: only its drawing is kept, served with a policy that runs nothing.
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8" onload="alert(1)"><script>alert(2)</script><rect width="8" height="8" fill="#0a0"/></svg>"##;
    let (status, view) = put_icon(&server, &id, "image/svg+xml", svg.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let svg_url = view["icon_url"].as_str().unwrap().to_owned();
    assert!(svg_url.ends_with(".svg"), "{svg_url}");
    let response = server.client.get(&svg_url).send().await.unwrap();
    assert_eq!(response.headers()[CONTENT_TYPE], "image/svg+xml");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let served = response.text().await.unwrap();
    assert!(
        served.contains("<rect") && served.contains(r#"viewBox="0 0 8 8""#),
        "{served}"
    );
    assert!(
        !served.contains("alert") && !served.contains("onload"),
        "{served}"
    );

    // Deleting clears the URL and stops serving it; every change was an integration.updated.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/integrations/{id}/icon"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, integration) = server
        .admin_get(&format!("/api/v1/integrations/{id}"))
        .await;
    assert_eq!(integration["icon_url"], Value::Null);
    let response = server.client.get(&svg_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, events) = server
        .admin_get("/api/v1/events?type=integration.updated&limit=100")
        .await;
    let icon_events = items(status, &events)
        .into_iter()
        .filter(|e| e["integration_id"] == json!(id) && e["data"].get("icon_url").is_some())
        .count();
    assert_eq!(icon_events, 3, "{events}");
}

async fn icon_uploads_are_checked(server: TestServer) {
    let id = server.orders_listed(false).await;
    let png = encode(&two_colours(), ImageFormat::Png);
    for (content_type, bytes) in [
        ("image/webp", png.clone()),
        ("image/png", b"not an image".to_vec()),
        (
            "image/svg+xml",
            b"<html><body>no drawing</body></html>".to_vec(),
        ),
    ] {
        let (status, problem) = put_icon(&server, &id, content_type, bytes).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{content_type}: {problem}"
        );
        assert_eq!(problem["code"], "invalid_image");
    }
    for content_type in ["image/jpeg", "image/gif", "text/html"] {
        let (status, problem) = put_icon(&server, &id, content_type, png.clone()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(problem["code"], "unsupported_media_type");
    }
    let path = format!("/api/v1/integrations/{id}/icon");
    let answer = announced(&server, "PUT", &path, "image/png", 512 * 1024 + 1).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let (status, _) = put_icon(&server, "int_unknown", "image/png", png).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for name in ["nothex.png", &format!("{}.gif", "a".repeat(64))] {
        let response = server
            .client
            .get(format!("{}/icons/{name}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name}");
    }
}

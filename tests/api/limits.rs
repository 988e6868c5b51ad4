//! Hostile and broken clients: stalled request bodies end with 408, concurrent uploads are
//! bounded per user and per server, and neither can stop the server answering or leave spool
//! files behind.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, TestUser, data_dir};
use crate::world::*;

/// A request whose headers announce `announced` body bytes of which only `sent` are sent; the
/// socket stays open until dropped.
async fn stalled_request(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    announced: usize,
    sent: &[u8],
) -> TcpStream {
    let address = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {announced}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// The status line and body the server sent on `stream`, or None when it sent nothing within
/// `wait`.
async fn response_within(stream: &mut TcpStream, wait: Duration) -> Option<(u16, String)> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    if complete(&received) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    if read.is_err() && received.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    Some((status, body))
}

/// Whether a response with a Content-Length body has fully arrived.
fn complete(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    body.len() >= length
}

fn spool_files(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(data_dir(app).join("imports")) {
        Err(_) => Vec::new(),
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".upload"))
            .collect(),
    }
}

async fn stalled_import(app: &TestApp, user: &TestUser, round: &str) -> TcpStream {
    let header = b"registration_number,nik,kk,full_name\n12";
    stalled_request(
        app,
        &format!("/api/v1/selection-rounds/{round}/application-imports"),
        Some(&user.token),
        "text/csv",
        50_000_000,
        header,
    )
    .await
}

/// Polls until `done` holds, for at most `wait`.
async fn eventually(wait: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + wait;
    while Instant::now() < until {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[actix_web::test]
async fn a_stalled_json_body_ends_with_408_and_a_closed_connection() {
    let app = TestApp::spawn_with(&[("BODY_TIMEOUT_SECONDS", "1")]).await;
    let started = Instant::now();
    let mut login = stalled_request(
        &app,
        "/api/v1/auth/login",
        None,
        "application/json",
        1000,
        b"{\"email\":",
    )
    .await;
    let (status, body) = response_within(&mut login, Duration::from_secs(10))
        .await
        .expect("the server answers a stalled body");
    assert_eq!(status, 408, "{body}");
    assert!(body.contains("\"code\":\"body_timeout\""), "{body}");
    assert!(started.elapsed() < Duration::from_secs(8));
    // The rest of the body cannot be told from a next request: the server closed the socket.
    let _ = login.write_all(b"\"x\"}").await;
    let mut rest = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(5), login.read(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
}

#[actix_web::test]
async fn stalled_uploads_are_bounded_cannot_starve_the_database_and_leave_nothing_behind() {
    // Two blocking threads: before uploads stopped holding one each while they wait, two
    // stalled uploads were enough to stop every database call.
    let app = TestApp::spawn_with(&[
        ("BODY_TIMEOUT_SECONDS", "2"),
        ("MAX_CONCURRENT_UPLOADS", "3"),
        ("MAX_UPLOADS_PER_USER", "2"),
        ("BLOCKING_THREADS", "2"),
    ])
    .await;
    let r = Recruitment::setup(&app).await;
    let other_hr = app
        .user(asn_merit::roles::Role::HrOfficer, r.hr.agency)
        .await;
    let admin = app.admin().await;

    // Three stalled uploads, more than the blocking pool has threads.
    let mut held = vec![
        stalled_import(&app, &r.hr, &r.round).await,
        stalled_import(&app, &r.hr, &r.round).await,
        stalled_import(&app, &admin, &r.round).await,
    ];
    assert!(
        eventually(Duration::from_secs(5), || spool_files(&app).len() == 3).await,
        "the three uploads started"
    );
    // While they are held, requests that need the database keep answering, and so does readiness.
    for _ in 0..5 {
        let me = tokio::time::timeout(
            Duration::from_secs(3),
            app.get("/api/v1/me", &r.auditor).send(),
        )
        .await
        .expect("/api/v1/me answers while uploads are stalled")
        .unwrap();
        assert_eq!(me.status(), 200);
    }
    let ready = tokio::time::timeout(
        Duration::from_secs(3),
        app.http.get(app.url("/readyz")).send(),
    )
    .await
    .expect("/readyz answers")
    .unwrap();
    assert_eq!(ready.status(), 200);

    // The same user's third upload is refused at once, with a time to retry; then, the server
    // being full, so is any other user's.
    assert_eq!(app.state.uploads.in_use(), 3);
    let third = upload(
        &app,
        &r.hr,
        &r.round,
        "all_or_nothing",
        "text/csv",
        b"x\n".to_vec(),
    )
    .await;
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["retry-after"], "10");
    let third: serde_json::Value = third.json().await.unwrap();
    assert_eq!(third["code"], "too_many_uploads");
    let busy = upload(
        &app,
        &other_hr,
        &r.round,
        "all_or_nothing",
        "text/csv",
        b"x\n".to_vec(),
    )
    .await;
    assert_eq!(busy.status(), 503);
    let busy: serde_json::Value = busy.json().await.unwrap();
    assert_eq!(busy["code"], "uploads_busy");
    assert_eq!(spool_files(&app).len(), 3, "refused uploads spool nothing");

    // Once they time out: 408 to each, no spool file left, every slot free, and the server
    // takes a real import again.
    for stream in &mut held {
        let (status, body) = response_within(stream, Duration::from_secs(10))
            .await
            .expect("a stalled upload is answered");
        assert_eq!(status, 408, "{body}");
    }
    assert!(eventually(Duration::from_secs(5), || spool_files(&app).is_empty()).await);
    assert!(eventually(Duration::from_secs(5), || app.state.uploads.in_use() == 0).await);
    let openings = generated_openings(&app, &r, 1).await;
    let queued = upload(
        &app,
        &r.hr,
        &r.round,
        "all_or_nothing",
        "text/csv",
        generated(20, 1, 0, false),
    )
    .await;
    assert_eq!(queued.status(), 202);
    let queued: serde_json::Value = queued.json().await.unwrap();
    let done = finished_import(&app, &r.hr, queued["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done} {openings:?}");
}

#[actix_web::test]
async fn an_upload_whose_client_goes_away_frees_its_slot_and_its_spool_file() {
    let app = TestApp::spawn_with(&[("MAX_UPLOADS_PER_USER", "1")]).await;
    let r = Recruitment::setup(&app).await;
    let stream = stalled_import(&app, &r.hr, &r.round).await;
    assert!(eventually(Duration::from_secs(5), || spool_files(&app).len() == 1).await);
    assert_eq!(app.state.uploads.in_use(), 1);
    drop(stream);
    assert!(
        eventually(Duration::from_secs(5), || spool_files(&app).is_empty()
            && app.state.uploads.in_use() == 0)
        .await,
        "left behind: {:?}, slots {}",
        spool_files(&app),
        app.state.uploads.in_use()
    );
}

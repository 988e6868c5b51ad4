//! What the blindness tests share: a reply kept as text, a transcript of every call a panelist
//! makes, stage material that names its applicant, and the scan for identifiers in replies.

use std::collections::HashSet;

use asn_merit::clock::Clock;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::panel_world::*;
use crate::world::{self, id_of};
use reqwest::Method;

/// One response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_string()
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

pub fn call(app: &TestApp, method: Method, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
    app.http
        .request(method, app.url(path))
        .bearer_auth(&user.token)
}

/// Every response a panelist got, labelled, for the leak scan.
#[derive(Default)]
pub struct Transcript {
    pub entries: Vec<(String, u16, String)>,
}

impl Transcript {
    pub async fn call(
        &mut self,
        label: impl Into<String>,
        request: reqwest::RequestBuilder,
    ) -> Reply {
        let reply = send(request).await;
        self.entries
            .push((label.into(), reply.status, reply.text.clone()));
        reply
    }

    /// Records a response and asserts its status (and problem code, when given).
    pub async fn expect(
        &mut self,
        label: impl Into<String>,
        request: reqwest::RequestBuilder,
        status: u16,
        code: Option<&str>,
    ) -> Reply {
        let label = label.into();
        let reply = self.call(label.clone(), request).await;
        assert_eq!(reply.status, status, "{label}: {}", reply.text);
        if let Some(code) = code {
            assert_eq!(reply.code(), code, "{label}: {}", reply.text);
        }
        reply
    }
}

pub const PROMPT: &str = "Ceritakan pengalaman Anda memimpin sebuah tim kecil.";
pub const REDACTED_ANSWER: &str = "Saya [redacted], NIK [redacted], KK [redacted], lahir [redacted], \
     email [redacted], HP [redacted]. Saya memimpin tim relawan literasi digital di kampus.";
pub const REFERENCE: &str = "Lampiran portofolio, berkas kedua";

/// Stage material whose text names the applicant by every identifier they have.
pub fn material_of(serial: u32) -> Value {
    json!({
        "answers": [{
            "prompt": PROMPT,
            "text": format!(
                "Saya Siti Rahmawati {serial}, NIK 327301450699{serial:04}, KK 3273010101{serial:06}, \
                 lahir 05-06-1999, email siti.{serial}@example.co.id, HP 0812-3456-7890. \
                 Saya memimpin tim relawan literasi digital di kampus."
            ),
        }],
        "work_samples": [{"title": format!("Portofolio Siti Rahmawati {serial}"), "reference": REFERENCE}],
    })
}

/// A published opening of `hr`'s agency with a blind panel stage, and its panel on `rubric`;
/// its application window is around the server's clock (which earlier steps moved on).
pub async fn second_panel(
    app: &TestApp,
    hr: &TestUser,
    round: &str,
    position: &str,
    code: &str,
    rubric: &str,
) -> (String, String) {
    let now = app.clock.now().as_datetime();
    let mut body = world::opening_body(round, position, code);
    body["plan"] = panel_plan(true, 2);
    body["application_opens_at"] = json!((now - chrono::Duration::days(1)).to_rfc3339());
    body["application_closes_at"] = json!((now + chrono::Duration::days(30)).to_rfc3339());
    let opening = id_of(&world::draft_opening(app, hr, &body).await);
    world::publish(app, hr, &opening).await;
    let panel = id_of(
        &created(
            app.post(&format!("/api/v1/openings/{opening}/panels"), hr)
                .json(&json!({"stage_code": "WWN", "rubric_id": rubric}))
                .send()
                .await
                .unwrap(),
            "second panel",
        )
        .await,
    );
    (opening, panel)
}

pub async fn declare_nothing(app: &TestApp, user: &TestUser, panel: &str) -> Reply {
    let reply = send(
        app.put(&format!("/api/v1/panels/{panel}/declaration"), user)
            .json(&json!({"relations": [], "ties": []})),
    )
    .await;
    assert_eq!(reply.status, 200, "declaration: {}", reply.text);
    reply
}

/// What must never reach a panelist, lower-cased, each with what it is.
pub fn secrets(w: &PanelWorld, n: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for serial in 1..=n {
        let a = world::applicant(serial);
        for field in ["full_name", "nik", "kk", "email"] {
            out.push((
                a[field].as_str().unwrap().to_lowercase(),
                format!("applicant {serial} {field}"),
            ));
        }
    }
    for (what, text) in [
        ("surname", "Rahmawati"),
        ("phone", "081234567890"),
        ("phone", "+6281234567890"),
        ("phone", "6281234567890"),
        ("phone as written", "0812-3456-7890"),
        ("birth date", "1999-06-05"),
        ("birth date", "05-06-1999"),
    ] {
        out.push((text.to_lowercase(), what.to_string()));
    }
    for (i, id) in w.applications.iter().enumerate() {
        out.push((
            id.to_lowercase(),
            format!("application id of applicant {}", i + 1),
        ));
    }
    for (i, number) in w.numbers.iter().enumerate() {
        out.push((
            number.to_lowercase(),
            format!("registration number of applicant {}", i + 1),
        ));
        let tail = number.rsplit('-').next().unwrap();
        out.push((
            tail.to_lowercase(),
            format!("registration number tail of applicant {}", i + 1),
        ));
    }
    out
}

/// Every finding: (secret kind, response label, excerpt).
pub fn leaks(transcript: &Transcript, secrets: &[(String, String)]) -> Vec<String> {
    let mut scanned: HashSet<&str> = HashSet::new();
    let mut found = Vec::new();
    for (label, status, body) in &transcript.entries {
        if !scanned.insert(body.as_str()) {
            continue;
        }
        let lower = body.to_lowercase();
        for (secret, what) in secrets {
            if let Some(at) = lower.find(secret.as_str()) {
                let start = lower[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let end = (at + secret.len() + 60).min(lower.len());
                let end = (end..=lower.len())
                    .find(|&i| lower.is_char_boundary(i))
                    .unwrap();
                found.push(format!(
                    "{what} in {label} ({status}): …{}…",
                    &lower[start..end]
                ));
            }
        }
    }
    found
}

use serde::Deserialize;

use super::*;

#[test]
fn an_integral_number_with_a_fraction_reads_as_an_integer() {
    let value = parse_value(br#"{"grade": 7.0, "ratio": 0.5, "huge": 1e300}"#).unwrap();
    assert_eq!(value["grade"].as_i64(), Some(7));
    assert_eq!(value["ratio"].as_f64(), Some(0.5));
    assert_eq!(value["huge"].as_f64(), Some(1e300));
    let grade: i32 = serde_json::from_value(value["grade"].clone()).unwrap();
    assert_eq!(grade, 7);
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Stage {
    code: String,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Plan {
    name: String,
    stages: Vec<Stage>,
    lead: Option<Stage>,
}

fn plan(text: &str) -> Result<Plan, serde_json::Error> {
    Plan::deserialize(Objects(parse_value(text.as_bytes()).unwrap()))
}

#[test]
fn a_key_named_twice_is_reported_with_its_path() {
    assert_eq!(
        parse_value(br#"{"a": 1, "a": 2}"#),
        Err(JsonProblem::DuplicateKey("a".into()))
    );
    assert_eq!(
        parse_value(br#"{"x": [{"c": 1}, {"c": 1, "b": {"k": 1, "k": 2}}]}"#),
        Err(JsonProblem::DuplicateKey("x[1].b.k".into()))
    );
    assert!(matches!(
        parse_value(br#"{"a": 1"#),
        Err(JsonProblem::Syntax(_))
    ));
    assert!(matches!(
        parse_value(br#"{"a": 1} x"#),
        Err(JsonProblem::Syntax(_))
    ));
    assert_eq!(
        parse_value(br#"{"a": [1, 2.5, "s", null, true], "b": {"a": 1}}"#),
        Ok(serde_json::json!({"a": [1, 2.5, "s", null, true], "b": {"a": 1}}))
    );
}

#[test]
fn structs_come_only_from_objects_at_every_depth() {
    let good = plan(r#"{"name": "p", "stages": [{"code": "SKD"}], "lead": {"code": "L"}}"#);
    assert_eq!(
        good.ok().map(|p| (p.name, p.stages.len(), p.lead)),
        Some(("p".into(), 1, Some(Stage { code: "L".into() })))
    );
    assert!(plan(r#"["p", [], null]"#).is_err());
    assert!(plan(r#"{"name": "p", "stages": [["SKD"]], "lead": null}"#).is_err());
    assert!(plan(r#"{"name": "p", "stages": [], "lead": ["L"]}"#).is_err());
}

#[test]
fn text_a_database_refuses_is_found_with_its_path() {
    let value = serde_json::json!({"a": "ok", "b": [{"c": "x\u{0}y"}]});
    assert_eq!(
        unstorable_text(&value).map(|(path, _)| path),
        Some("b[0].c".into())
    );
    let key = serde_json::json!({"k\u{0}": 1});
    assert_eq!(
        unstorable_text(&key).map(|(path, _)| path),
        Some("k\\u0000".into())
    );
    assert_eq!(unstorable_text(&serde_json::json!({"a": ["b"]})), None);
}

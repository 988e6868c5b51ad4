//! What the rows of a score file look like: CSV with `registration_number` and one column per
//! subtest of the rule set, or JSON Lines with the same keys (the shared reader in
//! [`crate::bulk::reader`] reads them). Nothing here touches the database.

use std::collections::BTreeMap;

use crate::bulk::model::{FileProblem, RowError};
use crate::bulk::reader::RowShape;
use crate::openings::rounds::rules::RuleSetRules;

/// One data row of the file: its 1-based number, the registration number and the points by
/// subtest (an empty CSV cell is left out, so the rules see it as missing).
pub struct ScoreRow {
    pub number: u64,
    pub registration_number: String,
    pub scores: BTreeMap<String, i32>,
}

/// Score rows of one stage: a CSV header must name exactly the stage's columns, in any order.
pub struct ScoreShape<'a> {
    pub rules: &'a RuleSetRules,
    pub stage_code: &'a str,
}

impl RowShape for ScoreShape<'_> {
    type Row = ScoreRow;

    fn check_header(&mut self, header: &[String]) -> Result<(), FileProblem> {
        if header.iter().all(String::is_empty) {
            return Err(FileProblem::empty());
        }
        let expected: Vec<&str> = std::iter::once("registration_number")
            .chain(self.rules.skd.subtests.iter().map(|s| s.code.as_str()))
            .collect();
        let mut sorted_header: Vec<&str> = header.iter().map(String::as_str).collect();
        sorted_header.sort();
        let mut sorted_expected = expected.clone();
        sorted_expected.sort();
        if sorted_header != sorted_expected {
            return Err(FileProblem::invalid(format!(
                "stage {} expects the columns {} (in any order); the file has: {}",
                self.stage_code,
                expected.join(", "),
                header.join(", ")
            )));
        }
        Ok(())
    }

    fn csv_row(
        &self,
        n: u64,
        header: &[String],
        record: &csv::StringRecord,
    ) -> Result<ScoreRow, RowError> {
        let mut row = ScoreRow {
            number: n,
            registration_number: String::new(),
            scores: BTreeMap::new(),
        };
        for (name, value) in header.iter().zip(record.iter()) {
            let value = value.trim();
            if name == "registration_number" {
                row.registration_number = value.to_string();
            } else if let Ok(points) = value.parse::<i32>() {
                row.scores.insert(name.clone(), points);
            } else if !value.is_empty() {
                return Err(RowError::new(
                    n,
                    name,
                    "invalid_number",
                    "must be a whole number",
                ));
            }
        }
        Ok(row)
    }

    fn json_row(
        &self,
        n: u64,
        object: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ScoreRow, RowError> {
        json_score_row(object, n)
    }
}

fn json_score_row(
    map: serde_json::Map<String, serde_json::Value>,
    n: u64,
) -> Result<ScoreRow, RowError> {
    let mut row = ScoreRow {
        number: n,
        registration_number: String::new(),
        scores: BTreeMap::new(),
    };
    for (key, value) in map {
        match (key.as_str(), value) {
            ("registration_number", serde_json::Value::String(s)) => row.registration_number = s,
            ("registration_number", _) => {
                return Err(RowError::new(n, &key, "invalid_value", "must be a string"));
            }
            (_, serde_json::Value::Number(points)) => {
                match points.as_i64().and_then(|p| i32::try_from(p).ok()) {
                    Some(p) => {
                        row.scores.insert(key, p);
                    }
                    None => {
                        return Err(RowError::new(
                            n,
                            &key,
                            "invalid_number",
                            "must be a whole number",
                        ));
                    }
                }
            }
            _ => {
                return Err(RowError::new(
                    n,
                    &key,
                    "invalid_number",
                    "must be a whole number",
                ));
            }
        }
    }
    Ok(row)
}

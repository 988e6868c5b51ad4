//! Reads an uploaded score file row by row: CSV with `registration_number` and one column per
//! subtest of the rule set, or JSON Lines with the same keys. Nothing here touches the database.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::applications::imports::model::ImportFormat;
use crate::applications::intake::rows::RowError;
use crate::error::AppError;
use crate::openings::rounds::rules::RuleSetRules;

/// One data row of the file: its 1-based number, the registration number and the points by
/// subtest (an empty CSV cell is left out, so the rules see it as missing).
pub struct ScoreRow {
    pub number: u64,
    pub registration_number: String,
    pub scores: BTreeMap<String, i32>,
}

/// Reads score rows: CSV with `registration_number` and one column per subtest, or JSON Lines
/// with the same keys.
pub struct ScoreSource {
    format: ImportFormat,
    csv: Option<(csv::Reader<BufReader<File>>, Vec<String>)>,
    lines: Option<BufReader<File>>,
    number: u64,
}

impl ScoreSource {
    /// Opens the spooled upload for the stage `stage_code`; a CSV header that does not name
    /// exactly the stage's columns refuses the whole file (422 `invalid_file`).
    pub fn open(
        path: &Path,
        format: ImportFormat,
        rules: &RuleSetRules,
        stage_code: &str,
    ) -> Result<Self, AppError> {
        let file = File::open(path)
            .map_err(|e| AppError::internal(format!("cannot open the upload: {e}")))?;
        let reader = BufReader::with_capacity(1 << 16, file);
        match format {
            ImportFormat::Jsonl => Ok(Self {
                format,
                csv: None,
                lines: Some(reader),
                number: 0,
            }),
            ImportFormat::Csv => {
                let mut csv = csv::ReaderBuilder::new().from_reader(reader);
                let header: Vec<String> = csv
                    .headers()
                    .map_err(|e| invalid_file(format!("the CSV header cannot be read: {e}")))?
                    .iter()
                    .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                    .collect();
                if header.iter().all(String::is_empty) {
                    return Err(empty_file());
                }
                let expected: Vec<&str> = std::iter::once("registration_number")
                    .chain(rules.skd.subtests.iter().map(|s| s.code.as_str()))
                    .collect();
                let mut sorted_header: Vec<&str> = header.iter().map(String::as_str).collect();
                sorted_header.sort();
                let mut sorted_expected = expected.clone();
                sorted_expected.sort();
                if sorted_header != sorted_expected {
                    return Err(invalid_file(format!(
                        "stage {stage_code} expects the columns {} (in any order); the file has: {}",
                        expected.join(", "),
                        header.join(", ")
                    )));
                }
                Ok(Self {
                    format,
                    csv: Some((csv, header)),
                    lines: None,
                    number: 0,
                })
            }
        }
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<ScoreRow, RowError>> {
        self.number += 1;
        let n = self.number;
        match self.format {
            ImportFormat::Csv => {
                let (reader, header) = self.csv.as_mut()?;
                let mut record = csv::StringRecord::new();
                match reader.read_record(&mut record) {
                    Ok(false) => None,
                    Err(e) => Some(Err(RowError::new(
                        n,
                        "row",
                        "malformed_row",
                        format!("the row cannot be read: {e}"),
                    ))),
                    Ok(true) => {
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
                                return Some(Err(RowError::new(
                                    n,
                                    name,
                                    "invalid_number",
                                    "must be a whole number",
                                )));
                            }
                        }
                        Some(Ok(row))
                    }
                }
            }
            ImportFormat::Jsonl => loop {
                let reader = self.lines.as_mut()?;
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => return None,
                    Ok(_) if line.trim().is_empty() => {
                        self.number += 1;
                        continue;
                    }
                    Ok(_) => return Some(json_score_row(&line, self.number)),
                    Err(e) => {
                        return Some(Err(RowError::new(
                            self.number,
                            "row",
                            "malformed_row",
                            e.to_string(),
                        )));
                    }
                }
            },
        }
    }
}

fn json_score_row(line: &str, n: u64) -> Result<ScoreRow, RowError> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| RowError::new(n, "row", "malformed_row", format!("not JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(RowError::new(
            n,
            "row",
            "malformed_row",
            "each line must be a JSON object",
        ));
    };
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

fn invalid_file(detail: String) -> AppError {
    AppError::Invalid {
        code: "invalid_file",
        detail,
        errors: vec![],
    }
}

/// A file without a single data row: a whole-request mistake, not a report of nothing.
pub fn empty_file() -> AppError {
    AppError::Invalid {
        code: "empty_file",
        detail: "the file has no data rows".into(),
        errors: vec![],
    }
}

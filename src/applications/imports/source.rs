//! Streams rows out of an import file (CSV with a header, or JSON Lines) without reading it
//! whole: each item is a raw row, or the error that makes the row unreadable.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::applications::imports::model::{ImportFormat, Progress};
use crate::applications::intake::rows::{COLUMNS, REQUIRED_COLUMNS, RawRow, RowError};

/// Counts the bytes a reader hands out into the job's progress (for progress bars).
pub struct Counting<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R> Counting<R> {
    pub fn new(inner: R, progress: Arc<Progress>) -> Self {
        Self { inner, progress }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Why a whole file cannot be read (nothing is imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem(pub String);

pub enum RowSource<R: Read> {
    Csv {
        reader: csv::Reader<R>,
        /// For each file column, its index in [`COLUMNS`].
        map: Vec<usize>,
        record: csv::StringRecord,
        number: u64,
    },
    Jsonl {
        reader: BufReader<R>,
        line: String,
        number: u64,
    },
}

impl<R: Read> RowSource<R> {
    /// Opens the source; a CSV header must name every required column and nothing unknown.
    /// `fill_opening_code` lets the CLI's `--opening` stand in for a missing column.
    pub fn open(
        input: R,
        format: ImportFormat,
        fill_opening_code: bool,
    ) -> Result<Self, FileProblem> {
        match format {
            ImportFormat::Jsonl => Ok(RowSource::Jsonl {
                reader: BufReader::with_capacity(1 << 16, input),
                line: String::new(),
                number: 0,
            }),
            ImportFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(input);
                let header = reader
                    .headers()
                    .map_err(|e| FileProblem(format!("the CSV header cannot be read: {e}")))?
                    .clone();
                let mut map = Vec::with_capacity(header.len());
                let mut unknown = Vec::new();
                for name in header.iter() {
                    let name = name.trim().trim_start_matches('\u{feff}');
                    match COLUMNS.iter().position(|c| *c == name) {
                        Some(i) if !map.contains(&i) => map.push(i),
                        Some(_) => {
                            return Err(FileProblem(format!("the column {name} appears twice")));
                        }
                        None => unknown.push(name.to_string()),
                    }
                }
                if !unknown.is_empty() {
                    return Err(FileProblem(format!(
                        "unknown columns: {}",
                        unknown.join(", ")
                    )));
                }
                let missing: Vec<&str> = REQUIRED_COLUMNS
                    .iter()
                    .filter(|c| !(fill_opening_code && **c == "opening_code"))
                    .filter(|c| !map.iter().any(|i| COLUMNS[*i] == **c))
                    .copied()
                    .collect();
                if !missing.is_empty() {
                    return Err(FileProblem(format!(
                        "missing columns: {}",
                        missing.join(", ")
                    )));
                }
                Ok(RowSource::Csv {
                    reader,
                    map,
                    record: csv::StringRecord::new(),
                    number: 0,
                })
            }
        }
    }

    /// The next row, or `None` at the end. A row that cannot be read is an `Err` for that row.
    pub fn next_row(&mut self) -> Option<Result<RawRow, RowError>> {
        match self {
            RowSource::Csv {
                reader,
                map,
                record,
                number,
            } => {
                *number += 1;
                match reader.read_record(record) {
                    Ok(false) => None,
                    Ok(true) => {
                        let mut row = RawRow {
                            number: *number,
                            ..Default::default()
                        };
                        for (value, column) in record.iter().zip(map.iter()) {
                            if !value.is_empty() {
                                row.values[*column] = Some(value.to_string());
                            }
                        }
                        Some(Ok(row))
                    }
                    Err(e) => Some(Err(RowError::new(
                        *number,
                        "row",
                        "malformed_row",
                        format!("the row cannot be read: {e}"),
                    ))),
                }
            }
            RowSource::Jsonl {
                reader,
                line,
                number,
            } => loop {
                line.clear();
                *number += 1;
                match reader.read_line(line) {
                    Ok(0) => return None,
                    Ok(_) if line.trim().is_empty() => continue,
                    Ok(_) => return Some(json_row(line, *number)),
                    Err(e) => {
                        return Some(Err(RowError::new(
                            *number,
                            "row",
                            "malformed_row",
                            format!("the line cannot be read: {e}"),
                        )));
                    }
                }
            },
        }
    }
}

fn json_row(line: &str, number: u64) -> Result<RawRow, RowError> {
    let malformed = |m: String| RowError::new(number, "row", "malformed_row", m);
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(malformed("each line must be a JSON object".into()));
    };
    let mut row = RawRow {
        number,
        ..Default::default()
    };
    for (key, value) in map {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        serde_json::Value::String(s) => parts.push(s),
                        _ => {
                            return Err(RowError::new(
                                number,
                                &key,
                                "invalid_value",
                                "must be a list of strings",
                            ));
                        }
                    }
                }
                parts.join(";")
            }
            _ => {
                return Err(RowError::new(
                    number,
                    &key,
                    "invalid_value",
                    "must be a string or a number",
                ));
            }
        };
        if !row.set(&key, text) {
            return Err(RowError::new(
                number,
                &key,
                "unknown_field",
                "no such column",
            ));
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_headers_are_checked_and_rows_keep_their_numbers() {
        let text = "opening_code,nik\nA,1\n";
        assert!(RowSource::open(text.as_bytes(), ImportFormat::Csv, false).is_err());
        let header = REQUIRED_COLUMNS.join(",");
        let unknown = format!("{header},shoe_size\n");
        let problem = RowSource::open(unknown.as_bytes(), ImportFormat::Csv, false)
            .err()
            .unwrap();
        assert_eq!(problem.0, "unknown columns: shoe_size");
        let file = format!(
            "{header}\n{}\nbroken\n",
            vec!["x"; REQUIRED_COLUMNS.len()].join(",")
        );
        let mut source = RowSource::open(file.as_bytes(), ImportFormat::Csv, false).unwrap();
        let first = source.next_row().unwrap().unwrap();
        assert_eq!((first.number, first.values[0].as_deref()), (1, Some("x")));
        let second = source.next_row().unwrap().unwrap_err();
        assert_eq!((second.row, second.code.as_str()), (2, "malformed_row"));
        assert!(source.next_row().is_none());
    }

    #[test]
    fn json_lines_map_numbers_and_lists_and_report_bad_lines() {
        let text = "{\"gpa_x100\": 352, \"certificates\": [\"A\", \"B\"]}\n\nnot json\n{\"shoe_size\": 44}\n";
        let mut source = RowSource::open(text.as_bytes(), ImportFormat::Jsonl, false).unwrap();
        let row = source.next_row().unwrap().unwrap();
        assert_eq!(row.values[12].as_deref(), Some("352"));
        assert_eq!(row.values[13].as_deref(), Some("A;B"));
        assert_eq!(source.next_row().unwrap().unwrap_err().row, 3);
        let unknown = source.next_row().unwrap().unwrap_err();
        assert_eq!((unknown.row, unknown.code.as_str()), (4, "unknown_field"));
        assert!(source.next_row().is_none());
    }
}

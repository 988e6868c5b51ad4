//! What the rows of an application import file look like (the shared reader in
//! [`crate::bulk::reader`] reads them), and the byte count behind the job's progress.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::applications::imports::model::Progress;
use crate::applications::intake::rows::{COLUMNS, REQUIRED_COLUMNS, RawRow};
use crate::bulk::model::{FileProblem, RowError};
use crate::bulk::reader::RowShape;

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

/// Application rows: the columns of [`COLUMNS`], of which [`REQUIRED_COLUMNS`] must be named.
pub struct ApplicationShape {
    /// The CLI's `--opening` stands in for a missing `opening_code` column.
    fill_opening_code: bool,
    /// For each file column, its index in [`COLUMNS`].
    map: Vec<usize>,
}

impl ApplicationShape {
    pub fn new(fill_opening_code: bool) -> Self {
        Self {
            fill_opening_code,
            map: Vec::new(),
        }
    }
}

impl RowShape for ApplicationShape {
    type Row = RawRow;

    /// Every required column and nothing unknown.
    fn check_header(&mut self, header: &[String]) -> Result<(), FileProblem> {
        let mut unknown = Vec::new();
        for name in header {
            match COLUMNS.iter().position(|c| c == name) {
                Some(i) if !self.map.contains(&i) => self.map.push(i),
                Some(_) => {
                    return Err(FileProblem::invalid(format!(
                        "the column {name} appears twice"
                    )));
                }
                None => unknown.push(name.as_str()),
            }
        }
        if !unknown.is_empty() {
            return Err(FileProblem::invalid(format!(
                "unknown columns: {}",
                unknown.join(", ")
            )));
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .filter(|c| !(self.fill_opening_code && **c == "opening_code"))
            .filter(|c| !self.map.iter().any(|i| COLUMNS[*i] == **c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(FileProblem::invalid(format!(
                "missing columns: {}",
                missing.join(", ")
            )));
        }
        Ok(())
    }

    fn csv_row(
        &self,
        number: u64,
        _: &[String],
        record: &csv::StringRecord,
    ) -> Result<RawRow, RowError> {
        let mut row = RawRow {
            number,
            ..Default::default()
        };
        for (value, column) in record.iter().zip(self.map.iter()) {
            if !value.is_empty() {
                row.values[*column] = Some(value.to_string());
            }
        }
        Ok(row)
    }

    fn json_row(
        &self,
        number: u64,
        object: serde_json::Map<String, serde_json::Value>,
    ) -> Result<RawRow, RowError> {
        json_row(object, number)
    }
}

fn json_row(
    map: serde_json::Map<String, serde_json::Value>,
    number: u64,
) -> Result<RawRow, RowError> {
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
    use crate::bulk::model::ImportFormat;
    use crate::bulk::reader::RowReader;

    fn open(
        text: &str,
        format: ImportFormat,
    ) -> Result<RowReader<&[u8], ApplicationShape>, FileProblem> {
        RowReader::open(
            text.as_bytes(),
            format,
            ApplicationShape::new(false),
            crate::config::DEFAULT_MAX_IMPORT_ROW_BYTES,
        )
    }

    #[test]
    fn csv_headers_are_checked_and_rows_keep_their_numbers() {
        assert!(open("opening_code,nik\nA,1\n", ImportFormat::Csv).is_err());
        let header = REQUIRED_COLUMNS.join(",");
        let unknown = format!("{header},shoe_size\n");
        let problem = open(&unknown, ImportFormat::Csv).err().unwrap();
        assert_eq!(problem, FileProblem::invalid("unknown columns: shoe_size"));
        let twice = format!("{header},nik\n");
        assert_eq!(
            open(&twice, ImportFormat::Csv).err().unwrap(),
            FileProblem::invalid("the column nik appears twice")
        );
        let file = format!(
            "{header}\n{}\nbroken\n",
            vec!["x"; REQUIRED_COLUMNS.len()].join(",")
        );
        let mut source = open(&file, ImportFormat::Csv).unwrap();
        let first = source.next_row().unwrap().unwrap();
        assert_eq!((first.number, first.values[0].as_deref()), (1, Some("x")));
        let second = source.next_row().unwrap().unwrap_err();
        assert_eq!((second.row, second.code.as_str()), (2, "malformed_row"));
        assert!(source.next_row().is_none());
    }

    #[test]
    fn json_lines_map_numbers_and_lists_and_report_bad_lines() {
        let text = "{\"gpa_x100\": 352, \"certificates\": [\"A\", \"B\"]}\n\nnot json\n{\"shoe_size\": 44}\n";
        let mut source = open(text, ImportFormat::Jsonl).unwrap();
        let row = source.next_row().unwrap().unwrap();
        assert_eq!(row.values[12].as_deref(), Some("352"));
        assert_eq!(row.values[13].as_deref(), Some("A;B"));
        assert_eq!(source.next_row().unwrap().unwrap_err().row, 3);
        let unknown = source.next_row().unwrap().unwrap_err();
        assert_eq!((unknown.row, unknown.code.as_str()), (4, "unknown_field"));
        assert!(source.next_row().is_none());
    }
}

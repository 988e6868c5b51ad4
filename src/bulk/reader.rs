//! Reads the rows of an import file, CSV with a header or JSON Lines, one at a time without
//! reading the file whole and without holding more than `MAX_IMPORT_ROW_BYTES` of one row (see
//! [`super::records`]). What a row means is the importer's [`RowShape`]; numbering, the header's
//! clean-up, blank lines and rows that cannot be read or stored are handled here once for every
//! importer: a row too long (`row_too_long`), not UTF-8 or holding text no database stores
//! (`invalid_text`), broken CSV or not one JSON object (`malformed_row`), a JSON object naming a
//! key twice (`duplicate_key`).

use std::io::{BufReader, Read};

use super::model::{FileProblem, ImportFormat, RowError};
use super::records::{Record, Records, Syntax};
use crate::db::text;
use crate::http::json::{self, JsonProblem};

/// What one importer's rows look like, in either format.
pub trait RowShape {
    type Row: Send;

    /// Accepts or refuses the CSV header (each name trimmed, a byte-order mark removed).
    fn check_header(&mut self, header: &[String]) -> Result<(), FileProblem>;

    /// One CSV record, its cells in the order of the accepted header (as many as it has).
    fn csv_row(
        &self,
        number: u64,
        header: &[String],
        record: &csv::StringRecord,
    ) -> Result<Self::Row, RowError>;

    /// One JSON Lines object.
    fn json_row(
        &self,
        number: u64,
        object: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self::Row, RowError>;
}

/// The rows of one file, numbered from 1 in file order (the CSV header and blank CSV lines are
/// not data rows; a blank JSON line keeps its number so that reports match the editor's lines).
pub struct RowReader<R: Read, S: RowShape> {
    records: Records<BufReader<R>>,
    decoder: Decoder<S>,
    number: u64,
    /// The file could not be read further: the rows end.
    broken: bool,
}

/// Turns one record's bytes into the shape's row.
struct Decoder<S> {
    shape: S,
    format: ImportFormat,
    header: Vec<String>,
    /// Parses one CSV record at a time (the records reader has found where it ends).
    csv: csv::ReaderBuilder,
    record: csv::StringRecord,
    max_row_bytes: usize,
}

impl<R: Read, S: RowShape> RowReader<R, S> {
    /// Opens the file; a CSV header the shape refuses (or one longer than `max_row_bytes`)
    /// refuses the whole file.
    pub fn open(
        input: R,
        format: ImportFormat,
        mut shape: S,
        max_row_bytes: usize,
    ) -> Result<Self, FileProblem> {
        let syntax = match format {
            ImportFormat::Csv => Syntax::Csv,
            ImportFormat::Jsonl => Syntax::Lines,
        };
        let input = BufReader::with_capacity(1 << 16, input);
        let mut records = Records::new(input, syntax, max_row_bytes);
        let mut csv = csv::ReaderBuilder::new();
        csv.has_headers(false).flexible(true);
        let header = match format {
            ImportFormat::Csv => read_header(&mut records, &csv, max_row_bytes)?,
            ImportFormat::Jsonl => Vec::new(),
        };
        if format == ImportFormat::Csv {
            shape.check_header(&header)?;
        }
        let decoder = Decoder {
            shape,
            format,
            header,
            csv,
            record: csv::StringRecord::new(),
            max_row_bytes,
        };
        Ok(Self {
            records,
            decoder,
            number: 0,
            broken: false,
        })
    }

    /// The next row, or `None` at the end. A row that cannot be read is an `Err` for that row.
    pub fn next_row(&mut self) -> Option<Result<S::Row, RowError>> {
        if self.broken {
            return None;
        }
        loop {
            let record = match self.records.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => return None,
                Err(e) => {
                    self.broken = true;
                    self.number += 1;
                    let message = format!("the file cannot be read further: {e}");
                    return Some(Err(RowError::malformed(self.number, message)));
                }
            };
            let format = self.decoder.format;
            let blank = matches!(record, Record::Fits(bytes) if is_blank(format, bytes));
            if blank && format == ImportFormat::Csv {
                continue;
            }
            self.number += 1;
            if !blank {
                return Some(self.decoder.row(self.number, record));
            }
        }
    }
}

impl<R: Read, S: RowShape> Iterator for RowReader<R, S> {
    type Item = Result<S::Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

/// A line that is no row: empty in CSV (as the csv crate skips it), white space in JSON Lines.
fn is_blank(format: ImportFormat, bytes: &[u8]) -> bool {
    match format {
        ImportFormat::Csv => bytes.is_empty(),
        ImportFormat::Jsonl => bytes.iter().all(u8::is_ascii_whitespace),
    }
}

/// The first record that is not blank, as trimmed names (none in an empty file).
fn read_header<R: std::io::BufRead>(
    records: &mut Records<R>,
    csv: &csv::ReaderBuilder,
    max_row_bytes: usize,
) -> Result<Vec<String>, FileProblem> {
    let unreadable = |e: &dyn std::fmt::Display| {
        FileProblem::invalid(format!("the CSV header cannot be read: {e}"))
    };
    loop {
        let bytes = match records.next_record().map_err(|e| unreadable(&e))? {
            None => return Ok(Vec::new()),
            Some(Record::TooLong) => {
                return Err(FileProblem::invalid(format!(
                    "the CSV header is longer than {max_row_bytes} bytes (MAX_IMPORT_ROW_BYTES)"
                )));
            }
            Some(Record::Fits([])) => continue,
            Some(Record::Fits(bytes)) => bytes,
        };
        let mut record = csv::StringRecord::new();
        csv.from_reader(bytes)
            .read_record(&mut record)
            .map_err(|e| unreadable(&e))?;
        return Ok(record
            .iter()
            .map(|name| name.trim().trim_start_matches('\u{feff}').to_string())
            .collect());
    }
}

impl<S: RowShape> Decoder<S> {
    fn row(&mut self, number: u64, record: Record) -> Result<S::Row, RowError> {
        let bytes = match record {
            Record::Fits(bytes) => bytes,
            Record::TooLong => return Err(RowError::too_long(number, self.max_row_bytes)),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| {
            RowError::invalid_text(number, "row", "the row is not valid UTF-8 text")
        })?;
        match self.format {
            ImportFormat::Csv => self.csv_row(number, text),
            ImportFormat::Jsonl => {
                let object = json_object(text, number)?;
                if let Some((field, why)) = json::unstorable_in_object(&object) {
                    return Err(RowError::invalid_text(number, &field, why));
                }
                self.shape.json_row(number, object)
            }
        }
    }

    fn csv_row(&mut self, number: u64, text: &str) -> Result<S::Row, RowError> {
        self.csv
            .from_reader(text.as_bytes())
            .read_record(&mut self.record)
            .map_err(|e| RowError::malformed(number, format!("the row cannot be read: {e}")))?;
        if self.record.len() != self.header.len() {
            return Err(RowError::malformed(
                number,
                format!(
                    "the row has {} fields, the header {}",
                    self.record.len(),
                    self.header.len()
                ),
            ));
        }
        let refused = self
            .record
            .iter()
            .zip(&self.header)
            .find_map(|(cell, name)| {
                text::refusal(cell).map(|why| RowError::invalid_text(number, name, why))
            });
        match refused {
            Some(error) => Err(error),
            None => self.shape.csv_row(number, &self.header, &self.record),
        }
    }
}

fn json_object(
    line: &str,
    number: u64,
) -> Result<serde_json::Map<String, serde_json::Value>, RowError> {
    match json::parse_value(line.as_bytes()) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        Ok(_) => Err(RowError::malformed(
            number,
            "each line must be a JSON object",
        )),
        Err(JsonProblem::Syntax(e)) => Err(RowError::malformed(number, format!("not JSON: {e}"))),
        Err(JsonProblem::DuplicateKey(key)) => Err(RowError::new(
            number,
            &key,
            "duplicate_key",
            "the line names this key more than once",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 64 * 1024;

    /// Rows as `(column, value)` pairs, for testing the reader alone.
    struct Pairs;

    impl RowShape for Pairs {
        type Row = Vec<(String, String)>;

        fn check_header(&mut self, header: &[String]) -> Result<(), FileProblem> {
            match header.iter().any(|h| h == "bad") {
                true => Err(FileProblem::invalid("bad header")),
                false => Ok(()),
            }
        }

        fn csv_row(
            &self,
            _: u64,
            header: &[String],
            record: &csv::StringRecord,
        ) -> Result<Self::Row, RowError> {
            Ok(header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect())
        }

        fn json_row(
            &self,
            _: u64,
            object: serde_json::Map<String, serde_json::Value>,
        ) -> Result<Self::Row, RowError> {
            Ok(object
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect())
        }
    }

    #[test]
    fn csv_headers_are_cleaned_checked_and_rows_numbered() {
        assert_eq!(
            RowReader::open("a,bad\n".as_bytes(), ImportFormat::Csv, Pairs, LIMIT).err(),
            Some(FileProblem::invalid("bad header"))
        );
        let file = "\u{feff} a ,b\n1,2\n\"broken\n";
        let mut reader = RowReader::open(file.as_bytes(), ImportFormat::Csv, Pairs, LIMIT).unwrap();
        let first = reader.next_row().unwrap().unwrap();
        assert_eq!(
            first,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        let broken = reader.next_row().unwrap().unwrap_err();
        assert_eq!((broken.row, broken.code.as_str()), (2, "malformed_row"));
        assert!(reader.next_row().is_none());
    }

    #[test]
    fn json_lines_skip_blank_lines_but_keep_their_numbers() {
        let file = "{\"a\": 1}\n\n[1]\nnot json\n{\"b\": \"x\"}\n";
        let rows: Vec<_> = RowReader::open(file.as_bytes(), ImportFormat::Jsonl, Pairs, LIMIT)
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0].as_ref().unwrap(),
            &vec![("a".to_string(), "1".to_string())]
        );
        let numbers: Vec<u64> = rows[1..3]
            .iter()
            .map(|r| r.as_ref().unwrap_err().row)
            .collect();
        assert_eq!(numbers, vec![3, 4]);
        assert_eq!(rows[3].as_ref().unwrap()[0].0, "b");
    }

    #[test]
    fn rows_too_long_not_utf8_or_with_nul_are_refused_alone() {
        let long = "x".repeat(100);
        let file = format!("a,b\n1,{long}\n2,\"q\nq\"\n3,x\u{0}y\n4,\n5,6\n");
        let mut bytes = file.into_bytes();
        let at = bytes.windows(3).position(|w| w == b"\n4,").unwrap() + 3;
        bytes.insert(at, 0xff);
        let rows: Vec<_> = RowReader::open(bytes.as_slice(), ImportFormat::Csv, Pairs, 20)
            .unwrap()
            .collect();
        let outcome: Vec<(u64, String)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| match r {
                Ok(row) => (i as u64 + 1, row[1].1.clone()),
                Err(e) => (e.row, e.code.clone()),
            })
            .collect();
        assert_eq!(
            outcome,
            [
                (1, "row_too_long".to_string()),
                (2, "q\nq".to_string()),
                (3, "invalid_text".to_string()),
                (4, "invalid_text".to_string()),
                (5, "6".to_string()),
            ]
        );
        let nul_field = rows[2].as_ref().unwrap_err();
        assert_eq!(nul_field.field, "b");
    }

    #[test]
    fn json_lines_too_long_with_a_key_twice_or_nul_are_row_errors() {
        let file = format!(
            "{{\"a\": \"{}\"}}\n{{\"a\": 1, \"a\": 2}}\n{{\"k\": \"\\u0000\"}}\n{{\"a\": 3}}\n",
            "x".repeat(100)
        );
        let codes: Vec<(u64, String, String)> =
            RowReader::open(file.as_bytes(), ImportFormat::Jsonl, Pairs, 40)
                .unwrap()
                .map(|r| match r {
                    Ok(row) => (0, row[0].0.clone(), row[0].1.clone()),
                    Err(e) => (e.row, e.field, e.code),
                })
                .collect();
        assert_eq!(
            codes,
            [
                (1, "row".to_string(), "row_too_long".to_string()),
                (2, "a".to_string(), "duplicate_key".to_string()),
                (3, "k".to_string(), "invalid_text".to_string()),
                (0, "a".to_string(), "3".to_string()),
            ]
        );
    }
}

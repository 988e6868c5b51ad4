//! Reads the rows of an import file, CSV with a header or JSON Lines, one at a time without
//! reading the file whole. What a row means is the importer's [`RowShape`]; numbering, the
//! header's clean-up, blank lines and unreadable rows are handled here once for every importer.

use std::io::{BufRead, BufReader, Read};

use super::model::{FileProblem, ImportFormat, RowError};

/// What one importer's rows look like, in either format.
pub trait RowShape {
    type Row: Send;

    /// Accepts or refuses the CSV header (each name trimmed, a byte-order mark removed).
    fn check_header(&mut self, header: &[String]) -> Result<(), FileProblem>;

    /// One CSV record, its cells in the order of the accepted header.
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

enum Input<R: Read> {
    Csv {
        reader: csv::Reader<R>,
        header: Vec<String>,
        record: csv::StringRecord,
    },
    Jsonl {
        reader: BufReader<R>,
        line: String,
    },
}

/// The rows of one file, numbered from 1 in file order (the CSV header and blank JSON lines are
/// not data rows, but a blank line keeps its number so that reports match the editor's lines).
pub struct RowReader<R: Read, S: RowShape> {
    shape: S,
    input: Input<R>,
    number: u64,
}

impl<R: Read, S: RowShape> RowReader<R, S> {
    /// Opens the file; a CSV header the shape refuses refuses the whole file.
    pub fn open(input: R, format: ImportFormat, mut shape: S) -> Result<Self, FileProblem> {
        let input = match format {
            ImportFormat::Jsonl => Input::Jsonl {
                reader: BufReader::with_capacity(1 << 16, input),
                line: String::new(),
            },
            ImportFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(input);
                let header: Vec<String> = reader
                    .headers()
                    .map_err(|e| {
                        FileProblem::invalid(format!("the CSV header cannot be read: {e}"))
                    })?
                    .iter()
                    .map(|name| name.trim().trim_start_matches('\u{feff}').to_string())
                    .collect();
                shape.check_header(&header)?;
                Input::Csv {
                    reader,
                    header,
                    record: csv::StringRecord::new(),
                }
            }
        };
        Ok(Self {
            shape,
            input,
            number: 0,
        })
    }

    /// The next row, or `None` at the end. A row that cannot be read is an `Err` for that row.
    pub fn next_row(&mut self) -> Option<Result<S::Row, RowError>> {
        match &mut self.input {
            Input::Csv {
                reader,
                header,
                record,
            } => {
                self.number += 1;
                match reader.read_record(record) {
                    Ok(false) => None,
                    Ok(true) => Some(self.shape.csv_row(self.number, header, record)),
                    Err(e) => Some(Err(RowError::malformed(
                        self.number,
                        format!("the row cannot be read: {e}"),
                    ))),
                }
            }
            Input::Jsonl { reader, line } => loop {
                line.clear();
                self.number += 1;
                match reader.read_line(line) {
                    Ok(0) => return None,
                    Ok(_) if line.trim().is_empty() => continue,
                    Ok(_) => {
                        return Some(
                            json_object(line, self.number)
                                .and_then(|object| self.shape.json_row(self.number, object)),
                        );
                    }
                    Err(e) => {
                        return Some(Err(RowError::malformed(
                            self.number,
                            format!("the line cannot be read: {e}"),
                        )));
                    }
                }
            },
        }
    }
}

impl<R: Read, S: RowShape> Iterator for RowReader<R, S> {
    type Item = Result<S::Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

fn json_object(
    line: &str,
    number: u64,
) -> Result<serde_json::Map<String, serde_json::Value>, RowError> {
    match serde_json::from_str(line) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        Ok(_) => Err(RowError::malformed(
            number,
            "each line must be a JSON object",
        )),
        Err(e) => Err(RowError::malformed(number, format!("not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            RowReader::open("a,bad\n".as_bytes(), ImportFormat::Csv, Pairs).err(),
            Some(FileProblem::invalid("bad header"))
        );
        let file = "\u{feff} a ,b\n1,2\n\"broken\n";
        let mut reader = RowReader::open(file.as_bytes(), ImportFormat::Csv, Pairs).unwrap();
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
        let rows: Vec<_> = RowReader::open(file.as_bytes(), ImportFormat::Jsonl, Pairs)
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
}

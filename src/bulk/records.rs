//! Splits an import file into its records without ever holding more than the row limit of one:
//! a record that grows past it is skipped to its end as it streams by, so memory stays flat
//! whatever the file holds. JSON Lines records end at `\n`; CSV records end at `\n`, `\r\n` or
//! `\r` outside a quoted field, so a quoted field may hold a line break, and its bytes count
//! towards the limit like any other.

use std::io::{self, BufRead};

/// How records end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// One record a line.
    Lines,
    /// RFC 4180: a line break inside double quotes belongs to the field.
    Csv,
}

/// One record, without its line ending.
#[derive(Debug, PartialEq, Eq)]
pub enum Record<'a> {
    Fits(&'a [u8]),
    /// Longer than the limit; its bytes were skipped.
    TooLong,
}

/// Where the CSV scanner stands in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Start,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first half of `""`.
    QuoteInQuoted,
}

/// The records of one file, each at most `max` bytes.
pub struct Records<R> {
    input: R,
    held: Held,
}

/// The current record so far, and where the scanner stands in it.
struct Held {
    syntax: Syntax,
    max: usize,
    record: Vec<u8>,
    field: Field,
}

impl<R: BufRead> Records<R> {
    pub fn new(input: R, syntax: Syntax, max: usize) -> Self {
        Self {
            input,
            held: Held {
                syntax,
                max,
                record: Vec::new(),
                field: Field::Start,
            },
        }
    }

    /// The next record, or `None` at the end of the file. An empty line is a record of no bytes.
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        let held = &mut self.held;
        held.record.clear();
        held.field = Field::Start;
        let (mut too_long, mut any) = (false, false);
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(any.then(|| held.finished(too_long)));
            }
            any = true;
            let end = held.end_in(chunk);
            let part = &chunk[..end.unwrap_or(chunk.len())];
            too_long = too_long || held.record.len() + part.len() > held.max;
            if too_long {
                held.record = Vec::new();
            } else {
                held.hold(part);
            }
            let used = end.map_or(part.len(), |e| e + 1);
            self.input.consume(used);
            if end.is_some() {
                return Ok(Some(held.finished(too_long)));
            }
        }
    }

    /// Bytes held for the current record (never more than the limit).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held.record.capacity()
    }
}

impl Held {
    /// Appends to the record, growing it no further than the limit.
    fn hold(&mut self, part: &[u8]) {
        let needed = self.record.len() + part.len();
        if needed > self.record.capacity() {
            let target = (self.record.capacity() * 2).clamp(needed, self.max);
            self.record.reserve_exact(target - self.record.len());
        }
        self.record.extend_from_slice(part);
    }

    fn finished(&self, too_long: bool) -> Record<'_> {
        match too_long {
            true => Record::TooLong,
            false => Record::Fits(&self.record),
        }
    }

    /// Where the record ends in `chunk` (the index of its line-ending byte), if it does.
    fn end_in(&mut self, chunk: &[u8]) -> Option<usize> {
        match self.syntax {
            Syntax::Lines => chunk.iter().position(|b| *b == b'\n'),
            Syntax::Csv => chunk.iter().position(|b| self.csv_ends_at(*b)),
        }
    }

    /// Moves the CSV scanner over one byte; true when the byte ends the record.
    fn csv_ends_at(&mut self, byte: u8) -> bool {
        let (next, ends) = match (self.field, byte) {
            (Field::Quoted, b'"') => (Field::QuoteInQuoted, false),
            (Field::Quoted, _) => (Field::Quoted, false),
            (_, b'\n' | b'\r') => (Field::Start, true),
            (_, b',') => (Field::Start, false),
            (Field::Start, b'"') => (Field::Quoted, false),
            (Field::QuoteInQuoted, b'"') => (Field::Quoted, false),
            _ => (Field::Unquoted, false),
        };
        self.field = next;
        ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8], syntax: Syntax, max: usize) -> Vec<Option<String>> {
        let mut records = Records::new(text, syntax, max);
        let mut out = Vec::new();
        while let Some(record) = records.next_record().unwrap() {
            out.push(match record {
                Record::Fits(bytes) => Some(String::from_utf8(bytes.to_vec()).unwrap()),
                Record::TooLong => None,
            });
        }
        out
    }

    fn some(texts: &[&str]) -> Vec<Option<String>> {
        texts.iter().map(|t| Some(t.to_string())).collect()
    }

    #[test]
    fn lines_end_at_line_feeds_and_the_last_needs_none() {
        assert_eq!(
            all(b"a\n\nb\r\nc", Syntax::Lines, 10),
            some(&["a", "", "b\r", "c"])
        );
        assert_eq!(all(b"", Syntax::Lines, 10), Vec::<Option<String>>::new());
        assert_eq!(all(b"12345\n123456\n1", Syntax::Lines, 5)[1], None);
    }

    #[test]
    fn csv_records_keep_quoted_line_breaks_and_end_at_any_line_break() {
        let text = b"a,\"x\ny\",b\r\nc,\"q\"\"\n\"\rd\"e\n,\"\"\n";
        assert_eq!(
            all(text, Syntax::Csv, 100),
            some(&["a,\"x\ny\",b", "", "c,\"q\"\"\n\"", "d\"e", ",\"\""])
        );
    }

    /// A reader that hands out `len` bytes of `x` in 8 KiB reads, then `tail`.
    struct Endless {
        left: usize,
        tail: &'static [u8],
    }

    impl io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left == 0 {
                let n = self.tail.len().min(buf.len());
                buf[..n].copy_from_slice(&self.tail[..n]);
                self.tail = &self.tail[n..];
                return Ok(n);
            }
            let n = self.left.min(buf.len()).min(8192);
            buf[..n].fill(b'x');
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_record_over_the_limit_is_skipped_without_being_held() {
        for syntax in [Syntax::Lines, Syntax::Csv] {
            let input = io::BufReader::with_capacity(
                8192,
                Endless {
                    left: 50 * 1024 * 1024,
                    tail: b"\nnext\n",
                },
            );
            let mut records = Records::new(input, syntax, 1024);
            assert_eq!(records.next_record().unwrap(), Some(Record::TooLong));
            assert!(records.held() <= 1024, "held {} bytes", records.held());
            assert_eq!(
                records.next_record().unwrap(),
                Some(Record::Fits(b"next".as_slice()))
            );
            assert_eq!(records.next_record().unwrap(), None);
        }
    }

    #[test]
    fn a_record_of_exactly_the_limit_fits() {
        assert_eq!(
            all(b"1234\n12345", Syntax::Csv, 4),
            vec![Some("1234".into()), None]
        );
    }
}

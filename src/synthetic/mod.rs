//! Deterministic synthetic applicant rows (CSV or JSON Lines) for bulk-import benchmarks and tests.
//!
//! Everything is drawn from one ChaCha8 stream seeded by `seed`, in a fixed order per row, using
//! integer arithmetic and exact float operations only (no `ln`/`exp`), so the same options give
//! byte-identical output on every platform. Defective rows are chosen by hashing the row index,
//! outside that stream, so turning `invalid_per_mille` on changes only the defective rows.
//!
//! `data` holds the embedded reference tables, `names` draws names from them, `nik` the NIK
//! layout, `row` the row buffers and their JSON shape, `generator` the per-row draws and defects.

mod data;
mod generator;
mod names;
mod nik;
mod row;
#[cfg(test)]
mod tests;

use std::io::{self, Write};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use generator::Generator;

pub use nik::nik_date_part;

/// The import columns, in order (JSON Lines objects use the same keys).
pub const HEADER: [&str; 14] = [
    "opening_code",
    "nik",
    "kk",
    "full_name",
    "birth_date",
    "sex",
    "region_of_origin",
    "email",
    "phone",
    "seat_group",
    "education_level",
    "education_field",
    "gpa_x100",
    "certificates",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub rows: u64,
    pub seed: u64,
    /// Opening codes run from `{prefix}-00001` to `{prefix}-{openings:05}`; must be at least 1.
    pub openings: u32,
    pub opening_prefix: String,
    pub format: Format,
    /// Rows per thousand with exactly one defect (0..=1000); exact in every full block of 1000 rows.
    pub invalid_per_mille: u32,
}

impl Default for GenOptions {
    fn default() -> Self {
        Self {
            rows: 1000,
            seed: 1,
            openings: 100,
            opening_prefix: "GEN".into(),
            format: Format::Csv,
            invalid_per_mille: 0,
        }
    }
}

/// Writes the header (CSV) and `rows` rows; returns rows written. Same options → byte-identical output.
pub fn write_applicants(out: impl Write, options: &GenOptions) -> io::Result<u64> {
    let mut generator = Generator::new(options)?;
    match options.format {
        Format::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(out);
            writer.write_record(HEADER)?;
            let mut gpa = String::with_capacity(4);
            for index in 0..options.rows {
                generator.next_row(index);
                let row = &generator.row;
                gpa.clear();
                push_num(&mut gpa, u64::from(row.gpa_x100), 1);
                writer.write_record([
                    row.opening_code.as_bytes(),
                    row.nik.as_bytes(),
                    row.kk.as_bytes(),
                    row.full_name.as_bytes(),
                    row.birth_date.as_bytes(),
                    row.sex.as_bytes(),
                    row.region_of_origin.as_bytes(),
                    row.email.as_bytes(),
                    row.phone.as_bytes(),
                    row.seat_group.as_bytes(),
                    row.education_level.as_bytes(),
                    row.education_field.as_bytes(),
                    gpa.as_bytes(),
                    row.certificates
                        .join_with_semicolons(&mut generator.scratch),
                ])?;
            }
            writer.flush()?;
        }
        Format::Jsonl => {
            let mut writer = io::BufWriter::with_capacity(1 << 16, out);
            for index in 0..options.rows {
                generator.next_row(index);
                serde_json::to_writer(&mut writer, &generator.row.view())?;
                writer.write_all(b"\n")?;
            }
            writer.flush()?;
        }
    }
    Ok(options.rows)
}

/// Appends `value` in decimal, zero-padded to `width` digits (no `fmt` machinery: this is the hot path).
fn push_num(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(width));
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// SplitMix64: a fixed, platform-independent hash for choices made outside the row stream.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A weighted table sampled with one integer draw.
struct Table<T> {
    items: Vec<T>,
    cumulative: Vec<u32>,
}

impl<T: Copy> Table<T> {
    /// `weighted` must not be empty (all tables are constants below).
    fn new(weighted: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut sum = 0;
        let (items, cumulative) = weighted
            .into_iter()
            .map(|(item, weight)| {
                sum += weight;
                (item, sum)
            })
            .unzip();
        Self { items, cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> T {
        let total = self.cumulative.last().copied().unwrap_or(0).max(1);
        let x = rng.random_range(0..total);
        let at = self.cumulative.partition_point(|&c| c <= x);
        self.items[at.min(self.items.len() - 1)]
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

//! Deterministic synthetic applicant rows (CSV or JSON Lines) for bulk-import benchmarks and tests.
//!
//! Everything is drawn from one ChaCha8 stream seeded by `seed`, in a fixed order per row, using
//! integer arithmetic and exact float operations only (no `ln`/`exp`), so the same options give
//! byte-identical output on every platform. Defective rows are chosen by hashing the row index,
//! outside that stream, so turning `invalid_per_mille` on changes only the defective rows.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use data::{
    AGES, CERTIFICATES, EMAIL_DOMAINS, LEVELS, Level, MAX_AGE, PAPUA_WEIGHTS, PHONE_PREFIXES,
    PROVINCES, REMOTE_WEIGHTS, SEAT_GROUPS, UNKNOWN_SEAT_GROUPS,
};

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

/// The NIK date part for a birth date and sex (DDMMYY, DD + 40 for women) — shared with validation.
pub fn nik_date_part(birth: NaiveDate, female: bool) -> String {
    let mut part = String::with_capacity(6);
    push_nik_date_part(&mut part, birth, female);
    part
}

fn push_nik_date_part(out: &mut String, birth: NaiveDate, female: bool) {
    let day = birth.day() + if female { 40 } else { 0 };
    push_num(out, u64::from(day), 2);
    push_num(out, u64::from(birth.month()), 2);
    push_num(
        out,
        u64::from(birth.year().rem_euclid(100).unsigned_abs()),
        2,
    );
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

/// A table over some provinces, given by code, for seat groups tied to a region.
fn province_subset(weights: &[(u64, u32)]) -> Table<usize> {
    Table::new(weights.iter().filter_map(|&(code, weight)| {
        PROVINCES
            .iter()
            .position(|p| p.0 == code)
            .map(|i| (i, weight))
    }))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn invalid_input(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}

/// Region codes per province: regency 01..=40 × district 01..=30 × serial 0001..=9999.
const NIKS_PER_PROVINCE: u64 = 40 * 30 * 9999;
/// Coprime with `NIKS_PER_PROVINCE`, so `counter × A + offset` visits every (region, serial) once.
const NIK_SCRAMBLE: u64 = 7_368_787;
/// Ages are completed years on this date.
const AGE_REFERENCE: (i32, u32, u32) = (2024, 8, 1);
const MIN_AGE: u32 = 18;

#[derive(Debug, Clone, Copy)]
enum Defect {
    NikDateMismatch,
    NikFifteenDigits,
    GpaOutOfRange,
    EmailWithoutAt,
    UnknownSeatGroup,
    EmptyName,
}

const DEFECTS: [Defect; 6] = [
    Defect::NikDateMismatch,
    Defect::NikFifteenDigits,
    Defect::GpaOutOfRange,
    Defect::EmailWithoutAt,
    Defect::UnknownSeatGroup,
    Defect::EmptyName,
];

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

/// Up to two certificates, held without allocation.
#[derive(Default)]
struct Certificates {
    items: [&'static str; 2],
    len: usize,
}

impl Certificates {
    fn as_slice(&self) -> &[&'static str] {
        &self.items[..self.len]
    }

    fn join_with_semicolons<'s>(&self, scratch: &'s mut String) -> &'s [u8] {
        scratch.clear();
        for (i, item) in self.as_slice().iter().enumerate() {
            if i > 0 {
                scratch.push(';');
            }
            scratch.push_str(item);
        }
        scratch.as_bytes()
    }
}

/// One row, its buffers reused from row to row.
#[derive(Default)]
struct Row {
    opening_code: String,
    nik: String,
    kk: String,
    full_name: String,
    birth_date: String,
    sex: &'static str,
    region_of_origin: &'static str,
    email: String,
    phone: String,
    seat_group: &'static str,
    education_level: &'static str,
    education_field: &'static str,
    gpa_x100: u32,
    certificates: Certificates,
}

/// The JSON Lines shape: the CSV columns in the same order, `certificates` as an array.
#[derive(Serialize)]
struct RowView<'a> {
    opening_code: &'a str,
    nik: &'a str,
    kk: &'a str,
    full_name: &'a str,
    birth_date: &'a str,
    sex: &'a str,
    region_of_origin: &'a str,
    email: &'a str,
    phone: &'a str,
    seat_group: &'a str,
    education_level: &'a str,
    education_field: &'a str,
    gpa_x100: u32,
    certificates: &'a [&'static str],
}

impl Row {
    fn view(&self) -> RowView<'_> {
        RowView {
            opening_code: &self.opening_code,
            nik: &self.nik,
            kk: &self.kk,
            full_name: &self.full_name,
            birth_date: &self.birth_date,
            sex: self.sex,
            region_of_origin: self.region_of_origin,
            email: &self.email,
            phone: &self.phone,
            seat_group: self.seat_group,
            education_level: self.education_level,
            education_field: self.education_field,
            gpa_x100: self.gpa_x100,
            certificates: self.certificates.as_slice(),
        }
    }
}

struct Generator<'o> {
    options: &'o GenOptions,
    rng: ChaCha8Rng,
    provinces: Table<usize>,
    papua_provinces: Table<usize>,
    remote_provinces: Table<usize>,
    seat_groups: Table<&'static str>,
    levels: Table<Level>,
    /// Fields of study per level, indexed by `Level as usize`.
    fields: Vec<Table<&'static str>>,
    domains: Table<&'static str>,
    ages: Table<u32>,
    names: Names,
    /// Per age: first possible birth day (days from CE) and the number of possible days.
    birth_windows: Vec<(i32, u32)>,
    /// Family cards in the file were issued from 2005 to 2023.
    kk_first_issue_day: i32,
    kk_issue_span_days: i32,
    province_used: [u64; PROVINCES.len()],
    province_offset: [u64; PROVINCES.len()],
    opening_step: u64,
    opening_offset: u64,
    row: Row,
    scratch: String,
    /// The block of 1000 rows `defective` describes, and the buffer that chose it.
    defect_block: Option<u64>,
    defective: Vec<bool>,
    defect_keys: Vec<(u64, u16)>,
}

impl<'o> Generator<'o> {
    fn new(options: &'o GenOptions) -> io::Result<Self> {
        if options.openings == 0 {
            return Err(invalid_input("openings must be at least 1"));
        }
        if options.invalid_per_mille > 1000 {
            return Err(invalid_input("invalid_per_mille must be at most 1000"));
        }
        if options.rows > NIKS_PER_PROVINCE * PROVINCES.len() as u64 {
            return Err(invalid_input("too many rows for unique NIKs"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let openings = u64::from(options.openings);
        // A step coprime with the count turns popularity rank into a scattered opening number.
        let mut opening_step = (openings * 618 / 1000).max(1);
        while gcd(opening_step, openings) != 1 {
            opening_step += 1;
        }
        let opening_offset = rng.random_range(0..openings);
        let province_offset = std::array::from_fn(|_| rng.random_range(0..NIKS_PER_PROVINCE));
        let (y, m, d) = AGE_REFERENCE;
        let birth_windows = (MIN_AGE..=MAX_AGE)
            .map(|age| {
                let year = y - age as i32;
                let last = NaiveDate::from_ymd_opt(year, m, d);
                let first = NaiveDate::from_ymd_opt(year - 1, m, d).and_then(|x| x.succ_opt());
                match (first, last) {
                    (Some(first), Some(last)) => (
                        first.num_days_from_ce(),
                        (last.num_days_from_ce() - first.num_days_from_ce() + 1).unsigned_abs(),
                    ),
                    _ => (0, 1),
                }
            })
            .collect();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).map_or(0, |x| x.num_days_from_ce());
        let (kk_first_issue_day, kk_last_issue_day) = (day(2005, 1, 1), day(2024, 1, 1));
        Ok(Self {
            options,
            rng,
            provinces: Table::new(PROVINCES.iter().enumerate().map(|(i, p)| (i, p.2))),
            papua_provinces: province_subset(PAPUA_WEIGHTS),
            remote_provinces: province_subset(REMOTE_WEIGHTS),
            seat_groups: Table::new(SEAT_GROUPS.iter().copied()),
            levels: Table::new(LEVELS.iter().copied()),
            fields: Level::ALL
                .iter()
                .map(|l| Table::new(l.fields().iter().copied()))
                .collect(),
            domains: Table::new(EMAIL_DOMAINS.iter().copied()),
            ages: Table::new(AGES.iter().copied()),
            names: Names::new(),
            birth_windows,
            kk_first_issue_day,
            kk_issue_span_days: (kk_last_issue_day - kk_first_issue_day).max(1),
            province_used: [0; PROVINCES.len()],
            province_offset,
            opening_step,
            opening_offset,
            row: Row::default(),
            scratch: String::with_capacity(64),
            defect_block: None,
            defective: vec![false; 1000],
            defect_keys: Vec::with_capacity(1000),
        })
    }

    /// Fills `self.row` with row `index` (0-based); draws from the stream in a fixed order.
    fn next_row(&mut self, index: u64) {
        self.fill_opening();
        let seat_group = self.seat_groups.pick(&mut self.rng);
        self.row.seat_group = seat_group;
        let (birth, female) = self.fill_identity(seat_group);
        self.fill_name_and_contact(index, female);
        self.fill_education(seat_group);
        if let Some(defect) = self.defect_for(index) {
            self.apply(defect, index, birth, female);
        }
    }

    fn fill_opening(&mut self) {
        let openings = u64::from(self.options.openings);
        // Popularity: the cube of a uniform draw puts ~22% of applicants in the top 1% of openings.
        let u: f64 = self.rng.random();
        let rank = ((openings as f64 * u * u * u) as u64).min(openings - 1);
        let opening = (rank * self.opening_step + self.opening_offset) % openings + 1;
        let code = &mut self.row.opening_code;
        code.clear();
        code.push_str(&self.options.opening_prefix);
        code.push('-');
        push_num(code, opening, 5);
    }

    /// Province, sex, birth date, NIK and KK; returns what a NIK defect needs.
    fn fill_identity(&mut self, seat_group: &str) -> (NaiveDate, bool) {
        let (rng, row) = (&mut self.rng, &mut self.row);
        let wanted = match seat_group {
            "papua" => self.papua_provinces.pick(rng),
            "disadvantaged_region" => self.remote_provinces.pick(rng),
            _ => self.provinces.pick(rng),
        };
        // Each province hands out its (region, serial) pairs once; a full one passes to the next.
        let mut province = wanted;
        while self.province_used[province] >= NIKS_PER_PROVINCE {
            province = (province + 1) % PROVINCES.len();
        }
        let slot = (self.province_used[province] * NIK_SCRAMBLE + self.province_offset[province])
            % NIKS_PER_PROVINCE;
        self.province_used[province] += 1;
        let (province_code, province_name, _) = PROVINCES[province];
        row.region_of_origin = province_name;

        let female = rng.random::<bool>();
        row.sex = if female { "female" } else { "male" };
        let age = self.ages.pick(rng);
        let (first_day, days) = self.birth_windows[(age - MIN_AGE) as usize];
        let birth_days = first_day + rng.random_range(0..days) as i32;
        let birth = NaiveDate::from_num_days_from_ce_opt(birth_days).unwrap_or_default();
        row.birth_date.clear();
        push_num(&mut row.birth_date, birth.year().unsigned_abs().into(), 4);
        row.birth_date.push('-');
        push_num(&mut row.birth_date, birth.month().into(), 2);
        row.birth_date.push('-');
        push_num(&mut row.birth_date, birth.day().into(), 2);

        row.nik.clear();
        push_num(&mut row.nik, province_code, 2);
        push_num(&mut row.nik, slot / (30 * 9999) + 1, 2);
        push_num(&mut row.nik, slot / 9999 % 30 + 1, 2);
        push_nik_date_part(&mut row.nik, birth, female);
        push_num(&mut row.nik, slot % 9999 + 1, 4);

        // The family card comes from the same district: region code, issue date, serial.
        row.kk.clear();
        row.kk.push_str(&row.nik[..6]);
        let issued = NaiveDate::from_num_days_from_ce_opt(
            self.kk_first_issue_day + rng.random_range(0..self.kk_issue_span_days),
        )
        .unwrap_or_default();
        push_nik_date_part(&mut row.kk, issued, false);
        push_num(&mut row.kk, rng.random_range(1..=9999), 4);
        (birth, female)
    }

    fn fill_name_and_contact(&mut self, index: u64, female: bool) {
        let (rng, row) = (&mut self.rng, &mut self.row);
        let name = pick_name(rng, &self.names, female);
        row.full_name.clear();
        for (i, part) in name.as_slice().iter().enumerate() {
            if i > 0 {
                row.full_name.push(' ');
            }
            row.full_name.push_str(part);
        }

        let email = &mut row.email;
        email.clear();
        let parts = name.as_slice();
        let (first, last) = (parts[0], parts[parts.len() - 1]);
        let lower =
            |out: &mut String, s: &str| out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        match rng.random_range(0..5u32) {
            0 if parts.len() > 1 => {
                lower(email, first);
                email.push('.');
                lower(email, last);
            }
            1 if parts.len() > 1 => {
                lower(email, first);
                lower(email, last);
            }
            2 if parts.len() > 1 => {
                lower(email, first.get(..1).unwrap_or(first));
                lower(email, last);
            }
            3 => {
                lower(email, first);
                email.push('_');
            }
            _ => lower(email, first),
        }
        // The row number ends the local part, so addresses are unique by construction.
        push_num(email, index + 1, 1);
        email.push('@');
        email.push_str(self.domains.pick(rng));

        row.phone.clear();
        row.phone.push_str("08");
        row.phone.push_str(pick(rng, PHONE_PREFIXES));
        let rest = rng.random_range(7..=9u32);
        let number = rng.random_range(0..10u64.pow(rest));
        push_num(&mut row.phone, number, rest as usize);
    }

    fn fill_education(&mut self, seat_group: &str) {
        let (rng, row) = (&mut self.rng, &mut self.row);
        let level = if seat_group == "cum_laude" {
            self.levels.pick(rng).tertiary()
        } else {
            self.levels.pick(rng)
        };
        row.education_level = level.code();
        row.education_field = self.fields[level as usize].pick(rng);

        // Irwin–Hall of three uniforms: bell-shaped around 330, sd ≈ 22, exact in integers.
        let spread: u32 = (0..3).map(|_| rng.random_range(0..=44u32)).sum();
        let bonus = if level == Level::S2 { 12 } else { 0 };
        row.gpa_x100 = if seat_group == "cum_laude" {
            // Cum laude needs an IPK of at least 3.51.
            351 + rng.random_range(0..=49u32).min(rng.random_range(0..=49u32))
        } else {
            (264 + spread + bonus).clamp(250, 400)
        };

        let certificates = &mut row.certificates;
        certificates.len = 0;
        let count = match rng.random_range(0..100u32) {
            0..85 => 0,
            85..97 => 1,
            _ => 2,
        };
        for _ in 0..count {
            // The profession's own certificate comes first where there is one.
            let certificate = match row.education_field {
                "Keperawatan" if certificates.len == 0 => "STR Perawat",
                field if field.starts_with("Pendidikan") && certificates.len == 0 => {
                    "Sertifikat Pendidik"
                }
                _ => pick(rng, CERTIFICATES),
            };
            if !certificates.as_slice().contains(&certificate) {
                certificates.items[certificates.len] = certificate;
                certificates.len += 1;
            }
        }
    }

    /// Exactly `invalid_per_mille` rows in every block of 1000: those whose hashed position is
    /// among the block's smallest, so they fall irregularly and differently in each block.
    fn defect_for(&mut self, index: u64) -> Option<Defect> {
        let per_mille = self.options.invalid_per_mille as usize;
        if per_mille == 0 {
            return None;
        }
        let seed = mix(self.options.seed ^ 0x5EED_DEFE_C7ED_0001);
        let (block, position) = (index / 1000, (index % 1000) as usize);
        if self.defect_block != Some(block) {
            self.defect_block = Some(block);
            let keys = &mut self.defect_keys;
            keys.clear();
            keys.extend((0..1000u64).map(|p| (mix(seed ^ (block << 10 | p)), p as u16)));
            if per_mille < keys.len() {
                keys.select_nth_unstable(per_mille);
            }
            self.defective.fill(false);
            for &(_, p) in keys.iter().take(per_mille) {
                self.defective[usize::from(p)] = true;
            }
        }
        if !self.defective[position] {
            return None;
        }
        Some(DEFECTS[(mix(seed.rotate_left(17) ^ index) % DEFECTS.len() as u64) as usize])
    }

    fn apply(&mut self, defect: Defect, index: u64, birth: NaiveDate, female: bool) {
        let row = &mut self.row;
        let variant = mix(self.options.seed ^ index.rotate_left(32) ^ 0xA11C_E5ED);
        match defect {
            Defect::NikDateMismatch => {
                // Either the women's +40 is forgotten (or added for a man) or the year is off by one.
                let wrong = if variant.is_multiple_of(2) {
                    nik_date_part(birth, !female)
                } else {
                    let year = birth.year() + if variant % 4 == 1 { 1 } else { -1 };
                    let shifted = birth.with_year(year).or_else(|| birth.pred_opt());
                    nik_date_part(shifted.unwrap_or(birth), female)
                };
                row.nik.replace_range(6..12, &wrong);
            }
            Defect::NikFifteenDigits => {
                row.nik.remove((variant % 16) as usize);
            }
            Defect::GpaOutOfRange => row.gpa_x100 = 450,
            Defect::EmailWithoutAt => row.email = row.email.replace('@', ""),
            Defect::UnknownSeatGroup => {
                row.seat_group = UNKNOWN_SEAT_GROUPS[(variant % 4) as usize];
            }
            Defect::EmptyName => row.full_name.clear(),
        }
    }
}

/// The embedded name lists, split once.
struct Names {
    given: [Vec<&'static str>; 2],
    surnames: [Vec<&'static str>; 2],
    single: [Vec<&'static str>; 2],
    prefixes: [Vec<&'static str>; 2],
    family: Vec<&'static str>,
}

impl Names {
    fn new() -> Self {
        let words = |list: &'static str| list.split_whitespace().collect::<Vec<_>>();
        Self {
            given: [words(data::MALE_GIVEN), words(data::FEMALE_GIVEN)],
            surnames: [words(data::MALE_SURNAMES), words(data::FEMALE_SURNAMES)],
            single: [words(data::MALE_SINGLE), words(data::FEMALE_SINGLE)],
            prefixes: [words(data::MALE_PREFIXES), words(data::FEMALE_PREFIXES)],
            family: words(data::FAMILY_NAMES),
        }
    }
}

/// Up to three name parts.
struct Name {
    parts: [&'static str; 3],
    len: usize,
}

impl Name {
    fn as_slice(&self) -> &[&'static str] {
        &self.parts[..self.len]
    }

    fn push(&mut self, part: &'static str) {
        if self.len < self.parts.len() {
            self.parts[self.len] = part;
            self.len += 1;
        }
    }
}

fn pick_name(rng: &mut ChaCha8Rng, names: &Names, female: bool) -> Name {
    let mut name = Name {
        parts: [""; 3],
        len: 0,
    };
    let sex = usize::from(female);
    let (given, surnames) = (&names.given[sex][..], &names.surnames[sex][..]);
    let (single, prefixes) = (&names.single[sex][..], &names.prefixes[sex][..]);
    let shape = rng.random_range(0..100u32);
    if shape < 4 {
        // Javanese single names: "Sutrisno", "Sulastri".
        name.push(pick(rng, single));
        return name;
    }
    if shape < if female { 16 } else { 24 } {
        name.push(pick(rng, prefixes));
    }
    let first = pick(rng, given);
    name.push(first);
    match rng.random_range(0..100u32) {
        0..55 => name.push(pick(rng, surnames)),
        55..78 => name.push(pick(rng, &names.family)),
        78..92 => {
            let second = pick(rng, given);
            name.push(if second == first {
                pick(rng, surnames)
            } else {
                second
            });
        }
        _ if name.len == 1 => name.push(pick(rng, surnames)),
        _ => {}
    }
    name
}

/// Embedded reference data: provinces, names, fields of study and the mixes the rows follow.
mod data {
    /// Province code (as in the NIK), name, and weight (population in hundred thousands, 2020).
    pub(super) const PROVINCES: [(u64, &str, u32); 35] = [
        (11, "Aceh", 53),
        (12, "Sumatera Utara", 148),
        (13, "Sumatera Barat", 55),
        (14, "Riau", 64),
        (15, "Jambi", 36),
        (16, "Sumatera Selatan", 85),
        (17, "Bengkulu", 20),
        (18, "Lampung", 90),
        (19, "Kepulauan Bangka Belitung", 15),
        (21, "Kepulauan Riau", 21),
        (31, "DKI Jakarta", 106),
        (32, "Jawa Barat", 483),
        (33, "Jawa Tengah", 365),
        (34, "DI Yogyakarta", 37),
        (35, "Jawa Timur", 407),
        (36, "Banten", 119),
        (51, "Bali", 43),
        (52, "Nusa Tenggara Barat", 53),
        (53, "Nusa Tenggara Timur", 53),
        (61, "Kalimantan Barat", 54),
        (62, "Kalimantan Tengah", 27),
        (63, "Kalimantan Selatan", 41),
        (64, "Kalimantan Timur", 38),
        (65, "Kalimantan Utara", 7),
        (71, "Sulawesi Utara", 26),
        (72, "Sulawesi Tengah", 30),
        (73, "Sulawesi Selatan", 91),
        (74, "Sulawesi Tenggara", 26),
        (75, "Gorontalo", 12),
        (76, "Sulawesi Barat", 14),
        (81, "Maluku", 18),
        (82, "Maluku Utara", 13),
        (91, "Papua Barat", 6),
        (92, "Papua Barat Daya", 6),
        (94, "Papua", 43),
    ];
    /// Applicants in the `papua` seat group come from the Papuan provinces.
    pub(super) const PAPUA_WEIGHTS: &[(u64, u32)] = &[(91, 6), (92, 6), (94, 43)];
    /// `disadvantaged_region` applicants come mostly from the east and the interior.
    pub(super) const REMOTE_WEIGHTS: &[(u64, u32)] = &[
        (53, 30),
        (81, 12),
        (82, 10),
        (94, 15),
        (91, 5),
        (74, 8),
        (72, 8),
        (61, 8),
        (52, 6),
        (11, 4),
    ];

    pub(super) const SEAT_GROUPS: &[(&str, u32)] = &[
        ("general", 943),
        ("cum_laude", 30),
        ("disability", 10),
        ("papua", 10),
        ("disadvantaged_region", 5),
        ("diaspora", 2),
    ];
    /// Realistic wrong values for the `unknown seat group` defect.
    pub(super) const UNKNOWN_SEAT_GROUPS: [&str; 4] = ["umum", "cumlaude", "disabilitas", "Papua"];

    /// Completed age on the reference date, per mille: mostly 21–35, 3% outside.
    pub(super) const AGES: &[(u32, u32)] = &[
        (18, 1),
        (19, 2),
        (20, 4),
        (21, 45),
        (22, 95),
        (23, 115),
        (24, 115),
        (25, 100),
        (26, 88),
        (27, 78),
        (28, 68),
        (29, 58),
        (30, 50),
        (31, 42),
        (32, 36),
        (33, 30),
        (34, 26),
        (35, 24),
        (36, 8),
        (37, 6),
        (38, 4),
        (39, 3),
        (40, 2),
    ];
    pub(super) const MAX_AGE: u32 = 40;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Level {
        Sma,
        D3,
        D4,
        S1,
        S2,
    }

    pub(super) const LEVELS: &[(Level, u32)] = &[
        (Level::S1, 70),
        (Level::D3, 12),
        (Level::Sma, 7),
        (Level::S2, 6),
        (Level::D4, 5),
    ];

    impl Level {
        /// In discriminant order, so `Level as usize` indexes it.
        pub(super) const ALL: [Level; 5] = [Level::Sma, Level::D3, Level::D4, Level::S1, Level::S2];

        pub(super) fn code(self) -> &'static str {
            match self {
                Level::Sma => "SMA",
                Level::D3 => "D3",
                Level::D4 => "D4",
                Level::S1 => "S1",
                Level::S2 => "S2",
            }
        }

        /// Cum laude is a university predicate.
        pub(super) fn tertiary(self) -> Level {
            if self == Level::Sma { Level::S1 } else { self }
        }

        pub(super) fn fields(self) -> &'static [(&'static str, u32)] {
            match self {
                Level::Sma => &[
                    ("IPA", 45),
                    ("IPS", 35),
                    ("Teknik Komputer dan Jaringan", 10),
                    ("Akuntansi dan Keuangan Lembaga", 10),
                ],
                Level::D3 => &[
                    ("Keperawatan", 25),
                    ("Kebidanan", 20),
                    ("Farmasi", 10),
                    ("Akuntansi", 10),
                    ("Teknik Informatika", 8),
                    ("Manajemen Informatika", 7),
                    ("Analis Kesehatan", 6),
                    ("Rekam Medis dan Informasi Kesehatan", 6),
                    ("Administrasi Perkantoran", 5),
                    ("Teknik Sipil", 3),
                ],
                Level::D4 => &[
                    ("Keperawatan", 20),
                    ("Kebidanan", 15),
                    ("Akuntansi Sektor Publik", 15),
                    ("Statistika", 12),
                    ("Teknologi Laboratorium Medis", 10),
                    ("Gizi", 10),
                    ("Teknik Informatika", 10),
                    ("Perpajakan", 8),
                ],
                Level::S1 => &[
                    ("Pendidikan Guru Sekolah Dasar", 14),
                    ("Keperawatan", 8),
                    ("Akuntansi", 8),
                    ("Manajemen", 8),
                    ("Ilmu Hukum", 7),
                    ("Teknik Informatika", 6),
                    ("Sistem Informasi", 5),
                    ("Kesehatan Masyarakat", 5),
                    ("Ilmu Administrasi Negara", 5),
                    ("Pendidikan Matematika", 4),
                    ("Pendidikan Bahasa Indonesia", 3),
                    ("Pendidikan Bahasa Inggris", 3),
                    ("Pendidikan Agama Islam", 3),
                    ("Ilmu Ekonomi", 3),
                    ("Teknik Sipil", 3),
                    ("Agroteknologi", 2),
                    ("Statistika", 2),
                    ("Farmasi", 2),
                    ("Psikologi", 2),
                    ("Ilmu Komunikasi", 2),
                    ("Ilmu Pemerintahan", 2),
                    ("Kedokteran", 1),
                    ("Hubungan Internasional", 1),
                    ("Teknik Elektro", 1),
                    ("Arsitektur", 1),
                    ("Perencanaan Wilayah dan Kota", 1),
                    ("Kehutanan", 1),
                    ("Gizi", 1),
                ],
                Level::S2 => &[
                    ("Ilmu Hukum", 15),
                    ("Manajemen", 15),
                    ("Ilmu Administrasi Publik", 15),
                    ("Kesehatan Masyarakat", 12),
                    ("Pendidikan Dasar", 10),
                    ("Ekonomi Pembangunan", 8),
                    ("Teknik Informatika", 8),
                    ("Akuntansi", 7),
                    ("Statistika", 5),
                    ("Perencanaan Wilayah dan Kota", 5),
                ],
            }
        }
    }

    pub(super) const CERTIFICATES: &[&str] = &[
        "TOEFL 450",
        "TOEFL 500",
        "TOEFL 550",
        "IELTS 6.5",
        "Sertifikat Kompetensi BNSP",
        "Sertifikat Pengadaan Barang/Jasa Tingkat Dasar",
        "Brevet Pajak A dan B",
        "Sertifikat Ahli K3 Umum",
        "Microsoft Office Specialist",
        "Cisco CCNA",
    ];

    pub(super) const EMAIL_DOMAINS: &[(&str, u32)] = &[
        ("gmail.com", 780),
        ("yahoo.co.id", 70),
        ("yahoo.com", 60),
        ("outlook.com", 30),
        ("hotmail.com", 25),
        ("icloud.com", 15),
        ("ymail.com", 10),
        ("rocketmail.com", 5),
    ];

    /// Mobile prefixes after "08" (Telkomsel, Indosat, XL, Axis, Tri, Smartfren).
    pub(super) const PHONE_PREFIXES: &[&str] = &[
        "11", "12", "12", "13", "13", "21", "21", "22", "23", "51", "52", "52", "53", "14", "15",
        "56", "57", "58", "17", "18", "19", "59", "77", "78", "31", "32", "38", "95", "96", "97",
        "98", "99", "81", "82", "88",
    ];

    pub(super) const MALE_PREFIXES: &str = "Muhammad Muhammad Muhammad Mohammad Moh Ahmad Andi";
    pub(super) const FEMALE_PREFIXES: &str = "Siti Siti Siti Nur Dewi Sri";

    pub(super) const MALE_GIVEN: &str = "\
        Rizky Budi Agus Dedi Eko Fajar Hendra Irfan Joko Dimas Bayu Arif Yusuf Ilham Reza Fikri \
        Hafiz Aditya Rudi Wahyu Yoga Bagus Dwi Teguh Rahmat Hadi Gilang Kevin Rian Aldi Fauzan \
        Ikhsan Galih Satria Taufik Imam Lukman Hasan Ridwan Firman Anton Yohanes Stefanus Daniel \
        Samuel Made Wayan Ketut Nyoman Putu Rizal Andika Akbar Fadli Farhan Dani Ardi Bima Fahmi \
        Hendri Ilyas Zulfikar Yosua Michael Arya Haikal Naufal Alif Iqbal Syahrul Febri Ari Eka \
        Tri";
    pub(super) const FEMALE_GIVEN: &str = "\
        Ayu Putri Rina Rini Fitri Indah Wulan Nurul Annisa Aisyah Dian Intan Ratna Yuni Maya Novi \
        Nadia Anisa Rizka Tika Eka Dina Fatimah Laila Mega Citra Sekar Ratih Kartika Desi Vina \
        Melati Nabila Zahra Salsabila Aulia Amalia Fadhila Lina Yulia Maria Fransiska Agnes \
        Theresia Novita Dwi Tri Nia Yuli Rahma Hana Shinta Anggi Sarah Cindy Bella Ika Endah";
    pub(super) const MALE_SURNAMES: &str = "\
        Pratama Saputra Santoso Hidayat Nugroho Setiawan Kurniawan Gunawan Firmansyah Ramadhan \
        Hakim Rahman Wibowo Susanto Purnomo Prasetyo Utomo Syahputra Permana Hermawan Kusuma Putra \
        Maulana Wicaksono Sanjaya Hidayatullah Fauzi Hamzah Nurdin Syahrir Irawan Suryadi \
        Wijayanto Hartono Siswanto Anggara Adiputra Baharuddin Mahendra Prakoso";
    pub(super) const FEMALE_SURNAMES: &str = "\
        Rahmawati Lestari Wulandari Puspitasari Handayani Kusumawati Anggraini Safitri Ramadhani \
        Permatasari Susanti Utami Novitasari Yuliani Pertiwi Maharani Oktaviani Purnamasari Astuti \
        Hartati Rahayu Fitriani Kurniasih Setyaningsih Wahyuni Nurhaliza Aprilia Amelia Febriani \
        Sari Damayanti Kurniawati Indriani Hasanah Mardiana Agustina Nuraini Ningsih Rosalina \
        Anjani";
    /// Family names used by women and men alike (Batak, Karo, Minang, Minahasa, Maluku, Papua,
    /// NTT, Chinese-Indonesian).
    pub(super) const FAMILY_NAMES: &str = "\
        Siregar Nasution Harahap Lubis Simanjuntak Sitorus Hutagalung Sinaga Manurung Tambunan \
        Panjaitan Sihombing Pardede Situmorang Hasibuan Napitupulu Silalahi Pakpahan Sembiring \
        Ginting Tarigan Chaniago Piliang Tanjung Sondakh Lumentut Mandagi Pattiasina Latuconsina \
        Matulessy Rumbiak Wenda Kogoya Mandacan Manafe Nubatonis Ndoen Wijaya Halim Tanoto Gunadi \
        Salim";
    /// Javanese single names. Name lists are words separated by spaces.
    pub(super) const MALE_SINGLE: &str = "\
        Sutrisno Suparman Slamet Sugiarto Mulyono Sumarno Sugianto Supriyadi Suyanto Haryanto \
        Widodo Darmanto Sukirman Paryono Wagiman Tukiman Suroso Sarjono Bambang Purwanto";
    pub(super) const FEMALE_SINGLE: &str = "\
        Sumiati Suparmi Sulastri Tumini Ngatini Wartini Suprihatin Endang Sukarni Mujiati Suwarni \
        Partini Sunarti Sriyani Wagiyem Yuliati Kasmini Rukmini Sumarni Supartini";
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    const SEAT_GROUP_CODES: [&str; 6] = [
        "general",
        "cum_laude",
        "disability",
        "papua",
        "disadvantaged_region",
        "diaspora",
    ];

    fn options(rows: u64, seed: u64) -> GenOptions {
        GenOptions {
            rows,
            seed,
            openings: 200,
            ..GenOptions::default()
        }
    }

    fn generate(options: &GenOptions) -> Vec<u8> {
        let mut out = Vec::new();
        let written = write_applicants(&mut out, options).unwrap();
        assert_eq!(written, options.rows);
        out
    }

    fn parse_csv(bytes: &[u8]) -> Vec<csv::StringRecord> {
        let mut reader = csv::Reader::from_reader(bytes);
        assert_eq!(
            reader.headers().unwrap(),
            &csv::StringRecord::from(HEADER.to_vec())
        );
        reader.records().map(|r| r.unwrap()).collect()
    }

    /// Every rule a valid row keeps that the defects break, by name.
    fn defects(row: &csv::StringRecord) -> Vec<&'static str> {
        let mut found = Vec::new();
        let (nik, birth, sex) = (&row[1], &row[4], &row[5]);
        let birth = NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
        if nik.len() != 16 || !nik.bytes().all(|b| b.is_ascii_digit()) {
            found.push("nik_length");
        } else if nik[6..12] != nik_date_part(birth, sex == "female") {
            found.push("nik_date");
        }
        if !(250..=400).contains(&row[12].parse::<u32>().unwrap()) {
            found.push("gpa");
        }
        if !row[7].contains('@') {
            found.push("email");
        }
        if !SEAT_GROUP_CODES.contains(&&row[9]) {
            found.push("seat_group");
        }
        if row[3].is_empty() {
            found.push("name");
        }
        found
    }

    #[test]
    fn same_seed_gives_identical_bytes_and_another_seed_differs() {
        for format in [Format::Csv, Format::Jsonl] {
            let a = GenOptions {
                format,
                invalid_per_mille: 20,
                ..options(2_000, 7)
            };
            assert_eq!(generate(&a), generate(&a));
            assert_ne!(
                generate(&a),
                generate(&GenOptions {
                    seed: 8,
                    ..a.clone()
                })
            );
        }
    }

    #[test]
    fn nik_date_part_adds_forty_to_the_day_for_women() {
        let birth = NaiveDate::from_ymd_opt(1999, 3, 7).unwrap();
        assert_eq!(nik_date_part(birth, false), "070399");
        assert_eq!(nik_date_part(birth, true), "470399");
        let birth = NaiveDate::from_ymd_opt(2001, 12, 31).unwrap();
        assert_eq!(nik_date_part(birth, true), "711201");
    }

    #[test]
    fn every_valid_row_has_a_nik_matching_birth_date_sex_and_province() {
        let rows = parse_csv(&generate(&options(5_000, 42)));
        assert_eq!(rows.len(), 5_000);
        let reference = NaiveDate::from_ymd_opt(2024, 8, 1).unwrap();
        let mut in_main_ages = 0;
        for row in &rows {
            assert!(defects(row).is_empty(), "{row:?}");
            let nik = &row[1];
            let province = PROVINCES.iter().find(|p| p.1 == &row[6]).unwrap();
            assert_eq!(nik[..2].parse::<u64>().unwrap(), province.0, "{row:?}");
            assert!((1..=40).contains(&nik[2..4].parse::<u32>().unwrap()));
            assert!((1..=30).contains(&nik[4..6].parse::<u32>().unwrap()));
            assert!((1..=9999).contains(&nik[12..].parse::<u32>().unwrap()));
            assert!(
                row[2].len() == 16 && row[2].starts_with(&nik[..6]),
                "{row:?}"
            );
            let phone = &row[8];
            assert!(phone.starts_with("08") && (11..=13).contains(&phone.len()));
            assert!(phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(row[0].starts_with("GEN-") && row[0].len() == 9);
            let email = &row[7];
            assert!(
                email
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'@'))
            );
            let birth = NaiveDate::parse_from_str(&row[4], "%Y-%m-%d").unwrap();
            let age = reference.years_since(birth).unwrap();
            assert!((18..=40).contains(&age));
            in_main_ages += u32::from((21..=35).contains(&age));
            if &row[9] == "cum_laude" {
                assert!(row[12].parse::<u32>().unwrap() >= 351);
                assert_ne!(&row[10], "SMA");
            }
            assert!(row[13].split(';').count() <= 2);
        }
        assert!(in_main_ages > 4_700, "{in_main_ages}");
    }

    #[test]
    fn niks_and_emails_are_unique_across_fifty_thousand_rows() {
        let rows = parse_csv(&generate(&options(50_000, 3)));
        let niks: HashSet<&str> = rows.iter().map(|r| &r[1]).collect();
        let emails: HashSet<&str> = rows.iter().map(|r| &r[7]).collect();
        assert_eq!(niks.len(), rows.len());
        assert_eq!(emails.len(), rows.len());
    }

    #[test]
    fn invalid_per_mille_makes_that_share_defective_with_one_defect_each() {
        let clean = parse_csv(&generate(&options(10_000, 5)));
        let dirty = parse_csv(&generate(&GenOptions {
            invalid_per_mille: 100,
            ..options(10_000, 5)
        }));
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        let mut defective = 0;
        for (clean, dirty) in clean.iter().zip(&dirty) {
            let found = defects(dirty);
            if found.is_empty() {
                assert_eq!(clean, dirty, "an untouched row stays as without defects");
            } else {
                assert_eq!(found.len(), 1, "{dirty:?}");
                let changed = (0..HEADER.len()).filter(|&i| clean[i] != dirty[i]).count();
                assert_eq!(changed, 1, "{clean:?} -> {dirty:?}");
                *kinds.entry(found[0]).or_default() += 1;
                defective += 1;
            }
        }
        // Exact in every full block of 1000 rows.
        assert_eq!(defective, 1_000);
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        assert!(kinds.values().all(|&n| n > 100), "{kinds:?}");
    }

    #[test]
    fn jsonl_lines_are_objects_with_the_csv_keys_and_the_same_values() {
        let csv_rows = parse_csv(&generate(&options(1_000, 11)));
        let jsonl = generate(&GenOptions {
            format: Format::Jsonl,
            ..options(1_000, 11)
        });
        let text = String::from_utf8(jsonl).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1_000);
        for (line, row) in lines.iter().zip(&csv_rows) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let object = value.as_object().unwrap();
            let keys: Vec<&str> = object.keys().map(String::as_str).collect();
            let mut expected = HEADER.to_vec();
            let mut sorted = keys.clone();
            expected.sort_unstable();
            sorted.sort_unstable();
            assert_eq!(sorted, expected);
            for (i, key) in HEADER.iter().enumerate() {
                let field = &object[*key];
                match *key {
                    "gpa_x100" => assert_eq!(field.as_u64().unwrap().to_string(), &row[i]),
                    "certificates" => {
                        let joined: Vec<&str> = field
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c.as_str().unwrap())
                            .collect();
                        assert_eq!(joined.join(";"), &row[i]);
                    }
                    _ => assert_eq!(field.as_str().unwrap(), &row[i]),
                }
            }
        }
    }

    #[test]
    fn mixes_look_like_a_national_round() {
        let rows = parse_csv(&generate(&options(20_000, 9)));
        let share = |pred: &dyn Fn(&csv::StringRecord) -> bool| {
            rows.iter().filter(|r| pred(r)).count() as f64 / rows.len() as f64
        };
        let female = share(&|r| &r[5] == "female");
        assert!((0.47..0.53).contains(&female), "{female}");
        let general = share(&|r| &r[9] == "general");
        assert!((0.92..0.96).contains(&general), "{general}");
        let cum_laude = share(&|r| &r[9] == "cum_laude");
        assert!((0.02..0.04).contains(&cum_laude), "{cum_laude}");
        let s1 = share(&|r| &r[10] == "S1");
        assert!((0.65..0.75).contains(&s1), "{s1}");
        let with_certificates = share(&|r| !r[13].is_empty());
        assert!(
            (0.1..0.2).contains(&with_certificates),
            "{with_certificates}"
        );
        let papua_ok = rows
            .iter()
            .filter(|r| &r[9] == "papua")
            .all(|r| r[6].starts_with("Papua"));
        assert!(papua_ok);
        let gpa: Vec<f64> = rows.iter().map(|r| r[12].parse().unwrap()).collect();
        let mean = gpa.iter().sum::<f64>() / gpa.len() as f64;
        assert!((325.0..340.0).contains(&mean), "{mean}");

        let mut per_opening: HashMap<&str, usize> = HashMap::new();
        for row in &rows {
            *per_opening.entry(&row[0]).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_opening.values().copied().collect();
        counts.sort_unstable();
        let median = counts[counts.len() / 2];
        assert!(counts[counts.len() - 1] > 10 * median, "{counts:?}");
    }

    #[test]
    fn bad_options_are_refused() {
        let mut out = Vec::new();
        let zero = GenOptions {
            openings: 0,
            ..options(10, 1)
        };
        assert!(write_applicants(&mut out, &zero).is_err());
        let over = GenOptions {
            invalid_per_mille: 1001,
            ..options(10, 1)
        };
        assert!(write_applicants(&mut out, &over).is_err());
    }

    #[test]
    fn nik_scramble_visits_every_region_and_serial_once() {
        assert_eq!(gcd(NIK_SCRAMBLE, NIKS_PER_PROVINCE), 1);
        let in_order = Level::ALL.iter().enumerate().all(|(i, l)| *l as usize == i);
        assert!(in_order, "Level::ALL indexes the field tables");
    }
}

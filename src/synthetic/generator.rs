//! The row generator: the per-row draws from one ChaCha8 stream, in a fixed order, and the
//! defects chosen outside that stream.

use std::io;

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::data::{
    AGES, CERTIFICATES, EMAIL_DOMAINS, LEVELS, Level, MAX_AGE, PAPUA_WEIGHTS, PHONE_PREFIXES,
    PROVINCES, REMOTE_WEIGHTS, SEAT_GROUPS, UNKNOWN_SEAT_GROUPS,
};
use super::names::{Names, pick_name};
use super::nik::{NIK_SCRAMBLE, NIKS_PER_PROVINCE, nik_date_part, push_nik_date_part};
use super::row::Row;
use super::{GenOptions, Table, gcd, mix, pick, push_num};

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

/// A table over some provinces, given by code, for seat groups tied to a region.
fn province_subset(weights: &[(u64, u32)]) -> Table<usize> {
    Table::new(weights.iter().filter_map(|&(code, weight)| {
        PROVINCES
            .iter()
            .position(|p| p.0 == code)
            .map(|i| (i, weight))
    }))
}

fn invalid_input(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}

pub(super) struct Generator<'o> {
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
    pub(super) row: Row,
    pub(super) scratch: String,
    /// The block of 1000 rows `defective` describes, and the buffer that chose it.
    defect_block: Option<u64>,
    defective: Vec<bool>,
    defect_keys: Vec<(u64, u16)>,
}

impl<'o> Generator<'o> {
    pub(super) fn new(options: &'o GenOptions) -> io::Result<Self> {
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
    pub(super) fn next_row(&mut self, index: u64) {
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

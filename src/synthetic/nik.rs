//! The NIK layout: region codes per province and the date part (DDMMYY, DD + 40 for women).

use chrono::{Datelike, NaiveDate};

use super::push_num;

/// Region codes per province: regency 01..=40 × district 01..=30 × serial 0001..=9999.
pub(super) const NIKS_PER_PROVINCE: u64 = 40 * 30 * 9999;
/// Coprime with `NIKS_PER_PROVINCE`, so `counter × A + offset` visits every (region, serial) once.
pub(super) const NIK_SCRAMBLE: u64 = 7_368_787;

/// The NIK date part for a birth date and sex (DDMMYY, DD + 40 for women) — shared with validation.
pub fn nik_date_part(birth: NaiveDate, female: bool) -> String {
    let mut part = String::with_capacity(6);
    push_nik_date_part(&mut part, birth, female);
    part
}

pub(super) fn push_nik_date_part(out: &mut String, birth: NaiveDate, female: bool) {
    let day = birth.day() + if female { 40 } else { 0 };
    push_num(out, u64::from(day), 2);
    push_num(out, u64::from(birth.month()), 2);
    push_num(
        out,
        u64::from(birth.year().rem_euclid(100).unsigned_abs()),
        2,
    );
}

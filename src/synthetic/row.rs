//! One generated row: its reused buffers, the certificates it holds, and its JSON Lines shape.

use serde::Serialize;

/// Up to two certificates, held without allocation.
#[derive(Default)]
pub(super) struct Certificates {
    pub(super) items: [&'static str; 2],
    pub(super) len: usize,
}

impl Certificates {
    pub(super) fn as_slice(&self) -> &[&'static str] {
        &self.items[..self.len]
    }

    pub(super) fn join_with_semicolons<'s>(&self, scratch: &'s mut String) -> &'s [u8] {
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
pub(super) struct Row {
    pub(super) opening_code: String,
    pub(super) nik: String,
    pub(super) kk: String,
    pub(super) full_name: String,
    pub(super) birth_date: String,
    pub(super) sex: &'static str,
    pub(super) region_of_origin: &'static str,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) seat_group: &'static str,
    pub(super) education_level: &'static str,
    pub(super) education_field: &'static str,
    pub(super) gpa_x100: u32,
    pub(super) certificates: Certificates,
}

/// The JSON Lines shape: the CSV columns in the same order, `certificates` as an array.
#[derive(Serialize)]
pub(super) struct RowView<'a> {
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
    pub(super) fn view(&self) -> RowView<'_> {
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

//! Unit tests of the synthetic generator: determinism, NIK validity, uniqueness, defects, mixes.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::data::{Level, PROVINCES};
use super::nik::{NIK_SCRAMBLE, NIKS_PER_PROVINCE};
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

//! Redaction of applicants' own identifiers from the free text panelists read.

use super::*;

fn who() -> Identifiers {
    Identifiers {
        name: "Ni Made Ayu Ṣārī".into(),
        nik: "3201014506990001".into(),
        kk: "3201012203110007".into(),
        email: "Ayu.Sari@Example.co.id".into(),
        phone: Some("+62 812-3456-7890".into()),
        birth_date: Some("1999-06-05".into()),
    }
}

fn only_name(name: &str) -> Identifiers {
    Identifiers {
        name: name.into(),
        ..Identifiers::default()
    }
}

#[track_caller]
fn check(text: &str, who: &Identifiers, expected: &str, count: usize) {
    let got = redact(text, who);
    assert_eq!(got.text, expected, "input: {text}");
    assert_eq!(got.replaced, count, "input: {text}");
    assert!(!got.fully_withheld);
}

#[test]
fn text_without_identifiers_is_unchanged() {
    let text = "Saya memimpin tim 12 orang selama 3 tahun di Bandung. Angka 1234567890123456.";
    check(text, &who(), text, 0);
    check("", &who(), "", 0);
}

#[test]
fn empty_identifiers_redact_nothing() {
    let text = "Nama saya Ayu, NIK 3201014506990001.";
    check(text, &Identifiers::default(), text, 0);
    let blank = Identifiers {
        name: " . , ".into(),
        phone: Some(String::new()),
        birth_date: Some(" ".into()),
        ..Identifiers::default()
    };
    check(text, &blank, text, 0);
}

#[test]
fn full_name_is_one_marker_and_parts_are_whole_words() {
    let w = who();
    check("Saya Ni Made Ayu Ṣārī.", &w, "Saya [redacted].", 1);
    check("Saya ni  made\nAYU ṢĀRĪ!", &w, "Saya [redacted]!", 1);
    check("Panggil saya Ayu.", &w, "Panggil saya [redacted].", 1);
    check("Ayu dan Made", &w, "[redacted] dan [redacted]", 2);
    check(
        "Ayumi dan Madeline, Ṣārīah",
        &w,
        "Ayumi dan Madeline, Ṣārīah",
        0,
    );
}

#[test]
fn name_parts_match_case_insensitively_but_not_inside_words() {
    let w = only_name("Sari Dewi");
    check(
        "SARI, sari, Sari",
        &w,
        "[redacted], [redacted], [redacted]",
        3,
    );
    check("Sarimin dan Pusari", &w, "Sarimin dan Pusari", 0);
    check("Ibu Sari_Dewi", &w, "Ibu Sari_Dewi", 0);
}

#[test]
fn single_word_and_punctuated_names() {
    check(
        "Saya Sukarno.",
        &only_name("Sukarno"),
        "Saya [redacted].",
        1,
    );
    let w = only_name("I. Gusti Ngurah, S.Kom.");
    check(
        "I. Gusti Ngurah, S.Kom. menulis",
        &w,
        "[redacted] menulis",
        1,
    );
    check(
        "I. Gusti Ngurah menulis",
        &w,
        "I. [redacted] [redacted] menulis",
        2,
    );
    check("I Gusti", &w, "I [redacted]", 1);
    check("gelar Kom", &w, "gelar [redacted]", 1);
    check(
        "Siti Abdul-Rahman",
        &only_name("Abdul-Rahman"),
        "Siti [redacted]",
        1,
    );
    check("Ayu", &only_name("A"), "Ayu", 0);
}

#[test]
fn decomposed_name_is_matched_whole() {
    // "Sārī" with combining macrons (NFD), in both the stored name and the text.
    let nfd = "Sa\u{304}ri\u{304}";
    let w = only_name(nfd);
    check(&format!("oleh {nfd}."), &w, "oleh [redacted].", 1);
    check(
        &format!("oleh {nfd}\u{301}x"),
        &w,
        &format!("oleh {nfd}\u{301}x"),
        0,
    );
}

#[test]
fn name_with_regex_metacharacters_is_literal() {
    let w = only_name("Ay.u (Sari)+");
    check("Ayxu Sari", &w, "Ayxu [redacted]", 1);
    check("Ayu", &only_name("A.*"), "Ayu", 0);
}

#[test]
fn nik_and_kk_in_common_forms() {
    let w = who();
    check("NIK 3201014506990001.", &w, "NIK [redacted].", 1);
    check("NIK: 3201 0145 0699 0001", &w, "NIK: [redacted]", 1);
    check("3201.014506.990001", &w, "[redacted]", 1);
    check("3201-01-450699-0001", &w, "[redacted]", 1);
    check("KK 3201012203110007", &w, "KK [redacted]", 1);
    check(
        "NIK3201014506990001,KK3201012203110007",
        &w,
        "NIK[redacted],KK[redacted]",
        2,
    );
}

#[test]
fn nik_inside_longer_digit_run_is_kept() {
    let w = who();
    let text = "rekening 932010145069900012 dan 32010145069900019";
    check(text, &w, text, 0);
    check("x13201014506990001", &w, "x13201014506990001", 0);
}

#[test]
fn email_case_insensitive() {
    let w = Identifiers {
        email: "Budi.S@Mail.com".into(),
        ..Identifiers::default()
    };
    check("hubungi budi.s@mail.COM ya", &w, "hubungi [redacted] ya", 1);
    check("budixs@mail.com", &w, "budixs@mail.com", 0);
}

#[test]
fn phone_in_all_prefixes_and_separators() {
    let w = who();
    for text in [
        "081234567890",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "+6281234567890",
        "6281234567890",
        "62-812.3456.7890",
        "(0812) 3456-7890",
        "812 3456 7890",
    ] {
        check(&format!("Telp {text}."), &w, "Telp [redacted].", 1);
    }
    check("9081234567890", &w, "9081234567890", 0);
    let local = Identifiers {
        phone: Some("0812-3456-7890".into()),
        ..Identifiers::default()
    };
    check("+62 812 3456 7890", &local, "[redacted]", 1);
}

#[test]
fn birth_date_forms() {
    let w = who();
    for text in [
        "1999-06-05",
        "05-06-1999",
        "05/06/1999",
        "05.06.1999",
        "5/6/1999",
        "5 Juni 1999",
        "05 June 1999",
        "5 JUNI 1999",
        "5 jun. 1999",
        "June 5, 1999",
        "5th June 1999",
        "05-Jun-1999",
        "05/06/99",
    ] {
        check(&format!("Lahir {text}."), &w, "Lahir [redacted].", 1);
    }
    let text = "15 Juni 1999, 25-06-1999, 5 Juli 1999, 05-06-19990, 05/06/991";
    check(text, &w, text, 0);
}

#[test]
fn unparsable_birth_date_is_matched_literally() {
    let w = Identifiers {
        birth_date: Some("5/6/99".into()),
        ..Identifiers::default()
    };
    check("lahir 5/6/99", &w, "lahir [redacted]", 1);
}

#[test]
fn overlapping_identifiers_become_one_marker() {
    let w = Identifiers {
        name: "Ayu Sari".into(),
        email: "ayu.sari@example.com".into(),
        ..Identifiers::default()
    };
    check("email ayu.sari@example.com", &w, "email [redacted]", 1);
    check(
        "Ayu Sari <ayu.sari@example.com>",
        &w,
        "[redacted] <[redacted]>",
        2,
    );
}

#[test]
fn multi_byte_text_around_matches() {
    let w = who();
    let text = "Ṣārī — 東京 — NIK 3201 0145 0699 0001 ✓ lahir 5 Juni 1999 🎉";
    let expected = "[redacted] — 東京 — NIK [redacted] ✓ lahir [redacted] 🎉";
    check(text, &w, expected, 3);
}

#[test]
fn all_identifiers_together_counted() {
    let text = "Ni Made Ayu Ṣārī, NIK 3201014506990001, KK 3201 0122 0311 0007, \
                ayu.sari@example.co.id, 0812 3456 7890, lahir 05/06/1999.";
    let expected = "[redacted], NIK [redacted], KK [redacted], [redacted], [redacted], \
                    lahir [redacted].";
    check(text, &who(), expected, 6);
}

#[test]
fn redactor_is_reusable_and_debug_hides_data() {
    let redactor = Redactor::new(&who());
    assert_eq!(redactor.redact("Ayu").text, MARKER);
    assert_eq!(redactor.redact("tidak ada").replaced, 0);
    assert!(!format!("{:?}", who()).contains("Ayu"));
}

#[test]
fn failing_pattern_withholds_everything() {
    // A name far too large for the pattern size limit cannot be compiled.
    let huge = (0..40_000).map(|i| format!("Nm{i} ")).collect::<String>();
    let got = redact("teks biasa tanpa nama", &only_name(&huge));
    assert_eq!(got, Redacted::withheld());
    assert!(got.fully_withheld);
}

#[test]
fn never_panics_on_odd_input() {
    let odd = Identifiers {
        name: "\u{0}\u{301} ̣ .".into(),
        nik: "abc".into(),
        kk: "٣٢٠١".into(),
        email: "\\E(".into(),
        phone: Some("+".into()),
        birth_date: Some("9999-99-99".into()),
    };
    for text in ["", "\u{301}", "٣٢٠١ \\E( 9999-99-99", "\u{10FFFF}"] {
        let _ = redact(text, &odd);
        let _ = redact(text, &who());
    }
}

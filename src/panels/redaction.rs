//! Removal of an applicant's own identifiers (name, NIK, KK, email, phone, birth date) from free
//! text before it is shown to blind-scoring panelists.
//!
//! Every occurrence is replaced by [`MARKER`]; overlapping occurrences (an email containing the
//! name, say) become one marker. This is a privacy control, so it fails closed: if a pattern cannot
//! be built, the whole text is withheld rather than shown partly redacted.

use regex::{Regex, RegexBuilder};
use serde::Serialize;
use std::fmt;

/// What replaces each redacted occurrence.
pub const MARKER: &str = "[redacted]";

/// Limit on a compiled pattern's size; a pathological (huge) identifier fails closed instead of
/// consuming memory.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Separators allowed between the digits of a NIK/KK or phone number ("3201 0145", "0812-34").
const DIGIT_SEPARATOR: &str = r"[\s.\-]{0,3}";
const PHONE_SEPARATOR: &str = r"[\s.\-()]{0,3}";

/// Month names (Indonesian and English, full and abbreviated) by month number − 1.
const MONTHS: [&[&str]; 12] = [
    &["januari", "january", "jan"],
    &["februari", "pebruari", "february", "feb", "peb"],
    &["maret", "march", "mar"],
    &["april", "apr"],
    &["mei", "may"],
    &["juni", "june", "jun"],
    &["juli", "july", "jul"],
    &["agustus", "august", "agu", "agt", "aug"],
    &["september", "sept", "sep"],
    &["oktober", "october", "okt", "oct"],
    &["november", "nopember", "nov", "nop"],
    &["desember", "december", "des", "dec"],
];

/// The applicant's own identifiers, as stored. Empty strings (and `None`) are skipped.
///
/// `Debug` is hand-written so that identifiers never end up in logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Identifiers {
    /// Full name, e.g. "Ni Made Ayu Sari".
    pub name: String,
    /// 16-digit national ID number (Nomor Induk Kependudukan).
    pub nik: String,
    /// 16-digit family card number (Kartu Keluarga).
    pub kk: String,
    /// Email address.
    pub email: String,
    /// Phone number in any common Indonesian form ("0812…", "+62 812…", "62812…").
    pub phone: Option<String>,
    /// Birth date as "YYYY-MM-DD".
    pub birth_date: Option<String>,
}

impl fmt::Debug for Identifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identifiers { .. }")
    }
}

/// Redacted text and how many markers were inserted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    /// The text with every occurrence replaced by [`MARKER`].
    pub text: String,
    /// Number of markers inserted (overlapping occurrences count once).
    pub replaced: usize,
    /// True if redaction could not be done and the whole text was replaced by one marker.
    pub fully_withheld: bool,
}

impl Redacted {
    fn withheld() -> Self {
        Redacted {
            text: MARKER.to_owned(),
            replaced: 1,
            fully_withheld: true,
        }
    }
}

/// Redacts `who`'s identifiers from `text`. To redact many texts of one applicant, build a
/// [`Redactor`] once instead.
pub fn redact(text: &str, who: &Identifiers) -> Redacted {
    Redactor::new(who).redact(text)
}

/// The compiled patterns for one applicant, reusable across all of their texts.
pub struct Redactor {
    /// `None` if some pattern failed to build: then every text is withheld (fail closed).
    rules: Option<Vec<Rule>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor { .. }")
    }
}

/// One identifier's pattern.
struct Rule {
    regex: Regex,
    /// Whether a match must not touch another digit, so that the same digits inside a longer digit
    /// run (an account number, say) are left alone.
    digit_bounded: bool,
}

impl Redactor {
    /// Compiles the patterns for `who`. Never panics; a pattern that fails to build makes this
    /// redactor withhold every text entirely.
    pub fn new(who: &Identifiers) -> Self {
        let patterns = [
            (name_pattern(&who.name), false),
            (id_number_pattern(&who.nik), true),
            (id_number_pattern(&who.kk), true),
            (email_pattern(&who.email), false),
            (who.phone.as_deref().and_then(phone_pattern), true),
            (who.birth_date.as_deref().and_then(birth_date_pattern), true),
        ];
        let rules = patterns
            .into_iter()
            .filter_map(|(pattern, digit_bounded)| pattern.map(|p| (p, digit_bounded)))
            .map(|(pattern, digit_bounded)| {
                let regex = RegexBuilder::new(&pattern)
                    .case_insensitive(true)
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .build()
                    .ok()?;
                Some(Rule {
                    regex,
                    digit_bounded,
                })
            })
            .collect();
        Redactor { rules }
    }

    /// Replaces every occurrence of the identifiers in `text` with [`MARKER`].
    pub fn redact(&self, text: &str) -> Redacted {
        let Some(rules) = &self.rules else {
            return Redacted::withheld();
        };
        let mut spans = Vec::new();
        for rule in rules {
            collect_spans(rule, text, &mut spans);
        }
        replace_spans(text, merge(spans)).unwrap_or_else(Redacted::withheld)
    }
}

/// Appends the byte ranges `rule` matches in `text`.
fn collect_spans(rule: &Rule, text: &str, spans: &mut Vec<(usize, usize)>) {
    if !rule.digit_bounded {
        spans.extend(rule.regex.find_iter(text).map(|m| (m.start(), m.end())));
        return;
    }
    // The regex crate has no look-around, so digit boundaries are checked here; after a rejected
    // match the search resumes one character later, where a valid match may still start.
    let mut at = 0;
    while let Some(m) = rule.regex.find_at(text, at) {
        if m.end() > m.start() && !touches_digit(text, m.start(), m.end()) {
            spans.push((m.start(), m.end()));
            at = m.end();
        } else {
            at = next_char(text, m.start());
        }
        if at > text.len() {
            break;
        }
    }
}

fn touches_digit(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|s| s.chars().next_back());
    let after = text.get(end..).and_then(|s| s.chars().next());
    [before, after]
        .into_iter()
        .flatten()
        .any(|c| c.is_ascii_digit())
}

/// Byte index of the character after the one at `index` (past the end if there is none).
fn next_char(text: &str, index: usize) -> usize {
    text.get(index..)
        .and_then(|s| s.chars().next())
        .map_or(text.len() + 1, |c| index + c.len_utf8())
}

/// Sorts spans and merges overlapping or touching ones.
fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// `None` only if a span is not on character boundaries, which the regex crate never produces.
fn replace_spans(text: &str, spans: Vec<(usize, usize)>) -> Option<Redacted> {
    let mut out = String::with_capacity(text.len());
    let mut kept_until = 0;
    for &(start, end) in &spans {
        out.push_str(text.get(kept_until..start)?);
        out.push_str(MARKER);
        kept_until = end;
    }
    out.push_str(text.get(kept_until..)?);
    Some(Redacted {
        text: out,
        replaced: spans.len(),
        fully_withheld: false,
    })
}

/// The full name and each of its parts of at least two letters, as whole words. The full name
/// comes first so that it wins (one marker, not one per part) where it occurs.
fn name_pattern(name: &str) -> Option<String> {
    let mut alternatives = Vec::new();
    let words: Vec<&str> = name.split_whitespace().collect();
    if letter_count(name) >= 2 {
        let escaped: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
        alternatives.push(escaped.join(r"\s+"));
    }
    let mut parts: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | ',' | '-'))
        // Only ASCII punctuation is trimmed: a trailing combining mark (NFD "ī") is part of the word.
        .map(|part| part.trim_matches(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()))
        .filter(|part| letter_count(part) >= 2)
        .collect();
    // Longest first, so that "Sarimin" is preferred over "Sari" if both are parts.
    parts.sort_by_key(|part| std::cmp::Reverse(part.len()));
    parts.dedup();
    alternatives.extend(parts.iter().map(|part| regex::escape(part)));
    if alternatives.is_empty() {
        return None;
    }
    // Half boundaries: no word character just before/after, even if the name edge is not a letter.
    Some(format!(
        r"\b{{start-half}}(?:{})\b{{end-half}}",
        alternatives.join("|")
    ))
}

fn letter_count(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

/// The digits of a NIK or KK, with optional separators between any two of them.
fn id_number_pattern(number: &str) -> Option<String> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    spaced_digits(&digits, DIGIT_SEPARATOR)
}

fn spaced_digits(digits: &str, separator: &str) -> Option<String> {
    if digits.is_empty() {
        return None;
    }
    let chars: Vec<String> = digits.chars().map(String::from).collect();
    Some(chars.join(separator))
}

fn email_pattern(email: &str) -> Option<String> {
    let email = email.trim();
    (!email.is_empty()).then(|| regex::escape(email))
}

/// The subscriber digits (after +62, 62 or 0), optionally preceded by any of those prefixes; the
/// prefix is optional so that "812-3456-7890" is caught too.
fn phone_pattern(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix("62").unwrap_or(&digits);
    let subscriber = national.trim_start_matches('0');
    let body = spaced_digits(subscriber, PHONE_SEPARATOR)?;
    Some(format!(r"\(?(?:(?:\+\s?62|62|0){PHONE_SEPARATOR})?{body}"))
}

/// The stored "YYYY-MM-DD" date in the numeric and written-out forms people use. An unparsable
/// stored value is matched literally.
fn birth_date_pattern(date: &str) -> Option<String> {
    let date = date.trim();
    if date.is_empty() {
        return None;
    }
    let Some(((year, month, day), names)) =
        parse_date(date).and_then(|parsed| Some((parsed, month_names(parsed.1)?)))
    else {
        return Some(regex::escape(date));
    };
    let dd = number_with_optional_zero(day);
    let mm = number_with_optional_zero(month);
    let yy = year.get(2..).unwrap_or(year);
    let sep = r"[\-/.]";
    let dd_suffixed = format!(r"{dd}(?:st|nd|rd|th)?");
    let gap = r"[\s\-]+";
    let forms = [
        format!("{year}{sep}{mm}{sep}{dd}"),
        format!("{dd}{sep}{mm}{sep}{year}"),
        format!("{dd}{sep}{mm}{sep}{yy}"),
        format!(r"{dd_suffixed}{gap}(?:{names}){gap}{year}"),
        format!(r"\b{{start-half}}(?:{names})\s+{dd_suffixed}\s*,?\s*{year}"),
    ];
    Some(format!("(?:{})", forms.join("|")))
}

/// (year as written, month, day) of a valid-looking "YYYY-MM-DD".
fn parse_date(date: &str) -> Option<(&str, u32, u32)> {
    let mut fields = date.split('-');
    let year = fields
        .next()
        .filter(|y| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()))?;
    let month = fields
        .next()?
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    let day = fields
        .next()?
        .parse()
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    fields.next().is_none().then_some((year, month, day))
}

/// Alternation of the month's names, each optionally followed by "." ("Jun.").
fn month_names(month: u32) -> Option<String> {
    let names = MONTHS.get(usize::try_from(month).ok()?.checked_sub(1)?)?;
    let alternatives: Vec<String> = names.iter().map(|name| format!(r"{name}\.?")).collect();
    Some(alternatives.join("|"))
}

/// "5" → `0?5`, "15" → `15`.
fn number_with_optional_zero(n: u32) -> String {
    if n < 10 {
        format!("0?{n}")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
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
}

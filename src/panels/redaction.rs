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
#[path = "redaction_tests.rs"]
mod tests;

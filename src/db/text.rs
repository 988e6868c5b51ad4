//! Which text every backend stores. PostgreSQL refuses a NUL character in `text` (SQLite would
//! keep it, so the two would disagree); Rust strings are UTF-8 already. The JSON API and every
//! import row refuse such text with this one check, before it reaches a query.

/// Why `text` cannot be stored, or `None` when it can.
pub fn refusal(text: &str) -> Option<&'static str> {
    text.contains('\0')
        .then_some("must not contain NUL characters")
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_nul_is_refused() {
        assert_eq!(super::refusal("Siti Rahmawati, S.Kom. – Bandung"), None);
        assert!(super::refusal("a\0b").is_some());
    }
}

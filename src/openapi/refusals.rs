//! What the strict JSON reader (`crate::http::json`) refuses, said in the document:
//! - a NUL character in any string, key or value, or in query and path text (`crate::db::text`:
//!   the backends disagree on storing it): a pattern on every plain string and on the keys of
//!   every map;
//! - an unknown field in a variant of an internally tagged enum (`#[serde(tag = "kind",
//!   deny_unknown_fields)]`, which utoipa writes without `additionalProperties: false`).

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, KnownFormat, Object, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ObjectBuilder, OpenApi, RefOr};

/// Any text without a NUL character.
const NUL_FREE: &str = "^[^\\u0000]*$";

/// The shared schemas of the document.
pub fn in_components(openapi: &mut OpenApi) {
    if let Some(components) = openapi.components.as_mut() {
        components.schemas.values_mut().for_each(visit);
    }
}

/// One operation's parameters (query and path text is refused the same way, `invalid_text`)
/// and inline request bodies.
pub fn in_operation(operation: &mut Operation) {
    let parameters = operation.parameters.iter_mut().flatten();
    parameters.filter_map(|p| p.schema.as_mut()).for_each(visit);
    let bodies = operation
        .request_body
        .iter_mut()
        .flat_map(|b| b.content.values_mut());
    bodies.filter_map(|c| c.schema.as_mut()).for_each(visit);
}

fn visit(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(object) => visit_object(object),
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                visit(items);
            }
        }
        Schema::OneOf(one_of) => {
            one_of.items.iter_mut().for_each(close_tagged_variant);
            one_of.items.iter_mut().for_each(visit);
        }
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(visit),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(visit),
        _ => {}
    }
}

/// A variant of an internally tagged enum: an object whose required `kind` has one value.
fn close_tagged_variant(variant: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(object)) = variant else {
        return;
    };
    let tagged = object.required.iter().any(|r| r == "kind")
        && matches!(object.properties.get("kind"),
            Some(RefOr::T(Schema::Object(kind))) if kind.enum_values.as_ref().is_some_and(|v| v.len() == 1));
    if tagged && object.additional_properties.is_none() {
        object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
    }
}

fn visit_object(object: &mut Object) {
    if is_plain_text(object) || object.pattern.is_some() {
        object.pattern = nul_free(object.pattern.as_deref());
    }
    object.properties.values_mut().for_each(visit);
    let is_map = match object.additional_properties.as_deref_mut() {
        Some(AdditionalProperties::RefOr(values)) => {
            visit(values);
            true
        }
        Some(AdditionalProperties::FreeForm(any)) => *any,
        None => false,
    };
    if !is_map {
        return;
    }
    match object.property_names.as_deref_mut() {
        None => {
            let keys = ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(NUL_FREE));
            object.property_names = Some(Box::new(Schema::Object(keys.build())));
        }
        Some(Schema::Object(keys)) => visit_object(keys),
        Some(_) => {}
    }
}

/// A string that no format or enumeration already confines (`password` is only a hint).
fn is_plain_text(object: &Object) -> bool {
    let is_string = match &object.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    let confining_format = match &object.format {
        None => false,
        Some(SchemaFormat::KnownFormat(KnownFormat::Password)) => false,
        Some(_) => true,
    };
    is_string && !confining_format && object.enum_values.is_none()
}

/// The pattern that also refuses NUL: every part of it that admits any character (`[\s\S]`,
/// `\S`, a negated class) admits any but NUL, and an unanchored end is anchored with NUL-free
/// text, so that the search semantics of JSON Schema cannot find a match beside a NUL.
fn nul_free(pattern: Option<&str>) -> Option<String> {
    let Some(pattern) = pattern else {
        return Some(NUL_FREE.to_string());
    };
    let mut refused = without_nul(pattern).replace("[\\s\\S]", "[^\\u0000]");
    if !refused.starts_with('^') {
        refused = format!("^[^\\u0000]*(?:{refused})");
    }
    if !refused.ends_with('$') {
        refused.push_str("[^\\u0000]*$");
    }
    Some(refused)
}

/// `\S` and negated classes, with NUL added to what they exclude.
fn without_nul(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut negated_class = false;
    let mut in_class = false;
    let mut class_start = 0;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('S') if !in_class => out.push_str("[^\\s\\u0000]"),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                negated_class = chars.peek() == Some(&'^');
                class_start = out.len();
                out.push('[');
            }
            ']' if in_class => {
                if negated_class && !out[class_start..].contains("\\u0000") {
                    out.push_str("\\u0000");
                }
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns are ECMA-262 as JSON Schema says; these use only syntax that the `regex`
    /// crate reads the same way (`\u0000`, classes, anchors).
    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn the_patterns_refuse_nul_and_keep_what_they_admitted() {
        assert!(matches(NUL_FREE, "Siti Rahmawati\n"));
        assert!(matches(NUL_FREE, ""));
        assert!(!matches(NUL_FREE, "a\0b"));
        let not_blank = nul_free(Some("\\S")).unwrap();
        assert!(matches(&not_blank, "  x "));
        assert!(!matches(&not_blank, " \t "));
        assert!(!matches(&not_blank, "x\0"));
        let class = nul_free(Some("[^\\t ]")).unwrap();
        assert_eq!(class, "^[^\\u0000]*(?:[^\\t \\u0000])[^\\u0000]*$");
        assert!(matches(&class, "\tx\t") && !matches(&class, "\t\t") && !matches(&class, "\0x"));
        let anchored = nul_free(Some("^[\\s\\S]{2}[^;]$")).unwrap();
        assert_eq!(anchored, "^[^\\u0000]{2}[^;\\u0000]$");
        let unanchored_end = nul_free(Some("^(?=[\\s\\S]*x)")).unwrap();
        assert_eq!(unanchored_end, "^(?=[^\\u0000]*x)[^\\u0000]*$");
    }

    /// The two internally tagged enums of the API refuse unknown fields, as the document says.
    #[test]
    fn tagged_variants_refuse_unknown_fields_and_the_document_says_so() {
        use crate::openings::plan::Advance;
        use crate::openings::rounds::rules::Scoring;
        let advance = r#"{"kind": "all_passers", "x": 1}"#;
        assert!(serde_json::from_str::<Advance>(advance).is_err());
        let scoring = r#"{"kind": "right_wrong", "points_correct": 5, "x": 1}"#;
        assert!(serde_json::from_str::<Scoring>(scoring).is_err());
        let document: serde_json::Value =
            serde_json::from_str(&crate::openapi::document()).unwrap();
        for name in ["Advance", "Scoring"] {
            let variants = document["components"]["schemas"][name]["oneOf"]
                .as_array()
                .unwrap();
            for variant in variants {
                assert_eq!(variant["additionalProperties"], false, "{name}: {variant}");
            }
        }
    }

    fn patterns(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(p)) = map.get("pattern") {
                    found.push(p.clone());
                }
                map.values().for_each(|v| patterns(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| patterns(v, found)),
            _ => {}
        }
    }

    #[test]
    fn no_pattern_of_the_document_admits_nul() {
        let document: serde_json::Value =
            serde_json::from_str(&crate::openapi::document()).unwrap();
        let mut found = Vec::new();
        patterns(&document, &mut found);
        assert!(found.iter().any(|p| p == NUL_FREE));
        for pattern in found {
            // Made by `nul_free`, or already as it would make it.
            assert_eq!(nul_free(Some(&pattern)).as_deref(), Some(pattern.as_str()));
            // The `regex` crate has no look-around; the fixed point above covers those.
            if regex::Regex::new(&pattern).is_err() {
                continue;
            }
            let sentence = "Nilai dikoreksi karena lembar jawaban salah dipindai";
            let long = format!("{sentence}\0{sentence}");
            for text in ["\0", "A\0", "a\0b", "0\0", "3173014501990001\0", &long] {
                assert!(!matches(&pattern, text), "{pattern:?} admits {text:?}");
            }
        }
    }
}

//! Strict JSON, the same for request bodies and import lines: an object names each key once
//! (serde_json keeps the last of two silently), text holds nothing a database refuses, and a
//! struct is read only from an object (serde would also fill one from an array, by position).

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Map, Value};

use crate::db::text;

/// Why a text is not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Not JSON at all: serde_json's message.
    Syntax(String),
    /// An object names this key twice (its path, e.g. `stages[2].code`).
    DuplicateKey(String),
}

/// Parses one JSON value in a single pass, refusing an object that names a key twice.
pub fn parse_value(input: &[u8]) -> Result<Value, JsonProblem> {
    let duplicate = RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(input);
    let parsed = Strict {
        duplicate: &duplicate,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    parsed.map_err(|e| match duplicate.into_inner() {
        Some(path) => JsonProblem::DuplicateKey(printable_path(&path)),
        None => JsonProblem::Syntax(e.to_string()),
    })
}

/// The path of the first string or key holding text no database stores, and why. The path is
/// [`printable_path`]: a key that holds the NUL names it as `\u0000`.
pub fn unstorable_text(value: &Value) -> Option<(String, &'static str)> {
    find_unstorable(value).map(|(path, why)| (printable_path(&path), why))
}

/// [`unstorable_text`] for the members of one object (an import line's fields).
pub fn unstorable_in_object(map: &Map<String, Value>) -> Option<(String, &'static str)> {
    find_unstorable_member(map).map(|(path, why)| (printable_path(&path), why))
}

fn find_unstorable(value: &Value) -> Option<(String, &'static str)> {
    match value {
        Value::String(s) => text::refusal(s).map(|why| (String::new(), why)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            find_unstorable(item).map(|(path, why)| (nest(&format!("[{i}]"), &path), why))
        }),
        Value::Object(map) => find_unstorable_member(map),
        _ => None,
    }
}

fn find_unstorable_member(map: &Map<String, Value>) -> Option<(String, &'static str)> {
    map.iter()
        .find_map(|(key, value)| match text::refusal(key) {
            Some(why) => Some((key.clone(), why)),
            None => find_unstorable(value).map(|(path, why)| (nest(key, &path), why)),
        })
}

/// A path made of the caller's keys, fit to be answered and stored: a NUL (which no database
/// stores, and which is why the key is refused) is written as the six characters `\u0000`.
fn printable_path(path: &str) -> String {
    path.replace('\0', "\\u0000")
}

/// `outer` joined to the path inside it: `a` + `b` is `a.b`, `a` + `[0]` is `a[0]`.
fn nest(outer: &str, inner: &str) -> String {
    match inner.chars().next() {
        None => outer.to_string(),
        Some('[') => format!("{outer}{inner}"),
        Some(_) => format!("{outer}.{inner}"),
    }
}

/// Builds a [`Value`] like serde_json's own visitor, but notes the first key named twice (the
/// path is completed on the way out, so a document without duplicates costs nothing extra).
#[derive(Clone, Copy)]
struct Strict<'a> {
    duplicate: &'a RefCell<Option<String>>,
}

impl Strict<'_> {
    fn within<E>(self, outer: &str, error: E) -> E {
        if let Some(path) = self.duplicate.borrow_mut().as_mut() {
            *path = nest(outer, path);
        }
        error
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    /// An integral number written with a fraction (`7.0`) is an integer, as JSON Schema reads
    /// it, while f64 holds it exactly (up to 2^53).
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if v.fract() == 0.0 && v.abs() <= EXACT {
            return Ok(Value::Number((v as i64).into()));
        }
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(Value::Array(items)),
                Err(e) => return Err(self.within(&format!("[{}]", items.len()), e)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let message = format!("the key `{key}` appears twice");
                *self.duplicate.borrow_mut() = Some(key);
                return Err(de::Error::custom(message));
            }
            match access.next_value_seed(self) {
                Ok(value) => map.insert(key, value),
                Err(e) => return Err(self.within(&key, e)),
            };
        }
        Ok(Value::Object(map))
    }
}

/// A parsed value as a deserializer that fills a struct only from an object, at every depth
/// reached through objects, arrays, options and newtypes (an enum's content is read as
/// serde_json reads it).
pub struct Objects(pub Value);

macro_rules! as_serde_json_does {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
                self.0.$method(visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for Objects {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.into_iter())),
            Value::Object(map) => visitor.visit_map(Members {
                entries: map.into_iter(),
                value: None,
            }),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            Value::Object(_) => self.deserialize_any(visitor),
            other => other.deserialize_struct(name, fields, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Objects(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(_) => self.deserialize_any(visitor),
            other => other.deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => other.deserialize_map(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    as_serde_json_does!(
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_identifier deserialize_ignored_any
    );
}

struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Objects(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Members {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Members {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Value::String(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Objects(value)),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;

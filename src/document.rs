//! One TOML file parsed into a JSON value (what the schemas check and the
//! typed model deserializes from) plus a span index from JSON pointers back
//! to byte ranges in the source, so every finding can name line and column.
//!
//! Why not deserialize straight into `Spanned` fields: the JSON Schemas are
//! the one source of truth for what a file may contain, and they need a JSON
//! instance; the span index gives every value and key a position without
//! threading `Spanned<T>` through the whole domain model.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Number, Value};
use toml::de::{DeTable, DeValue};

use crate::diag::{Code, Diagnostic};

/// A parsed TOML file.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file's contents as JSON (datetimes become strings).
    pub json: Value,
    text: Arc<str>,
    /// Built on first use: most files never need a position, and an index of
    /// every value of every file would dominate the loader's memory.
    spans: OnceLock<SpanIndex>,
}

#[derive(Debug, Clone, Default)]
struct SpanIndex {
    values: HashMap<String, Range<usize>>,
    keys: HashMap<String, Range<usize>>,
}

impl Document {
    /// Parses TOML text; a syntax error becomes a `toml-syntax` finding at
    /// its position in `path`.
    pub fn parse(path: &str, text: &str) -> Result<Self, Diagnostic> {
        Self::parse_shared(path, Arc::from(text))
    }

    /// Parses TOML text already held in an `Arc` (no copy).
    pub fn parse_shared(path: &str, text: Arc<str>) -> Result<Self, Diagnostic> {
        let table = DeTable::parse(&text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            let message = err
                .message()
                .trim_end_matches('\n')
                .trim_end_matches('.')
                .to_owned();
            Diagnostic::error(Code::TomlSyntax, format!("invalid TOML: {message}")).at(path, span)
        })?;
        let json = convert_table(table.get_ref(), "", &mut None);
        drop(table);
        Ok(Self {
            json,
            text,
            spans: OnceLock::new(),
        })
    }

    fn spans(&self) -> &SpanIndex {
        self.spans.get_or_init(|| {
            let mut index = SpanIndex::default();
            // The text parsed once already, so this cannot fail.
            if let Ok(table) = DeTable::parse(&self.text) {
                index.values.insert(String::new(), table.span());
                let mut sink = Some(&mut index);
                convert_table(table.get_ref(), "", &mut sink);
            }
            index
        })
    }

    /// Returns the span of the value at a JSON pointer (`/members/0/id`),
    /// falling back to the nearest enclosing value that has one.
    pub fn span(&self, pointer: &str) -> Range<usize> {
        let spans = self.spans();
        let mut p = pointer;
        loop {
            if let Some(span) = spans.values.get(p) {
                return span.clone();
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return 0..0,
            }
        }
    }

    /// Returns the source text of a span (empty when out of range).
    pub fn source(&self, span: Range<usize>) -> &str {
        self.text.get(span).unwrap_or_default()
    }

    /// Returns the span of the key naming the value at a JSON pointer, or of
    /// the value itself when the key has no position (array elements).
    pub fn key_span(&self, pointer: &str) -> Range<usize> {
        self.spans()
            .keys
            .get(pointer)
            .cloned()
            .unwrap_or_else(|| self.span(pointer))
    }
}

/// Returns a JSON pointer with one more reference token, escaped per RFC 6901.
pub fn pointer_push(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Converts a table to JSON; with a span sink, also records the span of
/// every key and value by JSON pointer (pointers are only built then).
fn convert_table(table: &DeTable<'_>, pointer: &str, spans: &mut Option<&mut SpanIndex>) -> Value {
    let mut map = Map::new();
    for (key, value) in table.iter() {
        let child = match spans {
            Some(index) => {
                let child = pointer_push(pointer, key.get_ref());
                index.keys.insert(child.clone(), key.span());
                index.values.insert(child.clone(), value.span());
                child
            }
            None => String::new(),
        };
        map.insert(
            key.get_ref().to_string(),
            convert_value(value.get_ref(), &child, spans),
        );
    }
    Value::Object(map)
}

fn convert_value(value: &DeValue<'_>, pointer: &str, spans: &mut Option<&mut SpanIndex>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let text = i.as_str();
            match i64::from_str_radix(text, i.radix()) {
                Ok(n) => Value::Number(n.into()),
                // Out of i64 range: keep the digits so the schema reports it.
                Err(_) => Value::String(text.to_owned()),
            }
        }
        DeValue::Float(f) => {
            let parsed: Option<f64> = f.as_str().parse().ok();
            match parsed.and_then(Number::from_f64) {
                Some(n) => Value::Number(n),
                // JSON has no NaN or infinity: the schema reports a string.
                None => Value::String(f.as_str().to_owned()),
            }
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(dt) => Value::String(dt.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let child = match spans {
                        Some(index) => {
                            let child = pointer_push(pointer, &i.to_string());
                            index.values.insert(child.clone(), item.span());
                            child
                        }
                        None => String::new(),
                    };
                    convert_value(item.get_ref(), &child, spans)
                })
                .collect(),
        ),
        DeValue::Table(table) => convert_table(table, pointer, spans),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_spans() {
        let text = "[org]\nname = \"Acme\"\n\n[[members]]\nid = \"alice\"\nroles = [\"admin\"]\n";
        let doc = Document::parse("cardinal.toml", text).unwrap();
        assert_eq!(doc.json["members"][0]["id"], "alice");
        let span = doc.span("/members/0/id");
        assert_eq!(&text[span], "\"alice\"");
        let key = doc.key_span("/org/name");
        assert_eq!(&text[key], "name");
        assert_eq!(&text[doc.span("/members/0/roles/0")], "\"admin\"");
        // Unknown pointers fall back to the nearest parent.
        assert_eq!(doc.span("/members/0/nope"), doc.span("/members/0"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = Document::parse("x.toml", "a = 1\nb = \n").unwrap_err();
        assert_eq!(err.code, Code::TomlSyntax);
        let span = err.primary().unwrap().span.clone();
        assert_eq!(crate::diag::line_col("a = 1\nb = \n", span.start).0, 2);
    }

    #[test]
    fn datetimes_become_strings() {
        let doc = Document::parse("c.toml", "created = 2024-05-01T10:00:00Z\n").unwrap();
        assert_eq!(doc.json["created"], "2024-05-01T10:00:00Z");
    }
}

//! The one place that knows which YAML crate the project uses (`serde_yaml_ng`, the maintained
//! fork of the archived `serde_yaml`), so that choice stays cheap to change, and the one place
//! that bounds what a YAML document may cost.
//!
//! Every reader here refuses a document that nests deeper than [`MAX_DEPTH`] or whose aliases
//! expand to more than [`MAX_ALIAS_NODES`] nodes beyond what its text spells out (a "billion
//! laughs"): a 300-byte file must not become gigabytes, nor a deep one overflow the stack of
//! every walker that later recurses over the value. The checks run on what the parser
//! produces, aliases expanded, so they hold whatever the text looks like.

use std::fmt;

use serde::Serialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use serde_json::{Map, Value};

pub use serde_yaml_ng::Error;

/// The deepest nesting of maps and lists a document may have. Helm allows 10000, but the
/// walkers here recurse; the deepest real objects (CRDs embedding pod templates) nest ~40.
pub const MAX_DEPTH: usize = 100;

/// How many nodes aliases may add to a document beyond those its text holds. Real charts
/// alias a few small maps; a million nodes is tens of MiB of values at most.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// The message of a document nesting deeper than [`MAX_DEPTH`].
pub fn too_deep_message() -> String {
    format!("maps and lists nest deeper than the limit of {MAX_DEPTH} levels")
}

/// The message of a document whose aliases expand past [`MAX_ALIAS_NODES`].
pub fn too_many_aliases_message() -> String {
    format!(
        "aliases expand to more than {MAX_ALIAS_NODES} nodes (is it a \"billion laughs\" document?)"
    )
}

/// Parses one YAML document, after checking it against the depth and alias limits.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    // The check builds the value once and drops it: only small files (Chart.yaml, configs)
    // come this way; big ones (manifests) use `value_from_str`, which parses once.
    value_from_str(text)?;
    serde_yaml_ng::from_str(text)
}

/// Parses one YAML document from bytes (checked to be UTF-8 by the parser).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let text = std::str::from_utf8(bytes).map_err(<Error as de::Error>::custom)?;
    from_str(text)
}

/// Parses one YAML document into JSON, in one pass, within the depth and alias limits.
///
/// Map keys become strings (`1: a` has the key `"1"`), as the JSON the value ends up as needs.
pub fn value_from_str(text: &str) -> Result<Value, Error> {
    let mut budget = Budget::for_text(text);
    Node {
        budget: &mut budget,
        depth: 0,
    }
    .deserialize(serde_yaml_ng::Deserializer::from_str(text))
}

/// Prints a value as a YAML document (no leading `---`), ending in a newline.
///
/// Serialising a `serde_json::Value` cannot fail (its keys are strings), so this returns text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_else(|err| format!("# unprintable value: {err}\n"))
}

/// The 1-based line of a parse error and its message without the position suffix.
pub fn error_position(err: &Error) -> (usize, String) {
    let line = err.location().map_or(1, |loc| loc.line());
    let mut message = err.to_string();
    // serde_yaml_ng appends " at line L column C"; the caller reports the line itself.
    if let Some(index) = message.find(" at line ") {
        message.truncate(index);
    }
    // The parser's own alias limit (jumps per event) can stop a bomb before ours; say so in
    // the same words. Its depth limit is past ours and never reached.
    if message == "repetition limit exceeded" {
        message = too_many_aliases_message();
    }
    (line, message)
}

/// How many more nodes a document may produce.
///
/// Without aliases a node takes at least one byte of text (two, mostly), so a document may
/// produce twice its length plus [`MAX_ALIAS_NODES`]; only aliases can go beyond that.
pub struct Budget {
    remaining: usize,
}

impl Budget {
    pub fn for_text(text: &str) -> Self {
        Budget {
            remaining: text.len().saturating_mul(2).saturating_add(MAX_ALIAS_NODES),
        }
    }

    /// Takes one node from the budget; false when it is spent.
    pub fn take(&mut self) -> bool {
        match self.remaining.checked_sub(1) {
            Some(left) => {
                self.remaining = left;
                true
            }
            None => false,
        }
    }
}

/// Builds one node of a document (and, through it, everything below it).
struct Node<'b> {
    budget: &'b mut Budget,
    depth: usize,
}

impl Node<'_> {
    fn count<E: de::Error>(&mut self) -> Result<(), E> {
        if self.budget.take() {
            Ok(())
        } else {
            Err(E::custom(too_many_aliases_message()))
        }
    }

    fn child<E: de::Error>(&mut self) -> Result<Node<'_>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(too_deep_message()));
        }
        Ok(Node {
            budget: self.budget,
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<Value, E> {
        self.count()?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<Value, E> {
        self.count()?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<Value, E> {
        self.count()?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<Value, E> {
        self.count()?;
        // JSON has no NaN or infinity; serde_json's own reader makes them null too.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<Value, E> {
        self.count()?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(mut self, v: String) -> Result<Value, E> {
        self.count()?;
        Ok(Value::String(v))
    }

    fn visit_none<E: de::Error>(mut self) -> Result<Value, E> {
        self.count()?;
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<Value, E> {
        self.count()?;
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        self.count()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child()?)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        self.count()?;
        let mut out = Map::new();
        loop {
            let key = {
                let mut child = self.child()?;
                child.count()?;
                match map.next_key_seed(Key)? {
                    Some(key) => key,
                    None => break,
                }
            };
            let value = map.next_value_seed(self.child()?)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// A map key, read as a string whatever its YAML type (`1`, `true`, `null`).
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl de::Visitor<'_> for Key {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `a0: &a0 [x, x, ...]`, then each level a list of aliases to the one before.
    fn billion_laughs(levels: usize, width: usize) -> String {
        let mut text = format!("a0: &a0 [{}]\n", vec!["lol"; width].join(", "));
        for level in 1..levels {
            let items = vec![format!("*a{}", level - 1); width].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        text
    }

    fn nested_lists(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn values_are_read_as_json() {
        let cases = [
            (
                "a: 1\nb: [x, true, null, 1.5]\n",
                json!({"a": 1, "b": ["x", true, null, 1.5]}),
            ),
            ("1: a\ntrue: b\n", json!({"1": "a", "true": "b"})),
            (
                "base: &b {x: 1}\nc: *b\n",
                json!({"base": {"x": 1}, "c": {"x": 1}}),
            ),
            ("a: .nan\n", json!({"a": null})),
            ("", Value::Null),
            ("a: 1\na: 2\n", json!({"a": 2})),
        ];
        for (text, expected) in cases {
            assert_eq!(value_from_str(text).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn depth_is_bounded_at_the_limit() {
        let ok = value_from_str(&nested_lists(MAX_DEPTH)).unwrap();
        assert!(ok.is_array());
        let cases = [
            nested_lists(MAX_DEPTH + 1),
            nested_lists(100_000),
            format!(
                "{}1{}",
                "{a: ".repeat(MAX_DEPTH + 1),
                "}".repeat(MAX_DEPTH + 1)
            ),
            format!("{}1", "- ".repeat(20_000)),
        ];
        for text in cases {
            let err = value_from_str(&text).unwrap_err().to_string();
            assert!(
                err.contains("deeper than the limit of 100") || err.contains("recursion limit"),
                "{err}"
            );
            let err = from_str::<serde::de::IgnoredAny>(&text).unwrap_err();
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    /// One anchored list of `width` scalars, aliased `width` times: few alias jumps (which
    /// the parser itself limits), many nodes.
    fn wide_aliases(width: usize) -> String {
        let list = vec!["x"; width].join(",");
        let aliases = vec!["*a"; width].join(",");
        format!(
            "a: &a [{list}]
b: [{aliases}]
"
        )
    }

    #[test]
    fn alias_expansion_is_bounded() {
        // 9^3 = 729 nodes from aliases, or 1000 x 1000: fine.
        assert!(value_from_str(&billion_laughs(4, 9)).is_ok());
        assert!(value_from_str(&wide_aliases(1000)).is_ok());
        let err = value_from_str(&wide_aliases(2000)).unwrap_err().to_string();
        assert!(err.contains("aliases expand to more than 1000000"), "{err}");
        for text in [
            billion_laughs(10, 9),
            billion_laughs(6, 60),
            wide_aliases(3000),
        ] {
            assert!(text.len() < 20_000);
            // The parser's own repetition limit may stop a deep bomb first; either way it fails.
            let err = value_from_str(&text).unwrap_err().to_string();
            assert!(
                err.contains("aliases expand") || err.contains("repetition limit"),
                "{err}"
            );
            let err = from_str::<serde::de::IgnoredAny>(&text)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("aliases expand") || err.contains("repetition limit"),
                "{err}"
            );
        }
    }

    #[test]
    fn generic_reader_keeps_line_numbers() {
        #[derive(Debug, serde::Deserialize)]
        #[expect(dead_code, reason = "only the parse error matters")]
        struct S {
            a: u32,
        }
        let err = from_str::<S>("b: 1\na: x\n").unwrap_err();
        assert_eq!(error_position(&err).0, 2, "{err}");
    }
}

//! Conversions between `serde_json::Value` (how the host holds values, manifests and
//! plugin data) and template [`Value`]s.
//!
//! Numbers are where the two differ: Helm decodes a values file through `encoding/json`, so
//! every number in it is a `float64` ([`NumberMode::ValuesFile`]), while `--set a=1` gives
//! an `int64` ([`NumberMode::Plain`]). Templates can tell (`typeOf`, and `toYaml` prints
//! `1e+06` for neither but `%v` does for the float).

use serde_json::Value as Json;

use crate::value::{Map, Value};

/// How JSON numbers become Go numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberMode {
    /// Every number is a `float64`, as in `.Values` read from a values file.
    ValuesFile,
    /// Integers that fit become `int64`, other numbers `float64`, as `--set` gives them.
    Plain,
}

/// A JSON value as a template value.
pub fn from_json(json: &Json, mode: NumberMode) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (mode, n.as_i64()) {
            (NumberMode::Plain, Some(i)) => Value::Int64(i),
            _ => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::String(s.as_str().into()),
        Json::Array(items) => Value::list(items.iter().map(|v| from_json(v, mode)).collect()),
        Json::Object(map) => Value::map(
            map.iter()
                .map(|(k, v)| (k.clone(), from_json(v, mode)))
                .collect::<Map>(),
        ),
    }
}

/// A template value as JSON, the way `encoding/json` would write it: `[]byte` as base64,
/// Go structs as their JSON fields, integral floats as integers (JSON has one number
/// type), and NaN or infinities as `null` (which `encoding/json` would refuse; the host
/// gets something rather than nothing). A value nested deeper than [`MAX_DEPTH`] (only a
/// map that holds itself, or a template building absurd depth, gets there) is `null`, and
/// so is everything after it, so that a map holding itself twice costs linear time.
pub fn to_json(value: &Value) -> Json {
    to_json_at(value, 0, &mut false)
}

/// How deep [`to_json`] follows nested values.
pub const MAX_DEPTH: usize = 1000;

fn to_json_at(value: &Value, depth: usize, cut: &mut bool) -> Json {
    // Deep values recurse on a grown stack, whatever the thread.
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || to_json_inner(value, depth, cut))
}

fn to_json_inner(value: &Value, depth: usize, cut: &mut bool) -> Json {
    use base64::Engine as _;
    if *cut || depth > MAX_DEPTH {
        *cut = true;
        return Json::Null;
    }
    let mut to_json = |v: &Value| to_json_at(v, depth + 1, cut);
    match value {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) | Value::Int64(n) => Json::from(*n),
        Value::Float(x) => {
            if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 {
                Json::from(*x as i64)
            } else {
                serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number)
            }
        }
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(bytes) => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(&**bytes))
        }
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        // A copy, so that no lock is held while nested values convert.
        Value::Dict(dict) => Json::Object(
            dict.snapshot()
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Object(object) => to_json_at(&object.data(), depth, cut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_mode() {
        let json: Json = serde_json::json!({"a": 1, "b": 1.5, "c": [true, null, "x"]});
        let file = from_json(&json, NumberMode::ValuesFile);
        let plain = from_json(&json, NumberMode::Plain);
        let get = |v: &Value, k: &str| v.as_map().and_then(|m| m.get(k)).cloned();
        assert_eq!(
            get(&file, "a").map(|v| v.type_name()).as_deref(),
            Some("float64")
        );
        assert_eq!(
            get(&plain, "a").map(|v| v.type_name()).as_deref(),
            Some("int64")
        );
        assert_eq!(
            get(&plain, "b").map(|v| v.type_name()).as_deref(),
            Some("float64")
        );
        assert_eq!(to_json(&file), json);
        assert_eq!(to_json(&plain), json);
    }

    #[test]
    fn bytes_become_base64_and_nan_null() {
        let bytes = Value::Bytes(std::sync::Arc::from(&b"hi"[..]));
        assert_eq!(to_json(&bytes), Json::String("aGk=".into()));
        assert_eq!(to_json(&Value::Float(f64::NAN)), Json::Null);
        assert_eq!(to_json(&Value::Float(1e300)), serde_json::json!(1e300));
    }
}

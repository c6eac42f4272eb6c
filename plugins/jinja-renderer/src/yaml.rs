//! A small block-style YAML printer for `toyaml`: enough for the values charts put into
//! manifests (maps, lists, strings, numbers, booleans, null), quoting every string YAML
//! would otherwise read as something else.

use serde_json::Value;

/// Prints `value` as a YAML document ending in a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(key));
        out.push(':');
        write_child(out, value, indent, true);
    }
}

fn write_list(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        write_child(out, item, indent, false);
    }
}

fn write_child(out: &mut String, value: &Value, indent: usize, in_map: bool) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            if in_map {
                out.push('\n');
                write_map(out, map, indent + 2);
            } else {
                // `- key: value` with the rest of the map aligned under the first key.
                let mut inner = String::new();
                write_map(&mut inner, map, indent + 2);
                out.push(' ');
                out.push_str(inner.trim_start());
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            // Lists in maps are not indented further, as kubectl prints them.
            write_list(out, items, if in_map { indent } else { indent + 2 });
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
    }
}

/// A string plain when YAML reads it back as the same string, JSON-quoted otherwise.
fn string(s: &str) -> String {
    let reserved = matches!(
        s.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    let numeric = s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o")
        || s.starts_with('.')
        || s.starts_with('+');
    let safe_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ' '));
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/');
    if !reserved && !numeric && safe_chars && first_ok && !s.ends_with(' ') {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_block_yaml() {
        let value = json!({
            "a": 1,
            "b": "x y",
            "c": {"d": [1, {"e": "true", "f": null}], "g": {}},
            "h": [],
            "i": "08",
        });
        assert_eq!(
            to_string(&value),
            "a: 1\nb: x y\nc:\n  d:\n  - 1\n  - e: \"true\"\n    f: null\n  g: {}\nh: []\ni: \"08\"\n"
        );
    }
}

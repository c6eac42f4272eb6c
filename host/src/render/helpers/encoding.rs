//! Encoding helpers: YAML and JSON in and out, base64, SHA-256.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use handlebars::Handlebars;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::fun;
use crate::yaml;

pub(super) fn register(r: &mut Handlebars<'static>) {
    fun(r, "toYaml", 1, Some(1), |a| Ok(to_yaml(a.get(0)).into()));
    fun(r, "toJson", 1, Some(1), |a| {
        Ok(to_json(a.get(0), false).into())
    });
    fun(r, "toPrettyJson", 1, Some(1), |a| {
        Ok(to_json(a.get(0), true).into())
    });
    fun(r, "fromYaml", 1, Some(1), |a| {
        let text = a.text(0);
        if text.trim().is_empty() {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        yaml::from_str::<Value>(&text).map_err(|err| {
            let (line, message) = yaml::error_position(&err);
            format!("invalid YAML at line {line}: {message}")
        })
    });
    fun(r, "fromJson", 1, Some(1), |a| {
        serde_json::from_str::<Value>(&a.text(0)).map_err(|err| format!("invalid JSON: {err}"))
    });
    fun(r, "b64enc", 1, Some(1), |a| {
        Ok(STANDARD.encode(a.text(0).as_bytes()).into())
    });
    fun(r, "b64dec", 1, Some(1), |a| {
        let bytes = STANDARD
            .decode(a.text(0).trim().as_bytes())
            .map_err(|err| format!("invalid base64: {err}"))?;
        String::from_utf8(bytes)
            .map(Value::from)
            .map_err(|_| "the decoded bytes are not UTF-8 text".to_owned())
    });
    fun(r, "sha256sum", 1, Some(1), |a| {
        Ok(hex(&Sha256::digest(a.text(0).as_bytes())).into())
    });
}

/// Helm's `toYaml`: the YAML document without its final newline; `null` for nothing.
pub(super) fn to_yaml(value: &Value) -> String {
    let mut text = quote_yaml11_booleans(yaml::to_string(value));
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// Words that YAML 1.1 parsers, Kubernetes' among them, read as booleans. The YAML 1.2 emitter
/// leaves such strings bare, so `{enabled: "yes"}` would reach the cluster as `true`.
const YAML11_BOOLEANS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Quotes bare YAML 1.1 boolean words in emitted YAML (keys and values; never inside block
/// scalars). Real booleans are emitted as `true`/`false`, so a bare word here is a string.
fn quote_yaml11_booleans(text: String) -> String {
    let bare = |word: &str| YAML11_BOOLEANS.contains(&word);
    if !text.split([' ', '\n', ':']).any(bare) {
        return text;
    }
    let quote = |word: &str| {
        if bare(word) {
            format!("'{word}'")
        } else {
            word.to_owned()
        }
    };
    let mut out = String::with_capacity(text.len() + 16);
    // Indentation of the line that opened a block scalar (`key: |-`), while inside it.
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        let indent = content.len() - content.trim_start().len();
        if let Some(open) = block {
            if content.trim().is_empty() || indent > open {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let mut start = indent;
        while content[start..].starts_with("- ") {
            start += 2;
        }
        let body = &content[start..];
        let fixed = match body.split_once(": ") {
            Some((key, value)) if !key.starts_with(['"', '\'']) => {
                format!("{}: {}", quote(key), quote(value))
            }
            _ => match body.strip_suffix(':') {
                Some(key) if !key.starts_with(['"', '\'']) => format!("{}:", quote(key)),
                _ => quote(body),
            },
        };
        out.push_str(&content[..start]);
        out.push_str(&fixed);
        out.push_str(&line[content.len()..]);
        let opener = body.rsplit(' ').next().unwrap_or(body);
        if opener.starts_with(['|', '>']) {
            block = Some(indent);
        }
    }
    out
}

/// Go's `json.Marshal`, which escapes `<`, `>` and `&` (so Helm's `toJson` output matches).
fn to_json(value: &Value, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    // These characters can only occur inside JSON strings, so replacing them is safe.
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

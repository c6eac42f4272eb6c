//! `filesGet`, `filesGlob`, `filesLines`, `filesAsBase64`: Helm's `.Files.Get` and friends over
//! the chart's non-template files.
//!
//! Not `Files.get`: handlebars-rust's grammar takes a dotted path as a helper name only when
//! the expression has no arguments (`{{Files.get "x"}}` is a syntax error), so the helpers
//! use one camel-case word. Missing files read as "" (as in Helm), so optional files need no
//! guard.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use handlebars::{Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, ScopedJson};
use serde_json::{Map, Value};

use super::{Args, Files, check_arity, fail};

pub(super) fn register(r: &mut Handlebars<'static>, files: Files) {
    let ops: [(&'static str, Op); 4] = [
        ("filesGet", Op::Get),
        ("filesGlob", Op::Glob),
        ("filesLines", Op::Lines),
        ("filesAsBase64", Op::AsBase64),
    ];
    for (name, op) in ops {
        r.register_helper(
            name,
            Box::new(FilesHelper {
                name,
                op,
                files: files.clone(),
            }),
        );
    }
}

#[derive(Clone, Copy)]
enum Op {
    Get,
    Glob,
    Lines,
    AsBase64,
}

struct FilesHelper {
    name: &'static str,
    op: Op,
    files: Files,
}

impl FilesHelper {
    fn text(&self, path: &str) -> String {
        self.files
            .get(path)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default()
    }
}

impl HelperDef for FilesHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        check_arity(self.name, h.params().len(), 1, Some(1))?;
        let args = Args { params: h.params() };
        let path = match args.get(0) {
            Value::String(path) => path.trim_start_matches("./"),
            other => {
                let message = format!(
                    "first argument must be a path, got {}",
                    super::describe(other)
                );
                return Err(fail(self.name, &message));
            }
        };
        let value = match self.op {
            Op::Get => Value::from(self.text(path)),
            Op::Lines => {
                let text = self.text(path);
                let mut lines: Vec<Value> = text.split('\n').map(Value::from).collect();
                // Like Helm: a final newline does not start another line.
                if text.ends_with('\n') {
                    lines.pop();
                }
                if text.is_empty() {
                    lines.clear();
                }
                Value::Array(lines)
            }
            Op::AsBase64 => Value::from(
                self.files
                    .get(path)
                    .map(|bytes| STANDARD.encode(bytes))
                    .unwrap_or_default(),
            ),
            Op::Glob => {
                let mut matched = Map::new();
                for (file, bytes) in self.files.iter() {
                    if glob_match(path.as_bytes(), file.as_bytes()) {
                        matched.insert(
                            file.clone(),
                            String::from_utf8_lossy(bytes).into_owned().into(),
                        );
                    }
                }
                Value::Object(matched)
            }
        };
        Ok(ScopedJson::Derived(value))
    }
}

/// Glob matching over `/`-separated paths: `*` and `?` stay within a path segment, `**` crosses
/// segments, `[abc]`/`[a-z]`/`[!a]` are classes and `{yaml,yml}` alternatives.
pub(super) fn glob_match(pattern: &[u8], path: &[u8]) -> bool {
    match pattern.first() {
        None => path.is_empty(),
        Some(b'*') if pattern.get(1) == Some(&b'*') => {
            let rest = &pattern[2..];
            // `**/` also matches no directory at all.
            let rest_after_slash = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=path.len()).any(|i| glob_match(rest, &path[i..]))
                || glob_match(rest_after_slash, path)
        }
        Some(b'*') => {
            let rest = &pattern[1..];
            for i in 0..=path.len() {
                if glob_match(rest, &path[i..]) {
                    return true;
                }
                if path.get(i) == Some(&b'/') {
                    break;
                }
            }
            false
        }
        Some(b'?') => match path.first() {
            Some(&c) if c != b'/' => glob_match(&pattern[1..], &path[1..]),
            _ => false,
        },
        Some(b'[') => {
            let Some(end) = pattern
                .iter()
                .skip(2)
                .position(|&b| b == b']')
                .map(|p| p + 2)
            else {
                return path.first() == Some(&b'[') && glob_match(&pattern[1..], &path[1..]);
            };
            let Some(&c) = path.first() else { return false };
            let class = &pattern[1..end];
            let (negated, class) = match class.first() {
                Some(b'!' | b'^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negated && c != b'/' && glob_match(&pattern[end + 1..], &path[1..])
        }
        Some(b'{') => {
            let Some(end) = pattern.iter().position(|&b| b == b'}') else {
                return path.first() == Some(&b'{') && glob_match(&pattern[1..], &path[1..]);
            };
            let rest = &pattern[end + 1..];
            pattern[1..end].split(|&b| b == b',').any(|alternative| {
                let mut candidate = alternative.to_vec();
                candidate.extend_from_slice(rest);
                glob_match(&candidate, path)
            })
        }
        Some(&c) => path.first() == Some(&c) && glob_match(&pattern[1..], &path[1..]),
    }
}

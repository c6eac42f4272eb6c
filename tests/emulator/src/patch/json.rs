//! JSON patch (RFC 6902) over `serde_json` values, with RFC 6901 pointers.

use serde_json::Value;

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}: must start with '/'"))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn index(token: &str, len: usize, allow_end: bool) -> Option<usize> {
    if token == "-" && allow_end {
        return Some(len);
    }
    if token.len() > 1 && token.starts_with('0') {
        return None;
    }
    let i: usize = token.parse().ok()?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    (i <= max && (allow_end || len > 0)).then_some(i)
}

fn get<'a>(doc: &'a Value, toks: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(index(t, a.len(), false)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn parent_mut<'a>(doc: &'a mut Value, toks: &[String]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in &toks[..toks.len().saturating_sub(1)] {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => {
                let i = index(t, a.len(), false)?;
                a.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn missing(op: &str, path: &str) -> String {
    format!("{op} operation does not apply: doc is missing path: {path:?}: missing value")
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let toks = tokens(path)?;
    let Some(last) = toks.last() else {
        *doc = value;
        return Ok(());
    };
    let parent = parent_mut(doc, &toks).ok_or_else(|| missing("add", path))?;
    match parent {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = index(last, a.len(), true).ok_or_else(|| {
                format!(
                    "add operation does not apply: doc is missing path: {path:?}: invalid index"
                )
            })?;
            a.insert(i, value);
            Ok(())
        }
        _ => Err(missing("add", path)),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let toks = tokens(path)?;
    let last = toks
        .last()
        .ok_or_else(|| "cannot remove the whole document".to_string())?;
    let parent = parent_mut(doc, &toks).ok_or_else(|| missing("remove", path))?;
    match parent {
        Value::Object(m) => m.shift_remove(last).ok_or_else(|| missing("remove", path)),
        Value::Array(a) => {
            let i = index(last, a.len(), false).ok_or_else(|| missing("remove", path))?;
            Ok(a.remove(i))
        }
        _ => Err(missing("remove", path)),
    }
}

/// Applies a JSON patch document (an array of operations) to `doc`.
pub fn apply(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch.as_array().ok_or_else(|| {
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch".to_string()
    })?;
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("operation missing path: {op}"))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("{name} operation missing value"))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{name} operation missing from"))
        };
        match name {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                let toks = tokens(path)?;
                if get(doc, &toks).is_none() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {path}: missing value"
                    ));
                }
                if toks.is_empty() {
                    *doc = value()?;
                } else {
                    remove(doc, path)?;
                    add(doc, path, value()?)?;
                }
            }
            "move" => {
                let v = remove(doc, from()?)?;
                add(doc, path, v)?;
            }
            "copy" => {
                let v = get(doc, &tokens(from()?)?)
                    .cloned()
                    .ok_or_else(|| missing("copy", path))?;
                add(doc, path, v)?;
            }
            "test" => {
                let got = get(doc, &tokens(path)?);
                if got != Some(&value()?) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: Value, patch: Value) -> Result<Value, String> {
        let mut d = doc;
        apply(&mut d, &patch)?;
        Ok(d)
    }

    #[test]
    fn all_operations() {
        let doc = json!({"a": {"b": 1}, "l": [1, 2, 3], "x/y": 0});
        assert_eq!(
            run(
                doc.clone(),
                json!([{"op": "add", "path": "/a/c", "value": 2}])
            )
            .expect("add")["a"],
            json!({"b": 1, "c": 2})
        );
        assert_eq!(
            run(
                doc.clone(),
                json!([{"op": "add", "path": "/l/-", "value": 4}])
            )
            .expect("append")["l"],
            json!([1, 2, 3, 4])
        );
        assert_eq!(
            run(
                doc.clone(),
                json!([{"op": "add", "path": "/l/0", "value": 0}])
            )
            .expect("insert")["l"],
            json!([0, 1, 2, 3])
        );
        assert_eq!(
            run(doc.clone(), json!([{"op": "remove", "path": "/l/1"}])).expect("rm")["l"],
            json!([1, 3])
        );
        assert_eq!(
            run(
                doc.clone(),
                json!([{"op": "replace", "path": "/a/b", "value": 9}])
            )
            .expect("replace")["a"]["b"],
            9
        );
        assert_eq!(
            run(doc.clone(), json!([{"op": "remove", "path": "/x~1y"}]))
                .expect("escaped")
                .get("x/y"),
            None
        );
        let moved = run(
            doc.clone(),
            json!([{"op": "move", "from": "/a/b", "path": "/z"}]),
        )
        .expect("move");
        assert_eq!(moved["z"], 1);
        assert_eq!(moved["a"], json!({}));
        assert_eq!(
            run(
                doc.clone(),
                json!([{"op": "copy", "from": "/l", "path": "/m"}])
            )
            .expect("copy")["m"],
            json!([1, 2, 3])
        );
        assert!(
            run(
                doc.clone(),
                json!([{"op": "test", "path": "/a/b", "value": 1}])
            )
            .is_ok()
        );
    }

    #[test]
    fn failures() {
        let doc = json!({"a": {"b": 1}, "l": [1]});
        assert!(
            run(doc.clone(), json!([{"op": "remove", "path": "/nope"}]))
                .expect_err("missing")
                .contains("missing path")
        );
        assert!(
            run(
                doc.clone(),
                json!([{"op": "replace", "path": "/nope", "value": 1}])
            )
            .is_err()
        );
        assert!(
            run(
                doc.clone(),
                json!([{"op": "test", "path": "/a/b", "value": 2}])
            )
            .is_err()
        );
        assert!(
            run(
                doc.clone(),
                json!([{"op": "add", "path": "/l/5", "value": 2}])
            )
            .is_err()
        );
        assert!(run(doc.clone(), json!([{"op": "bogus", "path": "/a"}])).is_err());
        assert!(run(doc, json!({"op": "add"})).is_err());
    }
}

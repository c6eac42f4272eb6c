//! Go's built-in template functions (`index`, `slice`, `len`, `not`, the comparisons, `print`
//! and friends, the escapers, `call`) over the executor's values, with Go's messages. `and`
//! and `or` are in the executor, which evaluates their arguments lazily.

use std::borrow::Cow;

use crate::exec::V;
use crate::funcmap::Builtin;
use crate::value::Value;

type Result<T> = std::result::Result<T, String>;

/// Calls `builtin` with evaluated arguments. `call_name` is the text of `call`'s first
/// argument, for its error.
pub(crate) fn call<'d>(builtin: Builtin, args: &[V<'d>], call_name: &str) -> Result<V<'d>> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_else(V::invalid);
    match builtin {
        Builtin::Not => Ok(V::own(Value::Bool(!arg(0).value.truth()))),
        Builtin::Len => length(&arg(0)).map(|n| V::own(Value::Int(n as i64))),
        Builtin::Index => index(arg(0), &args[1.min(args.len())..]),
        Builtin::Slice => slice(&arg(0), &args[1.min(args.len())..]),
        Builtin::Print => Ok(V::own(Value::from(crate::fmt::sprint(&values(args))))),
        Builtin::Println => Ok(V::own(Value::from(crate::fmt::sprintln(&values(args))))),
        Builtin::Printf => {
            let all = values(args);
            let format = all.first().and_then(Value::as_str).unwrap_or_default();
            let rest = all.get(1..).unwrap_or_default();
            Ok(V::own(Value::from(crate::fmt::sprintf(format, rest))))
        }
        Builtin::Html => Ok(V::own(Value::from(html_escape(&eval_args(args))))),
        Builtin::Js => Ok(V::own(Value::from(js_escape(&eval_args(args))))),
        Builtin::UrlQuery => Ok(V::own(Value::from(query_escape(&eval_args(args))))),
        Builtin::Call => {
            let f = arg(0);
            if f.value.is_nil() {
                return Err("call of nil".to_owned());
            }
            Err(format!(
                "non-function {call_name} of type {}",
                f.value.type_name()
            ))
        }
        Builtin::Eq => eq(&arg(0), &args[1.min(args.len())..]).map(bool_v),
        Builtin::Ne => eq(&arg(0), &args[1.min(args.len())..]).map(|b| bool_v(!b)),
        Builtin::Lt => lt(&arg(0), &arg(1)).map(bool_v),
        Builtin::Le => le(&arg(0), &arg(1)).map(bool_v),
        Builtin::Gt => le(&arg(0), &arg(1)).map(|b| bool_v(!b)),
        Builtin::Ge => lt(&arg(0), &arg(1)).map(|b| bool_v(!b)),
        // Evaluated by the executor.
        Builtin::And | Builtin::Or => Ok(arg(0)),
    }
}

fn bool_v<'d>(b: bool) -> V<'d> {
    V::own(Value::Bool(b))
}

fn values(args: &[V<'_>]) -> Vec<Value> {
    args.iter().map(|v| (*v.value).clone()).collect()
}

/// The plain data behind an object (maps and slices of Helm's and Sprig's named types).
fn data(v: &Value) -> Cow<'_, Value> {
    match v {
        Value::Object(object) if matches!(object.kind(), "map" | "slice" | "array") => {
            Cow::Owned(object.data())
        }
        other => Cow::Borrowed(other),
    }
}

/// The value the comparisons see: a Go named type of a basic kind (`time.Duration`,
/// `time.Month`) compares as its underlying number, as Go's `eq` and `lt` go by kind.
fn basic(v: &Value) -> Cow<'_, Value> {
    match v {
        Value::Object(object)
            if matches!(
                object.kind(),
                "bool"
                    | "int"
                    | "int8"
                    | "int16"
                    | "int32"
                    | "int64"
                    | "float32"
                    | "float64"
                    | "string"
            ) =>
        {
            Cow::Owned(object.data())
        }
        other => Cow::Borrowed(other),
    }
}

fn length(item: &V<'_>) -> Result<usize> {
    if item.is_invalid() {
        return Err("reflect: call of reflect.Value.Type on zero Value".to_owned());
    }
    if item.value.is_nil() {
        return Err("len of nil pointer".to_owned());
    }
    match &*data(&item.value) {
        Value::String(s) => Ok(s.len()),
        Value::Bytes(b) => Ok(b.len()),
        Value::List(items) => Ok(items.len()),
        Value::Map(map) => Ok(map.len()),
        Value::Dict(dict) => Ok(dict.len()),
        other => Err(format!("len of type {}", other.type_name())),
    }
}

/// Go's `indexArg`: an integer index within `0..=cap`.
fn index_arg(index: &V<'_>, cap: usize) -> Result<usize> {
    let x = match &*index.value {
        Value::Int(n) | Value::Int64(n) => *n,
        Value::Nil => return Err("cannot index slice/array with nil".to_owned()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index<'d>(item: V<'d>, indexes: &[V<'d>]) -> Result<V<'d>> {
    if item.value.is_nil() {
        return Err("index of untyped nil".to_owned());
    }
    let mut item = item;
    for index in indexes {
        if item.value.is_nil() {
            return Err("index of nil pointer".to_owned());
        }
        let next = match &*data(&item.value) {
            Value::List(items) => {
                let x = index_arg(index, items.len())?;
                match items.get(x) {
                    Some(v) => V {
                        value: Cow::Owned(v.clone()),
                        iface: true,
                    },
                    None => return Err(format!("index out of range: {x}")),
                }
            }
            Value::String(s) => {
                let x = index_arg(index, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => V::own(Value::Int(i64::from(*b))),
                    None => return Err(format!("index out of range: {x}")),
                }
            }
            Value::Bytes(bytes) => {
                let x = index_arg(index, bytes.len())?;
                match bytes.get(x) {
                    Some(b) => V::own(Value::Int(i64::from(*b))),
                    None => return Err(format!("index out of range: {x}")),
                }
            }
            map @ (Value::Map(_) | Value::Dict(_)) => {
                let key = match &*index.value {
                    Value::String(s) => s.clone(),
                    Value::Nil => {
                        return Err("value is nil; should be of type string".to_owned());
                    }
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ));
                    }
                };
                let entry = match map {
                    Value::Dict(dict) => dict.get(&key),
                    _ => map.as_map().and_then(|m| m.get(&*key)).cloned(),
                };
                V {
                    value: Cow::Owned(entry.unwrap_or_default()),
                    iface: true,
                }
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
        item = next;
    }
    Ok(item)
}

fn slice<'d>(item: &V<'d>, indexes: &[V<'d>]) -> Result<V<'d>> {
    if item.value.is_nil() {
        return Err("slice of untyped nil".to_owned());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let target = data(&item.value);
    let len = match &*target {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_owned());
            }
            s.len()
        }
        Value::List(items) => items.len(),
        Value::Bytes(b) => b.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    let (i, j) = (idx[0], idx[1]);
    Ok(V::own(match &*target {
        Value::String(s) => Value::from(String::from_utf8_lossy(&s.as_bytes()[i..j]).into_owned()),
        Value::List(items) => Value::list(items[i..j].to_vec()),
        Value::Bytes(b) => Value::Bytes(b[i..j].into()),
        _ => Value::Nil,
    }))
}

/// Go's basic kinds for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
    /// Not a basic kind (nil, maps, lists, objects).
    Other,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Other,
    }
}

/// Go's reflect kind, for `non-comparable types`.
fn reflect_kind(v: &Value) -> &str {
    match v {
        Value::Nil => "invalid",
        Value::Map(_) | Value::Dict(_) => "map",
        Value::List(_) | Value::Bytes(_) => "slice",
        Value::Object(o) => o.kind(),
        other => other.kind(),
    }
}

fn comparable(v: &Value) -> bool {
    match v {
        Value::Map(_) | Value::Dict(_) | Value::List(_) | Value::Bytes(_) => false,
        Value::Object(o) => !matches!(o.kind(), "map" | "slice"),
        _ => true,
    }
}

fn incompatible(a: &Value, b: &Value) -> String {
    format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    )
}

fn eq(arg1: &V<'_>, rest: &[V<'_>]) -> Result<bool> {
    let a = basic(&arg1.value);
    let a: &Value = &a;
    if rest.is_empty() {
        return Err("missing argument for comparison".to_owned());
    }
    let k1 = basic_kind(a);
    for arg in rest {
        let b = basic(&arg.value);
        let b: &Value = &b;
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a.is_nil() && !b.is_nil() {
                return Err(incompatible(a, b));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    let (ka, kb) = (reflect_kind(a), reflect_kind(b));
                    if ka != kb && !a.is_nil() && !b.is_nil() {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            crate::fmt::sprintf("%s", std::slice::from_ref(a)),
                            a.type_name(),
                            b.type_name(),
                            b
                        ));
                    }
                    if a.is_nil() || b.is_nil() {
                        a.is_nil() == b.is_nil()
                    } else if !comparable(b) {
                        return Err(format!(
                            "non-comparable type {}: {}",
                            crate::fmt::sprintf("%s", std::slice::from_ref(b)),
                            b.type_name()
                        ));
                    } else if let (Value::Object(x), Value::Object(y)) = (a, b) {
                        // Go compares pointers by address, structs by fields.
                        if x.kind() == "ptr" {
                            std::sync::Arc::ptr_eq(x, y)
                        } else {
                            a == b
                        }
                    } else {
                        a == b
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &V<'_>, arg2: &V<'_>) -> Result<bool> {
    let (a, b) = (basic(&arg1.value), basic(&arg2.value));
    let (a, b): (&Value, &Value) = (&a, &b);
    let k1 = basic_kind(a);
    if k1 == Kind::Other {
        return Err("invalid type for comparison".to_owned());
    }
    let k2 = basic_kind(b);
    if k2 == Kind::Other {
        return Err("invalid type for comparison".to_owned());
    }
    if k1 != k2 {
        return Err(incompatible(a, b));
    }
    Ok(match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return Err("invalid type for comparison".to_owned()),
    })
}

fn le(arg1: &V<'_>, arg2: &V<'_>) -> Result<bool> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}

/// Go's `evalArgs` for the escapers: one string as is, else `fmt.Sprint` of the arguments
/// with nil printed as `<no value>`.
fn eval_args(args: &[V<'_>]) -> String {
    if let [one] = args
        && let Value::String(s) = &*one.value
    {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|v| {
            if v.value.is_nil() {
                Value::string("<no value>")
            } else {
                (*v.value).clone()
            }
        })
        .collect();
    crate::fmt::sprint(&printable)
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
            c if c.is_ascii() => out.push(c),
            c if crate::fmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapers_match_go() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("<a=b>'\"\\\n é"),
            "\\u003Ca\\u003Db\\u003E\\'\\\"\\\\\\u000A é"
        );
        assert_eq!(query_escape("a b&c/é~"), "a+b%26c%2F%C3%A9~");
    }
}

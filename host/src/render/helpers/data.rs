//! Data helpers: lists, maps (`dict`, Sprig's `merge`), types and arithmetic.

use handlebars::Handlebars;
use serde_json::{Map, Number, Value};

use super::{Args, describe, fun, is_empty, ordinal, to_int, to_text};

pub(super) fn register(r: &mut Handlebars<'static>) {
    fun(r, "list", 0, None, |a| {
        Ok(Value::Array(a.iter().cloned().collect()))
    });
    fun(r, "dict", 0, None, |a| {
        let mut map = Map::new();
        for i in (0..a.len()).step_by(2) {
            // Like Sprig, a key without a value maps to "".
            let value = if i + 1 < a.len() {
                a.get(i + 1).clone()
            } else {
                Value::from("")
            };
            map.insert(a.text(i).into_owned(), value);
        }
        Ok(Value::Object(map))
    });
    fun(r, "merge", 1, None, |a| merge_all(a, false));
    fun(r, "mergeOverwrite", 1, None, |a| merge_all(a, true));
    fun(r, "hasKey", 2, Some(2), |a| {
        Ok(a.map(0)?.contains_key(&*a.text(1)).into())
    });
    fun(r, "get", 2, Some(2), |a| {
        Ok(a.map(0)?
            .get(&*a.text(1))
            .cloned()
            .unwrap_or_else(|| "".into()))
    });
    fun(r, "keys", 1, None, |a| {
        let mut keys = Vec::new();
        for i in 0..a.len() {
            keys.extend(a.map(i)?.keys().cloned().map(Value::String));
        }
        // Sorted: Go's map order is random, ours would be the file's; sorted is predictable.
        keys.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
        Ok(Value::Array(keys))
    });
    fun(r, "has", 2, Some(2), |a| {
        let needle = a.get(0);
        Ok(match a.get(1) {
            Value::Array(items) => items.iter().any(|item| loosely_equal(item, needle)),
            Value::Null => false,
            other => {
                return Err(format!(
                    "second argument must be a list, got {}",
                    describe(other)
                ));
            }
        }
        .into())
    });
    fun(r, "first", 1, Some(1), |a| {
        Ok(a.list(0)?.first().cloned().unwrap_or_default())
    });
    fun(r, "last", 1, Some(1), |a| {
        Ok(a.list(0)?.last().cloned().unwrap_or_default())
    });
    fun(r, "sortAlpha", 1, Some(1), |a| {
        let mut items: Vec<String> = a.list(0)?.iter().map(|v| to_text(v).into_owned()).collect();
        items.sort();
        Ok(items.into())
    });
    fun(r, "join", 2, Some(2), |a| {
        let parts: Vec<_> = match a.get(1) {
            Value::Array(items) => items.iter().filter(|v| !v.is_null()).map(to_text).collect(),
            other => vec![to_text(other)],
        };
        Ok(parts.join(&a.text(0)).into())
    });
    fun(r, "splitList", 2, Some(2), |a| {
        Ok(a.text(1)
            .split(&*a.text(0))
            .map(Value::from)
            .collect::<Vec<_>>()
            .into())
    });
    fun(r, "split", 2, Some(2), |a| {
        let map = a
            .text(1)
            .split(&*a.text(0))
            .enumerate()
            .map(|(i, part)| (format!("_{i}"), Value::from(part)))
            .collect::<Map<_, _>>();
        Ok(Value::Object(map))
    });
    fun(r, "typeOf", 1, Some(1), |a| Ok(type_of(a.get(0)).into()));
    fun(r, "kindOf", 1, Some(1), |a| Ok(kind_of(a.get(0)).into()));
    fun(r, "kindIs", 2, Some(2), |a| {
        Ok((a.text(0) == kind_of(a.get(1))).into())
    });
    fun(r, "typeIs", 2, Some(2), |a| {
        Ok((a.text(0) == type_of(a.get(1))).into())
    });
    fun(r, "int", 1, Some(1), to_integer);
    fun(r, "int64", 1, Some(1), to_integer);
    fun(r, "float64", 1, Some(1), |a| {
        let value = a.get(0);
        let number = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        };
        number
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("cannot convert {} to a number", describe(value)))
    });
    fun(r, "add", 0, None, |a| {
        fold(a, 0, i64::checked_add, |x, y| x + y)
    });
    fun(r, "mul", 1, None, |a| {
        fold(a, 1, i64::checked_mul, |x, y| x * y)
    });
    fun(r, "add1", 1, Some(1), |a| {
        arith(a.get(0), &Value::from(1), i64::checked_add, |x, y| x + y)
    });
    fun(r, "sub", 2, Some(2), |a| {
        arith(a.get(0), a.get(1), i64::checked_sub, |x, y| x - y)
    });
    fun(r, "div", 2, Some(2), |a| {
        check_divisor(a)?;
        arith(a.get(0), a.get(1), i64::checked_div, |x, y| x / y)
    });
    fun(r, "mod", 2, Some(2), |a| {
        check_divisor(a)?;
        arith(a.get(0), a.get(1), i64::checked_rem, |x, y| x % y)
    });
    fun(r, "max", 1, None, |a| {
        extreme(a, std::cmp::Ordering::Greater)
    });
    fun(r, "min", 1, None, |a| extreme(a, std::cmp::Ordering::Less));
}

/// Sprig `merge` (first wins; a key is filled from a later map when it is missing or empty)
/// or `mergeOverwrite` (last wins). Maps merge deeply, lists are values like any other.
fn merge_all(a: &Args<'_, '_>, overwrite: bool) -> Result<Value, String> {
    let mut merged = a.map(0)?.clone();
    for i in 1..a.len() {
        match a.get(i) {
            Value::Object(source) => merge_into(&mut merged, source, overwrite),
            Value::Null => {}
            other => {
                return Err(format!(
                    "{} argument must be a map, got {}",
                    ordinal(i),
                    describe(other)
                ));
            }
        }
    }
    Ok(Value::Object(merged))
}

fn merge_into(target: &mut Map<String, Value>, source: &Map<String, Value>, overwrite: bool) {
    for (key, incoming) in source {
        match (target.get_mut(key), incoming) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                merge_into(existing, incoming, overwrite);
            }
            (Some(existing), _) => {
                // mergo, under Sprig's `merge`, replaces empty values such as `false` and 0.
                if overwrite || is_empty(existing) {
                    *existing = incoming.clone();
                }
            }
            (None, _) => {
                target.insert(key.clone(), incoming.clone());
            }
        }
    }
}

/// Equality as a chart author means it: `1 == 1.0`, `80 == "80"`, otherwise JSON equality.
pub(super) fn loosely_equal(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Number(_), Value::Number(_))
        | (Value::Number(_), Value::String(_))
        | (Value::String(_), Value::Number(_)) => match (as_f64(x), as_f64(y)) {
            (Some(a), Some(b)) => {
                // Integers compare exactly; beyond 2^53 f64 would blur them.
                match (to_int(x), to_int(y)) {
                    (Some(i), Some(j)) if x.is_i64() || y.is_i64() => i == j,
                    _ => a == b,
                }
            }
            _ => false,
        },
        _ => x == y,
    }
}

pub(super) fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Go's type names (`int64` for integers, `float64` for other numbers, as YAML values are).
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's kinds: `string bool int64 float64 slice map invalid`.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "invalid",
        Value::Array(_) => "slice",
        Value::Object(_) => "map",
        other => type_of(other),
    }
}

fn to_integer(a: &Args<'_, '_>) -> Result<Value, String> {
    let value = a.get(0);
    match value {
        Value::Bool(b) => Ok(i64::from(*b).into()),
        Value::Null => Ok(0.into()),
        Value::Number(n) if n.is_f64() => {
            Ok((n.as_f64().unwrap_or_default().trunc() as i64).into())
        }
        _ => to_int(value)
            .or_else(|| as_f64(value).map(|f| f.trunc() as i64))
            .map(Value::from)
            .ok_or_else(|| format!("cannot convert {} to an integer", describe(value))),
    }
}

enum Num {
    Int(i64),
    Float(f64),
}

fn number(value: &Value, i: usize) -> Result<Num, String> {
    if let Some(n) = value.as_i64() {
        return Ok(Num::Int(n));
    }
    if value.is_string()
        && let Some(n) = to_int(value)
    {
        return Ok(Num::Int(n));
    }
    as_f64(value).map(Num::Float).ok_or_else(|| {
        format!(
            "{} argument must be a number, got {}",
            ordinal(i),
            describe(value)
        )
    })
}

fn arith(
    x: &Value,
    y: &Value,
    int_op: fn(i64, i64) -> Option<i64>,
    float_op: fn(f64, f64) -> f64,
) -> Result<Value, String> {
    let result = match (number(x, 0)?, number(y, 1)?) {
        (Num::Int(a), Num::Int(b)) => {
            return int_op(a, b)
                .map(Value::from)
                .ok_or_else(|| "integer overflow".to_owned());
        }
        (Num::Int(a), Num::Float(b)) => float_op(a as f64, b),
        (Num::Float(a), Num::Int(b)) => float_op(a, b as f64),
        (Num::Float(a), Num::Float(b)) => float_op(a, b),
    };
    Ok(float_value(result))
}

/// A float result, as an integer when it is whole (`1.5 + 1.5` prints `3`).
fn float_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn fold(
    a: &Args<'_, '_>,
    start: i64,
    int_op: fn(i64, i64) -> Option<i64>,
    float_op: fn(f64, f64) -> f64,
) -> Result<Value, String> {
    let mut acc = Value::from(start);
    for (i, value) in a.iter().enumerate() {
        number(value, i)?;
        acc = arith(&acc, value, int_op, float_op)?;
    }
    Ok(acc)
}

fn check_divisor(a: &Args<'_, '_>) -> Result<(), String> {
    if as_f64(a.get(1)) == Some(0.0) {
        return Err("division by zero".to_owned());
    }
    Ok(())
}

fn extreme(a: &Args<'_, '_>, keep: std::cmp::Ordering) -> Result<Value, String> {
    let mut best: Option<(f64, &Value)> = None;
    for (i, value) in a.iter().enumerate() {
        let f = as_f64(value).ok_or_else(|| {
            format!(
                "{} argument must be a number, got {}",
                ordinal(i),
                describe(value)
            )
        })?;
        if best.is_none_or(|(b, _)| f.partial_cmp(&b) == Some(keep)) {
            best = Some((f, value));
        }
    }
    let (_, value) = best.ok_or("expects at least 1 argument")?;
    Ok(match value {
        Value::String(_) => float_value(as_f64(value).unwrap_or_default()),
        other => other.clone(),
    })
}

//! Sprig's list functions and their `must` variants. Each takes any Go slice (`[]interface{}`,
//! `[]string`, `[]byte`, ...) and returns a new `[]interface{}`; the list given is never
//! changed. A value that is not a slice is an error with Sprig's message (the plain variants
//! panic with it, which Go's template engine reports the same way).

use std::sync::Arc;

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::Value;

use super::conv::{empty, float_to_int, to_int64};
use super::reflect::deep_equal;
use super::typed::{TypedList, kind_of, nil_dereference, slice_items};
use super::{MAX_LIST, def};

use Param::{Any, Int};

pub(super) const FUNCS: &[FuncDef] = &[
    def("list", Sig::variadic(&[], Any), |a| {
        Ok(Value::list(a.rest(0).to_vec()))
    }),
    def("tuple", Sig::variadic(&[], Any), |a| {
        Ok(Value::list(a.rest(0).to_vec()))
    }),
    def("append", Sig::fixed(&[Any, Any]), push),
    def("push", Sig::fixed(&[Any, Any]), push),
    def("mustAppend", Sig::fixed(&[Any, Any]), push),
    def("mustPush", Sig::fixed(&[Any, Any]), push),
    def("prepend", Sig::fixed(&[Any, Any]), prepend),
    def("mustPrepend", Sig::fixed(&[Any, Any]), prepend),
    def("first", Sig::fixed(&[Any]), first),
    def("mustFirst", Sig::fixed(&[Any]), first),
    def("rest", Sig::fixed(&[Any]), rest),
    def("mustRest", Sig::fixed(&[Any]), rest),
    def("last", Sig::fixed(&[Any]), last),
    def("mustLast", Sig::fixed(&[Any]), last),
    def("initial", Sig::fixed(&[Any]), initial),
    def("mustInitial", Sig::fixed(&[Any]), initial),
    def("reverse", Sig::fixed(&[Any]), reverse),
    def("mustReverse", Sig::fixed(&[Any]), reverse),
    def("uniq", Sig::fixed(&[Any]), uniq),
    def("mustUniq", Sig::fixed(&[Any]), uniq),
    def("without", Sig::variadic(&[Any], Any), without),
    def("mustWithout", Sig::variadic(&[Any], Any), without),
    def("has", Sig::fixed(&[Any, Any]), has),
    def("mustHas", Sig::fixed(&[Any, Any]), has),
    def("slice", Sig::variadic(&[Any], Any), slice),
    def("mustSlice", Sig::variadic(&[Any], Any), slice),
    def("concat", Sig::variadic(&[], Any), concat),
    def("chunk", Sig::fixed(&[Int, Any]), chunk),
    def("mustChunk", Sig::fixed(&[Int, Any]), chunk),
    def("compact", Sig::fixed(&[Any]), compact),
    def("mustCompact", Sig::fixed(&[Any]), compact),
];

/// The elements of `value`, or Sprig's error `Cannot <what> type <kind>` (`what` carries
/// Sprig's wording: "push on", "find first on", ...).
fn items(value: &Value, what: &str) -> Result<Arc<Vec<Value>>, FuncError> {
    match slice_items(value) {
        Some(items) => Ok(items),
        None => Err(FuncError::msg(format!(
            "Cannot {what} type {}",
            kind_of(value)?
        ))),
    }
}

fn push(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "push on")?;
    let mut out = Vec::with_capacity(list.len() + 1);
    out.extend(list.iter().cloned());
    out.push(a.get(1).clone());
    Ok(Value::list(out))
}

fn prepend(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "prepend on")?;
    let mut out = Vec::with_capacity(list.len() + 1);
    out.push(a.get(1).clone());
    out.extend(list.iter().cloned());
    Ok(Value::list(out))
}

fn first(a: &Args<'_>) -> FuncResult {
    Ok(items(a.get(0), "find first on")?
        .first()
        .cloned()
        .unwrap_or_default())
}

fn last(a: &Args<'_>) -> FuncResult {
    Ok(items(a.get(0), "find last on")?
        .last()
        .cloned()
        .unwrap_or_default())
}

fn rest(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "find rest on")?;
    Ok(Value::list(list.iter().skip(1).cloned().collect()))
}

fn initial(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "find initial on")?;
    let keep = list.len().saturating_sub(1);
    Ok(Value::list(list[..keep].to_vec()))
}

fn reverse(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "find reverse on")?;
    Ok(Value::list(list.iter().rev().cloned().collect()))
}

fn uniq(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "find uniq on")?;
    let mut out: Vec<Value> = Vec::new();
    for item in list.iter() {
        if !out.iter().any(|seen| deep_equal(item, seen)) {
            out.push(item.clone());
        }
    }
    Ok(Value::list(out))
}

fn without(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "find without on")?;
    let omit = a.rest(1);
    Ok(Value::list(
        list.iter()
            .filter(|item| !omit.iter().any(|o| deep_equal(item, o)))
            .cloned()
            .collect(),
    ))
}

fn has(a: &Args<'_>) -> FuncResult {
    let (needle, haystack) = (a.get(0), a.get(1));
    if haystack.is_nil() {
        return Ok(false.into());
    }
    let list = items(haystack, "find has on")?;
    Ok(list.iter().any(|item| deep_equal(needle, item)).into())
}

fn compact(a: &Args<'_>) -> FuncResult {
    let list = items(a.get(0), "compact on")?;
    Ok(Value::list(
        list.iter().filter(|item| !empty(item)).cloned().collect(),
    ))
}

/// `slice LIST [START [END]]`: Go's `list[start:end]`, keeping the list's type; an empty list
/// gives nil; bounds out of range are Go's panic.
fn slice(a: &Args<'_>) -> FuncResult {
    let value = a.get(0);
    let Some(list) = slice_items(value) else {
        return Err(FuncError::msg(format!(
            "list should be type of slice or array but {}",
            kind_of(value)?
        )));
    };
    let len = list.len() as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let indices = a.rest(1);
    let start = indices.first().map_or(0, to_int64);
    let end = if indices.len() < 2 {
        len
    } else {
        to_int64(&indices[1])
    };
    if start < 0 || end < start || end > len {
        return Err(FuncError::msg(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    let part = list[start as usize..end as usize].to_vec();
    Ok(match value {
        Value::Object(object) => TypedList::value(leak_type_name(object.type_name()), part),
        Value::Bytes(_) => Value::Bytes(
            part.iter()
                .map(|v| v.as_i64().unwrap_or(0) as u8)
                .collect::<Vec<u8>>()
                .into(),
        ),
        _ => Value::list(part),
    })
}

/// The `'static` type name of a typed list that a slice of it keeps.
fn leak_type_name(name: &str) -> &'static str {
    match name {
        "[]string" => "[]string",
        "[]int" => "[]int",
        "[][]interface {}" => "[][]interface {}",
        _ => "[]interface {}",
    }
}

fn concat(a: &Args<'_>) -> FuncResult {
    let mut out = Vec::new();
    for value in a.rest(0) {
        match slice_items(value) {
            Some(list) => out.extend(list.iter().cloned()),
            None if value.is_nil() => return Err(nil_dereference()),
            None => {
                return Err(FuncError::msg(format!(
                    "Cannot concat type {} as list",
                    value.kind()
                )));
            }
        }
    }
    Ok(Value::list(out))
}

/// `chunk SIZE LIST`: `[][]interface{}` of SIZE elements each, the last one shorter. The
/// count is computed in float64 as Sprig does, so odd sizes behave as in Helm: `chunk -1`
/// of two elements is empty, while 0 and most negative sizes panic making a slice.
fn chunk(a: &Args<'_>) -> FuncResult {
    let size = a.int(0)?;
    let list = items(a.get(1), "chunk")?;
    let len = list.len() as i64;
    let count = float_to_int(((len - 1) as f64 / size as f64).floor()).wrapping_add(1);
    let makeslice = || FuncError::msg("runtime error: makeslice: len out of range");
    if count < 0 {
        return Err(makeslice());
    }
    if count as u64 > MAX_LIST as u64 {
        return Err(super::too_large("chunk", count as u64));
    }
    let mut chunks = Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut width = size;
        if i == count - 1 {
            width = float_to_int((len as f64 % size as f64).floor());
            if width == 0 {
                width = size;
            }
        }
        if width < 0 {
            return Err(makeslice());
        }
        let start = i.saturating_mul(size);
        let part = list
            .get(start as usize..start.saturating_add(width) as usize)
            .ok_or_else(|| FuncError::msg("reflect: slice index out of range"))?;
        chunks.push(Value::list(part.to_vec()));
    }
    Ok(TypedList::value("[][]interface {}", chunks))
}

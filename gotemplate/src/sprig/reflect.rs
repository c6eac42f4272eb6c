//! Sprig's reflection functions (`typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`,
//! `deepEqual`) and Go's `reflect.DeepEqual`, which `has`, `uniq` and `without` use too.

use crate::func::{FuncDef, Param, Sig};
use crate::value::Value;

use super::def;
use super::typed::slice_items;

use Param::{Any, String as Str};

pub(super) const FUNCS: &[FuncDef] = &[
    def("typeOf", Sig::fixed(&[Any]), |a| {
        Ok(a.get(0).type_name().into())
    }),
    def("typeIs", Sig::fixed(&[Str, Any]), |a| {
        Ok((a.string(0)? == a.get(1).type_name()).into())
    }),
    def("typeIsLike", Sig::fixed(&[Str, Any]), |a| {
        let (target, actual) = (a.string(0)?, a.get(1).type_name());
        Ok((actual == target || actual.strip_prefix('*') == Some(target)).into())
    }),
    def("kindOf", Sig::fixed(&[Any]), |a| Ok(a.get(0).kind().into())),
    def("kindIs", Sig::fixed(&[Str, Any]), |a| {
        Ok((a.string(0)? == a.get(1).kind()).into())
    }),
    def("deepEqual", Sig::fixed(&[Any, Any]), |a| {
        Ok(deep_equal(a.get(0), a.get(1)).into())
    }),
];

/// How deep [`deep_equal`] follows nested values (only a dict holding itself gets there).
const MAX_DEPTH: usize = 1000;

/// `reflect.DeepEqual`: the same Go type and equal contents; `1` (int) and `1` (int64) differ,
/// as do `1` and `1.0`; NaN is not equal to itself.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    deep_equal_at(a, b, 0)
}

fn deep_equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    // Deep values (a dict holding itself) recurse on a grown stack, whatever the thread.
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || deep_equal_inner(a, b, depth))
}

fn deep_equal_inner(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            std::sync::Arc::ptr_eq(x, y)
                || x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|(x, y)| deep_equal_at(x, y, depth + 1))
        }
        (Value::Dict(x), Value::Dict(y)) if x.ptr_eq(y) => true,
        (Value::Map(_) | Value::Dict(_), Value::Map(_) | Value::Dict(_)) => {
            // Copy the entries out so that no lock is held while comparing (a dict may hold
            // the other).
            let (x, y) = match (a.map_ref(), b.map_ref()) {
                (Some(x), Some(y)) => (x.clone(), y.clone()),
                _ => return false,
            };
            x.len() == y.len()
                && x.iter().all(|(key, xv)| {
                    y.get(key)
                        .is_some_and(|yv| deep_equal_at(xv, yv, depth + 1))
                })
        }
        (Value::Object(x), Value::Object(y)) => {
            x.type_name() == y.type_name()
                && (std::sync::Arc::ptr_eq(x, y)
                    || match (slice_items(a), slice_items(b)) {
                        (Some(xs), Some(ys)) => {
                            xs.len() == ys.len()
                                && xs
                                    .iter()
                                    .zip(ys.iter())
                                    .all(|(x, y)| deep_equal_at(x, y, depth + 1))
                        }
                        _ => {
                            x.format_v() == y.format_v()
                                && deep_equal_at(&x.data(), &y.data(), depth + 1)
                        }
                    })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Map;

    #[test]
    fn deep_equal_is_type_strict() {
        let map = |k: &str, v: Value| {
            let mut m = Map::new();
            m.insert(k.into(), v);
            m
        };
        let cases: &[(Value, Value, bool)] = &[
            (Value::Int(1), Value::Int(1), true),
            (Value::Int(1), Value::Int64(1), false),
            (Value::Int(1), Value::Float(1.0), false),
            (Value::Float(f64::NAN), Value::Float(f64::NAN), false),
            (Value::Nil, Value::Nil, true),
            (Value::Nil, Value::from(""), false),
            (
                Value::list(vec![Value::Int(1), "a".into()]),
                Value::list(vec![Value::Int(1), "a".into()]),
                true,
            ),
            (
                Value::list(vec![Value::Int(1)]),
                Value::list(vec![Value::Int64(1)]),
                false,
            ),
            (
                Value::map(map("a", Value::Int(1))),
                Value::dict(map("a", Value::Int(1))),
                true,
            ),
            (
                Value::map(map("a", Value::Int(1))),
                Value::map(map("b", Value::Int(1))),
                false,
            ),
            (
                super::super::typed::strings(["a".to_owned()]),
                Value::list(vec!["a".into()]),
                false,
            ),
            (
                super::super::typed::strings(["a".to_owned()]),
                super::super::typed::strings(["a".to_owned()]),
                true,
            ),
        ];
        for (a, b, expected) in cases {
            assert_eq!(deep_equal(a, b), *expected, "{a:?} vs {b:?}");
        }
    }
}

//! Sprig's dict functions. `set`, `unset`, `merge` and `mergeOverwrite` change the dict they
//! are given, in place, as Go does to a map (see [`crate::value::Dict`]); the others build new
//! dicts. `merge` follows `mergo` (v1.0.1, Sprig's merge library) rule by rule.

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::{Dict, Map, Value};

use super::conv::{empty, strval};
use super::def;
use super::typed::{self, slice_items};

use Param::{Any, Map as MapP, String as Str};

pub(super) const FUNCS: &[FuncDef] = &[
    def("dict", Sig::variadic(&[], Any), dict),
    def("get", Sig::fixed(&[MapP, Str]), |a| {
        let key = a.string(1)?;
        Ok(read(a.get(0), |m| m.get(key).cloned()).unwrap_or_else(|| "".into()))
    }),
    def("set", Sig::fixed(&[MapP, Str, Any]), set),
    def("unset", Sig::fixed(&[MapP, Str]), unset),
    def("hasKey", Sig::fixed(&[MapP, Str]), |a| {
        let key = a.string(1)?;
        Ok(read(a.get(0), |m| m.contains_key(key)).into())
    }),
    def("pluck", Sig::variadic(&[Str], MapP), |a| {
        let key = a.string(0)?;
        let found = a
            .rest(1)
            .iter()
            .filter_map(|d| read(d, |m| m.get(key).cloned()))
            .collect();
        Ok(Value::list(found))
    }),
    def("keys", Sig::variadic(&[], MapP), |a| {
        let mut keys = Vec::new();
        for d in a.rest(0) {
            read(d, |m| keys.extend(m.keys().cloned()));
        }
        Ok(typed::strings(keys))
    }),
    def("values", Sig::fixed(&[MapP]), |a| {
        Ok(Value::list(read(a.get(0), |m| {
            m.values().cloned().collect()
        })))
    }),
    def("pick", Sig::variadic(&[MapP], Str), |a| {
        let picked = read(a.get(0), |m| {
            a.rest(1)
                .iter()
                .filter_map(|k| {
                    let k = k.as_str()?;
                    m.get(k).map(|v| (k.to_owned(), v.clone()))
                })
                .collect::<Map>()
        });
        Ok(Value::dict(picked))
    }),
    def("omit", Sig::variadic(&[MapP], Str), |a| {
        let omitted: Vec<&str> = a.rest(1).iter().filter_map(Value::as_str).collect();
        let kept = read(a.get(0), |m| {
            m.iter()
                .filter(|(k, _)| !omitted.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map>()
        });
        Ok(Value::dict(kept))
    }),
    def("merge", Sig::variadic(&[MapP], MapP), |a| {
        Ok(merge(a, false).unwrap_or_else(|_| "".into()))
    }),
    def("mustMerge", Sig::variadic(&[MapP], MapP), |a| {
        merge(a, false)
    }),
    def("mergeOverwrite", Sig::variadic(&[MapP], MapP), |a| {
        Ok(merge(a, true).unwrap_or_else(|_| "".into()))
    }),
    def("mustMergeOverwrite", Sig::variadic(&[MapP], MapP), |a| {
        merge(a, true)
    }),
    def("deepCopy", Sig::fixed(&[Any]), deep_copy),
    def("mustDeepCopy", Sig::fixed(&[Any]), deep_copy),
    def("dig", Sig::variadic(&[], Any), dig),
];

/// Runs `f` on the entries of a map argument (nil reads as an empty map, as a nil Go map
/// does). The dict stays read-locked only while `f` runs.
fn read<T>(value: &Value, f: impl FnOnce(&Map) -> T) -> T {
    match value {
        Value::Object(object) if object.is_map_like() => read(&object.data(), f),
        other => match other.map_ref() {
            Some(map) => f(&map),
            None => f(&Map::new()),
        },
    }
}

fn dict(a: &Args<'_>) -> FuncResult {
    let args = a.rest(0);
    let mut map = Map::new();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| "".into());
        map.insert(strval(&pair[0]), value);
    }
    Ok(Value::dict(map))
}

fn set(a: &Args<'_>) -> FuncResult {
    let (key, value) = (a.string(1)?, a.get(2).clone());
    let Some(dict) = a.dict(0)? else {
        return Err(FuncError::msg("assignment to entry in nil map"));
    };
    dict.insert(key, value);
    Ok(Value::Dict(dict))
}

fn unset(a: &Args<'_>) -> FuncResult {
    let key = a.string(1)?;
    let dict = a.dict(0)?.unwrap_or_default();
    dict.remove(key);
    Ok(Value::Dict(dict))
}

/// How deep `merge` follows nested maps: beyond any real values file, short of a stack
/// overflow on a dict that contains itself.
const MAX_MERGE_DEPTH: usize = 200;

fn merge(a: &Args<'_>, overwrite: bool) -> FuncResult {
    // A nil destination becomes a new map, as mergo makes one for a nil Go map.
    let dst = a.dict(0)?.unwrap_or_default();
    for src in a.rest(1) {
        let src = match src {
            Value::Dict(d) if d.ptr_eq(&dst) => continue,
            other => read(other, Map::clone),
        };
        merge_into(&dst, &src, overwrite, 0)?;
    }
    Ok(Value::Dict(dst))
}

fn is_map(value: &Value) -> bool {
    matches!(value, Value::Map(_) | Value::Dict(_))
        || matches!(value, Value::Object(o) if o.is_map_like())
}

/// mergo's `deepMerge` of a `map[string]interface{}` source into a destination map:
/// - a nil source value is copied only when overwriting;
/// - a map into a map merges recursively, changing the destination's map in place;
/// - otherwise the source value replaces the destination's when overwriting, or when the
///   destination has no such key or an empty value there.
fn merge_into(dst: &Dict, src: &Map, overwrite: bool, depth: usize) -> Result<(), FuncError> {
    if depth > MAX_MERGE_DEPTH {
        return Err(FuncError::msg("merge: maps nested too deeply"));
    }
    for (key, src_value) in src {
        if src_value.is_nil() {
            if overwrite {
                dst.insert(key.clone(), Value::Nil);
            }
            continue;
        }
        let mut dst_value = dst.get(key);
        if is_map(src_value)
            && let Some(existing) = &dst_value
        {
            let nested_src = read(src_value, Map::clone);
            match existing {
                Value::Dict(nested) if !matches!(src_value, Value::Dict(s) if s.ptr_eq(nested)) => {
                    merge_into(nested, &nested_src, overwrite, depth + 1)?;
                }
                Value::Map(plain) => {
                    // An immutable map cannot change in place: merge into a shared copy and
                    // put that in its place.
                    let nested = Dict::new((**plain).clone());
                    merge_into(&nested, &nested_src, overwrite, depth + 1)?;
                    let replaced = Value::Dict(nested);
                    dst.insert(key.clone(), replaced.clone());
                    dst_value = Some(replaced);
                }
                _ => {}
            }
        }
        if let Some(existing) = &dst_value
            && !empty(existing)
            && (slice_items(src_value).is_some() || is_map(src_value) && is_map(existing))
        {
            if overwrite && slice_items(src_value).is_some() {
                dst.insert(key.clone(), src_value.clone());
            }
            continue;
        }
        let replace = overwrite || dst_value.as_ref().is_none_or(empty);
        if replace {
            dst.insert(key.clone(), src_value.clone());
        }
    }
    Ok(())
}

/// How deep `deepCopy` follows nested values.
const MAX_COPY_DEPTH: usize = 1000;

fn deep_copy(a: &Args<'_>) -> FuncResult {
    match a.get(0) {
        Value::Nil => Err(FuncError::msg(
            "reflect: call of reflect.Value.Type on zero Value",
        )),
        value => copy_value(value, 0),
    }
}

fn copy_value(value: &Value, depth: usize) -> FuncResult {
    // Deep values (a dict holding itself) recurse on a grown stack, whatever the thread.
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || copy_value_inner(value, depth))
}

fn copy_value_inner(value: &Value, depth: usize) -> FuncResult {
    if depth > MAX_COPY_DEPTH {
        return Err(FuncError::msg("deepCopy error: values nested too deeply"));
    }
    Ok(match value {
        Value::Map(_) | Value::Dict(_) => {
            let entries = read(value, Map::clone);
            let mut copy = Map::new();
            for (key, item) in entries {
                copy.insert(key, copy_value(&item, depth + 1)?);
            }
            Value::dict(copy)
        }
        Value::List(items) => Value::list(
            items
                .iter()
                .map(|item| copy_value(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// Go's message for a failed `x.(T)` type assertion on an `interface{}`.
fn assertion(value: &Value, wanted: &str) -> FuncError {
    let actual = match value {
        Value::Nil => "nil".to_owned(),
        other => other.type_name(),
    };
    FuncError::msg(format!(
        "interface conversion: interface {{}} is {actual}, not {wanted}"
    ))
}

/// `dig KEY... DEFAULT DICT`: the value at the path of keys, or DEFAULT where a key is
/// missing. Every step must be a `map[string]interface{}` (Sprig asserts it and panics).
fn dig(a: &Args<'_>) -> FuncResult {
    let args = a.rest(0);
    if args.len() < 3 {
        return Err(FuncError::msg("dig needs at least three arguments"));
    }
    let (keys, tail) = args.split_at(args.len() - 2);
    let (default, mut current) = (&tail[0], tail[1].clone());
    const MAP: &str = "map[string]interface {}";
    if !matches!(current, Value::Map(_) | Value::Dict(_)) {
        return Err(assertion(&current, MAP));
    }
    let keys: Vec<&str> = keys
        .iter()
        .map(|k| k.as_str().ok_or_else(|| assertion(k, "string")))
        .collect::<Result<_, _>>()?;
    for (i, key) in keys.iter().enumerate() {
        let step = match current.map_ref() {
            Some(map) => map.get(*key).cloned(),
            None => return Err(assertion(&current, MAP)),
        };
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        current = step;
    }
    Ok(default.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;

    fn map(entries: &[(&str, Value)]) -> Map {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn call(name: &str, args: &[Value]) -> FuncResult {
        let def = FUNCS.iter().find(|d| d.name == name).expect(name);
        (def.func)(&Args::new(args, &FixedEnv))
    }

    #[test]
    fn set_changes_the_dict_every_reference_sees() {
        let d = Value::dict(Map::new());
        let alias = d.clone();
        let returned = call("set", &[d.clone(), "k".into(), "v".into()]).unwrap();
        assert_eq!(alias.to_string(), "map[k:v]");
        assert_eq!(returned.to_string(), "map[k:v]");
        call("unset", &[d.clone(), "k".into()]).unwrap();
        assert_eq!(alias.to_string(), "map[]");
        assert_eq!(
            call("set", &[Value::Nil, "k".into(), "v".into()]),
            Err(FuncError::msg("assignment to entry in nil map"))
        );
    }

    #[test]
    fn merge_follows_mergo() {
        // mergo.Merge / MergeWithOverwrite on map[string]interface{}, as Sprig calls them.
        let nested_dst = Value::dict(map(&[("x", Value::Int(1)), ("keep", "k".into())]));
        let dst = Value::dict(map(&[
            ("a", "dst".into()),
            ("empty", "".into()),
            ("zero", Value::Int(0)),
            ("list", Value::list(vec![Value::Int(1)])),
            ("emptyList", Value::list(vec![])),
            ("nested", nested_dst.clone()),
            ("scalar", "s".into()),
        ]));
        let src = Value::map(map(&[
            ("a", "src".into()),
            ("empty", "filled".into()),
            ("zero", Value::Int(5)),
            ("list", Value::list(vec![Value::Int(2)])),
            ("emptyList", Value::list(vec![Value::Int(3)])),
            (
                "nested",
                Value::map(map(&[("x", Value::Int(2)), ("y", Value::Int(3))])),
            ),
            ("scalar", Value::map(map(&[("z", Value::Int(1))]))),
            ("nil", Value::Nil),
            ("new", "n".into()),
        ]));
        let merged = call("merge", &[dst.clone(), src.clone()]).unwrap();
        assert_eq!(
            merged.to_string(),
            "map[a:dst empty:filled emptyList:[3] list:[1] nested:map[keep:k x:1 y:3] new:n scalar:s zero:5]"
        );
        // The nested destination map changed in place.
        assert_eq!(nested_dst.to_string(), "map[keep:k x:1 y:3]");

        let dst = Value::dict(map(&[
            ("a", "dst".into()),
            (
                "nested",
                Value::dict(map(&[("x", Value::Int(1)), ("keep", "k".into())])),
            ),
            ("scalar", "s".into()),
            ("gone", "g".into()),
        ]));
        let src = Value::map(map(&[
            ("a", "src".into()),
            ("nested", Value::map(map(&[("x", Value::Int(2))]))),
            ("scalar", Value::map(map(&[("z", Value::Int(1))]))),
            ("gone", Value::Nil),
        ]));
        let merged = call("mergeOverwrite", &[dst.clone(), src]).unwrap();
        assert_eq!(
            merged.to_string(),
            "map[a:src gone:<nil> nested:map[keep:k x:2] scalar:map[z:1]]"
        );
        assert_eq!(dst.to_string(), merged.to_string());
    }

    #[test]
    fn dig_and_get() {
        let d = Value::dict(map(&[(
            "a",
            Value::dict(map(&[("b", Value::map(map(&[("c", Value::Int(1))])))])),
        )]));
        let dig = |args: &[Value]| call("dig", args);
        assert_eq!(
            dig(&["a".into(), "b".into(), "c".into(), "d".into(), d.clone()]),
            Ok(Value::Int(1))
        );
        assert_eq!(
            dig(&["a".into(), "x".into(), "def".into(), d.clone()]),
            Ok("def".into())
        );
        assert_eq!(
            dig(&[
                "a".into(),
                "b".into(),
                "c".into(),
                "z".into(),
                "d".into(),
                d.clone()
            ]),
            Err(FuncError::msg(
                "interface conversion: interface {} is int, not map[string]interface {}"
            ))
        );
        assert_eq!(
            dig(&["a".into(), "d".into()]),
            Err(FuncError::msg("dig needs at least three arguments"))
        );
        assert_eq!(call("get", &[d.clone(), "nope".into()]), Ok("".into()));
    }

    #[test]
    fn merged_maps_stay_shared_as_in_helm() {
        // Templates run through real helm template (outputs in the comments).
        let src = Value::dict(map(&[("z", Value::Int(1))]));
        // $d2 := dict "n" "str"; mergeOverwrite $d2 (dict "n" $src); set $src "w" 2
        // => $d2 is map[n:map[w:2 z:1]]: the source map itself was stored.
        let d2 = Value::dict(map(&[("n", "str".into())]));
        let wrapper = Value::dict(map(&[("n", src.clone())]));
        call("mergeOverwrite", &[d2.clone(), wrapper]).unwrap();
        call("set", &[src.clone(), "w".into(), Value::Int(2)]).unwrap();
        assert_eq!(d2.to_string(), "map[n:map[w:2 z:1]]");
        // $e := dict; merge $e (dict "m" $src); unset $src "z" => map[m:map[w:2]]
        let e = Value::dict(Map::new());
        call(
            "merge",
            &[e.clone(), Value::dict(map(&[("m", src.clone())]))],
        )
        .unwrap();
        call("unset", &[src.clone(), "z".into()]).unwrap();
        assert_eq!(e.to_string(), "map[m:map[w:2]]");
        // $c := deepCopy $d2; set $src "q" 3 => $c map[n:map[w:2]], $d2 map[n:map[q:3 w:2]]
        let c = call("deepCopy", std::slice::from_ref(&d2)).unwrap();
        call("set", &[src, "q".into(), Value::Int(3)]).unwrap();
        assert_eq!(c.to_string(), "map[n:map[w:2]]");
        assert_eq!(d2.to_string(), "map[n:map[q:3 w:2]]");
    }
}

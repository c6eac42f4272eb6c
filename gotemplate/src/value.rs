//! The values templates work on, modelled on what Helm hands Go's `text/template`: `interface{}`
//! holding `bool`, `int`, `int64`, `float64`, `string`, `[]byte`, `[]interface{}`,
//! `map[string]interface{}`, or a Go struct or named type with fields and methods (`.Chart`,
//! `.Files`, `.Capabilities`), which is an [`Object`].
//!
//! Numbers keep their Go type because templates can see it (`typeOf`, `kindIs`, `%T`) and
//! because Helm's users rely on the difference: values files are decoded through JSON, so every
//! number in `.Values` from a file is a `float64` and prints as `1e+06`, while `--set` gives
//! `int64`. Clones are cheap (shared, immutable contents), because templates copy values freely.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::func::FuncResult;

/// `map[string]interface{}`: Go maps are unordered, and everything that prints or ranges over
/// them sorts the keys, so a sorted map loses nothing.
pub type Map = BTreeMap<String, Value>;

/// One template value.
#[derive(Clone, Default)]
pub enum Value {
    /// A nil `interface{}`: a missing map key, a YAML `null`, no value at all.
    #[default]
    Nil,
    Bool(bool),
    /// Go `int`: integer constants in templates, `len`, `atoi`, Sprig's `int`.
    Int(i64),
    /// Go `int64`: `--set` integers, Sprig arithmetic (`add`, `mul`), `int64`.
    Int64(i64),
    /// Go `float64`: every number of a values file or of `fromJson`/`fromYaml`.
    Float(f64),
    String(Arc<str>),
    /// `[]byte`: `.Files.GetBytes`.
    Bytes(Arc<[u8]>),
    /// `[]interface{}`.
    List(Arc<Vec<Value>>),
    /// `map[string]interface{}`.
    Map(Arc<Map>),
    /// `map[string]interface{}` shared by reference, as every Go map is: Sprig's `set`, `unset`,
    /// `merge` and `mergeOverwrite` change it in place, and every copy of the value sees the
    /// change (`$_ := set $d "k" "v"` then `$d.k`). Same Go type and kind as [`Value::Map`];
    /// see [`Dict`].
    Dict(Dict),
    /// A Go struct, pointer or named type with fields and methods.
    Object(Arc<dyn Object>),
}

/// A Go value with fields and methods, such as Helm's `.Files` (a map type with `Get`,
/// `Glob`, ...), `.Capabilities` (a struct whose `APIVersions` has `Has`) or `.Chart`.
///
/// Go's rules for `.Name` on such a value: a method of that name is called first (with the
/// arguments that follow it in the command); otherwise a struct field, or a map key.
pub trait Object: fmt::Debug + Send + Sync {
    /// The Go type as `%T` and `typeOf` print it: `*chart.Metadata`, `common.Capabilities`.
    fn type_name(&self) -> &str;

    /// Go's reflect kind as `kindOf` prints it: `ptr`, `struct`, `map`, `slice`.
    fn kind(&self) -> &str;

    /// A field (struct) or key (map type). `None`: there is no such field; for a struct that
    /// is an error (`can't evaluate field X in type T`), for a map a missing key.
    fn field(&self, name: &str) -> Option<Value>;

    /// Calls the method `name` with `args`. `None`: there is no such method.
    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        let _ = (name, args);
        None
    }

    /// Whether the value has a method `name` (looked up before fields, as Go does).
    fn has_method(&self, name: &str) -> bool {
        let _ = name;
        false
    }

    /// The parameters of the method `name`, so that the executor converts and checks its
    /// arguments as Go does (`.Files.Get 1`: `expected string; found 1`). `None`: any number
    /// of arguments of any type, checked by the method itself.
    fn method_sig(&self, name: &str) -> Option<crate::func::Sig> {
        let _ = name;
        None
    }

    /// The plain data this value stands for wherever templates treat it as data: `range`,
    /// `index`, `len`, `toYaml`, `toJson`, `empty`. A struct gives the map of its
    /// JSON-tagged fields, as `encoding/json` would see it.
    fn data(&self) -> Value;

    /// A struct's fields as `encoding/json` writes them: in declaration order (JSON keeps
    /// a struct's field order, where it sorts a map's keys). `None` (the default) for
    /// values that are maps or slices to JSON, which then use [`Object::data`].
    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        None
    }

    /// `%v`. Structs print as Go prints them (`{a b}`, `&{a b}` behind a pointer).
    fn format_v(&self) -> String {
        self.data().to_string()
    }

    /// Whether the value counts as a map for `range`, `index` and `len` (Go: a map type).
    fn is_map_like(&self) -> bool {
        self.kind() == "map"
    }

    /// The concrete value, for functions that take this Go type as a parameter (Sprig's
    /// `dateModify` takes a `time.Time`, `genSignedCert` a `certificate`) and need more than
    /// its fields: `Some(self)` in types that want to be recognised.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

impl Value {
    pub fn string(text: impl Into<Arc<str>>) -> Value {
        Value::String(text.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    pub fn map(map: Map) -> Value {
        Value::Map(Arc::new(map))
    }

    /// A new shared, mutable map (what Sprig's `dict` makes).
    pub fn dict(map: Map) -> Value {
        Value::Dict(Dict::new(map))
    }

    pub fn object(object: impl Object + 'static) -> Value {
        Value::Object(Arc::new(object))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// An integer of any Go integer type.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) | Value::Int64(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// A map of either representation ([`Value::Map`] or [`Value::Dict`]), for reading. A
    /// `Dict` stays read-locked while the returned guard lives: do not change the same dict
    /// before dropping it.
    pub fn map_ref(&self) -> Option<MapRef<'_>> {
        match self {
            Value::Map(map) => Some(MapRef::Plain(map)),
            Value::Dict(dict) => Some(MapRef::Shared(dict.read())),
            _ => None,
        }
    }

    /// This value with every map in it, at any depth, turned into a shared [`Value::Dict`], so
    /// that Sprig's in-place changes reach every reference to it, as they do in Helm (where a
    /// chart may `set` into `.Values` and read the change in a later template). Lists are
    /// rebuilt only when something inside them changes.
    pub fn into_shared(self) -> Value {
        match self {
            Value::Map(map) => {
                let map = Arc::try_unwrap(map).unwrap_or_else(|shared| (*shared).clone());
                Value::dict(
                    map.into_iter()
                        .map(|(key, value)| (key, value.into_shared()))
                        .collect(),
                )
            }
            Value::List(items) if items.iter().any(Value::has_plain_map) => {
                let items = Arc::try_unwrap(items).unwrap_or_else(|shared| (*shared).clone());
                Value::list(items.into_iter().map(Value::into_shared).collect())
            }
            other => other,
        }
    }

    fn has_plain_map(&self) -> bool {
        match self {
            Value::Map(_) => true,
            Value::List(items) => items.iter().any(Value::has_plain_map),
            _ => false,
        }
    }

    /// The Go type, as `%T` and Sprig's `typeOf` print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".to_owned(),
            Value::Bool(_) => "bool".to_owned(),
            Value::Int(_) => "int".to_owned(),
            Value::Int64(_) => "int64".to_owned(),
            Value::Float(_) => "float64".to_owned(),
            Value::String(_) => "string".to_owned(),
            Value::Bytes(_) => "[]uint8".to_owned(),
            Value::List(_) => "[]interface {}".to_owned(),
            Value::Map(_) | Value::Dict(_) => "map[string]interface {}".to_owned(),
            Value::Object(object) => object.type_name().to_owned(),
        }
    }

    /// Go's reflect kind, as Sprig's `kindOf` prints it (`invalid` for nil).
    pub fn kind(&self) -> &str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) | Value::Dict(_) => "map",
            Value::Object(object) => object.kind(),
        }
    }

    /// Truth as `if`, `with`, `and`, `or` and `not` see it (Go's `template.IsTrue`): false for
    /// nil, `false`, zero numbers, and empty strings, slices and maps; structs and non-nil
    /// pointers are true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n) | Value::Int64(n) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(map) => !map.is_empty(),
            Value::Dict(dict) => !dict.is_empty(),
            // Maps, slices and Go's named basic types (`time.Duration`, `time.Month`) are
            // true by their data, as Go looks at the underlying value; structs and
            // non-nil pointers are always true.
            Value::Object(object) => match object.kind() {
                "struct" | "ptr" | "func" | "chan" | "interface" => true,
                _ => object.data().truth(),
            },
        }
    }

    /// Sprig's `empty`: the opposite of [`Value::truth`].
    pub fn is_empty(&self) -> bool {
        !self.truth()
    }
}

/// `%v`, as Go's `fmt` prints an `interface{}`: `<nil>`, `[a b]`, `map[a:1 b:2]`, floats in
/// the shortest form that reads back (`1e+06`, `0.1`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_v(f, 0, &mut false)
    }
}

/// How deep `%v` and equality follow nested values before printing `...`: only a [`Dict`]
/// that contains itself, or a template building absurdly deep lists, gets this far (Go
/// would recurse until its stack overflows).
pub(crate) const MAX_DEPTH: usize = 1000;

impl Value {
    /// `cut`: a value nested past [`MAX_DEPTH`] was met, printed as `...`, and nothing more
    /// prints (a dict holding itself twice would otherwise take exponential time).
    fn fmt_v(&self, f: &mut fmt::Formatter<'_>, depth: usize, cut: &mut bool) -> fmt::Result {
        // Deep values (a dict holding itself) recurse on a grown stack, whatever the thread.
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || self.fmt_v_inner(f, depth, cut))
    }

    fn fmt_v_inner(&self, f: &mut fmt::Formatter<'_>, depth: usize, cut: &mut bool) -> fmt::Result {
        if *cut {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            *cut = true;
            return f.write_str("...");
        }
        match self {
            Value::Nil => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) | Value::Int64(n) => write!(f, "{n}"),
            Value::Float(x) => f.write_str(&format_float_v(*x)),
            Value::String(s) => f.write_str(s),
            Value::Bytes(bytes) => {
                f.write_str("[")?;
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{b}")?;
                }
                f.write_str("]")
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if *cut {
                        return Ok(());
                    }
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    item.fmt_v(f, depth + 1, cut)?;
                }
                f.write_str("]")
            }
            Value::Map(map) => fmt_map(map, f, depth, cut),
            // A copy, so that no lock is held while nested values print (a dict may hold
            // itself, and another thread may be waiting to write).
            Value::Dict(dict) => fmt_map(&dict.snapshot(), f, depth, cut),
            Value::Object(object) => f.write_str(&object.format_v()),
        }
    }
}

fn fmt_map(map: &Map, f: &mut fmt::Formatter<'_>, depth: usize, cut: &mut bool) -> fmt::Result {
    f.write_str("map[")?;
    for (i, (key, value)) in map.iter().enumerate() {
        if *cut {
            return Ok(());
        }
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{key}:")?;
        value.fmt_v(f, depth + 1, cut)?;
    }
    f.write_str("]")
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("Nil"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Object(object) => write!(f, "{object:?}"),
            other => write!(f, "{}({other})", other.type_name()),
        }
    }
}

/// Equality of plain data (objects compare by their data); floats and integers are equal when
/// their values are. Go's `eq` has its own rules and errors; this is for tests and `has`-like
/// membership.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.eq_depth(other, 0)
    }
}

impl Value {
    fn eq_depth(&self, other: &Value, depth: usize) -> bool {
        stacker::maybe_grow(32 * 1024, 1024 * 1024, || self.eq_depth_inner(other, depth))
    }

    fn eq_depth_inner(&self, other: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let maps_eq = |a: &Map, b: &Map| {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && va.eq_depth(vb, depth + 1))
        };
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a) | Value::Int64(a), Value::Int(b) | Value::Int64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| x.eq_depth(y, depth + 1))
            }
            (Value::Dict(a), Value::Dict(b)) if a.ptr_eq(b) => true,
            (Value::Map(_) | Value::Dict(_), Value::Map(_) | Value::Dict(_)) => {
                let copy = |v: &Value| v.map_ref().map(|m| m.clone()).unwrap_or_default();
                maps_eq(&copy(self), &copy(other))
            }
            (Value::Object(a), b) => a.data() == *b,
            (a, Value::Object(b)) => *a == b.data(),
            _ => false,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::list(items)
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Self {
        Value::map(map)
    }
}

/// A Go map shared by reference: the representation of [`Value::Dict`].
///
/// Go maps are references, and Sprig's `set`, `unset`, `merge` and `mergeOverwrite` change the
/// map they are given, which every other reference to that map then sees. Charts rely on it
/// (`$_ := set $ctx "key" "value"` to pass data between templates, `merge` into `.Values`), so
/// a dict is an `Arc<RwLock<Map>>`: cloning the value clones the reference, reads take a
/// shared lock (uncontended in a render, so cheap), writes an exclusive one.
///
/// Never hold a guard from [`Dict::read`] or [`Dict::write`] while locking the same dict again
/// (a dict may contain itself): copy what you need out of the guard first.
#[derive(Clone, Default)]
pub struct Dict(Arc<RwLock<Map>>);

impl Dict {
    pub fn new(map: Map) -> Dict {
        Dict(Arc::new(RwLock::new(map)))
    }

    /// Reads the map (a shared lock until the guard drops).
    pub fn read(&self) -> RwLockReadGuard<'_, Map> {
        // A panic elsewhere while a guard was held leaves the map as it was: still usable.
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the map (an exclusive lock until the guard drops).
    pub fn write(&self) -> RwLockWriteGuard<'_, Map> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.read().get(key).cloned()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    pub fn insert(&self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.write().insert(key.into(), value)
    }

    pub fn remove(&self, key: &str) -> Option<Value> {
        self.write().remove(key)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// A copy of the entries as they are now (values are shared, as Go's would be).
    pub fn snapshot(&self) -> Map {
        self.read().clone()
    }

    /// Whether both are the same Go map.
    pub fn ptr_eq(&self, other: &Dict) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The map's identity while it lives (its address), for walkers that must notice a
    /// map holding itself.
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<()>() as usize
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dict({})", Value::Dict(self.clone()))
    }
}

/// A read view of a map of either representation; see [`Value::map_ref`].
pub enum MapRef<'a> {
    Plain(&'a Map),
    Shared(RwLockReadGuard<'a, Map>),
}

impl Deref for MapRef<'_> {
    type Target = Map;

    fn deref(&self) -> &Map {
        match self {
            MapRef::Plain(map) => map,
            MapRef::Shared(guard) => guard,
        }
    }
}

/// A float as Go's `%v` prints it: `strconv.FormatFloat(x, 'g', -1, 64)`, the shortest digits
/// that read back as `x`, with an exponent when the decimal exponent is below -4 or at least 6
/// (Go's rule for the shortest `%g`): `100000`, `1e+06`, `1.234567e+06`, `0.0001`, `1e-05`.
pub fn format_float_v(x: f64) -> String {
    format_float_g(x, 6)
}

/// The shortest digits of `x` in `%g` style, switching to an exponent (`1e+06`, at least two
/// exponent digits) when the decimal exponent is below -4 or at least `exponent_from`.
pub fn format_float_g(x: f64, exponent_from: i32) -> String {
    // Rust's `{:e}` gives the shortest digits that round-trip, as Go's shortest mode does.
    shortest_g(x, &format!("{:e}", x.abs()), exponent_from)
}

/// `strconv.FormatFloat(x, 'g', -1, 32)`: [`format_float_g`] with the shortest digits that
/// read back as the same `float32` (`1.1`, not `1.100000023841858`).
pub fn format_float32_g(x: f64) -> String {
    let single = x as f32;
    shortest_g(f64::from(single), &format!("{:e}", single.abs()), 6)
}

/// `%g` layout of `x` from `sci`, the shortest scientific digits of its magnitude (`1.1e0`).
fn shortest_g(x: f64, sci: &str, exponent_from: i32) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if exponent < -4 || exponent >= exponent_from {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{point}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    let point = exponent + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        // fmt.Sprint(float64(x)) in Go.
        let cases = [
            (1.0, "1"),
            (0.5, "0.5"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (1.5e6, "1.5e+06"),
            (123456789.0, "1.23456789e+08"),
            (1234567.0, "1.234567e+06"),
            (123456.0, "123456"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (3.25, "3.25"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e100, "1e+100"),
        ];
        for (x, expected) in cases {
            assert_eq!(Value::Float(x).to_string(), expected, "{x}");
        }
    }

    #[test]
    fn composite_values_print_as_go_prints_them() {
        let mut map = Map::new();
        map.insert("b".into(), Value::Int(2));
        map.insert("a".into(), Value::list(vec!["x".into(), Value::Nil]));
        assert_eq!(Value::map(map).to_string(), "map[a:[x <nil>] b:2]");
        assert_eq!(Value::Bytes(Arc::from(&b"hi"[..])).to_string(), "[104 105]");
    }

    #[test]
    fn truth() {
        assert!(!Value::Nil.truth());
        assert!(!Value::Float(0.0).truth());
        assert!(!Value::string("").truth());
        assert!(!Value::list(vec![]).truth());
        assert!(Value::list(vec![Value::Nil]).truth());
        assert!(Value::Int64(-1).truth());
    }

    #[test]
    fn a_dict_is_shared_by_every_clone() {
        let dict = Value::dict(Map::new());
        let alias = dict.clone();
        if let Value::Dict(d) = &dict {
            d.insert("k", Value::from("v"));
        }
        assert_eq!(alias.to_string(), "map[k:v]");
        assert_eq!(alias.type_name(), "map[string]interface {}");
        assert_eq!(alias.kind(), "map");
        assert!(alias.truth());
        assert_eq!(alias, Value::map(Map::from([("k".to_owned(), "v".into())])));
        assert_eq!(alias.map_ref().map(|m| m.len()), Some(1));
    }

    #[test]
    fn into_shared_turns_every_map_into_a_dict() {
        let inner = Value::map(Map::from([("x".to_owned(), Value::Int(1))]));
        let values = Value::map(Map::from([
            ("a".to_owned(), inner.clone()),
            ("l".to_owned(), Value::list(vec![inner, Value::Int(2)])),
        ]))
        .into_shared();
        let Value::Dict(top) = &values else {
            panic!("not shared: {values:?}");
        };
        assert!(matches!(top.get("a"), Some(Value::Dict(_))));
        match top.get("l") {
            Some(Value::List(items)) => assert!(matches!(items[0], Value::Dict(_))),
            other => panic!("{other:?}"),
        }
        assert_eq!(values.to_string(), "map[a:map[x:1] l:[map[x:1] 2]]");
    }

    #[test]
    fn a_dict_holding_itself_prints_and_compares_without_overflow() {
        let dict = Dict::new(Map::new());
        dict.insert("me", Value::Dict(dict.clone()));
        let text = Value::Dict(dict.clone()).to_string();
        assert!(text.starts_with("map[me:map[me:"), "{}", &text[..40]);
        assert!(text.contains("..."));
        let other = Dict::new(Map::new());
        other.insert("me", Value::Dict(other.clone()));
        assert_ne!(Value::Dict(dict.clone()), Value::Dict(other.clone()));
        // Break the cycles so the test does not leak.
        dict.remove("me");
        other.remove("me");
    }
}

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
use std::sync::Arc;

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
            Value::Map(_) => "map[string]interface {}".to_owned(),
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
            Value::Map(_) => "map",
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
            Value::Object(object) => match object.kind() {
                "map" | "slice" => object.data().truth(),
                _ => true,
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
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("map[")?;
                for (i, (key, value)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{key}:{value}")?;
                }
                f.write_str("]")
            }
            Value::Object(object) => f.write_str(&object.format_v()),
        }
    }
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
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a) | Value::Int64(a), Value::Int(b) | Value::Int64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
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

/// A float as Go's `%v` prints it: `strconv.FormatFloat(x, 'g', -1, 64)`, the shortest digits
/// that read back as `x`, with an exponent when the decimal exponent is below -4 or at least 6
/// (Go's rule for the shortest `%g`): `100000`, `1e+06`, `1.234567e+06`, `0.0001`, `1e-05`.
pub fn format_float_v(x: f64) -> String {
    format_float_g(x, 6)
}

/// The shortest digits of `x` in `%g` style, switching to an exponent (`1e+06`, at least two
/// exponent digits) when the decimal exponent is below -4 or at least `exponent_from`.
pub fn format_float_g(x: f64, exponent_from: i32) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as Go's shortest mode does.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
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
}

//! Go values of concrete slice and map types that Sprig returns (`[]string` from `splitList`,
//! `[]int` from `until`, `map[string]string` from `split`), and the shared helpers that read
//! any Go slice or map argument the way Sprig's reflection does.
//!
//! Templates can see the difference from `[]interface{}`: `typeOf` prints `[]string`,
//! `deepEqual` compares types, and a `[]string` does not convert to a `[]interface{}`
//! parameter. Everything else (`range`, `index`, `len`, `toYaml`) reads them through
//! [`Object::data`] as plain lists and maps.

use std::sync::Arc;

use crate::func::FuncError;
use crate::value::{Map, Object, Value};

/// A Go slice of a concrete element type (`[]string`, `[]int`, `[][]interface {}`).
#[derive(Debug)]
pub struct TypedList {
    type_name: &'static str,
    items: Value,
}

impl TypedList {
    pub fn value(type_name: &'static str, items: Vec<Value>) -> Value {
        Value::object(TypedList {
            type_name,
            items: Value::list(items),
        })
    }
}

/// `[]string`.
pub fn strings(items: impl IntoIterator<Item = String>) -> Value {
    TypedList::value("[]string", items.into_iter().map(Value::from).collect())
}

/// `[]int`.
pub fn ints(items: impl IntoIterator<Item = i64>) -> Value {
    TypedList::value("[]int", items.into_iter().map(Value::Int).collect())
}

impl Object for TypedList {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn kind(&self) -> &str {
        "slice"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn data(&self) -> Value {
        self.items.clone()
    }

    fn format_v(&self) -> String {
        self.items.to_string()
    }
}

/// `map[string]string`, as Sprig's `split` and `splitn` return (`._0`, `._1`, ...).
#[derive(Debug)]
pub struct StringMap {
    map: Value,
}

impl StringMap {
    pub fn value(map: Map) -> Value {
        Value::object(StringMap {
            map: Value::map(map),
        })
    }
}

impl Object for StringMap {
    fn type_name(&self) -> &str {
        "map[string]string"
    }

    fn kind(&self) -> &str {
        "map"
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.map.as_map().and_then(|map| map.get(name).cloned())
    }

    fn data(&self) -> Value {
        self.map.clone()
    }

    fn format_v(&self) -> String {
        self.map.to_string()
    }
}

/// The elements of a Go slice or array value (what `reflect.Value.Index` walks), or `None`
/// when the value is of another kind.
pub fn slice_items(value: &Value) -> Option<Arc<Vec<Value>>> {
    match value {
        Value::List(items) => Some(items.clone()),
        // A []byte's elements are uint8 numbers.
        Value::Bytes(bytes) => Some(Arc::new(
            bytes.iter().map(|b| Value::Int(i64::from(*b))).collect(),
        )),
        Value::Object(object) if matches!(object.kind(), "slice" | "array") => {
            match object.data() {
                Value::List(items) => Some(items),
                other => slice_items(&other),
            }
        }
        _ => None,
    }
}

/// Go's `reflect.TypeOf(v).Kind()` as Sprig's messages print it. A nil has no type, and
/// calling `Kind` on it is a nil dereference in Go: that panic is the error.
pub fn kind_of(value: &Value) -> Result<&str, FuncError> {
    match value {
        Value::Nil => Err(nil_dereference()),
        other => Ok(other.kind()),
    }
}

/// The runtime panic Go raises where Sprig reflects on a nil value.
pub fn nil_dereference() -> FuncError {
    FuncError::msg("runtime error: invalid memory address or nil pointer dereference")
}

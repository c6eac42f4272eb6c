//! The calling convention of template functions (Go's built-ins, Sprig's and Helm's).
//!
//! Go's `text/template` calls functions through reflection: each parameter has a Go type, a
//! constant in the template (`3`, `"x"`) converts to it, and any other argument must already be
//! of that type (`wrong type for value; expected int; got float64`). A [`FuncDef`] therefore
//! declares its parameters ([`Sig`]); the executor checks and converts the arguments before
//! the call, so the function receives values of the declared types, and errors read as Go's.
//!
//! A function that returns an error in Go, or panics (Go's template engine turns a panic into
//! an error too), returns [`FuncError`]; the executor prints it as
//! `error calling NAME: MESSAGE`.

use std::fmt;

use crate::value::{Dict, Map, Value};

/// What a function returns.
pub type FuncResult = Result<Value, FuncError>;

/// A template function: pure, given its (checked) arguments and the environment.
pub type Func = fn(&Args<'_>) -> FuncResult;

/// Why a function failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FuncError {
    /// The function's own error (Go: the `error` result, or a panic's message).
    #[error("{0}")]
    Message(String),
    /// An argument the executor could not convert to the declared parameter type.
    #[error("wrong type for value; expected {expected}; got {got}")]
    WrongType { expected: String, got: String },
}

impl FuncError {
    pub fn msg(message: impl fmt::Display) -> Self {
        FuncError::Message(message.to_string())
    }
}

/// The Go type of a parameter, for argument conversion and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface{}`: any value, nil included.
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `uint32`.
    Uint32,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `map[string]interface{}`: a [`Value::Map`] or a [`Value::Dict`] (passed as the same
    /// shared map, so that the function may change it for the caller).
    Map,
    /// `[]interface{}`.
    List,
    /// A Go struct or named type, given by its `%T` name (`time.Time`, `sprig.certificate`):
    /// the argument must be a value of exactly that type (an [`crate::Object`] whose
    /// `type_name` is this); no constant converts to it.
    Named(&'static str),
}

impl Param {
    /// The Go spelling, for messages: `int`, `map[string]interface {}`.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::String => "string",
            Param::Int => "int",
            Param::Int64 => "int64",
            Param::Uint32 => "uint32",
            Param::Float64 => "float64",
            Param::Bool => "bool",
            Param::Map => "map[string]interface {}",
            Param::List => "[]interface {}",
            Param::Named(name) => name,
        }
    }

    /// Whether Go's nil is a value of this type (`interface{}`, maps, slices, pointers),
    /// which a missing value or the `nil` constant then converts to.
    pub fn can_be_nil(self) -> bool {
        match self {
            Param::Any | Param::Map | Param::List => true,
            Param::Named(name) => name.starts_with('*'),
            _ => false,
        }
    }
}

/// A function's parameters: fixed ones, then optionally any number of a variadic type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sig {
    pub params: &'static [Param],
    pub variadic: Option<Param>,
}

impl Sig {
    pub const fn fixed(params: &'static [Param]) -> Self {
        Sig {
            params,
            variadic: None,
        }
    }

    pub const fn variadic(params: &'static [Param], rest: Param) -> Self {
        Sig {
            params,
            variadic: Some(rest),
        }
    }
}

/// One entry of a function library.
#[derive(Debug, Clone, Copy)]
pub struct FuncDef {
    pub name: &'static str,
    pub sig: Sig,
    pub func: Func,
}

/// What functions may ask of the world; the host decides (a fixed clock and seed in tests,
/// the real ones in the CLI, a cluster for `lookup` in apply and diff).
pub trait Env: Send + Sync {
    /// The current time: seconds and nanoseconds since the Unix epoch.
    fn now(&self) -> (i64, u32);
    /// The local time zone's offset from UTC in seconds at `unix_seconds`, and its name
    /// (`UTC`, `CET`), as Go's `time.Local` gives them.
    fn local_offset(&self, unix_seconds: i64) -> (i32, String) {
        let _ = unix_seconds;
        (0, "UTC".to_owned())
    }
    /// Fills `buf` with random bytes (cryptographically secure in the CLI).
    fn random(&self, buf: &mut [u8]);
    /// Helm's `lookup`: the object (or, with an empty name, the `List` of objects) as a map;
    /// an empty map when not found or when there is no cluster (`helm template`).
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, String> {
        let _ = (api_version, kind, namespace, name);
        Ok(Value::map(Map::new()))
    }
    /// Sprig's `getHostByName`: the addresses `name` resolves to. This crate does no I/O, so
    /// the default refuses; a host that allows DNS lookups overrides it.
    fn lookup_host(&self, name: &str) -> Result<Vec<String>, String> {
        Err(format!("cannot resolve {name:?}: DNS lookups are disabled"))
    }
}

/// The arguments of one call, already converted to the declared parameter types.
pub struct Args<'a> {
    pub values: &'a [Value],
    pub env: &'a dyn Env,
}

impl<'a> Args<'a> {
    pub fn new(values: &'a [Value], env: &'a dyn Env) -> Self {
        Args { values, env }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The argument at `index`; nil when absent (a variadic list that is shorter).
    pub fn get(&self, index: usize) -> &'a Value {
        const NIL: &Value = &Value::Nil;
        self.values.get(index).unwrap_or(NIL)
    }

    /// The arguments from `index` on (the variadic part).
    pub fn rest(&self, index: usize) -> &'a [Value] {
        self.values.get(index..).unwrap_or_default()
    }

    /// A `string` parameter.
    pub fn string(&self, index: usize) -> Result<&'a str, FuncError> {
        match self.get(index) {
            Value::String(s) => Ok(s),
            other => Err(wrong_type(Param::String, other)),
        }
    }

    /// An `int`, `int64` or `uint32` parameter.
    pub fn int(&self, index: usize) -> Result<i64, FuncError> {
        match self.get(index) {
            Value::Int(n) | Value::Int64(n) => Ok(*n),
            other => Err(wrong_type(Param::Int, other)),
        }
    }

    /// A `float64` parameter.
    pub fn float(&self, index: usize) -> Result<f64, FuncError> {
        match self.get(index) {
            Value::Float(x) => Ok(*x),
            other => Err(wrong_type(Param::Float64, other)),
        }
    }

    /// A `bool` parameter.
    pub fn bool(&self, index: usize) -> Result<bool, FuncError> {
        match self.get(index) {
            Value::Bool(b) => Ok(*b),
            other => Err(wrong_type(Param::Bool, other)),
        }
    }

    /// A `map[string]interface{}` parameter (nil is an empty map, as a nil Go map reads).
    pub fn map(&self, index: usize) -> Result<Map, FuncError> {
        match self.get(index) {
            Value::Map(map) => Ok((**map).clone()),
            Value::Dict(dict) => Ok(dict.snapshot()),
            Value::Nil => Ok(Map::new()),
            Value::Object(object) if object.is_map_like() => match object.data() {
                Value::Map(map) => Ok((*map).clone()),
                Value::Dict(dict) => Ok(dict.snapshot()),
                _ => Ok(Map::new()),
            },
            other => Err(wrong_type(Param::Map, other)),
        }
    }
}

impl<'a> Args<'a> {
    /// A `map[string]interface{}` parameter that the function may change in place, as Go
    /// functions change the map they are given: a [`Value::Dict`] is returned as the same
    /// shared map; any other map is copied into a new one (nil gives `None`: Go's nil map,
    /// which reads as empty and panics on assignment).
    pub fn dict(&self, index: usize) -> Result<Option<Dict>, FuncError> {
        match self.get(index) {
            Value::Dict(dict) => Ok(Some(dict.clone())),
            Value::Map(map) => Ok(Some(Dict::new((**map).clone()))),
            Value::Nil => Ok(None),
            Value::Object(object) if object.is_map_like() => match object.data() {
                Value::Dict(dict) => Ok(Some(dict)),
                Value::Map(map) => Ok(Some(Dict::new((*map).clone()))),
                _ => Ok(Some(Dict::default())),
            },
            other => Err(wrong_type(Param::Map, other)),
        }
    }
}

/// Go's message for an argument that is not of the parameter's type.
pub fn wrong_type(expected: Param, got: &Value) -> FuncError {
    FuncError::WrongType {
        expected: expected.go_name().to_owned(),
        got: got.type_name(),
    }
}

/// An environment with a fixed clock (2024-01-02T03:04:05Z), no randomness (zeros) and no
/// cluster, for tests and for reproducible renders.
#[derive(Debug, Default, Clone, Copy)]
pub struct FixedEnv;

impl Env for FixedEnv {
    fn now(&self) -> (i64, u32) {
        (1_704_164_645, 0)
    }

    fn random(&self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

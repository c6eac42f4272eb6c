//! Go's `text/template`, as Helm runs it, with Sprig's and Helm's function libraries.
//!
//! Pure: no file system, network, clock or environment is touched except through what the
//! caller passes in (the host gives chart files, a `lookup` callback and a clock). The pieces:
//! - [`value`]: the dynamic values templates work on, with Go's types, kinds, truth and `%v`;
//! - [`func`]: the calling convention of template functions and the helpers they share;
//! - [`FuncMap`]: the functions a set is parsed and run with (Go's built-ins, Sprig, the
//!   encoding functions, Helm's `include`/`tpl`/`required`/`lookup`, the host's own);
//! - [`TemplateSet`]: templates parsed once into one namespace, executed by name, in
//!   parallel if the host wishes;
//! - [`Error`]: Go's error texts, and Helm's rewording of them ([`Error::helm_message`]);
//! - [`fmt`]: Go's `fmt.Sprint`/`Sprintf`/`Sprintln` over template values;
//! - [`sprig`]: Sprig's function library, as Helm registers it.
//!
//! ```
//! use kchart_gotemplate::{FuncMap, TemplateSet, Value, Map, func::FixedEnv};
//!
//! let mut set = TemplateSet::new(FuncMap::helm());
//! set.parse("chart/templates/_helpers.tpl", r#"{{ define "name" }}{{ .Values.name | printf "%s-app" }}{{ end }}"#).unwrap();
//! set.parse("chart/templates/cm.yaml", "name: {{ include \"name\" . }}\nmissing: {{ .Values.nope }}\n").unwrap();
//!
//! let mut values = Map::new();
//! values.insert("name".into(), Value::from("web"));
//! let mut top = Map::new();
//! top.insert("Values".into(), Value::from(values));
//!
//! let out = set.render("chart/templates/cm.yaml", &Value::from(top), &FixedEnv).unwrap();
//! assert_eq!(out, "name: web-app\nmissing: \n");
//! ```

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod builtins;
pub mod encoding;
mod error;
mod exec;
pub mod fmt;
pub mod func;
mod funcmap;
pub mod helm;
mod lex;
mod parse;
pub mod sprig;
mod template;
pub mod value;

pub use error::{CallCause, Error, ExecError, ParseError};
pub use func::{Args, Env, Func, FuncDef, FuncError, FuncResult, Param, Sig};
pub use funcmap::FuncMap;
pub use template::{Limits, Options, TemplateSet, helm_parse_order, strip_no_value};
pub use value::{Dict, Map, MapRef, Object, Value};

//! Go's `text/template`, as Helm runs it, with Sprig's and Helm's function libraries.
//!
//! Pure: no file system, network, clock or environment is touched except through what the
//! caller passes in (the host gives chart files, a `lookup` callback and a clock). The pieces:
//! - [`value`]: the dynamic values templates work on, with Go's types, kinds, truth and `%v`;
//! - [`func`]: the calling convention of template functions and the helpers they share;
//! - [`sprig`]: Sprig's function library, as Helm registers it.

pub mod func;
pub mod sprig;
pub mod value;

pub use func::{Args, Env, Func, FuncDef, FuncError, FuncResult, Param, Sig};
pub use value::{Dict, Map, MapRef, Object, Value};

//! Sprig's function library (Masterminds/sprig v3.3.0, as Helm 4 registers it), one file per
//! topic. Every function behaves as Sprig's Go code does, edge cases included; where Sprig
//! panics, the function returns the panic's message as its error, which is what Go's template
//! engine reports (`error calling first: Cannot find first on type string`).
//!
//! Not here: `env` and `expandenv` (Helm removes them), the functions Helm defines itself
//! (`include`, `tpl`, `required`, `lookup`, `toYaml`, `fromYaml`, `toToml`, the duration
//! helpers, ...), and the JSON functions Sprig defines (`toJson`, `toPrettyJson`,
//! `toRawJson`, `fromJson` and their `must` forms), which live with the other encoders.
//!
//! Randomness comes from [`crate::Env::random`], the clock from [`crate::Env::now`], DNS
//! from [`crate::Env::lookup_host`]: nothing here does I/O.

mod certs;
mod conv;
mod crypto;
mod dates;
mod defaults;
mod dicts;
mod encoding;
mod golayout;
mod lists;
mod math;
mod network;
mod paths;
mod random;
mod reflect;
mod regex;
mod semver;
mod strings;
mod typed;
mod urls;

#[cfg(test)]
mod tests;

use crate::func::{Func, FuncDef, FuncError, Sig};

pub use certs::Certificate;
pub use conv::{strval, to_float64, to_int64};
pub use dates::{GoDuration, GoTime, format_duration, parse_duration};
pub use reflect::deep_equal;
pub use semver::Version;
pub use typed::{StringMap, TypedList};

/// Every Sprig function Helm registers, minus those listed in the module docs.
pub fn functions() -> Vec<FuncDef> {
    [
        strings::FUNCS,
        lists::FUNCS,
        dicts::FUNCS,
        math::FUNCS,
        defaults::FUNCS,
        reflect::FUNCS,
        regex::FUNCS,
        semver::FUNCS,
        dates::FUNCS,
        encoding::FUNCS,
        crypto::FUNCS,
        certs::FUNCS,
        random::FUNCS,
        paths::FUNCS,
        urls::FUNCS,
        network::FUNCS,
    ]
    .concat()
}

const fn def(name: &'static str, sig: Sig, func: Func) -> FuncDef {
    FuncDef { name, sig, func }
}

/// The largest string a function builds (`repeat`, `indent`, `randAlpha`, ...): far past any
/// real chart, well short of exhausting memory on hostile input.
const MAX_OUTPUT: usize = 64 << 20;

/// The longest list a function builds (`until`, `untilStep`).
const MAX_LIST: usize = 1 << 22;

fn too_large(name: &str, size: u64) -> FuncError {
    FuncError::msg(format!(
        "{name}: result of {size} elements or bytes is over this tool's limit"
    ))
}

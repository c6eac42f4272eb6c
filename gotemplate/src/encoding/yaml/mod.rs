//! YAML as Helm's libraries write and read it: go-yaml v2 behind `sigs.k8s.io/yaml` for
//! `toYaml`, `fromYaml` and `fromYamlArray`, go-yaml v3 for `toYamlPretty`.

mod decode;
mod emit;
mod encode;
mod resolve;

pub(crate) use decode::{float32_key, go_quote};
pub use decode::{to_typed_value, to_value, unmarshal};
pub use encode::{MAX_DEPTH, marshal, marshal_pretty};

//! Helm's encoding functions (`toYaml`, `fromYaml`, `toJson`, `toToml`, ...) as pure
//! functions over template [`Value`]s, byte-identical to what Helm prints, for templates and
//! for the host alike. `tests/helm` checks them case by case against real `helm template`.
//!
//! Where they knowingly differ from Helm 4.1.4:
//! - `fromYaml` parses with yaml-rust2, not libyaml: error texts are mapped to go-yaml's
//!   for the common problems only, and a tab that starts a line is accepted where go-yaml
//!   refuses it;
//! - decoded documents nest at most 1000 levels (Go: 10000), because deeper values
//!   overflow the stack of recursive printing and dropping;
//! - `fromJson "null"` is an empty map (Go: a nil map, which `toJson` prints as `null`);
//! - `fromToml` error texts are the `toml` crate's, except for duplicate keys;
//! - `toYamlPretty` of a Go struct (`.Capabilities`) prints its JSON fields, where go-yaml
//!   v3 would use lower-cased field names.

pub mod convert;
pub mod json;
pub mod toml;
pub mod yaml;

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::Value;

/// Why encoding or decoding failed. The messages are the ones Go's libraries give, because
/// templates print them (`fromYaml` puts them under an `Error` key, `mustToJson` fails with
/// them).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// `encoding/json` refuses NaN and infinities.
    #[error("json: unsupported value: {0}")]
    UnsupportedValue(String),
    /// Nested deeper than Go's parsers go.
    #[error("value nested deeper than {0} levels")]
    TooDeep(usize),
    /// go-yaml's error, without its `yaml: ` prefix.
    #[error("yaml: {0}")]
    Yaml(String),
    /// `encoding/json`'s error, as Go words it (with its own `json: ` prefix where Go has
    /// one).
    #[error("{0}")]
    Json(String),
    /// The TOML library's error.
    #[error("{0}")]
    Toml(String),
}

impl Error {
    pub(crate) fn control_characters() -> Error {
        Error::Yaml("control characters are not allowed".to_owned())
    }
}

/// Shorthand for this module's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The shared maps ([`crate::Dict`]) being written, from the root down to the current value.
/// Meeting one of them again means a map holds itself: `encoding/json` reports that cycle
/// (so `toJson`, `toYaml` and their `must` forms fail as in Helm); go-yaml v3 and
/// BurntSushi's toml would recurse until Go's stack overflows, and fail here instead.
#[derive(Default)]
pub(crate) struct OpenDicts(std::collections::HashSet<usize>);

impl OpenDicts {
    /// Runs `write` with `dict` open, on a grown stack when the nesting is deep.
    pub(crate) fn within<T>(
        &mut self,
        dict: &crate::Dict,
        write: impl FnOnce(&mut OpenDicts) -> Result<T>,
    ) -> Result<T> {
        if !self.0.insert(dict.id()) {
            return Err(Error::UnsupportedValue(
                "encountered a cycle via map[string]interface {}".to_owned(),
            ));
        }
        let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || write(self));
        self.0.remove(&dict.id());
        result
    }
}

const ANY: Sig = Sig::fixed(&[Param::Any]);
const STRING: Sig = Sig::fixed(&[Param::String]);

/// The encoding functions under Helm's and Sprig's names, as Helm's `funcMap` has them
/// (Helm's own `toJson`, `mustToJson` and `fromJson` replace Sprig's).
pub fn functions() -> Vec<FuncDef> {
    let def = |name, sig, func| FuncDef { name, sig, func };
    vec![
        def("toYaml", ANY, to_yaml_fn),
        def("mustToYaml", ANY, must_to_yaml_fn),
        def("toYamlPretty", ANY, to_yaml_pretty_fn),
        def("fromYaml", STRING, from_yaml_fn),
        def("fromYamlArray", STRING, from_yaml_array_fn),
        def("toJson", ANY, to_json_fn),
        def("mustToJson", ANY, must_to_json_fn),
        def("toPrettyJson", ANY, to_pretty_json_fn),
        def("mustToPrettyJson", ANY, must_to_pretty_json_fn),
        def("toRawJson", ANY, to_raw_json_fn),
        def("mustToRawJson", ANY, must_to_raw_json_fn),
        def("fromJson", STRING, from_json_fn),
        def("fromJsonArray", STRING, from_json_array_fn),
        def("mustFromJson", STRING, must_from_json_fn),
        def("toToml", ANY, to_toml_fn),
        def("mustToToml", ANY, must_to_toml_fn),
        def("fromToml", STRING, from_toml_fn),
    ]
}

fn text(s: String) -> FuncResult {
    Ok(Value::String(s.into()))
}

/// Helm trims the document's final newline (one, as `strings.TrimSuffix` does).
fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

/// Helm's `toYaml`: errors are swallowed into an empty string.
fn to_yaml_fn(args: &Args<'_>) -> FuncResult {
    text(
        yaml::marshal(args.get(0))
            .map(trim_newline)
            .unwrap_or_default(),
    )
}

fn must_to_yaml_fn(args: &Args<'_>) -> FuncResult {
    match yaml::marshal(args.get(0)) {
        Ok(s) => text(trim_newline(s)),
        // sigs.k8s.io/yaml wraps the JSON step's errors.
        Err(err @ (Error::UnsupportedValue(_) | Error::TooDeep(_))) => {
            Err(FuncError::msg(format!("error marshaling into JSON: {err}")))
        }
        Err(err) => Err(FuncError::msg(err)),
    }
}

fn to_yaml_pretty_fn(args: &Args<'_>) -> FuncResult {
    text(
        yaml::marshal_pretty(args.get(0))
            .map(trim_newline)
            .unwrap_or_default(),
    )
}

fn to_json_fn(args: &Args<'_>) -> FuncResult {
    text(json::marshal(args.get(0), json::Format::COMPACT).unwrap_or_default())
}

fn must_to_json_fn(args: &Args<'_>) -> FuncResult {
    json::marshal(args.get(0), json::Format::COMPACT)
        .map_err(FuncError::msg)
        .and_then(text)
}

fn to_pretty_json_fn(args: &Args<'_>) -> FuncResult {
    text(json::marshal(args.get(0), json::Format::PRETTY).unwrap_or_default())
}

fn must_to_pretty_json_fn(args: &Args<'_>) -> FuncResult {
    json::marshal(args.get(0), json::Format::PRETTY)
        .map_err(FuncError::msg)
        .and_then(text)
}

/// Sprig's `toRawJson` panics on error, so unlike `toJson` it fails the template.
fn to_raw_json_fn(args: &Args<'_>) -> FuncResult {
    json::marshal(args.get(0), json::Format::RAW)
        .map_err(FuncError::msg)
        .and_then(text)
}

fn must_to_raw_json_fn(args: &Args<'_>) -> FuncResult {
    to_raw_json_fn(args)
}

/// Helm's tolerant decoders put the error where the data would be: under an `Error` key of
/// the map (next to whatever was decoded), or as the only item of the list.
fn with_error_key(value: Value, error: Option<Error>) -> Value {
    match error {
        None => value,
        Some(error) => {
            let mut map = match value {
                Value::Map(map) => std::sync::Arc::unwrap_or_clone(map),
                _ => crate::value::Map::new(),
            };
            map.insert("Error".to_owned(), Value::String(error.to_string().into()));
            Value::map(map)
        }
    }
}

fn as_error_list(value: Value, error: Option<Error>) -> Value {
    match error {
        None => value,
        Some(error) => Value::list(vec![Value::String(error.to_string().into())]),
    }
}

fn from_json_fn(args: &Args<'_>) -> FuncResult {
    let (value, error) = json::unmarshal(args.string(0)?, json::Target::Map);
    Ok(with_error_key(value, error))
}

fn from_json_array_fn(args: &Args<'_>) -> FuncResult {
    let (value, error) = json::unmarshal(args.string(0)?, json::Target::List);
    Ok(as_error_list(value, error))
}

/// Sprig's `mustFromJson`: any JSON value, or the error.
fn must_from_json_fn(args: &Args<'_>) -> FuncResult {
    match json::unmarshal(args.string(0)?, json::Target::Any) {
        (value, None) => Ok(value),
        (_, Some(error)) => Err(FuncError::msg(error)),
    }
}

fn from_yaml_fn(args: &Args<'_>) -> FuncResult {
    let (value, error) = yaml::unmarshal(args.string(0)?, json::Target::Map);
    Ok(with_error_key(value, error))
}

fn from_yaml_array_fn(args: &Args<'_>) -> FuncResult {
    let (value, error) = yaml::unmarshal(args.string(0)?, json::Target::List);
    Ok(as_error_list(value, error))
}

/// Helm's `toToml` returns the error's text in place of the document.
fn to_toml_fn(args: &Args<'_>) -> FuncResult {
    text(toml::marshal(args.get(0)).unwrap_or_else(|err| err.to_string()))
}

fn must_to_toml_fn(args: &Args<'_>) -> FuncResult {
    toml::marshal(args.get(0))
        .map_err(FuncError::msg)
        .and_then(text)
}

fn from_toml_fn(args: &Args<'_>) -> FuncResult {
    Ok(match toml::unmarshal(args.string(0)?) {
        Ok(map) => Value::map(map),
        Err(error) => with_error_key(Value::Nil, Some(error)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;

    fn call(name: &str, arg: Value) -> FuncResult {
        let functions = functions();
        let def = functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no function {name}"));
        (def.func)(&Args::new(&[arg], &FixedEnv))
    }

    #[test]
    fn registers_helms_and_sprigs_names_once() {
        let names: Vec<&str> = functions().iter().map(|f| f.name).collect();
        let expected = [
            "toYaml",
            "mustToYaml",
            "toYamlPretty",
            "fromYaml",
            "fromYamlArray",
            "toJson",
            "mustToJson",
            "toPrettyJson",
            "mustToPrettyJson",
            "toRawJson",
            "mustToRawJson",
            "fromJson",
            "fromJsonArray",
            "mustFromJson",
            "toToml",
            "mustToToml",
            "fromToml",
        ];
        assert_eq!(names.len(), expected.len());
        for name in expected {
            assert!(names.contains(&name), "{name}");
        }
    }

    // How each function reports a failure, as Helm's and Sprig's Go code does.
    #[test]
    fn failures_are_swallowed_or_raised_as_in_helm() {
        let nan = || Value::Float(f64::NAN);
        assert_eq!(call("toYaml", nan()), Ok(Value::from("")));
        assert_eq!(
            call("mustToYaml", nan()),
            Err(FuncError::msg(
                "error marshaling into JSON: json: unsupported value: NaN"
            ))
        );
        assert_eq!(call("toJson", nan()), Ok(Value::from("")));
        assert_eq!(call("toPrettyJson", nan()), Ok(Value::from("")));
        assert_eq!(
            call("mustToJson", nan()),
            Err(FuncError::msg("json: unsupported value: NaN"))
        );
        assert_eq!(
            call("toRawJson", nan()),
            Err(FuncError::msg("json: unsupported value: NaN"))
        );
        assert_eq!(
            call("toToml", Value::list(vec![Value::Nil])),
            Ok(Value::from("toml: cannot encode array with nil element"))
        );
        assert!(call("mustToToml", Value::list(vec![Value::Nil])).is_err());
        let from_yaml = call("fromYaml", Value::from("a: [")).ok();
        let error = from_yaml
            .as_ref()
            .and_then(Value::as_map)
            .and_then(|m| m.get("Error"));
        assert_eq!(
            error,
            Some(&Value::from(
                "error converting YAML to JSON: yaml: line 1: did not find expected node content"
            ))
        );
        let from_json_array = call("fromJsonArray", Value::from("{")).ok();
        assert_eq!(
            from_json_array,
            Some(Value::list(vec![Value::from(
                "unexpected end of JSON input"
            )]))
        );
        assert_eq!(
            call("mustFromJson", Value::from("[")),
            Err(FuncError::msg("unexpected end of JSON input"))
        );
        assert_eq!(
            call("mustFromJson", Value::from("2")),
            Ok(Value::Float(2.0))
        );
        assert_eq!(
            call("fromYaml", Value::Int(1)),
            Err(FuncError::WrongType {
                expected: "string".into(),
                got: "int".into()
            })
        );
        // Helm trims one final newline only.
        assert_eq!(
            call("toYaml", Value::from("a\n\n")),
            Ok(Value::from("|+\n  a\n"))
        );
    }
}

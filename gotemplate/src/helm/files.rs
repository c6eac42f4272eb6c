//! `.Files`: a chart's non-template files, as Helm's `engine.files` (a
//! `map[string][]byte` with methods). Indexing and ranging see the map (path to bytes,
//! sorted); the methods are Helm's: `Get` (a missing file is `""`), `GetBytes`, `Glob`
//! (another `Files`), `Lines`, `AsConfig` and `AsSecrets` (YAML printed by `toYaml`).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

use super::glob::Glob;
use crate::func::{FuncError, FuncResult, Param, wrong_type};
use crate::value::{Map, Object, Value};

/// A chart's files by path (`files/a.txt`, `README.md`), as templates see them.
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Arc<BTreeMap<String, Arc<[u8]>>>,
}

impl Files {
    /// Files from their paths (relative to the chart, `/`-separated) and contents.
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Files {
        Files {
            files: Arc::new(
                files
                    .into_iter()
                    .map(|(path, data)| (path, Arc::from(data)))
                    .collect(),
            ),
        }
    }

    /// The template value (`.Files`).
    pub fn into_value(self) -> Value {
        Value::object(self)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// `GetBytes`: the file's bytes, empty when there is no such file.
    pub fn get_bytes(&self, name: &str) -> Arc<[u8]> {
        self.files
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::from(&[][..]))
    }

    /// `Get`: the file as text (invalid UTF-8 replaced, as Go's string conversion keeps the
    /// bytes but anything printing them cannot).
    pub fn get(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.get_bytes(name)).into_owned()
    }

    /// `Glob`: the files whose path matches the pattern (all of them when it does not
    /// compile, as Helm falls back to `**`).
    pub fn glob(&self, pattern: &str) -> Files {
        let glob = Glob::compile_or_all(pattern);
        Files {
            files: Arc::new(
                self.files
                    .iter()
                    .filter(|(path, _)| glob.matches(path))
                    .map(|(path, data)| (path.clone(), Arc::clone(data)))
                    .collect(),
            ),
        }
    }

    /// `Lines`: the file's lines without the final line break; none for a missing or
    /// empty file. (Helm 4.1.4 fails on an empty file with `index out of range [-1]`;
    /// Helm fixed that upstream, and this follows the fix.)
    pub fn lines(&self, name: &str) -> Vec<String> {
        let text = self.get(name);
        if text.is_empty() {
            return Vec::new();
        }
        let text = text.strip_suffix('\n').unwrap_or(&text);
        text.split('\n').map(str::to_owned).collect()
    }

    /// `AsConfig`: the files as a YAML map from base name to text, for a ConfigMap's `data`.
    pub fn as_config(&self) -> String {
        self.by_base_name(|data| String::from_utf8_lossy(data).into_owned())
    }

    /// `AsSecrets`: the files as a YAML map from base name to base64, for a Secret's
    /// `data`.
    pub fn as_secrets(&self) -> String {
        self.by_base_name(|data| base64::engine::general_purpose::STANDARD.encode(data))
    }

    /// Helm keys these maps by `path.Base`, so files with one name in two folders collide;
    /// Go's map order picks the winner at random, here the last path in order wins.
    fn by_base_name(&self, text: impl Fn(&[u8]) -> String) -> String {
        let map: Map = self
            .files
            .iter()
            .map(|(path, data)| (base_name(path).to_owned(), Value::String(text(data).into())))
            .collect();
        let yaml = crate::encoding::yaml::marshal(&Value::map(map)).unwrap_or_default();
        yaml.strip_suffix('\n').unwrap_or(&yaml).to_owned()
    }
}

/// Go's `path.Base`.
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The one `string` argument of a Go method, with Go's errors for anything else.
pub(crate) fn string_arg<'a>(method: &str, args: &'a [Value]) -> Result<&'a str, FuncError> {
    match args {
        [Value::String(s)] => Ok(s),
        [other] => Err(wrong_type(Param::String, other)),
        _ => Err(arg_count(method, 1, args.len())),
    }
}

/// Go's message for a method called with the wrong number of arguments.
pub(crate) fn arg_count(method: &str, want: usize, got: usize) -> FuncError {
    FuncError::msg(format!(
        "wrong number of args for {method}: want {want} got {got}"
    ))
}

const METHODS: &[&str] = &["AsConfig", "AsSecrets", "Get", "GetBytes", "Glob", "Lines"];

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn kind(&self) -> &str {
        "map"
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.files
            .get(name)
            .map(|data| Value::Bytes(Arc::clone(data)))
    }

    fn has_method(&self, name: &str) -> bool {
        METHODS.contains(&name)
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<FuncResult> {
        let call = |f: &dyn Fn() -> FuncResult| Some(f());
        match name {
            "Get" => call(&|| Ok(Value::String(self.get(string_arg(name, args)?).into()))),
            "GetBytes" => call(&|| Ok(Value::Bytes(self.get_bytes(string_arg(name, args)?)))),
            "Glob" => call(&|| Ok(self.glob(string_arg(name, args)?).into_value())),
            "Lines" => call(&|| {
                let lines = self.lines(string_arg(name, args)?);
                Ok(Value::list(lines.into_iter().map(Value::from).collect()))
            }),
            "AsConfig" | "AsSecrets" => call(&|| {
                if !args.is_empty() {
                    return Err(arg_count(name, 0, args.len()));
                }
                let text = if name == "AsConfig" {
                    self.as_config()
                } else {
                    self.as_secrets()
                };
                Ok(Value::String(text.into()))
            }),
            _ => None,
        }
    }

    fn data(&self) -> Value {
        Value::map(
            self.files
                .iter()
                .map(|(path, data)| (path.clone(), Value::Bytes(Arc::clone(data))))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        Files::new([
            ("files/a.txt".to_owned(), b"hello\nworld\n".to_vec()),
            ("files/b.txt".to_owned(), b"no newline".to_vec()),
            ("files/empty.txt".to_owned(), Vec::new()),
            ("files/nl.txt".to_owned(), b"\n\n".to_vec()),
            ("files/sub/c.yaml".to_owned(), b"x: 1\n".to_vec()),
            ("secrets/s.txt".to_owned(), b"s3cr3t".to_vec()),
        ])
    }

    fn call(files: &Files, method: &str, args: &[Value]) -> Value {
        files
            .method(method, args)
            .unwrap_or_else(|| panic!("no method {method}"))
            .unwrap_or_else(|err| panic!("{method}: {err}"))
    }

    fn keys(v: &Value) -> Vec<String> {
        match v {
            Value::Object(o) => o
                .data()
                .as_map()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    // Expected outputs are what `helm template` (v4.1.4) printed for a chart with these
    // files; the expression is named in each assertion.
    #[test]
    fn methods_match_helm() {
        let f = files();
        assert_eq!(
            call(&f, "Get", &["files/a.txt".into()]),
            Value::from("hello\nworld\n")
        );
        // .Files.Get "nope"
        assert_eq!(call(&f, "Get", &["nope".into()]), Value::from(""));
        // printf "%v" (.Files.GetBytes "files/b.txt")
        assert_eq!(
            call(&f, "GetBytes", &["files/b.txt".into()]).to_string(),
            "[110 111 32 110 101 119 108 105 110 101]"
        );
        // range over .Files.Glob "files/*"
        assert_eq!(
            keys(&call(&f, "Glob", &["files/*".into()])),
            [
                "files/a.txt",
                "files/b.txt",
                "files/empty.txt",
                "files/nl.txt"
            ]
        );
        // .Files.Glob "**.txt"
        assert_eq!(
            keys(&call(&f, "Glob", &["**.txt".into()])),
            [
                "files/a.txt",
                "files/b.txt",
                "files/empty.txt",
                "files/nl.txt",
                "secrets/s.txt"
            ]
        );
        // .Files.Glob "[" (does not compile: everything)
        assert_eq!(keys(&call(&f, "Glob", &["[".into()])).len(), 6);
        // (.Files.Glob "files/**").AsConfig
        let config = call(&f, "Glob", &["files/**".into()]);
        let Value::Object(config) = config else {
            panic!("Glob gives Files")
        };
        assert_eq!(
            config.method("AsConfig", &[]).and_then(Result::ok),
            Some(Value::from(
                "a.txt: |\n  hello\n  world\nb.txt: no newline\nc.yaml: |\n  x: 1\nempty.txt: \"\"\nnl.txt: |2+\n\n"
            ))
        );
        // (.Files.Glob "secrets/*").AsSecrets
        let secrets = f.glob("secrets/*");
        assert_eq!(secrets.as_secrets(), "s.txt: czNjcjN0");
        // (.Files.Glob "nothing").AsConfig
        assert_eq!(f.glob("nothing").as_config(), "{}");
        // printf "%v|%v|%v" (.Files.Lines "files/a.txt") (.Files.Lines "files/nl.txt") (.Files.Lines "nope")
        assert_eq!(
            call(&f, "Lines", &["files/a.txt".into()]).to_string(),
            "[hello world]"
        );
        assert_eq!(
            call(&f, "Lines", &["files/nl.txt".into()]).to_string(),
            "[ ]"
        );
        assert_eq!(call(&f, "Lines", &["nope".into()]).to_string(), "[]");
        assert_eq!(
            call(&f, "Lines", &["files/empty.txt".into()]).to_string(),
            "[]"
        );
        // printf "%T" .Files; len .Files; printf "%s" (index .Files "files/b.txt")
        assert_eq!(Value::object(f.clone()).type_name(), "engine.files");
        assert_eq!(f.len(), 6);
        assert_eq!(
            f.field("files/b.txt"),
            Some(Value::Bytes(Arc::from(&b"no newline"[..])))
        );
        assert_eq!(f.field("nope"), None);
        // toYaml (.Files.Glob "files/*.txt")
        assert_eq!(
            crate::encoding::yaml::marshal(&f.glob("files/*.txt").into_value())
                .ok()
                .as_deref(),
            Some(
                "files/a.txt: aGVsbG8Kd29ybGQK\nfiles/b.txt: bm8gbmV3bGluZQ==\nfiles/empty.txt: \"\"\nfiles/nl.txt: Cgo=\n"
            )
        );
    }

    #[test]
    fn method_arguments_are_checked_as_go_checks_them() {
        let f = files();
        let err = |m: &str, args: &[Value]| {
            f.method(m, args)
                .and_then(Result::err)
                .map(|e| e.to_string())
        };
        assert_eq!(
            err("Get", &[]).as_deref(),
            Some("wrong number of args for Get: want 1 got 0")
        );
        assert_eq!(
            err("Get", &[Value::Int(1)]).as_deref(),
            Some("wrong type for value; expected string; got int")
        );
        assert_eq!(
            err("AsConfig", &[Value::Int(1)]).as_deref(),
            Some("wrong number of args for AsConfig: want 0 got 1")
        );
        assert!(f.method("Nope", &[]).is_none());
        assert!(f.has_method("Glob") && !f.has_method("Nope"));
    }

    #[test]
    fn base_names_follow_go_path_base() {
        for (path, base) in [
            ("a/b.txt", "b.txt"),
            ("b.txt", "b.txt"),
            ("a/b/", "b"),
            ("", "."),
            ("/", "/"),
        ] {
            assert_eq!(base_name(path), base, "{path}");
        }
    }
}

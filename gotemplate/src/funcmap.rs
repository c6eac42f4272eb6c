//! The function map a template set is parsed and executed with: Go's built-ins, the libraries
//! written against [`FuncDef`] (Sprig, encoding, the host's own), and Helm's engine functions
//! (`include`, `tpl`, `required`, `lookup`). Names resolve at parse time, as in Go, where an
//! unknown name is a parse error (`function "x" not defined`); the executor then calls by index.

use std::collections::HashMap;

use crate::func::{Args, FuncDef, FuncError, FuncResult, Param, Sig};
use crate::value::Value;

/// A resolved function: an index into the [`FuncMap`] the tree was parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncId(pub(crate) u32);

/// Go's built-in functions, which take `reflect.Value`s and so see nil, types and laziness
/// (`and`/`or` short-circuit) in ways a [`FuncDef`] cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    UrlQuery,
    Call,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Helm's functions that need the engine itself (the template set, the recursion counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineFn {
    Include,
    Tpl,
    Required,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry {
    Builtin(Builtin),
    Def(FuncDef),
    Engine(EngineFn),
}

/// The type of one parameter as the executor converts arguments: Go's `reflect.Value`
/// (built-ins: anything, nil included, unconverted) or a declared [`Param`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgType {
    Reflect,
    Param(Param),
}

/// A function's parameters: fixed ones, then optionally a variadic type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signature {
    pub fixed: &'static [ArgType],
    pub variadic: Option<ArgType>,
}

/// A signature seen through either representation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SigView {
    Builtin(Signature),
    Def(Sig),
}

impl SigView {
    pub fn fixed_len(&self) -> usize {
        match self {
            SigView::Builtin(s) => s.fixed.len(),
            SigView::Def(s) => s.params.len(),
        }
    }

    pub fn is_variadic(&self) -> bool {
        match self {
            SigView::Builtin(s) => s.variadic.is_some(),
            SigView::Def(s) => s.variadic.is_some(),
        }
    }

    /// The type of argument `i` (0-based), variadic ones included.
    pub fn arg(&self, i: usize) -> ArgType {
        match self {
            SigView::Builtin(s) => s
                .fixed
                .get(i)
                .copied()
                .or(s.variadic)
                .unwrap_or(ArgType::Reflect),
            SigView::Def(s) => s
                .params
                .get(i)
                .copied()
                .or(s.variadic)
                .map_or(ArgType::Param(Param::Any), ArgType::Param),
        }
    }
}

const R: ArgType = ArgType::Reflect;
const ANY: ArgType = ArgType::Param(Param::Any);
const STRING: ArgType = ArgType::Param(Param::String);

impl Builtin {
    pub fn signature(self) -> Signature {
        let (fixed, variadic): (&'static [ArgType], Option<ArgType>) = match self {
            Builtin::And | Builtin::Or | Builtin::Index | Builtin::Slice | Builtin::Eq => {
                (&[R], Some(R))
            }
            Builtin::Call => (&[R], Some(R)),
            Builtin::Not | Builtin::Len => (&[R], None),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (&[R, R], None),
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::UrlQuery => {
                (&[], Some(ANY))
            }
            Builtin::Printf => (&[STRING], Some(ANY)),
        };
        Signature { fixed, variadic }
    }
}

impl EngineFn {
    pub fn sig(self) -> Sig {
        Sig::fixed(&[Param::String, Param::Any])
    }
}

/// Names and implementations of every function a template may call.
#[derive(Debug, Clone)]
pub struct FuncMap {
    index: HashMap<Box<str>, FuncId>,
    entries: Vec<(Box<str>, Entry)>,
}

impl FuncMap {
    /// Go's built-in functions only (`and`, `call`, `eq`, `html`, `index`, `js`, `len`,
    /// `not`, `or`, `print`, `printf`, `println`, `slice`, `urlquery`, and the comparisons).
    pub fn builtins() -> FuncMap {
        let mut map = FuncMap {
            index: HashMap::new(),
            entries: Vec::new(),
        };
        for (name, builtin) in [
            ("and", Builtin::And),
            ("call", Builtin::Call),
            ("html", Builtin::Html),
            ("index", Builtin::Index),
            ("slice", Builtin::Slice),
            ("js", Builtin::Js),
            ("len", Builtin::Len),
            ("not", Builtin::Not),
            ("or", Builtin::Or),
            ("print", Builtin::Print),
            ("printf", Builtin::Printf),
            ("println", Builtin::Println),
            ("urlquery", Builtin::UrlQuery),
            ("eq", Builtin::Eq),
            ("ge", Builtin::Ge),
            ("gt", Builtin::Gt),
            ("le", Builtin::Le),
            ("lt", Builtin::Lt),
            ("ne", Builtin::Ne),
        ] {
            map.set(name, Entry::Builtin(builtin));
        }
        map
    }

    /// Everything Helm gives templates: Go's built-ins, Sprig (less `env` and `expandenv`),
    /// the encoding functions, and Helm's `include`, `tpl`, `required` and `lookup`, in
    /// Helm's order of precedence (later ones replace earlier ones of the same name).
    pub fn helm() -> FuncMap {
        let mut map = FuncMap::builtins();
        map.extend(crate::sprig::functions());
        // Helm removes Sprig's access to the environment.
        map.remove("env");
        map.remove("expandenv");
        map.extend(crate::encoding::functions());
        // Without --enable-dns, Helm answers every DNS lookup with "".
        map.insert(FuncDef {
            name: "getHostByName",
            sig: Sig::fixed(&[Param::String]),
            func: |_| Ok(Value::string("")),
        });
        map.set("include", Entry::Engine(EngineFn::Include));
        map.set("tpl", Entry::Engine(EngineFn::Tpl));
        map.set("required", Entry::Engine(EngineFn::Required));
        map.insert(FuncDef {
            name: "lookup",
            sig: Sig::fixed(&[Param::String, Param::String, Param::String, Param::String]),
            func: lookup,
        });
        map
    }

    /// Adds or replaces a function (the host's own functions go last, as Helm's
    /// `CustomTemplateFuncs` do).
    pub fn insert(&mut self, def: FuncDef) {
        self.set(def.name, Entry::Def(def));
    }

    pub fn extend(&mut self, defs: impl IntoIterator<Item = FuncDef>) {
        for def in defs {
            self.insert(def);
        }
    }

    /// Removes a function (Helm removes Sprig's `env` and `expandenv`).
    pub fn remove(&mut self, name: &str) {
        if let Some(id) = self.index.remove(name) {
            // Keep indexes stable: the slot stays, unreachable by name.
            self.entries[id.0 as usize].0 = "".into();
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<FuncId> {
        self.index.get(name).copied()
    }

    pub(crate) fn entry(&self, id: FuncId) -> Entry {
        self.entries[id.0 as usize].1
    }

    fn set(&mut self, name: &str, entry: Entry) {
        match self.index.get(name) {
            Some(id) => self.entries[id.0 as usize].1 = entry,
            None => {
                let id = FuncId(self.entries.len() as u32);
                self.entries.push((name.into(), entry));
                self.index.insert(name.into(), id);
            }
        }
    }
}

/// Helm's `lookup`: asks the environment (an empty map without a cluster, as in
/// `helm template`).
fn lookup(args: &Args<'_>) -> FuncResult {
    let api_version = args.string(0)?;
    let kind = args.string(1)?;
    let namespace = args.string(2)?;
    let name = args.string(3)?;
    args.env
        .lookup(api_version, kind, namespace, name)
        .map_err(FuncError::Message)
}

/// Helm's `required`: the value, unless it is nil or an empty string.
pub(crate) fn required(message: &str, value: &Value) -> Result<Value, String> {
    match value {
        Value::Nil => Err(message.to_owned()),
        Value::String(s) if s.is_empty() => Err(message.to_owned()),
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::FixedEnv;
    use crate::{TemplateSet, Value};

    fn shout(_: &Args<'_>) -> FuncResult {
        Ok(Value::from("shout"))
    }

    fn render(funcs: FuncMap, text: &str) -> Result<String, String> {
        let mut set = TemplateSet::new(funcs);
        set.parse("t", text).map_err(|e| e.to_string())?;
        set.execute("t", &Value::Nil, &FixedEnv)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn later_definitions_replace_earlier_ones_and_builtins() {
        let mut funcs = FuncMap::helm();
        assert!(funcs.contains("include") && funcs.contains("tpl") && funcs.contains("lookup"));
        assert!(!funcs.contains("env") && !funcs.contains("expandenv"));
        // A library's `print` replaces Go's, as a FuncMap entry does in Go.
        funcs.insert(FuncDef {
            name: "print",
            sig: Sig::variadic(&[], Param::Any),
            func: shout,
        });
        assert_eq!(render(funcs.clone(), "{{ print 1 }}"), Ok("shout".into()));
        funcs.remove("print");
        assert!(!funcs.contains("print"));
        assert_eq!(
            render(funcs, "{{ print 1 }}"),
            Err("template: t:1: function \"print\" not defined".into())
        );
    }

    #[test]
    fn helm_answers_dns_with_nothing_and_lookup_with_an_empty_map() {
        assert_eq!(
            render(
                FuncMap::helm(),
                "[{{ getHostByName \"example.com\" }}] {{ lookup \"v1\" \"Pod\" \"\" \"\" }}"
            ),
            Ok("[] map[]".into())
        );
    }

    #[test]
    fn builtins_declare_go_signatures() {
        let cases = [
            ("{{ not }}", "wrong number of args for not: want 1 got 0"),
            (
                "{{ index }}",
                "wrong number of args for index: want at least 1 got 0",
            ),
            (
                "{{ printf }}",
                "wrong number of args for printf: want at least 1 got 0",
            ),
            ("{{ lt 1 }}", "wrong number of args for lt: want 2 got 1"),
            (
                "{{ call }}",
                "wrong number of args for call: want at least 1 got 0",
            ),
            (
                "{{ include \"x\" }}",
                "wrong number of args for include: want 2 got 1",
            ),
        ];
        for (text, expected) in cases {
            let err = render(FuncMap::helm(), text).expect_err(text);
            assert!(err.ends_with(expected), "{text}: {err}");
        }
        assert_eq!(
            render(FuncMap::builtins(), "{{ print }}{{ println }}"),
            Ok("\n".into())
        );
    }
}

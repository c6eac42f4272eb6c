//! Sprig as Helm runs it, checked against real `helm template`: every expression of
//! `tests/sprig/cases.rs` was rendered by helm v4.1.4 and its output recorded there. Here a
//! small evaluator calls the functions directly, so that a failure points at the function
//! rather than the engine: it reads one template expression (function calls, literals,
//! parentheses, pipelines, `.Field` and method calls), converts constants to the declared
//! parameter types as Go does, and calls the functions. `tests/sprig` runs the same
//! expressions through the template engine, and real helm again.
//!
//! Also here: the list of names Helm registers, so that no function goes missing.

use std::collections::HashMap;

use super::functions;

// (Two more `derivePassword` types were checked too; one stays in the cases, as scrypt is
// slow in debug builds.)
#[path = "../../tests/sprig/cases.rs"]
mod cases;
use crate::func::{Args, Env, FixedEnv, FuncDef, FuncError, Param};
use crate::value::Value;
use cases::{CASES, ERRORS};

/// A clock at 2024-01-02T03:04:05Z in UTC, and a deterministic (non-zero) random stream.
struct TestEnv {
    state: std::sync::Mutex<u64>,
}

impl TestEnv {
    fn new() -> TestEnv {
        TestEnv {
            state: std::sync::Mutex::new(0x9e37_79b9_7f4a_7c15),
        }
    }
}

impl Env for TestEnv {
    fn now(&self) -> (i64, u32) {
        FixedEnv.now()
    }

    fn random(&self, buf: &mut [u8]) {
        // splitmix64: deterministic, and never stuck on one value.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for chunk in buf.chunks_mut(8) {
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Int(i64),
    Float(f64),
    Ident(String),
    Field(String),
    Open,
    Close,
    Pipe,
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                while chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                        match chars[i] {
                            'n' => s.push('\n'),
                            't' => s.push('\t'),
                            'r' => s.push('\r'),
                            'u' => {
                                let hex: String = chars[i + 1..i + 5].iter().collect();
                                s.push(
                                    char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap(),
                                );
                                i += 4;
                            }
                            other => s.push(other),
                        }
                    } else {
                        s.push(chars[i]);
                    }
                    i += 1;
                }
                i += 1;
                tokens.push(Token::Str(s));
            }
            '.' => {
                let start = i + 1;
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push(Token::Field(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || chars[i] == '.'
                        || chars[i] == 'e'
                        || (chars[i] == '+' && chars[i - 1] == 'e'))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                tokens.push(match text.parse::<i64>() {
                    Ok(n) => Token::Int(n),
                    Err(_) => Token::Float(text.parse().unwrap()),
                });
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '(' | ')' | '|') {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
        }
    }
    tokens
}

/// A constant or a computed value, as Go's executor tells them apart for conversion.
#[derive(Debug, Clone)]
enum Arg {
    Const(Value),
    Computed(Value),
}

struct Eval<'a> {
    tokens: Vec<Token>,
    pos: usize,
    funcs: &'a HashMap<&'static str, FuncDef>,
    env: &'a TestEnv,
}

impl Eval<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    /// pipeline := command ('|' command)*
    fn pipeline(&mut self) -> Result<Value, FuncError> {
        let mut value = self.command(None)?;
        while self.peek() == Some(&Token::Pipe) {
            self.pos += 1;
            value = self.command(Some(value))?;
        }
        Ok(value)
    }

    /// command := operand args* ; a function name calls it with the args (and the piped
    /// value last); a parenthesised operand may be followed by `.Name args`.
    fn command(&mut self, piped: Option<Value>) -> Result<Value, FuncError> {
        match self.peek().cloned() {
            Some(Token::Ident(name)) if self.funcs.contains_key(name.as_str()) || name == "len" => {
                self.pos += 1;
                let mut args = self.args()?;
                if let Some(p) = piped {
                    args.push(Arg::Computed(p));
                }
                self.call(&name, args)
            }
            _ => {
                let mut value = self.operand()?;
                while let Some(Token::Field(name)) = self.peek().cloned() {
                    self.pos += 1;
                    if let Some(Token::Field(_)) = self.peek() {
                        value = field_or_method(&value, &name, &[])?;
                        continue;
                    }
                    let args: Vec<Value> = self
                        .args()?
                        .into_iter()
                        .map(|a| match a {
                            Arg::Const(v) | Arg::Computed(v) => v,
                        })
                        .collect();
                    return field_or_method(&value, &name, &args);
                }
                Ok(value)
            }
        }
    }

    fn args(&mut self) -> Result<Vec<Arg>, FuncError> {
        let mut args = Vec::new();
        while let Some(token) = self.peek() {
            if matches!(token, Token::Close | Token::Pipe) {
                break;
            }
            args.push(self.arg()?);
        }
        Ok(args)
    }

    fn arg(&mut self) -> Result<Arg, FuncError> {
        self.arg_at(false)
    }

    /// One operand; at the head of a command, a `.Name` after it is left for the command
    /// (it may take arguments).
    fn arg_at(&mut self, head: bool) -> Result<Arg, FuncError> {
        Ok(match self.next() {
            Some(Token::Str(s)) => Arg::Const(s.into()),
            Some(Token::Int(n)) => Arg::Const(Value::Int(n)),
            Some(Token::Float(x)) => Arg::Const(Value::Float(x)),
            Some(Token::Ident(name)) => match name.as_str() {
                "true" => Arg::Const(Value::Bool(true)),
                "false" => Arg::Const(Value::Bool(false)),
                "nil" => Arg::Const(Value::Nil),
                _ => Arg::Computed(self.call(&name, Vec::new())?),
            },
            Some(Token::Open) => {
                let value = self.pipeline()?;
                assert_eq!(self.next(), Some(Token::Close));
                let mut value = value;
                while let (Some(Token::Field(name)), false) = (self.peek().cloned(), head) {
                    self.pos += 1;
                    value = field_or_method(&value, &name, &[])?;
                }
                Arg::Computed(value)
            }
            other => panic!("unexpected token {other:?}"),
        })
    }

    fn operand(&mut self) -> Result<Value, FuncError> {
        Ok(match self.arg_at(true)? {
            Arg::Const(v) | Arg::Computed(v) => v,
        })
    }

    fn call(&self, name: &str, args: Vec<Arg>) -> Result<Value, FuncError> {
        if name == "len" {
            let value = match &args[0] {
                Arg::Const(v) | Arg::Computed(v) => v,
            };
            return Ok(Value::Int(match value {
                Value::String(s) => s.len() as i64,
                other => super::typed::slice_items(other).map_or(0, |l| l.len() as i64),
            }));
        }
        let def = *self
            .funcs
            .get(name)
            .unwrap_or_else(|| panic!("no function {name}"));
        let mut values = Vec::new();
        for (i, arg) in args.into_iter().enumerate() {
            let param = def
                .sig
                .params
                .get(i)
                .copied()
                .or(def.sig.variadic)
                .unwrap_or_else(|| panic!("too many arguments for {name}"));
            values.push(convert(arg, param)?);
        }
        assert!(
            values.len() >= def.sig.params.len(),
            "too few arguments for {name}"
        );
        (def.func)(&Args::new(&values, self.env))
    }
}

/// Go's argument conversion: an untyped constant converts to the parameter's type; a
/// computed value must already be of it.
fn convert(arg: Arg, param: Param) -> Result<Value, FuncError> {
    let wrong = |v: &Value| crate::func::wrong_type(param, v);
    match (arg, param) {
        (Arg::Const(v) | Arg::Computed(v), Param::Any) => Ok(v),
        (Arg::Const(Value::Int(n)), Param::Float64) => Ok(Value::Float(n as f64)),
        (Arg::Const(Value::Int(n)), Param::Int64) => Ok(Value::Int64(n)),
        (Arg::Const(Value::Nil), Param::Map | Param::List) => Ok(Value::Nil),
        (Arg::Const(v) | Arg::Computed(v), Param::Map) => match v {
            Value::Map(_) | Value::Dict(_) | Value::Nil => Ok(v),
            other => Err(wrong(&other)),
        },
        (Arg::Const(v) | Arg::Computed(v), Param::List) => match v {
            Value::List(_) | Value::Nil => Ok(v),
            other => Err(wrong(&other)),
        },
        (Arg::Const(v) | Arg::Computed(v), Param::String) => match v {
            Value::String(_) => Ok(v),
            other => Err(wrong(&other)),
        },
        (Arg::Const(v) | Arg::Computed(v), Param::Int | Param::Int64 | Param::Uint32) => match v {
            Value::Int(_) | Value::Int64(_) => Ok(v),
            other => Err(wrong(&other)),
        },
        (Arg::Const(v) | Arg::Computed(v), Param::Float64) => match v {
            Value::Float(_) => Ok(v),
            other => Err(wrong(&other)),
        },
        (Arg::Const(v) | Arg::Computed(v), Param::Bool) => match v {
            Value::Bool(_) => Ok(v),
            other => Err(wrong(&other)),
        },
        (Arg::Const(v) | Arg::Computed(v), Param::Named(name)) => {
            if v.type_name() == name {
                Ok(v)
            } else {
                Err(wrong(&v))
            }
        }
    }
}

fn field_or_method(value: &Value, name: &str, args: &[Value]) -> Result<Value, FuncError> {
    match value {
        Value::Object(object) => {
            if let Some(result) = object.method(name, args) {
                return result;
            }
            object
                .field(name)
                .ok_or_else(|| FuncError::msg(format!("no field {name}")))
        }
        other => other
            .map_ref()
            .and_then(|m| m.get(name).cloned())
            .ok_or_else(|| FuncError::msg(format!("no field {name}"))),
    }
}

fn eval(expression: &str, env: &TestEnv) -> Result<Value, FuncError> {
    let funcs: HashMap<&'static str, FuncDef> =
        functions().into_iter().map(|d| (d.name, d)).collect();
    let mut eval = Eval {
        tokens: tokenize(expression),
        pos: 0,
        funcs: &funcs,
        env,
    };
    let value = eval.pipeline()?;
    assert_eq!(
        eval.pos,
        eval.tokens.len(),
        "trailing tokens in {expression}"
    );
    Ok(value)
}

#[test]
fn outputs_match_helm() {
    let env = TestEnv::new();
    let mut failures = Vec::new();
    for (expression, expected) in CASES {
        match eval(expression, &env) {
            Ok(value) => {
                let got = value.to_string();
                if got != *expected {
                    failures.push(format!(
                        "{expression}\n    helm: {expected:?}\n    ours: {got:?}"
                    ));
                }
            }
            Err(err) => failures.push(format!(
                "{expression}\n    helm: {expected:?}\n    error: {err}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_match_helm() {
    let env = TestEnv::new();
    let mut failures = Vec::new();
    for (expression, expected) in ERRORS {
        match eval(expression, &env) {
            Ok(value) => failures.push(format!(
                "{expression}\n    helm error: {expected:?}\n    ours: {value}"
            )),
            Err(err) => {
                let got = err.to_string();
                if got.trim_end() != expected.trim_end() {
                    failures.push(format!(
                        "{expression}\n    helm: {expected:?}\n    ours: {got:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        ERRORS.len(),
        failures.join("\n")
    );
}

/// Every name in Sprig v3.3.0's `genericMap` (`functions.go`), which Helm 4.1.4 registers
/// through `sprig.TxtFuncMap()` in `pkg/engine/funcs.go`.
const SPRIG_NAMES: &[&str] = &[
    "abbrev",
    "abbrevboth",
    "add",
    "add1",
    "add1f",
    "addf",
    "adler32sum",
    "ago",
    "all",
    "any",
    "append",
    "atoi",
    "b32dec",
    "b32enc",
    "b64dec",
    "b64enc",
    "base",
    "bcrypt",
    "biggest",
    "buildCustomCert",
    "camelcase",
    "cat",
    "ceil",
    "chunk",
    "clean",
    "coalesce",
    "compact",
    "concat",
    "contains",
    "date",
    "dateInZone",
    "dateModify",
    "date_in_zone",
    "date_modify",
    "decryptAES",
    "deepCopy",
    "deepEqual",
    "default",
    "derivePassword",
    "dict",
    "dig",
    "dir",
    "div",
    "divf",
    "duration",
    "durationRound",
    "empty",
    "encryptAES",
    "env",
    "expandenv",
    "ext",
    "fail",
    "first",
    "float64",
    "floor",
    "fromJson",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "get",
    "getHostByName",
    "has",
    "hasKey",
    "hasPrefix",
    "hasSuffix",
    "hello",
    "htmlDate",
    "htmlDateInZone",
    "htpasswd",
    "indent",
    "initial",
    "initials",
    "int",
    "int64",
    "isAbs",
    "join",
    "kebabcase",
    "keys",
    "kindIs",
    "kindOf",
    "last",
    "list",
    "lower",
    "max",
    "maxf",
    "merge",
    "mergeOverwrite",
    "min",
    "minf",
    "mod",
    "mul",
    "mulf",
    "mustAppend",
    "mustChunk",
    "mustCompact",
    "mustDateModify",
    "mustDeepCopy",
    "mustFirst",
    "mustFromJson",
    "mustHas",
    "mustInitial",
    "mustLast",
    "mustMerge",
    "mustMergeOverwrite",
    "mustPrepend",
    "mustPush",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexMatch",
    "mustRegexReplaceAll",
    "mustRegexReplaceAllLiteral",
    "mustRegexSplit",
    "mustRest",
    "mustReverse",
    "mustSlice",
    "mustToDate",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "mustUniq",
    "mustWithout",
    "must_date_modify",
    "nindent",
    "nospace",
    "now",
    "omit",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "pick",
    "pluck",
    "plural",
    "prepend",
    "push",
    "quote",
    "randAlpha",
    "randAlphaNum",
    "randAscii",
    "randBytes",
    "randInt",
    "randNumeric",
    "regexFind",
    "regexFindAll",
    "regexMatch",
    "regexQuoteMeta",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "repeat",
    "replace",
    "rest",
    "reverse",
    "round",
    "semver",
    "semverCompare",
    "seq",
    "set",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shuffle",
    "slice",
    "snakecase",
    "sortAlpha",
    "split",
    "splitList",
    "splitn",
    "squote",
    "sub",
    "subf",
    "substr",
    "swapcase",
    "ternary",
    "title",
    "toDate",
    "toDecimal",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "toString",
    "toStrings",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trimall",
    "trunc",
    "tuple",
    "typeIs",
    "typeIsLike",
    "typeOf",
    "uniq",
    "unixEpoch",
    "unset",
    "until",
    "untilStep",
    "untitle",
    "upper",
    "urlJoin",
    "urlParse",
    "uuidv4",
    "values",
    "without",
    "wrap",
    "wrapWith",
];

/// Names of that map that are not this module's: Helm deletes `env` and `expandenv`; Helm
/// replaces `toJson`, `fromJson` and `mustToJson` with its own; the other JSON functions
/// live with the encoders.
const ELSEWHERE: &[&str] = &[
    "env",
    "expandenv",
    "toJson",
    "fromJson",
    "mustToJson",
    "mustFromJson",
    "toPrettyJson",
    "mustToPrettyJson",
    "toRawJson",
    "mustToRawJson",
];

#[test]
fn every_sprig_function_helm_registers_is_here() {
    let ours: Vec<&str> = functions().iter().map(|d| d.name).collect();
    let mut expected: Vec<&str> = SPRIG_NAMES
        .iter()
        .copied()
        .filter(|n| !ELSEWHERE.contains(n))
        .collect();
    expected.sort_unstable();
    let mut sorted = ours.clone();
    sorted.sort_unstable();
    let duplicates: Vec<&&str> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| &w[0])
        .collect();
    assert!(duplicates.is_empty(), "registered twice: {duplicates:?}");
    let missing: Vec<&&str> = expected.iter().filter(|n| !sorted.contains(n)).collect();
    let extra: Vec<&&str> = sorted.iter().filter(|n| !expected.contains(n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

/// Helm's function map ([`crate::FuncMap::helm`]) has every Sprig name but the two Helm
/// deletes, whichever module provides it.
#[test]
fn helms_function_map_has_every_sprig_name() {
    let helm = crate::FuncMap::helm();
    let wrong: Vec<&&str> = SPRIG_NAMES
        .iter()
        .filter(|name| helm.contains(name) == matches!(**name, "env" | "expandenv"))
        .collect();
    assert!(wrong.is_empty(), "wrongly present or absent: {wrong:?}");
}

fn call(name: &str, args: &[Value], env: &dyn Env) -> Result<Value, FuncError> {
    let def = functions()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no function {name}"));
    (def.func)(&Args::new(args, env))
}

fn text(value: Result<Value, FuncError>) -> String {
    match value {
        Ok(Value::String(s)) => s.to_string(),
        other => panic!("not a string: {other:?}"),
    }
}

#[test]
fn random_strings_have_their_shape() {
    // Helm's output varies; its length and alphabet do not.
    type Alphabet = fn(char) -> bool;
    let cases: &[(&str, Alphabet)] = &[
        ("randAlphaNum", |c| c.is_ascii_alphanumeric()),
        ("randAlpha", |c| c.is_ascii_alphabetic()),
        ("randNumeric", |c| c.is_ascii_digit()),
        ("randAscii", |c| (' '..='~').contains(&c)),
    ];
    let env = TestEnv::new();
    for (name, allowed) in cases {
        for source in [&env as &dyn Env, &FixedEnv] {
            let out = text(call(name, &[Value::Int(200)], source));
            assert_eq!(out.len(), 200, "{name}");
            assert!(out.chars().all(allowed), "{name}: {out}");
        }
        // A real source draws every character of the alphabet sooner or later.
        let out = text(call(name, &[Value::Int(5000)], &env));
        let distinct: std::collections::BTreeSet<char> = out.chars().collect();
        assert!(distinct.len() >= 10, "{name}: {distinct:?}");
    }
    assert!(call("randAlpha", &[Value::Int(1 << 40)], &env).is_err());
}

#[test]
fn uuid_bytes_and_ints_have_their_shape() {
    let env = TestEnv::new();
    let uuid = text(call("uuidv4", &[], &env));
    let groups: Vec<&str> = uuid.split('-').collect();
    assert_eq!(
        groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(
        uuid.chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(groups[2].starts_with('4'), "{uuid}");
    assert!(groups[3].starts_with(['8', '9', 'a', 'b']), "{uuid}");
    assert_ne!(uuid, text(call("uuidv4", &[], &env)));

    let bytes = text(call("randBytes", &[Value::Int(24)], &env));
    assert_eq!(
        super::encoding::decode_base64(&bytes).map(|b| b.len()),
        Ok(24)
    );

    for _ in 0..200 {
        let n = call("randInt", &[Value::Int(-3), Value::Int(4)], &env).unwrap();
        assert!(matches!(n, Value::Int(-3..=3)), "{n:?}");
    }
    let shuffled = text(call("shuffle", &["abcdefgh".into()], &env));
    let mut sorted: Vec<char> = shuffled.chars().collect();
    sorted.sort_unstable();
    assert_eq!(sorted.into_iter().collect::<String>(), "abcdefgh");
}

#[test]
fn clock_functions_read_the_environment() {
    // The environment's clock is 2024-01-02T03:04:05Z.
    let env = TestEnv::new();
    let now = call("now", &[], &env).unwrap();
    assert_eq!(now.type_name(), "time.Time");
    assert_eq!(now.to_string(), "2024-01-02 03:04:05 +0000 UTC");
    assert_eq!(
        text(call("date", &["2006-01-02".into(), now.clone()], &env)),
        "2024-01-02"
    );
    assert_eq!(
        text(call("htmlDate", &["not a time".into()], &env)),
        "2024-01-02"
    );
    assert_eq!(
        text(call("unixEpoch", std::slice::from_ref(&now), &env)),
        "1704164645"
    );
    let yesterday = call("dateModify", &["-25h".into(), now.clone()], &env).unwrap();
    assert_eq!(
        text(call("ago", std::slice::from_ref(&yesterday), &env)),
        "25h0m0s"
    );
    assert_eq!(text(call("durationRound", &[yesterday], &env)), "1d");
    assert_eq!(
        text(call("ago", &[Value::Int(1_704_164_000)], &env)),
        "10m45s"
    );
}

/// An environment whose local zone is New York.
struct NewYork;

impl Env for NewYork {
    fn now(&self) -> (i64, u32) {
        FixedEnv.now()
    }

    fn local_offset(&self, unix_seconds: i64) -> (i32, String) {
        // EST before 2024-03-10T07:00Z, EDT after (enough for these dates).
        if unix_seconds < 1_710_054_000 {
            (-5 * 3600, "EST".to_owned())
        } else {
            (-4 * 3600, "EDT".to_owned())
        }
    }

    fn random(&self, buf: &mut [u8]) {
        buf.fill(7);
    }
}

#[test]
fn local_time_comes_from_the_environment() {
    let env = NewYork;
    let now = call("now", &[], &env).unwrap();
    assert_eq!(now.to_string(), "2024-01-01 22:04:05 -0500 EST");
    let parsed = call(
        "toDate",
        &["2006-01-02 15:04".into(), "2024-03-10 12:00".into()],
        &env,
    )
    .unwrap();
    assert_eq!(parsed.to_string(), "2024-03-10 12:00:00 -0400 EDT");
    let moved = call("dateModify", &["-24h".into(), parsed], &env).unwrap();
    assert_eq!(moved.to_string(), "2024-03-09 11:00:00 -0500 EST");
}

/// Odd arguments of each declared type, for [`hostile_arguments_never_panic`].
fn odd_values(param: Param) -> Vec<Value> {
    let time = eval("toDate \"2006-01-02\" \"2024-01-02\"", &TestEnv::new()).unwrap();
    let strings = || -> Vec<Value> {
        let long = "word ".repeat(30) + "é";
        [
            "",
            "x",
            "é\u{0}\u{301}",
            "-1",
            "99999999999999999999",
            "((",
            "\\",
            "a{2,1}",
            "%zz",
            "2006-01-02",
            "1.2.3",
            &long,
        ]
        .into_iter()
        .map(Value::from)
        .collect()
    };
    match param {
        Param::String => strings(),
        Param::Int | Param::Int64 => [0, -1, 1, 65, i64::MAX, i64::MIN, 1 << 40]
            .into_iter()
            .map(Value::Int)
            .collect(),
        Param::Uint32 => vec![Value::Int(0), Value::Int(i64::from(u32::MAX))],
        Param::Float64 => vec![
            Value::Float(f64::NAN),
            Value::Float(-1.5),
            Value::Float(1e308),
        ],
        Param::Bool => vec![Value::Bool(true), Value::Bool(false)],
        Param::Map => vec![
            Value::Nil,
            Value::dict(crate::Map::from([("a".to_owned(), Value::Int(1))])),
            Value::map(crate::Map::new()),
        ],
        Param::List => vec![
            Value::Nil,
            Value::list(vec!["1.2.3.4".into(), Value::Int(1)]),
        ],
        Param::Named(_) => vec![time],
        Param::Any => {
            let mut values = vec![
                Value::Nil,
                Value::Int(-5),
                Value::Int64(i64::MIN),
                Value::Float(f64::NAN),
                Value::Float(1e308),
                Value::Bool(true),
                Value::Bytes(std::sync::Arc::from(&b"\xff\x00"[..])),
                Value::list(vec![Value::Nil, Value::list(vec![])]),
                Value::dict(crate::Map::from([("k".to_owned(), Value::Nil)])),
                super::typed::strings(["a".to_owned()]),
                time,
            ];
            values.extend(strings());
            values
        }
    }
}

#[test]
fn hostile_arguments_never_panic() {
    // Every function, with odd values of its parameter types: errors are fine, panics
    // and hangs are not. Key generation and password hashing are slow in debug builds and
    // have tests of their own.
    let slow = [
        "genCA",
        "genSelfSignedCert",
        "genSignedCert",
        "genPrivateKey",
        "derivePassword",
        "bcrypt",
        "htpasswd",
    ];
    let env = TestEnv::new();
    let mut panics = Vec::new();
    for def in functions() {
        if slow.iter().any(|s| def.name.starts_with(s)) {
            continue;
        }
        let mut params: Vec<Param> = def.sig.params.to_vec();
        params.extend(def.sig.variadic.into_iter().chain(def.sig.variadic));
        let choices: Vec<Vec<Value>> = params.iter().map(|p| odd_values(*p)).collect();
        for round in 0..60usize {
            let count = def.sig.params.len() + round % (params.len() - def.sig.params.len() + 1);
            let args: Vec<Value> = (0..count)
                .map(|i| {
                    let options = &choices[i];
                    options[(round * (i + 3) + i * 7) % options.len()].clone()
                })
                .collect();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = (def.func)(&Args::new(&args, &env));
            }));
            if result.is_err() {
                panics.push(format!("{} {args:?}", def.name));
            }
        }
    }
    assert!(panics.is_empty(), "panicked:\n{}", panics.join("\n"));
}

//! Sprig as Helm runs it, checked against real `helm template`: every expression below was
//! rendered by helm v4.1.4 and its output recorded here. A small evaluator stands in for the
//! template engine (which lives elsewhere): it reads one template expression (function
//! calls, literals, parentheses, pipelines, `.Field` and method calls), converts constants
//! to the declared parameter types as Go does, and calls the functions directly.
//!
//! Also here: the list of names Helm registers, so that no function goes missing.

use std::collections::HashMap;

use super::functions;
use crate::func::{Args, Env, FixedEnv, FuncDef, FuncError, Param};
use crate::value::Value;

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

/// (Two more `derivePassword` types were checked too; one stays here, as scrypt is slow in
/// debug builds.)
///
/// `(expression, output)`: each expression rendered by real `helm template` (helm v4.1.4)
/// as `{{ printf "%q" (printf "%v" (EXPRESSION)) }}`, the output unquoted.
const CASES: &[(&str, &str)] = &[
    ("hello", "Hello!"),
    ("trim \"  a b \\t\\n\"", "a b"),
    ("upper \"héllo ß\"", "HÉLLO ß"),
    ("lower \"HÉLLO İ\"", "héllo i"),
    (
        "title \"hello wOrld foo_bar x-y émile 3rd\"",
        "Hello WOrld Foo_bar X-Y Émile 3rd",
    ),
    ("untitle \"Hello World FOO\"", "hello world fOO"),
    ("substr 1 3 \"hello\"", "el"),
    ("substr -1 3 \"hello\"", "hel"),
    ("substr 2 -1 \"hello\"", "llo"),
    ("substr 2 99 \"hello\"", "llo"),
    ("substr 0 0 \"hello\"", ""),
    ("trunc 3 \"hello\"", "hel"),
    ("trunc -3 \"hello\"", "llo"),
    ("trunc -9 \"hello\"", "hello"),
    ("trunc 0 \"hello\"", ""),
    ("trunc 99 \"hello\"", "hello"),
    ("abbrev 5 \"hello world\"", "he..."),
    ("abbrev 3 \"hello world\"", "hello world"),
    ("abbrev 20 \"hello world\"", "hello world"),
    ("abbrevboth 5 10 \"1234 5678 9123 4567\"", "...5678..."),
    ("abbrevboth 0 10 \"1234 5678 9123 4567\"", "1234 56..."),
    (
        "abbrevboth 5 6 \"1234 5678 9123 4567\"",
        "1234 5678 9123 4567",
    ),
    ("abbrevboth 20 10 \"1234 5678 9123 4567\"", "...23 4567"),
    ("repeat 3 \"ab\"", "ababab"),
    ("repeat 0 \"ab\"", ""),
    ("trimAll \"$\" \"$5.00$\"", "5.00"),
    ("trimall \"ab\" \"abcba\"", "c"),
    ("trimSuffix \"-\" \"hello-\"", "hello"),
    ("trimPrefix \"-\" \"-hello\"", "hello"),
    ("nospace \"hello w o r l d\"", "helloworld"),
    ("nospace \"héllo wörld\"", "hÃ©llowÃ¶rld"),
    ("nospace \"héllo\"", "héllo"),
    ("initials \"First Try\"", "FT"),
    ("initials \"héllo wörld\"", "hw"),
    ("swapcase \"This Is A.Test\"", "tHIS iS a.tEST"),
    (
        "swapcase \"hello WORLD mixedCase\"",
        "HELLO world MIXEDcASE",
    ),
    ("snakecase \"FirstName\"", "first_name"),
    ("snakecase \"HTTPServer\"", "http_server"),
    ("snakecase \"http2xx\"", "http_2xx"),
    ("snakecase \"Bld4Floor3rd\"", "bld4_floor_3rd"),
    ("snakecase \"already_snake\"", "already_snake"),
    ("snakecase \"some-kebab value\"", "some_kebab_value"),
    ("snakecase \"ID\"", "id"),
    ("snakecase \"myID2Go\"", "my_id2_go"),
    ("snakecase \"a.b.c\"", "a.b.c"),
    ("kebabcase \"FirstName\"", "first-name"),
    ("kebabcase \"HTTPServer\"", "http-server"),
    ("kebabcase \"foo_bar Baz\"", "foo-bar-baz"),
    ("camelcase \"http_server\"", "HttpServer"),
    ("camelcase \"_complex__case_\"", "_Complex_Case_"),
    ("camelcase \"GOLANG_IS_GREAT\"", "GolangIsGreat"),
    ("camelcase \"some words here\"", "SomeWordsHere"),
    ("camelcase \"alreadyCamel\"", "AlreadyCamel"),
    ("camelcase \"foo-bar\"", "FooBar"),
    (
        "wrap 5 \"Hello World foo bar baz\"",
        "Hello\nWorld\nfoo\nbar\nbaz",
    ),
    ("wrap 3 \"abcdefgh ij\"", "abcdefgh\nij"),
    ("wrap 0 \"a b\"", "a\nb"),
    ("wrapWith 5 \"\\t\" \"Hello World\"", "Hello\tWorld"),
    ("wrapWith 3 \"|\" \"abcdefgh ij\"", "abc|def|gh|ij"),
    ("contains \"cat\" \"catch\"", "true"),
    ("hasPrefix \"cat\" \"catch\"", "true"),
    ("hasSuffix \"ch\" \"catch\"", "true"),
    (
        "quote \"a\" 1 nil true \"q\\\"x\" \"tab\\t\" \"é\\u00a0\"",
        "\"a\" \"1\" \"true\" \"q\\\"x\" \"tab\\t\" \"é\\u00a0\"",
    ),
    ("quote", ""),
    ("squote \"a\" 1 nil true 2.5", "'a' '1' 'true' '2.5'"),
    ("cat \"a\" 1 nil true 2.5 (list 1 2)", "a 1 true 2.5 [1 2]"),
    ("cat", ""),
    ("indent 2 \"a\\nb\\n\"", "  a\n  b\n  "),
    ("nindent 2 \"a\\nb\"", "\n  a\n  b"),
    ("indent 0 \"x\"", "x"),
    ("replace \" \" \"-\" \"a b c\"", "a-b-c"),
    ("replace \"\" \"-\" \"abc\"", "-a-b-c-"),
    ("plural \"one\" \"many\" 1", "one"),
    ("plural \"one\" \"many\" 2", "many"),
    ("plural \"one\" \"many\" 0", "many"),
    ("toString 1", "1"),
    ("toString 1.5", "1.5"),
    ("toString nil", "<nil>"),
    ("toString (list 1 \"a\")", "[1 a]"),
    ("toString true", "true"),
    ("toStrings (list 1 \"a\" nil 2.5)", "[1 a 2.5]"),
    ("typeOf (toStrings (list 1))", "[]string"),
    ("toStrings \"abc\"", "[abc]"),
    ("toStrings nil", "[]"),
    ("split \",\" \"a,b,c\"", "map[_0:a _1:b _2:c]"),
    ("typeOf (split \",\" \"a\")", "map[string]string"),
    ("(split \",\" \"a,b,c\")._1", "b"),
    ("split \"\" \"abc\"", "map[_0:a _1:b _2:c]"),
    ("splitList \",\" \"a,b,,c\"", "[a b  c]"),
    ("splitList \"\" \"abc\"", "[a b c]"),
    ("splitList \",\" \"\"", "[]"),
    ("typeOf (splitList \",\" \"a\")", "[]string"),
    ("splitn \",\" 2 \"a,b,c\"", "map[_0:a _1:b,c]"),
    ("splitn \",\" 0 \"a,b,c\"", "map[]"),
    ("splitn \",\" -1 \"a,b,c\"", "map[_0:a _1:b _2:c]"),
    ("join \",\" (list 1 \"a\" nil 2.5 true)", "1,a,2.5,true"),
    ("join \"-\" \"abc\"", "abc"),
    ("join \"-\" nil", ""),
    ("join \",\" (splitList \"/\" \"a/b\")", "a,b"),
    ("sortAlpha (list \"b\" \"a\" 10 2 \"C\")", "[10 2 C a b]"),
    ("sortAlpha \"x\"", "[x]"),
    ("sortAlpha (dict \"a\" 1)", "[map[a:1]]"),
    ("typeOf (sortAlpha (list 1))", "[]string"),
    ("shuffle \"\"", ""),
    ("list 1 \"a\" nil", "[1 a <nil>]"),
    ("list", "[]"),
    ("tuple 1 2", "[1 2]"),
    ("append (list 1 2) 3", "[1 2 3]"),
    ("push (list 1) nil", "[1 <nil>]"),
    ("prepend (list 1 2) 0", "[0 1 2]"),
    ("mustAppend (splitList \",\" \"a,b\") \"c\"", "[a b c]"),
    ("typeOf (append (list) 1)", "[]interface {}"),
    ("first (list 1 2 3)", "1"),
    ("first (list)", "<nil>"),
    ("first (splitList \",\" \"x,y\")", "x"),
    ("rest (list 1 2 3)", "[2 3]"),
    ("rest (list)", "[]"),
    ("last (list 1 2 3)", "3"),
    ("last (list)", "<nil>"),
    ("initial (list 1 2 3)", "[1 2]"),
    ("initial (list)", "[]"),
    ("reverse (list 1 2 3)", "[3 2 1]"),
    ("reverse (list)", "[]"),
    ("uniq (list 1 2 1 \"1\" 2 nil nil)", "[1 2 1 <nil>]"),
    ("uniq (list (list 1) (list 1))", "[[1]]"),
    ("without (list 1 2 3 2) 2", "[1 3]"),
    ("without (list 1 2 3) 1 3", "[2]"),
    ("without (list \"1\" 1) 1", "[1]"),
    ("has 1 (list 1 2)", "true"),
    ("has \"1\" (list 1 2)", "false"),
    ("has 1 nil", "false"),
    ("has (list 1) (list (list 1))", "true"),
    (
        "compact (list 1 0 \"\" nil false \"a\" (list) (dict))",
        "[1 a]",
    ),
    ("slice (list 1 2 3 4) 1 3", "[2 3]"),
    ("slice (list 1 2 3 4) 2", "[3 4]"),
    ("slice (list 1 2 3 4)", "[1 2 3 4]"),
    ("slice (list)", "<nil>"),
    ("typeOf (slice (splitList \",\" \"a,b,c\") 1)", "[]string"),
    ("concat (list 1 2) (list 3) (list)", "[1 2 3]"),
    ("concat", "[]"),
    ("chunk 2 (list 1 2 3 4 5)", "[[1 2] [3 4] [5]]"),
    ("chunk 3 (list 1 2 3)", "[[1 2 3]]"),
    ("chunk 2 (list)", "[]"),
    ("typeOf (chunk 2 (list 1))", "[][]interface {}"),
    ("dict \"a\" 1 \"b\" \"x\"", "map[a:1 b:x]"),
    ("dict \"a\"", "map[a:]"),
    ("dict 1 2 true 3", "map[1:2 true:3]"),
    ("dict", "map[]"),
    ("get (dict \"a\" 1) \"a\"", "1"),
    ("get (dict \"a\" 1) \"b\"", ""),
    ("get nil \"a\"", ""),
    ("hasKey (dict \"a\" nil) \"a\"", "true"),
    ("hasKey (dict) \"a\"", "false"),
    ("set (dict \"a\" 1) \"b\" 2", "map[a:1 b:2]"),
    ("unset (dict \"a\" 1 \"b\" 2) \"a\"", "map[b:2]"),
    ("unset nil \"a\"", "map[]"),
    (
        "pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3)",
        "[1 3]",
    ),
    // Go ranges over maps in random order: sorted here.
    (
        "sortAlpha (keys (dict \"b\" 1 \"a\" 2) (dict \"c\" 3))",
        "[a b c]",
    ),
    ("keys", "[]"),
    ("sortAlpha (values (dict \"b\" 1 \"a\" 2))", "[1 2]"),
    (
        "pick (dict \"a\" 1 \"b\" 2 \"c\" 3) \"a\" \"c\" \"z\"",
        "map[a:1 c:3]",
    ),
    (
        "omit (dict \"a\" 1 \"b\" 2 \"c\" 3) \"a\" \"z\"",
        "map[b:2 c:3]",
    ),
    (
        "merge (dict \"a\" 1 \"b\" \"\" \"c\" (dict \"x\" 1)) (dict \"a\" 2 \"b\" \"B\" \"c\" (dict \"x\" 2 \"y\" 3) \"d\" 4)",
        "map[a:1 b:B c:map[x:1 y:3] d:4]",
    ),
    ("merge (dict) (dict \"a\" nil)", "map[]"),
    ("merge nil (dict \"a\" 1)", "map[a:1]"),
    (
        "mergeOverwrite (dict \"a\" 1 \"b\" \"\" \"c\" (dict \"x\" 1)) (dict \"a\" 2 \"b\" \"B\" \"c\" (dict \"x\" 2 \"y\" 3) \"d\" 4)",
        "map[a:2 b:B c:map[x:2 y:3] d:4]",
    ),
    (
        "mergeOverwrite (dict \"a\" 1) (dict \"a\" nil)",
        "map[a:<nil>]",
    ),
    ("mergeOverwrite (dict \"a\" 1) (dict \"a\" 0)", "map[a:0]"),
    (
        "merge (dict \"a\" (list 1)) (dict \"a\" (list 2))",
        "map[a:[1]]",
    ),
    (
        "merge (dict \"a\" (list)) (dict \"a\" (list 2))",
        "map[a:[2]]",
    ),
    (
        "mergeOverwrite (dict \"a\" (list 1)) (dict \"a\" (list))",
        "map[a:[]]",
    ),
    (
        "merge (dict \"a\" \"x\") (dict \"a\" (dict \"b\" 1))",
        "map[a:x]",
    ),
    (
        "mergeOverwrite (dict \"a\" \"x\") (dict \"a\" (dict \"b\" 1))",
        "map[a:map[b:1]]",
    ),
    (
        "mergeOverwrite (dict \"a\" (dict \"b\" 1)) (dict \"a\" \"x\")",
        "map[a:x]",
    ),
    (
        "merge (dict \"a\" (dict)) (dict \"a\" (dict \"b\" 1))",
        "map[a:map[b:1]]",
    ),
    (
        "merge (dict \"a\" 0 \"b\" false) (dict \"a\" 5 \"b\" true) (dict \"a\" 7 \"c\" 1)",
        "map[a:5 b:true c:1]",
    ),
    ("mustMerge (dict \"a\" 1) (dict \"b\" 2)", "map[a:1 b:2]"),
    (
        "deepCopy (dict \"a\" (list 1 (dict \"b\" 2)))",
        "map[a:[1 map[b:2]]]",
    ),
    ("deepCopy 5", "5"),
    ("deepCopy \"x\"", "x"),
    ("dig \"a\" \"b\" \"def\" (dict \"a\" (dict \"b\" 1))", "1"),
    ("dig \"a\" \"x\" \"def\" (dict \"a\" (dict \"b\" 1))", "def"),
    ("dig \"a\" \"def\" (dict)", "def"),
    ("add 1 2.5 \"3\"", "6"),
    ("add", "0"),
    ("add 1.9 1.9", "2"),
    ("add1 1.9", "2"),
    ("sub 5 2.5", "3"),
    ("div 7 2", "3"),
    ("div -7 2", "-3"),
    ("mod 7 3", "1"),
    ("mod -7 3", "-1"),
    ("mul 2 3 4.9", "24"),
    ("mul 5", "5"),
    ("max 1 5 3.9 \"7\"", "7"),
    ("max 3", "3"),
    ("biggest 1 2", "2"),
    ("min 5 -2 \"x\"", "-2"),
    ("maxf 1 2.5 \"3.5\"", "3.5"),
    ("minf 1 2.5 -0.5", "-0.5"),
    ("addf 0.1 0.2", "0.3"),
    ("addf 1 \"2.5\" nil", "3.5"),
    ("add1f 0.1", "1.1"),
    ("subf 1 0.9", "0.1"),
    ("subf 10", "10"),
    ("mulf 1.1 1.1", "1.21"),
    ("mulf 3 0.1", "0.3"),
    ("divf 1 3", "0.3333333333333333"),
    ("divf 2 3", "0.6666666666666667"),
    ("divf 10 4", "2.5"),
    ("ceil 1.2", "2"),
    ("ceil -1.2", "-1"),
    ("ceil \"2.5\"", "3"),
    ("floor 1.8", "1"),
    ("floor -1.2", "-2"),
    ("round 3.14159 2", "3.14"),
    ("round 2.5 0", "3"),
    ("round 2.4 0", "2"),
    ("round -2.5 0", "-3"),
    ("round 3.146 2 0.7", "3.14"),
    ("round 1234.5678 -2", "1200"),
    ("round \"1.005\" 2", "1"),
    ("until 5", "[0 1 2 3 4]"),
    ("until -3", "[0 -1 -2]"),
    ("until 0", "[]"),
    ("untilStep 0 10 3", "[0 3 6 9]"),
    ("untilStep 10 0 -4", "[10 6 2]"),
    ("untilStep 0 10 -1", "[]"),
    ("untilStep 0 10 0", "[]"),
    ("typeOf (until 2)", "[]int"),
    ("seq 5", "1 2 3 4 5"),
    ("seq -2", "1 0 -1 -2"),
    ("seq 0", "1 0"),
    ("seq 2 5", "2 3 4 5"),
    ("seq 5 2", "5 4 3 2"),
    ("seq 1 2 10", "1 3 5 7 9"),
    ("seq 10 -3 1", "10 7 4 1"),
    ("seq 1 -1 5", ""),
    ("seq 5 1 1", ""),
    ("seq", ""),
    ("seq 1 2 3 4", ""),
    ("atoi \"42\"", "42"),
    ("atoi \"-7\"", "-7"),
    ("atoi \"4.5\"", "0"),
    ("atoi \"0x10\"", "0"),
    ("atoi \"abc\"", "0"),
    ("atoi \"99999999999999999999\"", "9223372036854775807"),
    ("int \"42\"", "42"),
    ("int \"0x1F\"", "31"),
    ("int \"010\"", "8"),
    ("int \"1_000\"", "1000"),
    ("int \"12.0\"", "12"),
    ("int \"12.5\"", "0"),
    ("int 3.99", "3"),
    ("int -3.99", "-3"),
    ("int true", "1"),
    ("int nil", "0"),
    ("int \"abc\"", "0"),
    ("typeOf (int 1)", "int"),
    ("int64 \"7\"", "7"),
    ("typeOf (int64 1)", "int64"),
    ("float64 \"1.5\"", "1.5"),
    ("float64 3", "3"),
    ("float64 \"abc\"", "0"),
    ("float64 \"1e3\"", "1000"),
    ("float64 \"inf\"", "+Inf"),
    ("typeOf (float64 1)", "float64"),
    ("toDecimal \"0777\"", "511"),
    ("toDecimal 755", "493"),
    ("toDecimal \"abc\"", "0"),
    ("toDecimal \"9\"", "0"),
    ("default \"x\" \"\"", "x"),
    ("default \"x\" \"y\"", "y"),
    ("default \"x\" 0", "x"),
    ("default \"x\" false", "x"),
    ("default \"x\" nil", "x"),
    ("default \"x\" (list)", "x"),
    ("default \"x\" (dict)", "x"),
    ("default \"x\" (list 0)", "[0]"),
    ("default \"x\"", "x"),
    ("default \"x\" 0.0", "x"),
    ("empty \"\"", "true"),
    ("empty 0", "true"),
    ("empty nil", "true"),
    ("empty (list)", "true"),
    ("empty \" \"", "false"),
    ("empty false", "true"),
    ("empty 0.0", "true"),
    ("coalesce nil 0 \"\" \"a\" \"b\"", "a"),
    ("coalesce nil \"\"", "<nil>"),
    ("all 1 \"a\" true", "true"),
    ("all 1 \"\" true", "false"),
    ("all", "true"),
    ("any 0 \"\" nil", "false"),
    ("any 0 \"x\"", "true"),
    ("any", "false"),
    ("ternary \"yes\" \"no\" true", "yes"),
    ("ternary \"yes\" \"no\" false", "no"),
    ("typeOf 1", "int"),
    ("typeOf 1.5", "float64"),
    ("typeOf \"x\"", "string"),
    ("typeOf nil", "<nil>"),
    ("typeOf (list)", "[]interface {}"),
    ("typeOf (dict)", "map[string]interface {}"),
    ("typeOf true", "bool"),
    ("typeIs \"int\" 1", "true"),
    ("typeIs \"string\" 1", "false"),
    ("typeIsLike \"semver.Version\" (semver \"1.2.3\")", "true"),
    ("typeIsLike \"*semver.Version\" (semver \"1.2.3\")", "true"),
    ("typeOf (semver \"1.2.3\")", "*semver.Version"),
    ("kindOf 1", "int"),
    ("kindOf nil", "invalid"),
    ("kindOf (list)", "slice"),
    ("kindOf (dict)", "map"),
    ("kindOf (semver \"1.2.3\")", "ptr"),
    ("kindIs \"slice\" (list)", "true"),
    ("kindIs \"map\" (dict)", "true"),
    ("deepEqual (list 1 2) (list 1 2)", "true"),
    ("deepEqual 1 (int64 1)", "false"),
    ("deepEqual (dict \"a\" 1) (dict \"a\" 1)", "true"),
    ("deepEqual (list \"a\") (splitList \",\" \"a\")", "false"),
    ("deepEqual nil nil", "true"),
    ("regexMatch \"^[a-z]+$\" \"abc\"", "true"),
    ("regexMatch \"^\\\\d+$\" \"١٢\"", "false"),
    ("regexMatch \"(\" \"abc\"", "false"),
    ("regexFindAll \"[0-9]\" \"a1b2c3\" -1", "[1 2 3]"),
    ("regexFindAll \"[0-9]\" \"a1b2c3\" 2", "[1 2]"),
    ("regexFindAll \"a*\" \"baaac\" -1", "[ aaa ]"),
    ("regexFindAll \"x\" \"abc\" -1", "[]"),
    ("regexFind \"[0-9]+\" \"ab123cd45\"", "123"),
    ("regexFind \"x\" \"abc\"", ""),
    (
        "regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\"",
        "-W-xxW-",
    ),
    ("regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"$1W\"", "---"),
    ("regexReplaceAll \"a*\" \"baaac\" \"-\"", "-b-c-"),
    ("regexReplaceAll \"(?P<n>[a-z])\" \"ab\" \"<$n>\"", "<a><b>"),
    ("regexReplaceAll \"b\" \"abc\" \"$$\"", "a$c"),
    (
        "regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\"",
        "-${1}-${1}-",
    ),
    ("regexSplit \"z+\" \"pizza\" -1", "[pi a]"),
    ("regexSplit \"z+\" \"pizza\" 1", "[pizza]"),
    ("regexSplit \"z+\" \"pizza\" 0", "[]"),
    ("regexSplit \"\" \"abc\" -1", "[a b c]"),
    ("regexSplit \"a\" \"\" -1", "[]"),
    ("regexSplit \",\" \"a,b,c\" 2", "[a b,c]"),
    ("regexQuoteMeta \"1.2.3+[x]\"", "1\\.2\\.3\\+\\[x\\]"),
    ("regexMatch \"(?i)ABC\" \"xabcx\"", "true"),
    ("regexMatch \"^\\\\w+$\" \"héllo\"", "false"),
    ("regexMatch \"\\\\bfoo\\\\b\" \"a foo b\"", "true"),
    ("regexFindAll \"[[:alpha:]]+\" \"ab12cd\" -1", "[ab cd]"),
    ("regexMatch \"^[a-z&&b]+$\" \"a&&b\"", "true"),
    ("semver \"1.2.3\"", "1.2.3"),
    ("(semver \"v1.2.3-beta.1+b5\").Major", "1"),
    ("(semver \"v1.2.3-beta.1+b5\").Minor", "2"),
    ("(semver \"v1.2.3-beta.1+b5\").Patch", "3"),
    ("(semver \"v1.2.3-beta.1+b5\").Prerelease", "beta.1"),
    ("(semver \"v1.2.3-beta.1+b5\").Metadata", "b5"),
    ("(semver \"v1.2.3-beta.1+b5\").Original", "v1.2.3-beta.1+b5"),
    ("semver \"1.2\"", "1.2.0"),
    ("semver \"01.02.03\"", "1.2.3"),
    ("(semver \"1.2.3\").IncMinor", "1.3.0"),
    ("(semver \"v1.2.3-rc1\").IncPatch", "1.2.3"),
    ("(semver \"1.2.3\").LessThan (semver \"1.3.0\")", "true"),
    ("(semver \"1.2.3\").Compare (semver \"1.2.3\")", "0"),
    ("semverCompare \">=1.21-0\" \"1.21.0\"", "true"),
    ("semverCompare \">=1.21-0\" \"v1.30.2-gke.1587003\"", "true"),
    ("semverCompare \">=1.21\" \"v1.30.2-gke.1587003\"", "false"),
    ("semverCompare \"<1.19-0\" \"1.18.9-eks.1\"", "true"),
    ("semverCompare \"^1.2.3\" \"1.9.9\"", "true"),
    ("semverCompare \"^1.2.3\" \"2.0.0\"", "false"),
    ("semverCompare \"^0.2.3\" \"0.3.0\"", "false"),
    ("semverCompare \"~1.2.3\" \"1.2.9\"", "true"),
    ("semverCompare \"~1.2.3\" \"1.3.0\"", "false"),
    ("semverCompare \"1.x\" \"1.5.0\"", "true"),
    ("semverCompare \"*\" \"5.0.0\"", "true"),
    ("semverCompare \"!=1.2.3\" \"1.2.3\"", "false"),
    ("semverCompare \">1.2\" \"1.2.9\"", "false"),
    ("semverCompare \"<=1.2\" \"1.2.9\"", "true"),
    ("semverCompare \"1.2 - 1.4\" \"1.4.5\"", "true"),
    (
        "semverCompare \">= 1.2, < 3.0.0 || >= 4.2.3\" \"4.5.0\"",
        "true",
    ),
    ("semverCompare \">=1.2 <2\" \"1.5.0\"", "true"),
    ("semverCompare \"~> 1.x x\" \"1.5.0\"", "true"),
    ("semverCompare \"1.2.3\" \"1.2.3-beta\"", "false"),
    ("semverCompare \"=1.2.3\" \"1.2.3+meta\"", "true"),
    ("semverCompare \">= 1.16.0-0\" \"1.16.0-alpha\"", "true"),
    (
        "date \"2006-01-02 15:04:05 MST\" 0",
        "1970-01-01 00:00:00 UTC",
    ),
    (
        "date \"2006-01-02T15:04:05Z07:00\" (int64 86400)",
        "1970-01-02T00:00:00Z",
    ),
    (
        "dateInZone \"2006-01-02 15:04 MST -0700\" 1704164645 \"America/New_York\"",
        "2024-01-01 22:04 EST -0500",
    ),
    (
        "dateInZone \"2006-01-02 15:04 MST\" 1704164645 \"UTC\"",
        "2024-01-02 03:04 UTC",
    ),
    (
        "dateInZone \"2006-01-02 15:04 MST\" 1704164645 \"Nowhere/City\"",
        "2024-01-02 03:04 UTC",
    ),
    (
        "dateInZone \"2006-01-02 15:04 MST\" 1704164645 \"asia/tokyo\"",
        "2024-01-02 03:04 UTC",
    ),
    (
        "dateInZone \"Mon Jan _2 3:04:05.000 PM 06\" 1704164645 \"Asia/Kolkata\"",
        "Tue Jan  2 8:34:05.000 AM 24",
    ),
    (
        "date_in_zone \"Monday January 2\" 1704164645 \"Europe/Paris\"",
        "Tuesday January 2",
    ),
    ("htmlDate 1704164645", "2024-01-02"),
    ("htmlDateInZone 1704164645 \"Asia/Tokyo\"", "2024-01-02"),
    (
        "toDate \"2006-01-02\" \"2024-02-29\"",
        "2024-02-29 00:00:00 +0000 UTC",
    ),
    (
        "toDate \"2006-01-02\" \"2024-02-30\"",
        "0001-01-01 00:00:00 +0000 UTC",
    ),
    (
        "toDate \"2006-01-02T15:04:05Z07:00\" \"2024-05-06T07:08:09+02:00\"",
        "2024-05-06 07:08:09 +0200 +0200",
    ),
    (
        "toDate \"2006-01-02 15:04:05\" \"2024-05-06 07:08:09.25\"",
        "2024-05-06 07:08:09.25 +0000 UTC",
    ),
    (
        "toDate \"Jan 2 2006 3:04pm\" \"feb 3 2021 4:05pm\"",
        "2021-02-03 16:05:00 +0000 UTC",
    ),
    (
        "toDate \"2006-01-02 MST\" \"2024-01-02 PST\"",
        "2024-01-02 00:00:00 +0000 PST",
    ),
    (
        "unixEpoch (toDate \"2006-01-02\" \"2024-01-02\")",
        "1704153600",
    ),
    (
        "dateModify \"1h30m\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-02 01:30:00 +0000 UTC",
    ),
    (
        "dateModify \"-24h\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-01 00:00:00 +0000 UTC",
    ),
    (
        "dateModify \"bogus\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-02 00:00:00 +0000 UTC",
    ),
    ("duration \"95\"", "1m35s"),
    ("duration 95", "0s"),
    ("duration (int64 3725)", "1h2m5s"),
    ("duration \"abc\"", "0s"),
    ("duration \"-3600\"", "-1h0m0s"),
    ("durationRound \"2h10m5s\"", "2h"),
    ("durationRound \"400h\"", "16d"),
    ("durationRound \"1000h\"", "1mo"),
    ("durationRound \"10000h\"", "1y"),
    ("durationRound (int64 3600000000000)", "60m"),
    ("durationRound 5", "0s"),
    ("durationRound \"30s\"", "30s"),
    ("durationRound \"1s\"", "0s"),
    ("(toDate \"2006-01-02\" \"2024-03-05\").Year", "2024"),
    ("(toDate \"2006-01-02\" \"2024-03-05\").Month", "March"),
    ("(toDate \"2006-01-02\" \"2024-03-05\").Weekday", "Tuesday"),
    ("(toDate \"2006-01-02\" \"2024-03-05\").YearDay", "65"),
    (
        "(toDate \"2006-01-02\" \"2024-03-05\").Format \"Jan 2\"",
        "Mar 5",
    ),
    ("(toDate \"2006-01-02\" \"2024-03-05\").Unix", "1709596800"),
    (
        "(toDate \"2006-01-02\" \"2024-01-31\").AddDate 0 1 0",
        "2024-03-02 00:00:00 +0000 UTC",
    ),
    ("typeOf (toDate \"2006-01-02\" \"2024-01-31\")", "time.Time"),
    ("b64enc \"hello\"", "aGVsbG8="),
    ("b64dec \"aGVsbG8=\"", "hello"),
    ("b64dec \"aGVs\\nbG8=\"", "hello"),
    ("b64dec \"aGVsbG8\"", "illegal base64 data at input byte 4"),
    (
        "b64dec \"aGVsbG8=x\"",
        "illegal base64 data at input byte 8",
    ),
    ("b64dec \"a!\"", "illegal base64 data at input byte 1"),
    ("b64dec \"a===\"", "illegal base64 data at input byte 1"),
    ("b64dec \"aG=x\"", "illegal base64 data at input byte 2"),
    ("b64dec \"aG==\"", "h"),
    ("b32enc \"hello\"", "NBSWY3DP"),
    ("b32enc \"foo\"", "MZXW6==="),
    ("b32dec \"NBSWY3DP\"", "hello"),
    ("b32dec \"MZXW6===\"", "foo"),
    ("b32dec \"MZXW6\"", "illegal base32 data at input byte 0"),
    (
        "b32dec \"MZXW6===garbage\"",
        "illegal base32 data at input byte 5",
    ),
    ("b32dec \"M1\"", "illegal base32 data at input byte 1"),
    (
        "sha1sum \"hello\"",
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
    ),
    (
        "sha256sum \"hello\"",
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    ),
    (
        "sha512sum \"hello\"",
        "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
    ),
    ("adler32sum \"hello\"", "103547413"),
    ("adler32sum \"\"", "1"),
    (
        "derivePassword 1 \"long\" \"password\" \"user\" \"example.com\"",
        "ZedaFaxcZaso9*",
    ),
    (
        "derivePassword 1 \"nope\" \"pw\" \"u\" \"s\"",
        "cannot find password template nope",
    ),
    ("htpasswd \"a:b\" \"pw\"", "invalid username: a:b"),
    (
        "bcrypt (repeat 73 \"x\")",
        "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes",
    ),
    ("encryptAES \"k\" \"\"", ""),
    ("decryptAES \"k\" \"\"", ""),
    ("genPrivateKey \"nope\"", "Unknown type nope"),
    ("base \"a/b/c.txt\"", "c.txt"),
    ("base \"/\"", "/"),
    ("base \"\"", "."),
    ("base \"a/b/\"", "b"),
    ("dir \"a/b/c\"", "a/b"),
    ("dir \"abc\"", "."),
    ("dir \"/abc\"", "/"),
    ("dir \"\"", "."),
    ("clean \"a/../../b/./c//\"", "../b/c"),
    ("clean \"\"", "."),
    ("clean \"/../a\"", "/a"),
    ("ext \"a/b.tar.gz\"", ".gz"),
    ("ext \"a.b/c\"", ""),
    ("isAbs \"/a\"", "true"),
    ("isAbs \"a\"", "false"),
    ("osBase \"a/b\"", "b"),
    ("osDir \"a/b\"", "a"),
    ("osClean \"a//b\"", "a/b"),
    ("osExt \"x.y\"", ".y"),
    ("osIsAbs \"/x\"", "true"),
    (
        "urlParse \"https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%21\"",
        "map[fragment:frag! host:example.com:8443 hostname:example.com opaque: path:/a b/c query:x=1&y=2 scheme:https userinfo:user:p%40ss]",
    ),
    (
        "urlParse \"mailto:someone@example.com\"",
        "map[fragment: host: hostname: opaque:someone@example.com path: query: scheme:mailto userinfo:]",
    ),
    (
        "urlParse \"/relative/path?q\"",
        "map[fragment: host: hostname: opaque: path:/relative/path query:q scheme: userinfo:]",
    ),
    (
        "urlParse \"http://[::1]:80/x\"",
        "map[fragment: host:[::1]:80 hostname:::1 opaque: path:/x query: scheme:http userinfo:]",
    ),
    (
        "urlJoin (dict \"scheme\" \"https\" \"host\" \"example.com\" \"path\" \"/a b\" \"query\" \"q=1\" \"fragment\" \"f g\" \"userinfo\" \"u:p\")",
        "https://u:p@example.com/a%20b?q=1#f%20g",
    ),
    ("urlJoin (dict \"path\" \"a:b\")", "./a:b"),
    (
        "urlJoin (dict \"scheme\" \"mailto\" \"opaque\" \"x@y.z\")",
        "mailto:x@y.z",
    ),
    ("urlJoin (dict \"host\" \"h\" \"path\" \"p\")", "//h/p"),
    ("len (randAlphaNum 10)", "10"),
    ("len (randAlpha 3)", "3"),
    ("randAlpha 0", ""),
    ("randAlpha -1", ""),
    ("len (uuidv4)", "36"),
    ("randInt 5 6", "5"),
    ("len (randBytes 6)", "8"),
    ("chunk -1 (list 1 2)", "[]"),
    ("chunk -3 (list 1 2)", "[]"),
    ("chunk -3 (list 1)", "[[1]]"),
    ("chunk 5 (list 1 2)", "[[1 2]]"),
    ("title \"ǆemal ǳ žabac\"", "ǅemal ǲ Žabac"),
    ("title \"a.b,c;d(e)f\"", "A.B,C;D(E)F"),
    ("title \"hello\\tworld\\nnew\"", "Hello\tWorld\nNew"),
    ("swapcase \"ǅ Ǆ ǆ\"", "ǆ ǆ ǅ"),
    ("swapcase \"Élan vital ÉCOLE\"", "éLAN VITAL école"),
    ("snakecase \"userID\"", "user_id"),
    ("snakecase \"APIv2Endpoint\"", "ap_iv2_endpoint"),
    ("snakecase \"iOS\"", "i_os"),
    ("snakecase \"Hello.World\"", "hello.world"),
    ("snakecase \"hello world!foo\"", "hello_world!foo"),
    ("snakecase \"你好World\"", "你好_world"),
    ("snakecase \"a1b2c3\"", "a_1b2c3"),
    ("snakecase \"A1B2C3\"", "a1_b2_c3"),
    ("snakecase \"under__score\"", "under__score"),
    ("snakecase \"  leading space\"", "__leading_space"),
    ("snakecase \"trailing-\"", "trailing_"),
    ("kebabcase \"someXMLHttp\"", "some-xml-http"),
    ("kebabcase \"HTTP20xOK\"", "http-20x-ok"),
    ("kebabcase \"Duration2m3s\"", "duration-2m3s"),
    ("camelcase \"hello-world_foo bar\"", "HelloWorldFooBar"),
    ("camelcase \"ÉCOLE_normale\"", "ÉcoleNormale"),
    ("camelcase \"x\"", "X"),
    ("camelcase \"-x\"", "-X"),
    ("camelcase \"HELLO\"", "Hello"),
    ("camelcase \"hello__world\"", "Hello_World"),
    ("camelcase \"a b  c\"", "AB C"),
    (
        "wrap 10 \"The quick brown fox jumps over the lazy dog\"",
        "The quick\nbrown fox\njumps over\nthe lazy\ndog",
    ),
    (
        "wrap 4 \"averyverylongword and more\"",
        "averyverylongword\nand\nmore",
    ),
    ("wrap 1 \"a b c\"", "a\nb\nc"),
    (
        "wrapWith 4 \"<br>\" \"averyverylongword and more\"",
        "aver<br>yver<br>ylon<br>gwor<br>d<br>and<br>more",
    ),
    (
        "wrapWith 10 \"\\n\" \"The quick brown fox\"",
        "The quick\nbrown fox",
    ),
    ("initials \"  multiple   spaces here \"", "msh"),
    ("initials \"\"", ""),
    ("abbrev 4 \"hello\"", "h..."),
    ("abbrev 6 \"hello world\"", "hel..."),
    ("abbrevboth 3 8 \"abcdefghijklmnop\"", "abcde..."),
    ("abbrevboth 10 8 \"abcdefghijklmnopqrstuvwxyz\"", "...kl..."),
    (
        "quote 1.5 (list 1 2) (dict \"a\" 1) true",
        "\"1.5\" \"[1 2]\" \"map[a:1]\" \"true\"",
    ),
    ("quote \"\\u0001\\u007f\"", "\"\\x01\\x7f\""),
    ("squote nil", ""),
    ("squote \"it's\"", "'it's'"),
    (
        "cat 1000000.0 0.0001 0.00001 1e21",
        "1e+06 0.0001 1e-05 1e+21",
    ),
    ("toString 1000000.0", "1e+06"),
    ("toString 123456789.0", "1.23456789e+08"),
    ("toString 0.1", "0.1"),
    ("toString (int64 5)", "5"),
    (
        "toString (dict \"b\" (list 1 nil) \"a\" \"x\")",
        "map[a:x b:[1 <nil>]]",
    ),
    ("nospace \"\\u00a0x y\"", "Âxy"),
    ("trim \"\\u00a0x\\u2003\"", "x"),
    ("upper \"ǆ ß ŉ\"", "Ǆ ß ŉ"),
    ("lower \"ΣΑΣ\"", "σασ"),
    ("regexMatch \"(?i)héllo\" \"HÉLLO\"", "true"),
    ("regexMatch \"^\\\\pL+$\" \"héllo\"", "true"),
    ("regexMatch \"^[^\\\\d]+$\" \"abc\"", "true"),
    ("regexMatch \"^\\\\D+$\" \"a1\"", "false"),
    ("regexMatch \"^\\\\S+$\" \"a\\u00a0b\"", "true"),
    ("regexMatch \"^\\\\s+$\" \"\\u00a0\"", "false"),
    ("regexMatch \"(?m)^b\" \"a\\nb\"", "true"),
    ("regexMatch \"(?s)a.b\" \"a\\nb\"", "true"),
    ("regexMatch \"a.b\" \"a\\nb\"", "false"),
    ("regexMatch \"\\\\x41\" \"A\"", "true"),
    ("regexMatch \"\\\\x{263a}\" \"☺\"", "true"),
    ("regexMatch \"[\\\\]]\" \"]\"", "true"),
    ("regexMatch \"^a{2}$\" \"aa\"", "true"),
    ("regexMatch \"a{,3}\" \"a{,3}\"", "true"),
    ("regexMatch \"^a{2,}$\" \"aaaa\"", "true"),
    ("regexMatch \"(?P<name>x)\" \"x\"", "true"),
    ("regexMatch \"(?U)a+\" \"aaa\"", "true"),
    ("regexMatch \"\" \"abc\"", "true"),
    ("regexMatch \"\\\\$\" \"$\"", "true"),
    ("regexMatch \"[a-]\" \"-\"", "true"),
    ("regexMatch \"\\\\Aabc\\\\z\" \"abc\"", "true"),
    ("regexMatch \"a\\\\b\" \"a b\"", "true"),
    ("regexMatch \"[[:^alpha:]]\" \"1\"", "true"),
    ("regexMatch \"\\\\p{Greek}\" \"α\"", "true"),
    ("regexMatch \"[\\\\p{Greek}x]\" \"x\"", "true"),
    ("regexMatch \"^\\\\.$\" \".\"", "true"),
    ("regexMatch \"\\\\Qa.b\" \"a.b\"", "true"),
    ("regexFindAll \"(a|ab)(c|bcd)(d*)\" \"abcd\" -1", "[abcd]"),
    (
        "regexFindAll \"\\\\b\\\\w+\\\\b\" \"héllo wörld\" -1",
        "[h llo w rld]",
    ),
    ("regexFindAll \".\" \"héllo\" 3", "[h é l]"),
    ("regexFindAll \"\" \"abc\" -1", "[   ]"),
    ("regexFindAll \"a|\" \"baaac\" -1", "[ a a a ]"),
    ("regexReplaceAll \"\" \"abc\" \"-\"", "-a-b-c-"),
    ("regexReplaceAll \"x*\" \"abc\" \"-\"", "-a-b-c-"),
    ("regexReplaceAll \"(a)(b)?\" \"a ab\" \"[$2]\"", "[] [b]"),
    ("regexReplaceAll \"(a)\" \"a\" \"$10\"", ""),
    ("regexReplaceAll \"(a)\" \"a\" \"${1}0\"", "a0"),
    ("regexReplaceAll \"(a)\" \"a\" \"$\"", "$"),
    ("regexReplaceAll \"(a)\" \"a\" \"${\"", "${"),
    ("regexReplaceAll \"(a)\" \"a\" \"${x y}\"", "${x y}"),
    (
        "regexReplaceAll \"(?P<first>\\\\w+) (?P<last>\\\\w+)\" \"John Smith\" \"${last}, $first\"",
        "Smith, John",
    ),
    ("regexSplit \"\" \"héllo\" -1", "[h é l l o]"),
    ("regexSplit \"x*\" \"axbxxc\" -1", "[a b c]"),
    ("regexSplit \"a\" \"aaa\" -1", "[   ]"),
    ("regexSplit \",\" \"a,b,c\" 1", "[a,b,c]"),
    ("regexSplit \",\" \"a,b,c\" 3", "[a b c]"),
    ("regexSplit \",\" \"a,b,c\" 4", "[a b c]"),
    ("regexFind \"a+?\" \"aaa\"", "a"),
    (
        "regexQuoteMeta \"\\\\.+*?()|[]{}^$ é\"",
        "\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$ é",
    ),
    (
        "date \"Jan _2 3:04:05PM .000 ,999 MST Z07:00 -07 Z0700\" 1704164645",
        "Jan  2 3:04:05AM .000  UTC Z +00 Z",
    ),
    (
        "dateInZone \"2006-01-02T15:04:05Z07:00 MST\" 1704164645 \"Asia/Kolkata\"",
        "2024-01-02T08:34:05+05:30 IST",
    ),
    (
        "dateInZone \"2006-01-02T15:04:05Z07:00 MST\" 1719800000 \"America/New_York\"",
        "2024-06-30T22:13:20-04:00 EDT",
    ),
    (
        "dateInZone \"2006-01-02T15:04:05Z07:00 MST\" 1719800000 \"Australia/Lord_Howe\"",
        "2024-07-01T12:43:20+10:30 +1030",
    ),
    (
        "dateInZone \"2006-01-02 15:04:05 -07:00:00 Z07:00:00 -070000 Z070000\" 1704164645 \"America/St_Johns\"",
        "2024-01-01 23:34:05 -03:30:00 -03:30:00 -033000 -033000",
    ),
    (
        "dateInZone \"15:04 MST\" 1704164645 \"Etc/GMT+5\"",
        "22:04 -05",
    ),
    ("dateInZone \"15:04 MST\" 1704164645 \"\"", "03:04 UTC"),
    ("dateInZone \"15:04 MST\" 1704164645 \"Local\"", "03:04 UTC"),
    (
        "dateInZone \"2006 002 __2\" 1719800000 \"UTC\"",
        "2024 183 183",
    ),
    (
        "dateInZone \"Monday Mon January Jan 1 01 2 02 _2 15 3 03 4 04 5 05 06 pm PM\" 1704164645 \"UTC\"",
        "Tuesday Tue January Jan 1 01 2 02  2 03 3 03 4 04 5 05 24 am AM",
    ),
    ("dateInZone \"Janx Monx\" 1704164645 \"UTC\"", "Janx Monx"),
    ("date \"2006\" -62135596800", "0001"),
    (
        "date \"2006-01-02 15:04:05\" (int64 -1)",
        "1969-12-31 23:59:59",
    ),
    ("date \"2006-01-02\" (int64 253402300800)", "10000-01-01"),
    (
        "toDate \"2006-01-02 15:04:05 MST\" \"2024-01-02 03:04:05 PST\"",
        "2024-01-02 03:04:05 +0000 PST",
    ),
    (
        "toDate \"2006-01-02 15:04:05 MST\" \"2024-01-02 03:04:05 UTC\"",
        "2024-01-02 03:04:05 +0000 UTC",
    ),
    (
        "toDate \"2006-01-02 15:04:05 MST\" \"2024-01-02 03:04:05 GMT+3\"",
        "2024-01-02 06:04:05 +0300 GMT+3",
    ),
    (
        "toDate \"2006-01-02 15:04:05 -0700\" \"2024-01-02 03:04:05 +0530\"",
        "2024-01-02 03:04:05 +0530 +0530",
    ),
    (
        "toDate \"2006-01-02 15:04:05 Z07:00\" \"2024-01-02 03:04:05 Z\"",
        "2024-01-02 03:04:05 +0000 UTC",
    ),
    (
        "toDate \"2006-01-02T15:04:05.000Z\" \"2024-01-02T03:04:05.123Z\"",
        "2024-01-02 03:04:05.123 +0000 UTC",
    ),
    (
        "toDate \"2006-01-02T15:04:05.999999999Z07:00\" \"2024-01-02T03:04:05.5+01:00\"",
        "2024-01-02 03:04:05.5 +0100 +0100",
    ),
    (
        "toDate \"Jan _2 2006\" \"Feb  3 2021\"",
        "2021-02-03 00:00:00 +0000 UTC",
    ),
    (
        "toDate \"2006 002\" \"2024 060\"",
        "2024-02-29 00:00:00 +0000 UTC",
    ),
    (
        "toDate \"02/01/06\" \"31/12/99\"",
        "1999-12-31 00:00:00 +0000 UTC",
    ),
    (
        "toDate \"02/01/06\" \"31/12/68\"",
        "2068-12-31 00:00:00 +0000 UTC",
    ),
    (
        "toDate \"3:04PM\" \"12:30AM\"",
        "0000-01-01 00:30:00 +0000 UTC",
    ),
    (
        "toDate \"3:04PM\" \"12:30PM\"",
        "0000-01-01 12:30:00 +0000 UTC",
    ),
    (
        "toDate \"Monday, Jan 2 2006\" \"Friday, Feb 2 2024\"",
        "2024-02-02 00:00:00 +0000 UTC",
    ),
    (
        "dateModify \"1.5h\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-02 01:30:00 +0000 UTC",
    ),
    (
        "dateModify \"-1h30m10.5s\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-01 22:29:49.5 +0000 UTC",
    ),
    (
        "dateModify \"90m\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-02 01:30:00 +0000 UTC",
    ),
    (
        "dateModify \"1µs\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "2024-01-02 00:00:00.000001 +0000 UTC",
    ),
    ("durationRound \"-2h\"", "2h"),
    ("durationRound \"-90s\"", "1m"),
    ("durationRound \"1h0m1s\"", "1h"),
    ("durationRound \"720h\"", "30d"),
    ("durationRound \"721h\"", "1mo"),
    ("durationRound \"8761h\"", "1y"),
    ("duration \"0\"", "0s"),
    ("duration \"-1\"", "-1s"),
    ("duration \"86400\"", "24h0m0s"),
    ("duration \"1.5\"", "0s"),
    (
        "(toDate \"2006-01-02\" \"2024-03-05\").Weekday.String",
        "Tuesday",
    ),
    (
        "(toDate \"2006-01-02\" \"2024-03-05\").UTC",
        "2024-03-05 00:00:00 +0000 UTC",
    ),
    ("(toDate \"2006-01-02\" \"2024-03-05\").IsZero", "false"),
    ("(toDate \"2006-01-02\" \"nope\").IsZero", "true"),
    (
        "(toDate \"2006-01-02\" \"2024-03-05\").AddDate 1 -3 40",
        "2025-01-14 00:00:00 +0000 UTC",
    ),
    (
        "(toDate \"2006-01-02 15:04\" \"2024-03-05 10:20\").Hour",
        "10",
    ),
    ("(toDate \"2006-01-02\" \"2024-03-05\").Month | int", "3"),
    ("int (toDate \"2006-01-02\" \"2024-03-05\").Weekday", "2"),
    ("semverCompare \"~0\" \"0.9.0\"", "true"),
    ("semverCompare \"^0.0\" \"0.0.5\"", "true"),
    ("semverCompare \"^0.0\" \"0.1.0\"", "false"),
    (
        "semverCompare \">=1.0.0-0 <2.0.0-0\" \"1.5.0-beta\"",
        "true",
    ),
    ("semverCompare \"1.2.x\" \"1.2.9\"", "true"),
    ("semverCompare \"!=1.x\" \"1.5.0\"", "false"),
    ("semverCompare \"!=1.x\" \"2.0.0\"", "true"),
    ("semverCompare \"<=1.2.3-alpha\" \"1.2.3-alpha\"", "true"),
    (
        "semverCompare \">1.2.3-alpha.9\" \"1.2.3-alpha.10\"",
        "true",
    ),
    (
        "semverCompare \">1.2.3-alpha.b\" \"1.2.3-alpha.10\"",
        "false",
    ),
    ("semverCompare \">=v1.2\" \"1.2.0\"", "true"),
    ("semverCompare \"= 1.2.3\" \"1.2.3\"", "true"),
    ("semverCompare \"1.2.3 - 2\" \"2.9.9\"", "true"),
    ("semverCompare \"> 1.x\" \"2.0.0\"", "true"),
    ("semverCompare \"> 1.x\" \"1.9.0\"", "false"),
    ("semverCompare \"<2.x\" \"1.9.0\"", "true"),
    ("semverCompare \"<=2.x\" \"2.9.0\"", "true"),
    ("semverCompare \">=1.2.3,<1.3\" \"1.2.5\"", "true"),
    ("semverCompare \"~>2.1\" \"2.1.9\"", "true"),
    ("semverCompare \"=>1.0\" \"1.0.0\"", "true"),
    ("semverCompare \"=<1.0\" \"1.0.0\"", "true"),
    ("semverCompare \"1.2.3||2.0.0\" \"2.0.0\"", "true"),
    ("semverCompare \"^1.x\" \"1.9.0\"", "true"),
    ("semverCompare \"~1.x\" \"1.9.0\"", "true"),
    ("semverCompare \"^0.x\" \"0.9.0\"", "true"),
    ("semverCompare \">= 1.2.3\" \"v1.2.3\"", "true"),
    ("semverCompare \"<1.0.0\" \"1.0.0-rc.1\"", "false"),
    ("semverCompare \"<1.0.0-0\" \"1.0.0-rc.1\"", "false"),
    (
        "semverCompare \">= 1.19.0-0 < 1.25.0-0\" \"v1.24.3+k3s1\"",
        "true",
    ),
    ("semverCompare \">=1.21\" \"v1.30.2+k3s1\"", "true"),
    ("(semver \"1.2.3\").String", "1.2.3"),
    ("(semver \"v1.2.3\").IncMajor", "2.0.0"),
    ("(semver \"1.2.3-rc.1+b\").IncPatch", "1.2.3"),
    (
        "(semver \"1.2.3\").GreaterThan (semver \"1.2.3-rc\")",
        "true",
    ),
    ("(semver \"1.2.3+b1\").Equal (semver \"1.2.3+b2\")", "true"),
    ("typeOf ((semver \"1.2.3\").IncMajor)", "semver.Version"),
    ("semver \"1.2.3+build.01\"", "1.2.3+build.01"),
    (
        "urlParse \"//host/path\"",
        "map[fragment: host:host hostname:host opaque: path:/path query: scheme: userinfo:]",
    ),
    (
        "urlParse \"http://u@h\"",
        "map[fragment: host:h hostname:h opaque: path: query: scheme:http userinfo:u]",
    ),
    (
        "urlParse \"http://h?a=1#f\"",
        "map[fragment:f host:h hostname:h opaque: path: query:a=1 scheme:http userinfo:]",
    ),
    (
        "urlParse \"http://h/?\"",
        "map[fragment: host:h hostname:h opaque: path:/ query: scheme:http userinfo:]",
    ),
    (
        "urlParse \"a/b:c\"",
        "map[fragment: host: hostname: opaque: path:a/b:c query: scheme: userinfo:]",
    ),
    (
        "urlParse \"HTTP://Example.COM/%7Efoo\"",
        "map[fragment: host:Example.COM hostname:Example.COM opaque: path:/~foo query: scheme:http userinfo:]",
    ),
    (
        "urlParse \"http://user:pa:ss@h\"",
        "map[fragment: host:h hostname:h opaque: path: query: scheme:http userinfo:user:pa%3Ass]",
    ),
    (
        "urlParse \"https://h:443\"",
        "map[fragment: host:h:443 hostname:h opaque: path: query: scheme:https userinfo:]",
    ),
    (
        "urlParse \"file:///etc/hosts\"",
        "map[fragment: host: hostname: opaque: path:/etc/hosts query: scheme:file userinfo:]",
    ),
    (
        "urlParse \"a:b/c:d\"",
        "map[fragment: host: hostname: opaque:b/c:d path: query: scheme:a userinfo:]",
    ),
    (
        "urlJoin (dict \"scheme\" \"http\" \"host\" \"h\" \"path\" \"/x(y)!*\" \"fragment\" \"a b!()\")",
        "http://h/x%28y%29%21%2A#a%20b!()",
    ),
    ("urlJoin (dict)", ""),
    (
        "urlJoin (dict \"scheme\" \"file\" \"path\" \"/etc\")",
        "file:///etc",
    ),
    ("urlJoin (dict \"host\" \"h\" \"query\" \"a b\")", "//h?a b"),
    ("add \"1e2\" 1", "1"),
    ("int \"1e2\"", "0"),
    ("float64 \"0x1p-2\"", "0.25"),
    ("int64 \"  5\"", "0"),
    ("max \"a\" 2", "2"),
    ("mul 1e10 1e10", "7766279631452241920"),
    (
        "div (int64 -9223372036854775808) -1",
        "-9223372036854775808",
    ),
    ("mod (int64 -9223372036854775808) -1", "0"),
    ("round -2.555 2", "-2.56"),
    ("round 2.555 2", "2.56"),
    ("round 1e300 2", "1e+300"),
    ("round 5 -1", "10"),
    ("ceil 1e300", "1e+300"),
    ("floor \"x\"", "0"),
    ("toDecimal \"0o777\"", "0"),
    ("toDecimal \"-17\"", "-15"),
    ("toDecimal 1.5", "0"),
    ("add1 \"9223372036854775807\"", "-9223372036854775808"),
    ("atoi \"+5\"", "5"),
    ("atoi \" 5\"", "0"),
    ("atoi \"1_0\"", "0"),
    ("int \"-0x10\"", "-16"),
    ("int \"0b102\"", "0"),
    ("float64 \"1_000.5\"", "1000.5"),
    ("float64 \".5e1\"", "5"),
    ("float64 \"Infinity\"", "+Inf"),
    ("float64 \"nan\"", "NaN"),
    ("int (float64 \"nan\")", "-9223372036854775808"),
    ("maxf 1 \"nan\"", "NaN"),
    ("minf \"x\" -1", "-1"),
    ("addf 1e300 1e300", "2e+300"),
    ("mulf 0.1 0.2 0.3", "0.006"),
    ("divf 7 \"2\" 2", "1.75"),
    ("subf 0.3 0.1", "0.2"),
    ("divf -1 3", "-0.3333333333333333"),
    ("divf 1 -3", "-0.3333333333333333"),
    ("add1f \"x\"", "1"),
    ("deepCopy (list 1 (dict \"a\" (list 2)))", "[1 map[a:[2]]]"),
    ("typeOf (deepCopy (list 1))", "[]interface {}"),
    ("typeOf (urlParse \"x\")", "map[string]interface {}"),
    ("typeOf (now)", "time.Time"),
    ("kindOf (now)", "struct"),
    ("typeOf (int64 1)", "int64"),
    ("typeOf (regexSplit \",\" \"a\" -1)", "[]string"),
    ("typeOf (regexFindAll \",\" \"a\" -1)", "[]string"),
    ("typeOf (keys (dict))", "[]string"),
    ("typeOf (dict \"a\" 1 | values)", "[]interface {}"),
    ("has (int64 1) (list 1)", "false"),
    ("has 1.0 (list 1)", "false"),
    ("uniq (list 1.0 1 (int64 1) \"1\")", "[1 1 1 1]"),
    ("join \",\" (until 3)", "0,1,2"),
    (
        "sortAlpha (list \"b\" nil \"a\" (list 1) 10)",
        "[10 [1] a b]",
    ),
    ("sortAlpha (until 12)", "[0 1 10 11 2 3 4 5 6 7 8 9]"),
    ("without (list nil 1 nil) nil", "[1]"),
    ("compact (list (list) (list nil) \"0\" 0.0)", "[[<nil>] 0]"),
    ("first (until 3)", "0"),
    ("rest (splitList \",\" \"a,b\")", "[b]"),
    ("coalesce (list) (dict) 0.0 (list 0)", "[0]"),
    ("default 1 0.0", "1"),
    ("default \"x\" (int64 0)", "x"),
    ("empty (until 0)", "true"),
    ("empty (semver \"0.0.0\")", "false"),
    ("ternary 1 2 true", "1"),
    (
        "concat (list 1) (until 2) (splitList \",\" \"a\")",
        "[1 0 1 a]",
    ),
    ("append (until 2) 3", "[0 1 3]"),
    ("prepend (splitList \",\" \"a,b\") \"z\"", "[z a b]"),
    ("reverse (splitList \",\" \"a,b\")", "[b a]"),
    ("slice (until 5) 1 3", "[1 2]"),
    ("slice (until 5) 0 0", "[]"),
    ("slice (list 1 2) 2", "[]"),
    ("typeOf (slice (until 5) 1 3)", "[]int"),
    ("get (dict \"a\" nil) \"a\"", "<nil>"),
    ("pluck \"a\" (dict \"a\" nil) (dict)", "[<nil>]"),
    ("dict \"a\" 1 \"a\" 2", "map[a:2]"),
    ("dig \"a\" \"b\" 5 (dict \"a\" (dict \"b\" nil))", "<nil>"),
    ("dig \"a\" \"b\" 5 (dict \"a\" (dict))", "5"),
    (
        "sha256sum \"\"",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    ("b64enc \"\"", ""),
    ("b64dec \"\"", ""),
    ("b32dec \"MZXW6YQ=\"", "foob"),
    ("b32dec \"MZXW6YQ\"", "illegal base32 data at input byte 0"),
    ("b32dec \"mzxw6===\"", "illegal base32 data at input byte 0"),
    ("b32dec \"MZ======\"", "f"),
    ("b32dec \"M=======\"", "illegal base32 data at input byte 1"),
    ("b64dec \"aGVsbG8=\\n\"", "hello"),
    ("b64dec \"aGVsbG8=\\r\\n\"", "hello"),
    ("b64dec \"aGVsb=8=\"", "illegal base64 data at input byte 5"),
    (
        "b64dec \"aGV sbG8=\"",
        "illegal base64 data at input byte 3",
    ),
    ("b64dec \"YWJj\"", "abc"),
    ("b64dec \"YW=\"", "illegal base64 data at input byte 3"),
    ("b64dec \"Y\"", "illegal base64 data at input byte 0"),
    ("adler32sum \"Wikipedia\"", "300286872"),
    ("sha1sum \"é\"", "bf15be717ac1b080b4f1c456692825891ff5073d"),
    ("encryptAES \"k\" \"x\" | len", "44"),
];

/// `(expression, error)`: `{{ EXPRESSION }}` failed in real `helm template` with
/// `error calling NAME: ERROR`.
const ERRORS: &[(&str, &str)] = &[
    (
        "substr 3 2 \"hello\"",
        "runtime error: slice bounds out of range [3:2]",
    ),
    (
        "substr -1 9 \"hello\"",
        "runtime error: slice bounds out of range [:9] with length 5",
    ),
    (
        "substr 9 -1 \"hello\"",
        "runtime error: slice bounds out of range [9:5]",
    ),
    (
        "substr -1 -1 \"hello\"",
        "runtime error: slice bounds out of range [:-1]",
    ),
    ("repeat -1 \"ab\"", "strings: negative Repeat count"),
    ("indent -1 \"x\"", "strings: negative Repeat count"),
    ("append \"abc\" 1", "Cannot push on type string"),
    (
        "append nil 1",
        "runtime error: invalid memory address or nil pointer dereference",
    ),
    ("mustPush 1 1", "Cannot push on type int"),
    ("prepend (dict) 1", "Cannot prepend on type map"),
    ("first \"abc\"", "Cannot find first on type string"),
    ("mustFirst 3", "Cannot find first on type int"),
    (
        "first nil",
        "runtime error: invalid memory address or nil pointer dereference",
    ),
    ("last true", "Cannot find last on type bool"),
    ("rest 1.5", "Cannot find rest on type float64"),
    ("initial (dict)", "Cannot find initial on type map"),
    ("reverse \"x\"", "Cannot find reverse on type string"),
    ("uniq 1", "Cannot find uniq on type int"),
    ("without \"abc\" 1", "Cannot find without on type string"),
    ("has 1 \"abc\"", "Cannot find has on type string"),
    ("compact 1", "Cannot compact on type int"),
    (
        "slice (list 1 2 3) 2 1",
        "reflect.Value.Slice: slice index out of bounds",
    ),
    (
        "slice (list 1 2 3) 1 9",
        "reflect.Value.Slice: slice index out of bounds",
    ),
    (
        "slice \"abc\" 1",
        "list should be type of slice or array but string",
    ),
    (
        "slice nil",
        "runtime error: invalid memory address or nil pointer dereference",
    ),
    ("concat (list 1) 2", "Cannot concat type int as list"),
    (
        "concat (list 1) nil",
        "runtime error: invalid memory address or nil pointer dereference",
    ),
    (
        "chunk 0 (list 1)",
        "runtime error: makeslice: len out of range",
    ),
    ("chunk 2 \"x\"", "Cannot chunk type string"),
    ("set nil \"a\" 1", "assignment to entry in nil map"),
    (
        "deepCopy nil",
        "reflect: call of reflect.Value.Type on zero Value",
    ),
    (
        "mustDeepCopy nil",
        "reflect: call of reflect.Value.Type on zero Value",
    ),
    (
        "dig \"a\" \"b\" \"def\" (dict \"a\" \"str\")",
        "interface conversion: interface {} is string, not map[string]interface {}",
    ),
    (
        "dig \"a\" \"b\" \"def\" (dict \"a\" nil)",
        "interface conversion: interface {} is nil, not map[string]interface {}",
    ),
    (
        "dig \"a\" \"def\" \"notadict\"",
        "interface conversion: interface {} is string, not map[string]interface {}",
    ),
    (
        "dig 1 \"def\" (dict)",
        "interface conversion: interface {} is int, not string",
    ),
    ("dig \"a\" (dict)", "dig needs at least three arguments"),
    ("div 1 0", "runtime error: integer divide by zero"),
    ("mod 1 0", "runtime error: integer divide by zero"),
    ("divf 1 0", "decimal division by 0"),
    (
        "mustRegexMatch \"(\" \"abc\"",
        "error parsing regexp: missing closing ): `(`",
    ),
    (
        "mustRegexMatch \"a**\" \"abc\"",
        "error parsing regexp: invalid nested repetition operator: `**`",
    ),
    (
        "mustRegexMatch \"[a\" \"abc\"",
        "error parsing regexp: missing closing ]: `[a`",
    ),
    (
        "mustRegexMatch \"a)\" \"abc\"",
        "error parsing regexp: unexpected ): `a)`",
    ),
    (
        "mustRegexMatch \"\\\\8\" \"abc\"",
        "error parsing regexp: invalid escape sequence: `\\8`",
    ),
    (
        "regexFindAll \"(\" \"abc\" -1",
        "regexp: Compile(`(`): error parsing regexp: missing closing ): `(`",
    ),
    ("semver \"1.2.3-01\"", "version segment starts with 0"),
    ("semver \"abc\"", "invalid semantic version"),
    ("semver \"\"", "invalid semantic version"),
    ("semver \"1.2.3.4\"", "invalid semantic version"),
    (
        "semver \"99999999999999999999.0.0\"",
        "error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range",
    ),
    (
        "semverCompare \"abc\" \"1.2.3\"",
        "improper constraint: abc",
    ),
    (
        "semverCompare \">1.2\" \"nope\"",
        "invalid semantic version",
    ),
    ("semverCompare \"\" \"1.2.3\"", "improper constraint:"),
    (
        "mustToDate \"2006-01-02\" \"2024-02-30\"",
        "parsing time \"2024-02-30\": day out of range",
    ),
    (
        "mustToDate \"2006-01-02\" \"24-01-01\"",
        "parsing time \"24-01-01\" as \"2006-01-02\": cannot parse \"24-01-01\" as \"2006\"",
    ),
    (
        "mustToDate \"2006-01-02\" \"2024-01-01x\"",
        "parsing time \"2024-01-01x\": extra text: \"x\"",
    ),
    (
        "mustToDate \"2006-01-02\" \"2024/01/01\"",
        "parsing time \"2024/01/01\" as \"2006-01-02\": cannot parse \"/01/01\" as \"-\"",
    ),
    (
        "mustToDate \"15:04\" \"25:00\"",
        "parsing time \"25:00\": hour out of range",
    ),
    (
        "mustDateModify \"bogus\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "time: invalid duration \"bogus\"",
    ),
    (
        "mustDateModify \"1d\" (toDate \"2006-01-02\" \"2024-01-02\")",
        "time: unknown unit \"d\" in duration \"1d\"",
    ),
    (
        "decryptAES \"secretkey\" \"FTyw8NvKhs3LP1sOjUqNeVSENEcMeMg+CJ+iRhn4AdM=\"",
        "runtime error: slice bounds out of range [:-74]",
    ),
    (
        "decryptAES \"k\" \"AAAA\"",
        "runtime error: slice bounds out of range [:16] with capacity 3",
    ),
    (
        "decryptAES \"k\" \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
        "crypto/cipher: input not full blocks",
    ),
    (
        "decryptAES \"k\" \"!!!\"",
        "illegal base64 data at input byte 0",
    ),
    (
        "urlParse \"http://[::1\"",
        "unable to parse url: parse \"http://[::1\": missing ']' in host",
    ),
    (
        "urlParse \"http://h/%zz\"",
        "unable to parse url: parse \"http://h/%zz\": invalid URL escape \"%zz\"",
    ),
    (
        "urlParse \":foo\"",
        "unable to parse url: parse \":foo\": missing protocol scheme",
    ),
    (
        "urlParse \"http://h:x/\"",
        "unable to parse url: parse \"http://h:x/\": invalid port \":x\" after host",
    ),
    (
        "urlJoin (dict \"host\" 1)",
        "unable to parse host key, must be of type string, but int found",
    ),
    ("randInt 5 5", "invalid argument to Intn"),
    (
        "chunk -2 (list 1 2 3 4 5)",
        "runtime error: makeslice: len out of range",
    ),
    (
        "chunk -3 (list)",
        "runtime error: makeslice: len out of range",
    ),
    (
        "mustRegexMatch \"x{1001}\" \"x\"",
        "error parsing regexp: invalid repeat count: `{1001}`",
    ),
    (
        "mustRegexMatch \"\\\\Z\" \"x\"",
        "error parsing regexp: invalid escape sequence: `\\Z`",
    ),
    (
        "mustRegexMatch \"(?=x)\" \"x\"",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    ),
    (
        "mustRegexMatch \"a++\" \"a\"",
        "error parsing regexp: invalid nested repetition operator: `++`",
    ),
    (
        "mustRegexMatch \"*a\" \"a\"",
        "error parsing regexp: missing argument to repetition operator: `*`",
    ),
    (
        "mustRegexMatch \"(?<>x)\" \"x\"",
        "error parsing regexp: invalid named capture: `(?<>`",
    ),
    (
        "mustRegexMatch \"[z-a]\" \"x\"",
        "error parsing regexp: invalid character class range: `z-a`",
    ),
    (
        "mustRegexMatch \"\\\\e\" \"x\"",
        "error parsing regexp: invalid escape sequence: `\\e`",
    ),
    (
        "mustRegexMatch \"a{2,1}\" \"x\"",
        "error parsing regexp: invalid repeat count: `{2,1}`",
    ),
    (
        "mustRegexMatch \"(?x)a b\" \"ab\"",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
    ),
    (
        "mustRegexMatch \"\\\\pX\" \"x\"",
        "error parsing regexp: invalid character class range: `\\pX`",
    ),
    (
        "mustToDate \"2006-01-02\" \"\"",
        "parsing time \"\" as \"2006-01-02\": cannot parse \"\" as \"2006\"",
    ),
    (
        "mustToDate \"2006-01-02 15:04\" \"2024-01-02 15:60\"",
        "parsing time \"2024-01-02 15:60\": minute out of range",
    ),
    (
        "mustToDate \"Jan 2\" \"Foo 2\"",
        "parsing time \"Foo 2\" as \"Jan 2\": cannot parse \"Foo 2\" as \"Jan\"",
    ),
    (
        "mustToDate \"2006-01-02 MST\" \"2024-01-02 x\"",
        "parsing time \"2024-01-02 x\" as \"2006-01-02 MST\": cannot parse \"x\" as \"MST\"",
    ),
    (
        "mustToDate \"15:04:05.000\" \"15:04:05.12\"",
        "parsing time \"15:04:05.12\" as \"15:04:05.000\": cannot parse \".12\" as \".000\"",
    ),
    (
        "mustToDate \"2006 002\" \"2023 366\"",
        "parsing time \"2023 366\": day-of-year out of range",
    ),
    (
        "mustToDate \"-0700\" \"+2501\"",
        "parsing time \"+2501\": time zone offset hour out of range",
    ),
    (
        "mustToDate \"Mon\" \"Xyz\"",
        "parsing time \"Xyz\" as \"Mon\": cannot parse \"Xyz\" as \"Mon\"",
    ),
    (
        "mustToDate \"3:04PM\" \"3:04XM\"",
        "parsing time \"3:04XM\" as \"3:04PM\": cannot parse \"XM\" as \"PM\"",
    ),
    (
        "semverCompare \"1.2.3 ||\" \"1.2.3\"",
        "improper constraint:",
    ),
    (
        "semverCompare \">>1.2\" \"1.2.3\"",
        "improper constraint: >>1.2",
    ),
    (
        "semverCompare \"1.2.3.4\" \"1.2.3\"",
        "improper constraint: 1.2.3.4",
    ),
    (
        "urlParse \"http://h h/\"",
        "unable to parse url: parse \"http://h h/\": invalid character \" \" in host name",
    ),
    (
        "semver \"v1.2.3-alpha.01\"",
        "version segment starts with 0",
    ),
    ("semver \"1.2.3-al_pha\"", "invalid semantic version"),
    (
        "urlJoin (dict \"scheme\" \"http\" \"host\" \"h\" \"path\" \"/a?b\" \"userinfo\" \"u@x:p/w\")",
        "unable to parse userinfo in dict: parse \"proto://u@x:p/w@host\": invalid port \":p\" after host",
    ),
    (
        "last \"x\" | default \"d\"",
        "Cannot find last on type string",
    ),
];

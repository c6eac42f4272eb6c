//! `fromYaml`, `fromYamlArray` and YAML-to-value reading as Helm does it through
//! `sigs.k8s.io/yaml.Unmarshal`: go-yaml v2 decodes the first document into Go values with
//! YAML 1.1 rules (`yes` is true, `0x1F` is 31, `2024-01-01` stays text), keys become
//! strings (`1` and `true` too, floats as `float32` would print), and the result goes
//! through JSON, so every number ends up a `float64` and NaN or infinities are errors.
//!
//! The text is parsed by `yaml-rust2` into a node tree; decoding then follows go-yaml v2's
//! decoder step by step, because its counts are what stop a billion-laughs document
//! ("document contains excessive aliasing") and its order is what merge keys (`<<`) mean:
//! a merged map overrides the keys written before the `<<` and is overridden by those
//! after it. Both phases use explicit stacks, so depth cannot overflow the thread's stack.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{ScanError, TScalarStyle};

use super::resolve::{Resolved, resolve};
use crate::encoding::Error;
use crate::encoding::json::Target;
use crate::value::{Map, Value, format_float_g};

/// Nesting deeper than this is refused (counting what aliases expand to). go-yaml stops at
/// 10000 levels; values that deep overflow the thread's stack in the template engine's
/// recursive printing and dropping, so reading stops at 1000, with go-yaml's wording.
const MAX_DEPTH: usize = 1_000;

/// `yaml.Unmarshal(text, &target)` from `sigs.k8s.io/yaml`, as Helm's `fromYaml` (map)
/// and `fromYamlArray` (list) call it: the value, and Helm's error message if any (the
/// target then holds what Go leaves in it: nothing).
pub fn unmarshal(text: &str, target: Target) -> (Value, Option<Error>) {
    let empty = match target {
        Target::Any => Value::Nil,
        Target::Map => Value::map(Map::new()),
        Target::List => Value::list(Vec::new()),
    };
    let value = match to_value(text) {
        Ok(value) => value,
        Err(err) => {
            let message = format!("error converting YAML to JSON: {err}");
            // Helm's message carries its own prefixes.
            return (empty, Some(Error::Json(message)));
        }
    };
    let kind = match &value {
        Value::Nil => return (empty, None),
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    };
    let fits = match target {
        Target::Any => true,
        Target::Map => kind == "object",
        Target::List => kind == "array",
    };
    if fits {
        (value, None)
    } else {
        let go_type = match target {
            Target::Map => "map[string]interface {}",
            _ => "[]interface {}",
        };
        let message = format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type {go_type}"
        );
        (empty, Some(Error::Json(message)))
    }
}

/// The first document of `text` as a template value (`nil` for an empty stream), with
/// `sigs.k8s.io/yaml`'s conversion to JSON types applied. The error is go-yaml's or
/// `encoding/json`'s, without Helm's wrapping.
pub fn to_value(text: &str) -> Result<Value, Error> {
    decode_text(text, false)
}

/// The first document of `text` with go-yaml's own number types kept: integers as
/// `int64` (`uint64` beyond it as `float64`), floats as `float64`. `sigs.k8s.io/yaml`
/// needs them when it decodes into a Go struct: a number written into a `string` field
/// becomes its text, `1` for an integer but `float32`-style `1.1` for `1.10`.
pub fn to_typed_value(text: &str) -> Result<Value, Error> {
    decode_text(text, true)
}

fn decode_text(text: &str, keep_ints: bool) -> Result<Value, Error> {
    check_characters(text)?;
    // go-yaml skips a byte order mark and, reading YAML 1.1, breaks lines at NEL, which
    // yaml-rust2 (YAML 1.2) takes for an ordinary character.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text: std::borrow::Cow<'_, str> = if text.contains('\u{85}') {
        text.replace('\u{85}', "\n").into()
    } else {
        text.into()
    };
    let tree = Tree::parse(&text)?;
    let Some(root) = tree.root else {
        return Ok(Value::Nil);
    };
    let mut decoder = Decoder {
        tree: &tree,
        decode_count: 1, // go-yaml counts the document node too
        alias_count: 0,
        alias_depth: 0,
        active_aliases: HashSet::new(),
        non_finite: false,
        keep_ints,
    };
    let value = decoder.decode(root)?;
    // Typed values go into a struct first, where a NaN in a string field is just text.
    if !keep_ints
        && decoder.non_finite
        && let Some(x) = first_non_finite(&value)
    {
        return Err(Error::UnsupportedValue(crate::value::format_float_v(x)));
    }
    Ok(value)
}

/// go-yaml's reader refuses characters outside YAML's printable set.
fn check_characters(text: &str) -> Result<(), Error> {
    let ok = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    if text.chars().all(ok) {
        Ok(())
    } else {
        Err(Error::control_characters())
    }
}

/// The first NaN or infinity in the order `encoding/json` walks (map keys sorted), which
/// names the value in its error.
fn first_non_finite(value: &Value) -> Option<f64> {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Float(x) if !x.is_finite() => return Some(*x),
            Value::List(items) => stack.extend(items.iter().rev()),
            Value::Map(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    None
}

// --- parsing ---------------------------------------------------------------------------

enum Node {
    Scalar {
        value: String,
        plain: bool,
        tag: Option<String>,
    },
    Seq(Vec<usize>),
    /// Keys and values, alternating.
    Map(Vec<usize>),
    Alias {
        target: usize,
        name: String,
    },
}

struct Tree {
    nodes: Vec<Node>,
    root: Option<usize>,
}

fn tag_name(tag: Option<Tag>) -> Option<String> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
}

/// Characters of an anchor name as libyaml reads them.
fn is_anchor_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Finds byte offsets of character positions in increasing order (yaml-rust2's markers
/// count characters).
struct CharCursor<'a> {
    text: &'a str,
    chars: usize,
    bytes: usize,
}

impl CharCursor<'_> {
    fn byte_at(&mut self, char_index: usize) -> usize {
        if char_index < self.chars {
            self.chars = 0;
            self.bytes = 0;
        }
        for c in self.text[self.bytes..].chars() {
            if self.chars == char_index {
                break;
            }
            self.chars += 1;
            self.bytes += c.len_utf8();
        }
        self.bytes
    }

    /// The anchor name after the `*` or `&` at `char_index`.
    fn name_at(&mut self, char_index: usize) -> String {
        let start = self.byte_at(char_index);
        let rest = &self.text[start..];
        let rest = rest.strip_prefix(['*', '&']).unwrap_or(rest);
        rest.chars().take_while(|&c| is_anchor_char(c)).collect()
    }
}

impl Tree {
    fn parse(text: &str) -> Result<Tree, Error> {
        // go-yaml reads an empty input as a single line break.
        let mut parser = Parser::new_from_str(text);
        let mut cursor = CharCursor {
            text,
            chars: 0,
            bytes: 0,
        };
        let mut nodes: Vec<Node> = Vec::new();
        let mut anchors: HashMap<usize, usize> = HashMap::new();
        let mut open: Vec<usize> = Vec::new();
        let mut root = None;
        let mut in_document = false;
        loop {
            let (event, mark) = parser
                .next_token()
                .map_err(|err| scan_error(&err, &mut cursor))?;
            let node = match event {
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    in_document = true;
                    continue;
                }
                Event::DocumentEnd => {
                    if in_document {
                        break;
                    }
                    continue;
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let index = nodes.len();
                    nodes.push(Node::Scalar {
                        value,
                        plain: style == TScalarStyle::Plain,
                        tag: tag_name(tag),
                    });
                    if anchor > 0 {
                        anchors.insert(anchor, index);
                    }
                    index
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    let index = nodes.len();
                    nodes.push(if matches!(event, Event::SequenceStart(..)) {
                        Node::Seq(Vec::new())
                    } else {
                        Node::Map(Vec::new())
                    });
                    if anchor > 0 {
                        anchors.insert(anchor, index);
                    }
                    if open.len() >= MAX_DEPTH {
                        return Err(Error::Yaml(format!("exceeded max depth of {MAX_DEPTH}")));
                    }
                    attach(&mut nodes, &open, &mut root, index);
                    open.push(index);
                    continue;
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    open.pop();
                    continue;
                }
                Event::Alias(id) => {
                    let name = cursor.name_at(mark.index());
                    let Some(&target) = anchors.get(&id) else {
                        return Err(Error::Yaml(format!("unknown anchor '{name}' referenced")));
                    };
                    let index = nodes.len();
                    nodes.push(Node::Alias { target, name });
                    index
                }
                Event::StreamStart | Event::Nothing => continue,
            };
            attach(&mut nodes, &open, &mut root, node);
        }
        Ok(Tree { nodes, root })
    }
}

fn attach(nodes: &mut [Node], open: &[usize], root: &mut Option<usize>, node: usize) {
    match open.last() {
        Some(&parent) => match &mut nodes[parent] {
            Node::Seq(children) | Node::Map(children) => children.push(node),
            _ => {}
        },
        None => *root = Some(node),
    }
}

/// A `yaml-rust2` error in go-yaml's words. libyaml names a problem without its "while
/// parsing ..." context, and go-yaml places it by the problem's 0-based line: nothing on
/// the first line, `line N+1` for a scanner error and `line N` for a parser error.
fn scan_error(err: &ScanError, cursor: &mut CharCursor<'_>) -> Error {
    let info = err.info();
    if info.contains("unknown anchor") {
        let name = cursor.name_at(err.marker().index());
        return Error::Yaml(format!("unknown anchor '{name}' referenced"));
    }
    let strip = |info: &str| -> String {
        match info.strip_prefix("while ") {
            Some(rest) => rest.split_once(", ").map_or(info, |(_, p)| p).to_owned(),
            None => info.to_owned(),
        }
    };
    let (problem, parser_error) = if info.starts_with("while parsing a flow sequence") {
        ("did not find expected ',' or ']'".to_owned(), true)
    } else if info.starts_with("while parsing a flow mapping")
        || info.starts_with("while parsing a block")
        || info.starts_with("while parsing a node")
    {
        (strip(info), true)
    } else if info.starts_with("did not find expected <document") {
        ("did not find expected <document start>".to_owned(), true)
    } else if info.starts_with("unexpected character")
        || info.starts_with("tabs disallowed")
        || info.ends_with("found a tab")
    {
        (
            "found character that cannot start any token".to_owned(),
            false,
        )
    } else if info.starts_with("simple key expect") {
        ("could not find expected ':'".to_owned(), false)
    } else {
        (strip(info), false)
    };
    // yaml-rust2, like libyaml, puts the end of the input on a line of its own.
    let line = err.marker().line().saturating_sub(1);
    match (line, parser_error) {
        (0, _) => Error::Yaml(problem),
        (n, true) => Error::Yaml(format!("line {n}: {problem}")),
        (n, false) => Error::Yaml(format!("line {}: {problem}", n + 1)),
    }
}

// --- decoding ----------------------------------------------------------------------------

const LONG_TAG: &str = "tag:yaml.org,2002:";

/// What go-yaml v2 resolves a scalar to, before JSON turns numbers into floats.
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

/// A decoded node: a scalar (kept typed, because keys are named after their Go type) or a
/// collection.
enum Decoded {
    Scalar(Scalar),
    Value(Value),
}

/// A decoded mapping key: its JSON name, or why `sigs.k8s.io/yaml` cannot name it (an
/// error that names the value too, so it waits for the value).
enum Key {
    Name(String),
    Unsupported { go_type: &'static str, key: String },
}

/// An open collection in the decoder's stack.
enum Frame {
    Seq {
        node: usize,
        next: usize,
        items: Vec<Value>,
    },
    /// A mapping; `map` is `None` while it is merged (`<<`) into the mapping below it.
    Map {
        node: usize,
        next: usize,
        map: Option<Map>,
        key: Option<Key>,
    },
    /// A sequence of mappings merged in reverse order (earlier ones win).
    MergeSeq { node: usize, next: usize },
    /// An alias being followed; its bookkeeping ends when its value does.
    Alias { node: usize },
}

struct Decoder<'t> {
    tree: &'t Tree,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    active_aliases: HashSet<usize>,
    non_finite: bool,
    keep_ints: bool,
}

/// go-yaml v2's `allowedAliasRatio`: how much of a document may come from expanding
/// aliases, shrinking from 99% for small documents to 10% for large ones.
fn allowed_alias_ratio(decode_count: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

fn want_map() -> Error {
    Error::Yaml("map merge requires map or sequence of maps as the value".to_owned())
}

/// go-yaml's `float64` map keys print as `strconv.FormatFloat(f, 'g', -1, 32)`: the
/// shortest digits of the nearest `float32`, and YAML's names for the special values
/// (numbers written into `string` fields of a struct print the same way).
pub(crate) fn float32_key(x: f64) -> String {
    let f = x as f32;
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    // The float32's shortest digits, read back as a float64 whose shortest digits they
    // are, laid out by Go's %g rules.
    let digits: f64 = format!("{f:e}").parse().unwrap_or(x);
    format_float_g(digits, 6)
}

impl Decoder<'_> {
    /// One `d.unmarshal` call of go-yaml: counted, and checked against the alias ratio.
    fn count(&mut self) -> Result<(), Error> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(Error::Yaml(
                "document contains excessive aliasing".to_owned(),
            ));
        }
        Ok(())
    }

    fn scalar(&mut self, value: &str, plain: bool, tag: Option<&str>) -> Result<Scalar, Error> {
        let tag = tag.map(|t| match t.strip_prefix("!!") {
            Some(short) => format!("{LONG_TAG}{short}"),
            None => t.to_owned(),
        });
        let short = tag.as_deref().and_then(|t| t.strip_prefix(LONG_TAG));
        if tag.is_none() && !plain {
            return Ok(Scalar::Str(value.to_owned()));
        }
        match short {
            None if tag.is_some() => return Ok(Scalar::Str(value.to_owned())),
            Some("str") => return Ok(Scalar::Str(value.to_owned())),
            Some("binary") => {
                let cleaned: String = value
                    .chars()
                    .filter(|c| !matches!(c, '\r' | '\n'))
                    .collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(cleaned.as_bytes())
                    .map_err(|_| {
                        Error::Yaml("!!binary value contains invalid base64 data".to_owned())
                    })?;
                return Ok(Scalar::Str(go_string_from_bytes(&bytes)));
            }
            Some("int" | "float" | "bool" | "null" | "timestamp") | None => {}
            // Tags go-yaml does not resolve (`!!map` on a scalar, custom ones) keep the text.
            Some(_) => return Ok(Scalar::Str(value.to_owned())),
        }
        let resolved = resolve(value);
        let (rtag, out) = match resolved {
            Resolved::Null => ("null", Scalar::Null),
            Resolved::Bool(b) => ("bool", Scalar::Bool(b)),
            Resolved::Int(n) => ("int", Scalar::Int(n)),
            Resolved::Uint(n) => ("int", Scalar::Uint(n)),
            Resolved::Float(x) => ("float", Scalar::Float(x)),
            // Decoded into `interface{}`, go-yaml v2 keeps a timestamp's text.
            Resolved::Timestamp => ("timestamp", Scalar::Str(value.to_owned())),
            Resolved::Str => ("str", Scalar::Str(value.to_owned())),
        };
        match short {
            None => Ok(out),
            Some(wanted) if wanted == rtag => Ok(out),
            Some("float") if rtag == "int" => Ok(match out {
                Scalar::Int(n) => Scalar::Float(n as f64),
                Scalar::Uint(n) => Scalar::Float(n as f64),
                other => other,
            }),
            Some(wanted) => Err(Error::Yaml(format!(
                "cannot decode !!{rtag} `{value}` as a !!{wanted}"
            ))),
        }
    }

    fn scalar_value(&mut self, s: Scalar) -> Value {
        match s {
            Scalar::Null => Value::Nil,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(n) if self.keep_ints => Value::Int64(n),
            Scalar::Int(n) => Value::Float(n as f64),
            Scalar::Uint(n) => Value::Float(n as f64),
            Scalar::Float(x) => {
                if !x.is_finite() {
                    self.non_finite = true;
                }
                Value::Float(x)
            }
            Scalar::Str(s) => Value::String(s.into()),
        }
    }

    /// `convertToJSONableObject`'s key rules (go-yaml itself refuses collections).
    fn key(&self, key: Decoded) -> Result<Key, Error> {
        Ok(match key {
            Decoded::Scalar(Scalar::Str(s)) => Key::Name(s),
            Decoded::Scalar(Scalar::Int(n)) => Key::Name(n.to_string()),
            Decoded::Scalar(Scalar::Float(x)) => Key::Name(float32_key(x)),
            Decoded::Scalar(Scalar::Bool(b)) => Key::Name(b.to_string()),
            // `%s` of a nil reflect.Type.
            Decoded::Scalar(Scalar::Null) => Key::Unsupported {
                go_type: "%!s(<nil>)",
                key: "<nil>".to_owned(),
            },
            Decoded::Scalar(Scalar::Uint(n)) => Key::Unsupported {
                go_type: "uint64",
                key: format!("0x{n:x}"),
            },
            Decoded::Value(v) => {
                return Err(Error::Yaml(format!(
                    "invalid map key: {}",
                    go_syntax(&v, true)
                )));
            }
        })
    }

    /// Decodes the tree under `root`.
    fn decode(&mut self, root: usize) -> Result<Value, Error> {
        let mut stack: Vec<Frame> = Vec::new();
        // The next node to start, and whether it is merged into the mapping below.
        let mut start: Option<(usize, bool)> = Some((root, false));
        // A finished node waiting to be handed to the frame on top (None: a merge ended).
        let mut done: Option<Option<Decoded>> = None;
        loop {
            if let Some((node, merging)) = start.take() {
                self.count()?;
                match &self.tree.nodes[node] {
                    Node::Scalar {
                        value, plain, tag, ..
                    } => {
                        let s = self.scalar(value, *plain, tag.as_deref())?;
                        done = Some(Some(Decoded::Scalar(s)));
                    }
                    Node::Seq(_) => stack.push(Frame::Seq {
                        node,
                        next: 0,
                        items: Vec::new(),
                    }),
                    Node::Map(_) => stack.push(Frame::Map {
                        node,
                        next: 0,
                        map: (!merging).then(Map::new),
                        key: None,
                    }),
                    Node::Alias { target, name } => {
                        if !self.active_aliases.insert(node) {
                            return Err(Error::Yaml(format!(
                                "anchor '{name}' value contains itself"
                            )));
                        }
                        self.alias_depth += 1;
                        stack.push(Frame::Alias { node });
                        start = Some((*target, merging));
                        continue;
                    }
                }
            }
            if stack.len() > MAX_DEPTH {
                return Err(Error::Yaml(format!("exceeded max depth of {MAX_DEPTH}")));
            }
            let Some(frame) = stack.last_mut() else {
                return Ok(match done.flatten() {
                    Some(Decoded::Scalar(s)) => self.scalar_value(s),
                    Some(Decoded::Value(v)) => v,
                    None => Value::Nil,
                });
            };
            match frame {
                Frame::Alias { node } => {
                    if done.is_some() {
                        let node = *node;
                        stack.pop();
                        self.alias_depth -= 1;
                        self.active_aliases.remove(&node);
                        continue;
                    }
                }
                Frame::Seq { node, next, items } => {
                    if let Some(value) = done.take().flatten() {
                        let value = match value {
                            Decoded::Scalar(s) => self.scalar_value(s),
                            Decoded::Value(v) => v,
                        };
                        items.push(value);
                    }
                    let Node::Seq(children) = &self.tree.nodes[*node] else {
                        unreachable!("a sequence frame holds a sequence node");
                    };
                    if let Some(&child) = children.get(*next) {
                        *next += 1;
                        start = Some((child, false));
                    } else {
                        let items = std::mem::take(items);
                        stack.pop();
                        done = Some(Some(Decoded::Value(Value::list(items))));
                    }
                }
                Frame::MergeSeq { node, next } => {
                    done = None;
                    let Node::Seq(children) = &self.tree.nodes[*node] else {
                        unreachable!("a merge frame holds a sequence node");
                    };
                    if *next == 0 {
                        stack.pop();
                        done = Some(None);
                        continue;
                    }
                    *next -= 1;
                    let child = children[*next];
                    let is_map = match &self.tree.nodes[child] {
                        Node::Map(_) => true,
                        Node::Alias { target, .. } => {
                            matches!(self.tree.nodes[*target], Node::Map(_))
                        }
                        _ => false,
                    };
                    if !is_map {
                        return Err(want_map());
                    }
                    start = Some((child, true));
                }
                Frame::Map { node, .. } => {
                    let node = *node;
                    if let Some(Some(decoded)) = done.take() {
                        self.receive(&mut stack, decoded)?;
                    }
                    let Some(Frame::Map { next, map, key, .. }) = stack.last_mut() else {
                        unreachable!("the map frame is still on top");
                    };
                    let Node::Map(children) = &self.tree.nodes[node] else {
                        unreachable!("a map frame holds a map node");
                    };
                    let Some(&child) = children.get(*next) else {
                        let map = map.take();
                        stack.pop();
                        done = Some(map.map(|m| Decoded::Value(Value::map(m))));
                        continue;
                    };
                    if key.is_some() {
                        start = Some((child, false));
                        continue;
                    }
                    // A key: `<<` (plain, or tagged !!merge) merges its value into this map.
                    let is_merge = matches!(
                        &self.tree.nodes[child],
                        Node::Scalar { value, plain, tag, .. }
                            if value == "<<" && (*plain || tag.as_deref() == Some("tag:yaml.org,2002:merge"))
                    );
                    if !is_merge {
                        start = Some((child, false));
                        continue;
                    }
                    let Some(&value_node) = children.get(*next + 1) else {
                        return Err(want_map());
                    };
                    *next += 2;
                    match &self.tree.nodes[value_node] {
                        Node::Map(_) => start = Some((value_node, true)),
                        Node::Alias { target, .. } => {
                            if !matches!(self.tree.nodes[*target], Node::Map(_)) {
                                return Err(want_map());
                            }
                            start = Some((value_node, true));
                        }
                        Node::Seq(children) => stack.push(Frame::MergeSeq {
                            node: value_node,
                            next: children.len(),
                        }),
                        Node::Scalar { .. } => return Err(want_map()),
                    }
                }
            }
        }
    }

    /// Hands a decoded key or value to the mapping on top of the stack.
    fn receive(&mut self, stack: &mut [Frame], decoded: Decoded) -> Result<(), Error> {
        let Some(Frame::Map { next, map, key, .. }) = stack.last_mut() else {
            return Ok(());
        };
        *next += 1;
        let Some(k) = key.take() else {
            *key = Some(self.key(decoded)?);
            return Ok(());
        };
        let value = match decoded {
            Decoded::Scalar(s) => self.scalar_value(s),
            Decoded::Value(v) => v,
        };
        let k = match k {
            Key::Name(name) => name,
            Key::Unsupported { go_type, key } => {
                return Err(Error::Json(format!(
                    "unsupported map key of type: {go_type}, key: {key}, value: {}",
                    go_syntax(&value, true)
                )));
            }
        };
        match map {
            Some(map) => {
                map.insert(k, value);
            }
            None => insert_below(stack, k, value),
        }
        Ok(())
    }
}

/// Inserts into the mapping a merge writes into: the nearest frame below that owns one.
fn insert_below(stack: &mut [Frame], key: String, value: Value) {
    for frame in stack.iter_mut().rev() {
        if let Frame::Map { map: Some(map), .. } = frame {
            map.insert(key, value);
            return;
        }
    }
}

/// Bytes as a Go string reaches JSON: each byte of an invalid UTF-8 sequence becomes
/// U+FFFD (`encoding/json` replaces them one by one).
fn go_string_from_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(err) => {
                let valid = err.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..valid]).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = &rest[valid + 1..];
            }
        }
    }
    out
}

/// Go's `%#v` of a decoded YAML value, for error messages (numbers, which JSON made
/// floats, print as Go prints a float64).
fn go_syntax(value: &Value, top: bool) -> String {
    match value {
        Value::Nil if top => "<nil>".to_owned(),
        Value::Nil => "interface {}(nil)".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Float(x) => crate::value::format_float_v(*x),
        Value::String(s) => go_quote(s),
        Value::List(items) => format!(
            "[]interface {{}}{{{}}}",
            items
                .iter()
                .map(|v| go_syntax(v, false))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(map) => format!(
            "map[interface {{}}]interface {{}}{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_syntax(v, false)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if crate::encoding::json::go_is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> String {
        match to_value(text) {
            Ok(v) => crate::encoding::json::marshal(&v, crate::encoding::json::Format::COMPACT)
                .unwrap_or_default(),
            Err(e) => format!("error: {e}"),
        }
    }

    // Expected results are what `fromYaml ... | toJson` gave in helm (or its error).
    #[test]
    fn decodes_as_go_yaml_v2_through_json() {
        let cases: &[(&str, &str)] = &[
            (
                "a: yes\nb: on\nc: 0x1F\nd: 010\ne: 1_000",
                r#"{"a":true,"b":true,"c":31,"d":8,"e":1000}"#,
            ),
            (
                "a: 2024-01-01\nb: 12:30\nc: \"1\"",
                r#"{"a":"2024-01-01","b":"12:30","c":"1"}"#,
            ),
            (
                "1: a\n2.5: b\ntrue: c\n3.14159265359: d",
                r#"{"1":"a","2.5":"b","3.1415927":"d","true":"c"}"#,
            ),
            (
                "a: !!binary aGVsbG8=\nb: !custom 12\nc: !!float 1",
                r#"{"a":"hello","b":"12","c":1}"#,
            ),
            // `y` is a YAML 1.1 bool, so that key is "true".
            ("base: &b {x: 1, y: 2}", r#"{"base":{"true":2,"x":1}}"#),
            (
                "base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3",
                r#"{"base":{"p":1,"q":2},"d":{"p":1,"q":3}}"#,
            ),
            (
                "base: &b {p: 1, q: 2}\nd:\n  q: 3\n  <<: *b",
                r#"{"base":{"p":1,"q":2},"d":{"p":1,"q":2}}"#,
            ),
            (
                "a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]",
                r#"{"a":{"p":1},"b":{"p":2,"q":2},"c":{"p":1,"q":2}}"#,
            ),
            ("a: 1\na: 2", r#"{"a":2}"#),
            ("---\na: 1\n---\nb: 2", r#"{"a":1}"#),
            ("a: \u{85}", r#"{"a":null}"#),
            ("\u{feff}a: 1", r#"{"a":1}"#),
            ("a: .inf", "error: json: unsupported value: +Inf"),
            (
                "a: *unknown",
                "error: yaml: unknown anchor 'unknown' referenced",
            ),
            (
                "a: &a [*a]",
                "error: yaml: anchor 'a' value contains itself",
            ),
            (
                "c:\n  <<: 1",
                "error: yaml: map merge requires map or sequence of maps as the value",
            ),
            (
                "a: b: c",
                "error: yaml: mapping values are not allowed in this context",
            ),
            (
                "a: [1, 2",
                "error: yaml: line 1: did not find expected ',' or ']'",
            ),
            (
                "a:\n\t- b",
                "error: yaml: line 2: found character that cannot start any token",
            ),
            (
                "a: !!int abc",
                "error: yaml: cannot decode !!str `abc` as a !!int",
            ),
            (
                "? [a]\n: b",
                "error: yaml: invalid map key: []interface {}{\"a\"}",
            ),
            (
                "~: a",
                "error: unsupported map key of type: %!s(<nil>), key: <nil>, value: \"a\"",
            ),
            (
                "a: \u{7f}",
                "error: yaml: control characters are not allowed",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(json(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn alias_bombs_and_depth_are_refused() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(",");
            bomb.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
        }
        assert_eq!(
            json(&bomb),
            "error: yaml: document contains excessive aliasing"
        );
        let deep: String = (0..=MAX_DEPTH)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert!(
            json(&deep).starts_with("error: yaml: exceeded max depth"),
            "{}",
            json(&deep)
        );
        // Aliases that nest each other deeper than the limit are caught too.
        let mut nested = String::from("a0: &a0 [x]\n");
        for i in 1..12 {
            let inner = "[".repeat(100) + &format!("*a{}", i - 1) + &"]".repeat(100);
            nested.push_str(&format!("a{i}: &a{i} {inner}\n"));
        }
        assert!(
            json(&nested).starts_with("error: yaml: "),
            "{}",
            json(&nested)
        );
    }

    #[test]
    fn targets_follow_helm() {
        let err = |text, target| unmarshal(text, target).1.map(|e| e.to_string());
        assert_eq!(
            err("- a", Target::Map).as_deref(),
            Some(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
            )
        );
        assert_eq!(
            err("a: b", Target::List).as_deref(),
            Some(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}"
            )
        );
        assert_eq!(
            err("a: [", Target::Map).as_deref(),
            Some("error converting YAML to JSON: yaml: line 1: did not find expected node content")
        );
        assert_eq!(unmarshal("", Target::Map).0, Value::map(Map::new()));
    }
}

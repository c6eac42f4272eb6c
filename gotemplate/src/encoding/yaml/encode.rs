//! `toYaml` and `toYamlPretty`: template values to YAML text, byte for byte as Helm prints.
//!
//! `toYaml` is `sigs.k8s.io/yaml.Marshal`: `encoding/json` first (so keys are strings, bytes
//! are base64, floats pass through JSON's text), then go-yaml v2 reads that JSON and writes
//! YAML. Rather than print JSON and parse it again, this walks the value once and applies
//! what the round trip does to each scalar: an integral `float64` becomes a YAML integer
//! (`1000000`, not `1e+06`), a fractional one prints in Go's `%g` (`1.5`, `1e-07`), NaN is
//! an error, and the characters go-yaml refuses to read make the whole call fail.
//! `toYamlPretty` is go-yaml v3's encoder on the Go values themselves (`1e+06`, `.nan`).

use std::borrow::Cow;

use base64::Engine as _;

use super::emit::{Ctx, Dialect, Emitter, Style};
use super::resolve::plain_reads_back;
use crate::encoding::{Error, OpenDicts};
use crate::sprig::{Certificate, GoDuration, GoTime, format_duration};
use crate::value::{Map, Object, Value, format_float_v};

/// Collections nested deeper than this fail to encode: go-yaml's scanner, which `toYaml`'s
/// round trip goes through, stops at 10000 levels of `[`/`{` too.
pub const MAX_DEPTH: usize = 10_000;

/// `sigs.k8s.io/yaml.Marshal(v)`: the document, ending in a newline (Helm's `toYaml`
/// trims it).
pub fn marshal(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    let mut emitter = Emitter::new(&mut out, Dialect::V2);
    walk(
        &mut emitter,
        value,
        Ctx::ROOT,
        0,
        Dialect::V2,
        &mut OpenDicts::default(),
    )?;
    emitter.finish();
    Ok(out)
}

/// go-yaml v3's `Encoder` with `SetIndent(2)`, as Helm's `toYamlPretty` runs it: the
/// document, ending in a newline.
pub fn marshal_pretty(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    let mut emitter = Emitter::new(&mut out, Dialect::V3);
    walk(
        &mut emitter,
        value,
        Ctx::ROOT,
        0,
        Dialect::V3,
        &mut OpenDicts::default(),
    )?;
    emitter.finish();
    Ok(out)
}

/// The style go-yaml's `stringv` asks for: literal for multi-line text, plain when the text
/// reads back as the same string, double-quoted otherwise.
fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if plain_reads_back(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// An open collection: what is left of it.
enum Frame<'v> {
    Seq(std::slice::Iter<'v, Value>),
    Bytes(std::slice::Iter<'v, u8>),
    Map(std::vec::IntoIter<(&'v String, &'v Value)>),
}

/// Walks `value` with an explicit stack of open collections, so depth costs heap, not
/// thread stack. A Go struct (an [`crate::value::Object`], whose data is made on demand)
/// and a shared map (a [`crate::Dict`], written from a copy so that no lock is held)
/// recurse, on a grown stack when deep; `open` catches a dict that holds itself. `base`
/// counts the collections around.
fn walk(
    e: &mut Emitter<'_>,
    value: &Value,
    ctx: Ctx,
    base: usize,
    dialect: Dialect,
    open: &mut OpenDicts,
) -> Result<(), Error> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some((value, ctx));
    loop {
        if let Some((value, ctx)) = next.take() {
            let depth = base + stack.len();
            match value {
                Value::Nil => e.scalar("null", Style::Plain, ctx),
                Value::Bool(b) => e.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
                Value::Int(n) | Value::Int64(n) => e.scalar(&n.to_string(), Style::Plain, ctx),
                Value::Float(x) => {
                    let text = match dialect {
                        Dialect::V2 => json_float_as_yaml(*x)?,
                        Dialect::V3 => go_yaml_float(*x),
                    };
                    e.scalar(&text, Style::Plain, ctx);
                }
                Value::String(s) => match dialect {
                    Dialect::V2 => {
                        let s = through_json(s)?;
                        e.scalar(&s, string_style(&s), ctx);
                    }
                    Dialect::V3 => e.scalar(s, string_style(s), ctx),
                },
                Value::Bytes(bytes) if dialect == Dialect::V2 => {
                    let s = base64::engine::general_purpose::STANDARD.encode(&**bytes);
                    e.scalar(&s, string_style(&s), ctx);
                }
                Value::List(items) if items.is_empty() => e.empty("[", "]", ctx),
                // go-yaml v3 sees a `[]byte` as a slice of numbers.
                Value::Bytes(bytes) if bytes.is_empty() => e.empty("[", "]", ctx),
                Value::Map(map) if map.is_empty() => e.empty("{", "}", ctx),
                Value::List(_) | Value::Bytes(_) | Value::Map(_) if depth >= MAX_DEPTH => {
                    return Err(Error::TooDeep(MAX_DEPTH));
                }
                Value::List(items) => {
                    e.sequence_start(ctx);
                    stack.push(Frame::Seq(items.iter()));
                }
                Value::Bytes(bytes) => {
                    e.sequence_start(ctx);
                    stack.push(Frame::Bytes(bytes.iter()));
                }
                Value::Map(map) => {
                    e.mapping_start(ctx);
                    stack.push(Frame::Map(sorted_entries(map, dialect).into_iter()));
                }
                Value::Dict(dict) => open.within(dict, |open| {
                    let map = Value::map(dict.snapshot());
                    walk(e, &map, ctx, depth, dialect, open)
                })?,
                Value::Object(object) => match (dialect, v3_form(&**object)) {
                    (Dialect::V3, Some(V3Form::Timestamp(text))) => {
                        e.scalar(&text, Style::Plain, ctx);
                    }
                    (Dialect::V3, Some(V3Form::Value(value))) => {
                        walk(e, &value, ctx, depth + 1, dialect, open)?;
                    }
                    _ => walk(e, &object.data(), ctx, depth + 1, dialect, open)?,
                },
            }
        }
        let Some(frame) = stack.last_mut() else {
            return Ok(());
        };
        match frame {
            Frame::Seq(items) => match items.next() {
                Some(item) => next = Some((item, e.sequence_item())),
                None => {
                    stack.pop();
                    e.sequence_end();
                }
            },
            Frame::Bytes(bytes) => match bytes.next() {
                Some(b) => {
                    let item_ctx = e.sequence_item();
                    e.scalar(&b.to_string(), Style::Plain, item_ctx);
                }
                None => {
                    stack.pop();
                    e.sequence_end();
                }
            },
            Frame::Map(entries) => match entries.next() {
                Some((key, item)) => {
                    let simple = match dialect {
                        Dialect::V2 => {
                            let key = through_json_key(key)?;
                            e.mapping_key(&key, string_style(&key))
                        }
                        Dialect::V3 => e.mapping_key(key, string_style(key)),
                    };
                    next = Some((item, e.mapping_value(simple)));
                }
                None => {
                    stack.pop();
                    e.mapping_end();
                }
            },
        }
    }
}

/// How go-yaml v3, which encodes Go values directly rather than through JSON, writes
/// Sprig's Go types where that differs from their JSON form ([`Object::data`]).
enum V3Form {
    /// `time.Time`: its RFC 3339 text as a plain timestamp (JSON quotes it).
    Timestamp(String),
    /// `time.Duration` as its `String()` text (JSON: nanoseconds); `sprig.certificate`
    /// with go-yaml's lower-cased field names (JSON: `Cert`, `Key`).
    Value(Value),
}

fn v3_form(object: &dyn Object) -> Option<V3Form> {
    let any = object.as_any()?;
    if any.is::<GoTime>() {
        return match object.data() {
            Value::String(text) => Some(V3Form::Timestamp(text.to_string())),
            _ => None,
        };
    }
    if let Some(duration) = any.downcast_ref::<GoDuration>() {
        return Some(V3Form::Value(format_duration(duration.0).into()));
    }
    if let Some(cert) = any.downcast_ref::<Certificate>() {
        let mut map = Map::new();
        map.insert("cert".to_owned(), cert.cert.as_str().into());
        map.insert("key".to_owned(), cert.key.as_str().into());
        return Some(V3Form::Value(Value::map(map)));
    }
    None
}

/// go-yaml's float: Go's `%g`, with YAML's spellings of the special values.
fn go_yaml_float(x: f64) -> String {
    if x.is_nan() {
        ".nan".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { ".inf" } else { "-.inf" }.to_owned()
    } else {
        format_float_v(x)
    }
}

/// A `float64` after `encoding/json` wrote it and go-yaml read it back. JSON writes values
/// from 1e-6 up to 1e21 without an exponent, integral ones as the shortest digits padded
/// with zeros (2^63 as `9223372036854776000`); go-yaml reads those digits as an `int` or
/// `uint64` when they fit and prints them unchanged. Everything else comes back as the
/// same float and prints in Go's `%g` (`1e+21`, `1.5`, `1e-07`).
fn json_float_as_yaml(x: f64) -> Result<String, Error> {
    if !x.is_finite() {
        return Err(Error::UnsupportedValue(format_float_v(x)));
    }
    if x == x.trunc() && x.abs() < 1e21 {
        // Rust's `{}` is Go's `%f` with the shortest digits: no exponent, zero-padded.
        let digits = format!("{x}");
        if let Ok(n) = digits.parse::<i64>() {
            return Ok(n.to_string());
        }
        if digits.parse::<u64>().is_ok() {
            return Ok(digits);
        }
    }
    Ok(format_float_v(x))
}

const NEL: char = '\u{85}';

/// Characters go-yaml's reader refuses ("control characters are not allowed") that
/// `encoding/json` leaves unescaped: DEL, the C1 controls except NEL, U+FFFE and U+FFFF.
fn refused_by_reader(c: char) -> bool {
    matches!(c, '\u{7F}'..='\u{84}' | '\u{86}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// A string value after the JSON round trip. JSON escapes every control character except
/// DEL and the C1 range, so those reach go-yaml's reader raw: most are refused, and NEL is
/// a line break inside the double-quoted JSON string, which YAML folds into a space.
fn through_json(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.is_ascii() {
        return if s.as_bytes().contains(&0x7F) {
            Err(Error::control_characters())
        } else {
            Ok(Cow::Borrowed(s))
        };
    }
    if s.chars().any(refused_by_reader) {
        return Err(Error::control_characters());
    }
    if !s.contains(NEL) {
        return Ok(Cow::Borrowed(s));
    }
    fold_nel(s).map(Cow::Owned)
}

/// go-yaml's line folding inside a double-quoted scalar, for the only raw line break JSON
/// leaves in a string (NEL): spaces before the break are dropped, spaces after it too, one
/// break becomes a space and further breaks stay newlines.
fn fold_nel(s: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(s.len());
    let mut spaces = String::new();
    let mut leading_blanks = false;
    let mut trailing_breaks = 0usize;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            ' ' => {
                if !leading_blanks {
                    spaces.push(' ');
                }
            }
            NEL => {
                if leading_blanks {
                    trailing_breaks += 1;
                } else {
                    spaces.clear();
                    leading_blanks = true;
                }
                // A document marker at the start of a line ends the scalar in YAML.
                let rest = &chars[i + 1..];
                let marker = rest.len() >= 3
                    && (rest[..3] == ['-', '-', '-'] || rest[..3] == ['.', '.', '.'])
                    && rest.get(3).is_some_and(|c| matches!(*c, ' ' | NEL));
                if marker {
                    return Err(Error::Yaml(
                        "found unexpected document indicator".to_owned(),
                    ));
                }
            }
            _ => {
                if leading_blanks {
                    if trailing_breaks == 0 {
                        out.push(' ');
                    } else {
                        out.extend(std::iter::repeat_n('\n', trailing_breaks));
                    }
                    leading_blanks = false;
                    trailing_breaks = 0;
                } else {
                    out.push_str(&spaces);
                }
                spaces.clear();
                out.push(c);
            }
        }
    }
    if leading_blanks {
        if trailing_breaks == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
    } else {
        out.push_str(&spaces);
    }
    Ok(out)
}

/// A mapping key after the JSON round trip. go-yaml's scanner only takes a key that ends
/// on its line within 1024 characters of its start, so a longer key (as JSON writes it,
/// quotes and escapes included) or one with a raw line break makes the JSON unreadable.
fn through_json_key(key: &str) -> Result<Cow<'_, str>, Error> {
    // JSON writes a character in at most six, so only long keys need counting.
    if key.len() > 170 && json_width(key) + 2 > 1024 || key.contains(NEL) {
        return Err(Error::Yaml("did not find expected ',' or '}'".to_owned()));
    }
    through_json(key)
}

/// How many characters `encoding/json` writes for a string's content.
fn json_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{C}' | '\n' | '\r' | '\t' => 2,
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            c if c < ' ' => 6,
            _ => 1,
        })
        .sum()
}

/// A map's entries in go-yaml's key order: a "natural" order in which digit runs compare
/// as numbers (`a2` before `a10`) and other characters before letters.
fn sorted_entries(map: &Map, dialect: Dialect) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // The byte order of the map is often the answer already; only sort when it is not.
    let v3 = dialect == Dialect::V3;
    if entries.windows(2).any(|w| key_less(w[1].0, w[0].0, v3)) {
        merge_sort(&mut entries, &|a, b| key_less(a.0, b.0, v3));
    }
    entries
}

/// A stable merge sort that, unlike the standard library's, accepts an order that is not
/// total: go-yaml's is not for some keys (a digit run that overflows `int64`), where Go's
/// own output depends on its random map order anyway.
fn merge_sort<T: Copy>(items: &mut [T], less: &dyn Fn(&T, &T) -> bool) {
    if items.len() <= 1 {
        return;
    }
    let mid = items.len() / 2;
    merge_sort(&mut items[..mid], less);
    merge_sort(&mut items[mid..], less);
    let left: Vec<T> = items[..mid].to_vec();
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < left.len() {
        if j < items.len() && less(&items[j], &left[i]) {
            items[k] = items[j];
            j += 1;
        } else {
            items[k] = left[i];
            i += 1;
        }
        k += 1;
    }
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        use unicode_general_category::{GeneralCategory as G, get_general_category};
        matches!(
            get_general_category(c),
            G::UppercaseLetter
                | G::LowercaseLetter
                | G::TitlecaseLetter
                | G::ModifierLetter
                | G::OtherLetter
        )
    }
}

fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        use unicode_general_category::{GeneralCategory, get_general_category};
        get_general_category(c) == GeneralCategory::DecimalNumber
    }
}

/// go-yaml's `keyList.Less` for two string keys (v3 adds one rule: after a digit, a letter
/// sorts before a non-letter).
fn key_less(a: &str, b: &str, v3: bool) -> bool {
    let mut ai = a.char_indices();
    let mut bi = b.char_indices();
    let mut previous_digit = false;
    let mut run_has_nonzero = false;
    loop {
        let ((ia, ca), (ib, cb)) = match (ai.next(), bi.next()) {
            (Some(x), Some(y)) => (x, y),
            (None, Some(_)) => return true,
            _ => return false,
        };
        if ca == cb {
            previous_digit = is_digit(ca);
            run_has_nonzero = previous_digit && (run_has_nonzero || ca != '0');
            continue;
        }
        let al = is_letter(ca);
        let bl = is_letter(cb);
        if al && bl {
            return ca < cb;
        }
        if al || bl {
            return if v3 && previous_digit { al } else { bl };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if (ca == '0' || cb == '0') && run_has_nonzero {
            an = 1;
            bn = 1;
        }
        let mut a_digits = 0usize;
        for c in a[ia..].chars().take_while(|&c| is_digit(c)) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(u32::from(c)) - 48);
            a_digits += 1;
        }
        let mut b_digits = 0usize;
        for c in b[ib..].chars().take_while(|&c| is_digit(c)) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(u32::from(c)) - 48);
            b_digits += 1;
        }
        if an != bn {
            return an < bn;
        }
        if a_digits != b_digits {
            return a_digits < b_digits;
        }
        return ca < cb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    // Each expected text is what `helm template` (v4.1.4) printed for `toYaml` of the value
    // (values-file numbers are float64), recorded from the differential test's run.
    #[test]
    fn to_yaml_matches_recorded_helm_output() {
        let long = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss tttt uuuu";
        let cases: Vec<(Value, &str)> = vec![
            (Value::Nil, "null\n"),
            (Value::Float(1e6), "1000000\n"),
            (Value::Float(1e20), "1e+20\n"),
            (Value::Float(1e21), "1e+21\n"),
            (Value::Float(1e-6), "1e-06\n"),
            (Value::Float(123456789.5), "1.234567895e+08\n"),
            (Value::Float(9223372036854775807.0), "9223372036854776000\n"),
            (Value::Float(-0.0), "0\n"),
            (Value::Int64(-7), "-7\n"),
            (Value::from("yes"), "\"yes\"\n"),
            (Value::from("12:30"), "\"12:30\"\n"),
            (Value::from("2024-01-01"), "\"2024-01-01\"\n"),
            (Value::from("a: b"), "'a: b'\n"),
            (Value::from("'q'"), "'''q'''\n"),
            (Value::from(" lead"), "' lead'\n"),
            (Value::from("a\tb"), "\"a\\tb\"\n"),
            (Value::from("hi 😀"), "\"hi \\U0001F600\"\n"),
            (Value::from("\u{feff}a"), "\"\\uFEFF\\x61\"\n"),
            (Value::from("line1\nline2\n"), "|\n  line1\n  line2\n"),
            (Value::from("line1\nline2"), "|-\n  line1\n  line2\n"),
            (Value::from(" lead\nline2"), "|2-\n   lead\n  line2\n"),
            (Value::from("a\u{85}b"), "a b\n"),
            (
                map(&[("long", Value::from(long))]),
                "long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n  qqqq rrrr ssss tttt uuuu\n",
            ),
            (
                map(&[
                    ("a10", Value::Float(1.0)),
                    ("a2", Value::Float(2.0)),
                    ("B", Value::Float(3.0)),
                    ("b", Value::Float(4.0)),
                    ("1", Value::Float(5.0)),
                    ("10", Value::Float(6.0)),
                    ("2", Value::Float(7.0)),
                    ("", Value::Float(8.0)),
                    ("-", Value::Float(12.0)),
                ]),
                "\"\": 8\n'-': 12\n\"1\": 5\n\"2\": 7\n\"10\": 6\nB: 3\na2: 2\na10: 1\nb: 4\n",
            ),
            (
                Value::list(vec![
                    Value::list(vec!["a".into(), "b".into()]),
                    Value::list(vec![]),
                    Value::map(Map::new()),
                    map(&[("x", Value::list(vec![Value::Float(1.0)]))]),
                ]),
                "- - a\n  - b\n- []\n- {}\n- x:\n  - 1\n",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(marshal(&value).as_deref(), Ok(expected), "{value:?}");
        }
        // A key over 128 bytes is written as a complex key.
        let key = "k".repeat(129);
        assert_eq!(
            marshal(&map(&[(&key, Value::Float(1.0))])),
            Ok(format!("? {key}\n: 1\n"))
        );
    }

    #[test]
    fn to_yaml_pretty_indents_sequences_and_keeps_go_floats() {
        let value = map(&[
            ("big", Value::Float(1e6)),
            ("nan", Value::Float(f64::NAN)),
            (
                "nested",
                Value::list(vec![Value::list(vec!["a".into(), "b".into()])]),
            ),
            ("bytes", Value::Bytes(std::sync::Arc::from(&b"hi"[..]))),
            ("tab", Value::from("a\tb\nc")),
        ]);
        assert_eq!(
            marshal_pretty(&value).as_deref(),
            Ok(
                "big: 1e+06\nbytes:\n  - 104\n  - 105\nnan: .nan\nnested:\n  - - a\n    - b\ntab: |-\n  a\tb\n  c\n"
            )
        );
    }

    #[test]
    fn refusals_are_errors_not_panics() {
        assert_eq!(
            marshal(&Value::Float(f64::NAN)),
            Err(Error::UnsupportedValue("NaN".into()))
        );
        assert_eq!(
            marshal(&Value::from("del\u{7f}")),
            Err(Error::control_characters())
        );
        let long_key = map(&[(&"<".repeat(200), Value::Nil)]);
        assert!(marshal(&long_key).is_err());
        // Deeper than go-yaml reads: an error, with no recursion to overflow the stack.
        let mut deep = Value::Nil;
        for _ in 0..=MAX_DEPTH {
            deep = Value::list(vec![deep]);
        }
        assert_eq!(marshal(&deep), Err(Error::TooDeep(MAX_DEPTH)));
        assert_eq!(marshal_pretty(&deep), Err(Error::TooDeep(MAX_DEPTH)));
        // Dropping a value this deep recurses (Value's own drop); tests leak it instead.
        std::mem::forget(deep);
    }

    #[test]
    fn natural_key_order_is_go_yamls() {
        let less = |a: &str, b: &str| key_less(a, b, false);
        assert!(less("a2", "a10"));
        assert!(less("_x", "B"), "non-letters before letters");
        assert!(less("a1", "a01"));
        assert!(
            less("x1z", "x01y"),
            "equal numbers: the shorter digit run first"
        );
        assert!(!less("b", "b"));
        // go-yaml v3: after a digit, a letter before a non-letter.
        assert!(key_less("1a", "10", true));
        assert!(!key_less("1a", "10", false));
    }
}

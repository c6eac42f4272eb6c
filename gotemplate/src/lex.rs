//! The lexer of Go's `text/template/parse`: turns template text into items (text, delimiters,
//! words, literals), applying the `{{-`/`-}}` trim markers and dropping `{{/* */}}` comments,
//! with the same item boundaries, positions, lines and error texts as Go, because parse errors
//! quote them (`unexpected "}" in operand`, `unclosed action`).

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords: printed as `<name>` in messages.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl ItemType {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemType::Block
                | ItemType::Break
                | ItemType::Continue
                | ItemType::Dot
                | ItemType::Define
                | ItemType::Else
                | ItemType::End
                | ItemType::If
                | ItemType::Nil
                | ItemType::Range
                | ItemType::Template
                | ItemType::With
        )
    }
}

fn keyword(word: &str) -> Option<ItemType> {
    Some(match word {
        "." => ItemType::Dot,
        "block" => ItemType::Block,
        "break" => ItemType::Break,
        "continue" => ItemType::Continue,
        "define" => ItemType::Define,
        "else" => ItemType::Else,
        "end" => ItemType::End,
        "if" => ItemType::If,
        "range" => ItemType::Range,
        "nil" => ItemType::Nil,
        "template" => ItemType::Template,
        "with" => ItemType::With,
        _ => return None,
    })
}

/// One token. `pos` is a byte offset into the text, `line` the 1-based line where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Item<'s> {
    pub typ: ItemType,
    pub pos: usize,
    pub val: Cow<'s, str>,
    pub line: usize,
}

impl std::fmt::Display for Item<'_> {
    /// As Go prints an item in parse errors: `EOF`, the error text, `<end>`, or the quoted
    /// text, cut to ten characters (`"abcdefghij"...`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.typ {
            ItemType::Eof => f.write_str("EOF"),
            ItemType::Error => f.write_str(&self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let cut: String = self.val.chars().take(10).collect();
                    write!(f, "{}...", crate::fmt::quote(&cut))
                } else {
                    f.write_str(&crate::fmt::quote(&self.val))
                }
            }
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
const TRIM_MARKER_LEN: usize = 2;

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `isAlphaNumeric` (`_`, letters, digits); Rust's Unicode classes are a close superset
/// of Go's for exotic characters, which never matter in templates.
fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// `{{- ` (a minus and a space character after the delimiter).
fn has_left_trim_marker(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space_byte(s[1])
}

/// ` -}}` (a space character and a minus before the delimiter).
fn has_right_trim_marker(s: &[u8]) -> bool {
    s.len() >= 2 && is_space_byte(s[0]) && s[1] == b'-'
}

fn right_trim_length(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_length(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

pub(crate) struct Lexer<'s> {
    input: &'s str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: usize,
    inside_action: bool,
    break_ok: bool,
    continue_ok: bool,
    // Line counting: the line of `line_pos`, moved forward (or back) on demand.
    line_pos: usize,
    line: usize,
    done: bool,
}

impl<'s> Lexer<'s> {
    pub fn new(input: &'s str, break_ok: bool, continue_ok: bool) -> Self {
        Lexer {
            input,
            pos: 0,
            start: 0,
            at_eof: false,
            paren_depth: 0,
            inside_action: false,
            break_ok,
            continue_ok,
            line_pos: 0,
            line: 1,
            done: false,
        }
    }

    fn line_at(&mut self, pos: usize) -> usize {
        if pos >= self.line_pos {
            self.line += self.input.as_bytes()[self.line_pos..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        } else {
            self.line -= self.input.as_bytes()[pos..self.line_pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        }
        self.line_pos = pos;
        self.line
    }

    fn rest(&self) -> &'s str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            Some(c) => {
                self.pos += c.len_utf8();
                Some(c)
            }
            None => {
                self.at_eof = true;
                None
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self) {
        if !self.at_eof
            && self.pos > 0
            && let Some(c) = self.input[..self.pos].chars().next_back()
        {
            self.pos -= c.len_utf8();
        }
        self.at_eof = false;
    }

    fn item(&mut self, typ: ItemType) -> Item<'s> {
        let line = self.line_at(self.start);
        let item = Item {
            typ,
            pos: self.start,
            val: Cow::Borrowed(&self.input[self.start..self.pos]),
            line,
        };
        self.start = self.pos;
        item
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, message: String) -> Item<'s> {
        let line = self.line_at(self.start);
        let item = Item {
            typ: ItemType::Error,
            pos: self.start,
            val: Cow::Owned(message),
            line,
        };
        self.done = true;
        item
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                break;
            }
        }
        self.backup();
    }

    /// The next item. After an error or EOF, EOF forever.
    pub fn next_item(&mut self) -> Item<'s> {
        if self.done {
            let line = self.line_at(self.input.len());
            return Item {
                typ: ItemType::Eof,
                pos: self.input.len(),
                val: Cow::Borrowed(""),
                line,
            };
        }
        if self.inside_action {
            self.lex_inside_action()
        } else {
            self.lex_text()
        }
    }

    fn lex_text(&mut self) -> Item<'s> {
        if let Some(x) = self.rest().find(LEFT_DELIM) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT_DELIM.len();
                let trim = if has_left_trim_marker(&self.input.as_bytes()[delim_end..]) {
                    right_trim_length(&self.input[self.start..self.pos])
                } else {
                    0
                };
                self.pos -= trim;
                let item = self.item(ItemType::Text);
                self.pos += trim;
                self.ignore();
                if !item.val.is_empty() {
                    return item;
                }
            }
            return self.lex_left_delim();
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            return self.item(ItemType::Text);
        }
        self.done = true;
        self.item(ItemType::Eof)
    }

    fn lex_left_delim(&mut self) -> Item<'s> {
        self.pos += LEFT_DELIM.len();
        let trim = has_left_trim_marker(self.rest().as_bytes());
        let after_marker = if trim { TRIM_MARKER_LEN } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.ignore();
            return self.lex_comment();
        }
        let item = self.item(ItemType::LeftDelim);
        self.inside_action = true;
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        item
    }

    fn lex_comment(&mut self) -> Item<'s> {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += RIGHT_DELIM.len();
        if trim {
            self.pos += left_trim_length(self.rest());
        }
        self.ignore();
        self.lex_text()
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest.as_bytes())
            && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM)
        {
            return (true, true);
        }
        if rest.starts_with(RIGHT_DELIM) {
            return (true, false);
        }
        (false, false)
    }

    fn lex_right_delim(&mut self) -> Item<'s> {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += TRIM_MARKER_LEN;
            self.ignore();
        }
        self.pos += RIGHT_DELIM.len();
        let item = self.item(ItemType::RightDelim);
        if trim {
            self.pos += left_trim_length(self.rest());
            self.ignore();
        }
        self.inside_action = false;
        item
    }

    fn lex_inside_action(&mut self) -> Item<'s> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim();
            }
            return self.error("unclosed left paren".into());
        }
        let Some(r) = self.next() else {
            return self.error("unclosed action".into());
        };
        match r {
            c if is_space(c) => {
                self.backup();
                self.lex_space()
            }
            '=' => self.item(ItemType::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.error("expected :=".into());
                }
                self.item(ItemType::Declare)
            }
            '|' => self.item(ItemType::Pipe),
            '"' => self.lex_quote(),
            '`' => self.lex_raw_quote(),
            '$' => self.lex_variable(),
            '\'' => self.lex_char(),
            '.' => {
                // ".field" unless a digit follows ('.' can start a number).
                match self.input.as_bytes().get(self.pos) {
                    Some(b) if !b.is_ascii_digit() => self.lex_field_or_variable(ItemType::Field),
                    _ => {
                        self.backup();
                        self.lex_number()
                    }
                }
            }
            '+' | '-' | '0'..='9' => {
                self.backup();
                self.lex_number()
            }
            c if is_alphanumeric(c) => {
                self.backup();
                self.lex_identifier()
            }
            '(' => {
                self.paren_depth += 1;
                self.item(ItemType::LeftParen)
            }
            ')' => {
                if self.paren_depth == 0 {
                    return self.error("unexpected right paren".into());
                }
                self.paren_depth -= 1;
                self.item(ItemType::RightParen)
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.item(ItemType::Char),
            c => self.error(format!(
                "unrecognized character in action: {}",
                crate::fmt::unicode_sharp(c)
            )),
        }
    }

    fn lex_space(&mut self) -> Item<'s> {
        let mut spaces = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            spaces += 1;
        }
        // A trim-marked right delimiter starts with a space: leave it to lex_right_delim.
        let bytes = self.input.as_bytes();
        if has_right_trim_marker(&bytes[self.pos - 1..])
            && self.input[self.pos - 1 + TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM)
        {
            self.backup();
            if spaces == 1 {
                return self.lex_right_delim();
            }
        }
        self.item(ItemType::Space)
    }

    fn lex_identifier(&mut self) -> Item<'s> {
        loop {
            match self.next() {
                Some(c) if is_alphanumeric(c) => {}
                other => {
                    self.backup();
                    let word = &self.input[self.start..self.pos];
                    if !self.at_terminator() {
                        return self.error(format!(
                            "bad character {}",
                            crate::fmt::unicode_sharp(other.unwrap_or('\u{fffd}'))
                        ));
                    }
                    let typ = match keyword(word) {
                        Some(ItemType::Break) if !self.break_ok => ItemType::Identifier,
                        Some(ItemType::Continue) if !self.continue_ok => ItemType::Identifier,
                        Some(k) => k,
                        None if word.starts_with('.') => ItemType::Field,
                        None if word == "true" || word == "false" => ItemType::Bool,
                        None => ItemType::Identifier,
                    };
                    return self.item(typ);
                }
            }
        }
    }

    fn lex_variable(&mut self) -> Item<'s> {
        if self.at_terminator() {
            return self.item(ItemType::Variable);
        }
        self.lex_field_or_variable(ItemType::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> Item<'s> {
        if self.at_terminator() {
            return self.item(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
        }
        let last = loop {
            let c = self.next();
            match c {
                Some(c) if is_alphanumeric(c) => {}
                _ => {
                    self.backup();
                    break c;
                }
            }
        };
        if !self.at_terminator() {
            return self.error(format!(
                "bad character {}",
                crate::fmt::unicode_sharp(last.unwrap_or('\u{fffd}'))
            ));
        }
        self.item(typ)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT_DELIM),
        }
    }

    fn lex_char(&mut self) -> Item<'s> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.error("unterminated character constant".into()),
                },
                None | Some('\n') => {
                    return self.error("unterminated character constant".into());
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.item(ItemType::CharConstant)
    }

    fn lex_number(&mut self) -> Item<'s> {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_owned();
            return self.error(format!("bad number syntax: {}", crate::fmt::quote(&text)));
        }
        if let Some('+' | '-') = self.peek() {
            // Complex: 1+2i.
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_owned();
                return self.error(format!("bad number syntax: {}", crate::fmt::quote(&text)));
            }
            return self.item(ItemType::Complex);
        }
        self.item(ItemType::Number)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 10 + 1 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 16 + 6 + 1 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alphanumeric(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Item<'s> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.error("unterminated quoted string".into()),
                },
                None | Some('\n') => return self.error("unterminated quoted string".into()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.item(ItemType::String)
    }

    fn lex_raw_quote(&mut self) -> Item<'s> {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".into()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.item(ItemType::RawString)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<String> {
        let mut lexer = Lexer::new(text, true, true);
        let mut out = Vec::new();
        loop {
            let item = lexer.next_item();
            let done = matches!(item.typ, ItemType::Eof | ItemType::Error);
            out.push(format!("{:?}:{}", item.typ, item.val));
            if done {
                return out;
            }
        }
    }

    #[test]
    fn tokens_and_trim_markers() {
        let cases: &[(&str, &[&str])] = &[
            ("", &["Eof:"]),
            (
                "a {{- 1 -}} b",
                &[
                    "Text:a",
                    "LeftDelim:{{",
                    "Number:1",
                    "RightDelim:}}",
                    "Text:b",
                    "Eof:",
                ],
            ),
            (
                "{{-3}}",
                &["LeftDelim:{{", "Number:-3", "RightDelim:}}", "Eof:"],
            ),
            ("x {{/* c */}} y", &["Text:x ", "Text: y", "Eof:"]),
            ("x {{- /* c */ -}} y", &["Text:x", "Text:y", "Eof:"]),
            (
                "{{ $x := .a.b | f 'c' `r` }}",
                &[
                    "LeftDelim:{{",
                    "Space: ",
                    "Variable:$x",
                    "Space: ",
                    "Declare::=",
                    "Space: ",
                    "Field:.a",
                    "Field:.b",
                    "Space: ",
                    "Pipe:|",
                    "Space: ",
                    "Identifier:f",
                    "Space: ",
                    "CharConstant:'c'",
                    "Space: ",
                    "RawString:`r`",
                    "Space: ",
                    "RightDelim:}}",
                    "Eof:",
                ],
            ),
            (
                "{{ .a",
                &[
                    "LeftDelim:{{",
                    "Space: ",
                    "Field:.a",
                    "Error:unclosed action",
                ],
            ),
            (
                "{{ (1 }}",
                &[
                    "LeftDelim:{{",
                    "Space: ",
                    "LeftParen:(",
                    "Number:1",
                    "Space: ",
                    "Error:unclosed left paren",
                ],
            ),
            (
                "{{ 1x }}",
                &["LeftDelim:{{", "Space: ", "Error:bad number syntax: \"1x\""],
            ),
            ("{{/* x }}", &["Error:unclosed comment"]),
            (
                "{{/* x */ }}",
                &["Error:comment ends before closing delimiter"],
            ),
            (
                "{{ 0x1F 1_000 0b101 0o17 1.5e3 .5 }}",
                &[
                    "LeftDelim:{{",
                    "Space: ",
                    "Number:0x1F",
                    "Space: ",
                    "Number:1_000",
                    "Space: ",
                    "Number:0b101",
                    "Space: ",
                    "Number:0o17",
                    "Space: ",
                    "Number:1.5e3",
                    "Space: ",
                    "Number:.5",
                    "Space: ",
                    "RightDelim:}}",
                    "Eof:",
                ],
            ),
            (
                "{{ . }}",
                &[
                    "LeftDelim:{{",
                    "Space: ",
                    "Dot:.",
                    "Space: ",
                    "RightDelim:}}",
                    "Eof:",
                ],
            ),
            (
                "{{end}}",
                &["LeftDelim:{{", "End:end", "RightDelim:}}", "Eof:"],
            ),
            (
                "{{ a-b }}",
                &["LeftDelim:{{", "Space: ", "Error:bad character U+002D '-'"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(items(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn lines_count_newlines_before_each_item() {
        let mut lexer = Lexer::new("a\n{{ 1\n}}\nb {{ `x\ny` }} {{ 2 }}", true, true);
        let mut lines = Vec::new();
        loop {
            let item = lexer.next_item();
            if item.typ == ItemType::Eof {
                break;
            }
            if item.typ != ItemType::Space {
                lines.push((item.val.to_string(), item.line));
            }
        }
        let expected = [
            ("a\n", 1),
            ("{{", 2),
            ("1", 2),
            ("}}", 3),
            ("\nb ", 3),
            ("{{", 4),
            ("`x\ny`", 4),
            ("}}", 5),
            (" ", 5),
            ("{{", 5),
            ("2", 5),
            ("}}", 5),
        ];
        let got: Vec<(&str, usize)> = lines.iter().map(|(v, l)| (v.as_str(), *l)).collect();
        assert_eq!(got, expected);
    }
}

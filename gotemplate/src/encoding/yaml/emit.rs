//! A YAML emitter that writes exactly what go-yaml's emitter (a port of libyaml) writes for
//! the documents Helm produces: block mappings and sequences, `{}`/`[]` for empty ones, and
//! plain, single-quoted, double-quoted or literal scalars with no tags or anchors.
//!
//! Two dialects differ in small ways that show in real charts: go-yaml v2 (what `toYaml`
//! uses through `sigs.k8s.io/yaml`) folds long scalars at 80 columns and writes a sequence
//! under a mapping key at the key's indentation; go-yaml v3 with `SetIndent(2)` (what
//! `toYamlPretty` uses) never folds, indents such sequences, and lets tabs into block
//! scalars. The state kept here (column, indentation stack, the `whitespace` and `indention`
//! flags) is the emitter's own, because line breaks and padding depend on it.

/// Which go-yaml emitter to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// go-yaml v2 (`go.yaml.in/yaml/v2` 2.4), as `sigs.k8s.io/yaml.Marshal` runs it.
    V2,
    /// go-yaml v3 with `SetIndent(2)`, as Helm's `toYamlPretty` runs it.
    V3,
}

/// The scalar style a node asks for; the emitter may fall back to a quoted style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What a node is to its parent (libyaml: the state the parent pushed before emitting it).
/// go-yaml v3 indents the first level inside a sequence item by two (past the `- `) and
/// everything else to a multiple of the indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    Document,
    SequenceItem,
    MappingKey,
    MappingValue,
}

/// Where a node sits, as libyaml's `emit_node` records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
    parent: Parent,
}

impl Ctx {
    pub(crate) const ROOT: Ctx = Ctx {
        root: true,
        mapping: false,
        simple_key: false,
        parent: Parent::Document,
    };
}

/// What `yaml_emitter_analyze_scalar` finds out about a scalar.
#[derive(Debug, Clone, Copy)]
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

pub(crate) struct Emitter<'a> {
    out: &'a mut String,
    dialect: Dialect,
    best_indent: i64,
    best_width: i64,
    indent: i64,
    indents: Vec<i64>,
    column: i64,
    whitespace: bool,
    indention: bool,
    flow_level: i64,
    root_context: bool,
    mapping_context: bool,
    simple_key_context: bool,
}

/// The byte at `i`, or NUL past the end (libyaml's strings end in NUL, and its character
/// tests read a byte or two ahead).
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

/// libyaml's `is_printable` for the emitter; tabs and characters outside the BMP count as
/// not printable, which is why go-yaml double-quotes `a\tb` and emoji.
fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    let c1 = at(b, i + 1);
    let c2 = at(b, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

fn is_break(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    c == b'\r'
        || c == b'\n'
        || (c == 0xC2 && at(b, i + 1) == 0x85)
        || (c == 0xE2 && at(b, i + 1) == 0x80 && matches!(at(b, i + 2), 0xA8 | 0xA9))
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || at(b, i) == 0
}

/// libyaml's `is_bom` looks at the start of the string whatever `i` is, so a value that
/// starts with U+FEFF has every character escaped; go-yaml keeps that quirk.
fn starts_with_bom(b: &[u8]) -> bool {
    b.starts_with(&[0xEF, 0xBB, 0xBF])
}

impl<'a> Emitter<'a> {
    /// An emitter at the start of an implicit first document (no `---`), as `yaml.Marshal`
    /// and `Encoder.Encode` begin.
    pub(crate) fn new(out: &'a mut String, dialect: Dialect) -> Self {
        let best_width = match dialect {
            Dialect::V2 => 80,
            Dialect::V3 => i64::from(i32::MAX),
        };
        Emitter {
            out,
            dialect,
            best_indent: 2,
            best_width,
            indent: -1,
            indents: Vec::new(),
            column: 0,
            whitespace: true,
            indention: true,
            flow_level: 0,
            root_context: false,
            mapping_context: false,
            simple_key_context: false,
        }
    }

    /// Ends the document: the final line break that Helm then trims.
    pub(crate) fn finish(&mut self) {
        self.write_indent();
    }

    // --- nodes -------------------------------------------------------------------------

    fn enter(&mut self, ctx: Ctx) {
        self.root_context = ctx.root;
        self.mapping_context = ctx.mapping;
        self.simple_key_context = ctx.simple_key;
    }

    /// A scalar node with the style its encoder asked for.
    pub(crate) fn scalar(&mut self, value: &str, requested: Style, ctx: Ctx) {
        let analysis = self.analyze(value.as_bytes());
        self.analyzed_scalar(value, requested, ctx, analysis);
    }

    fn analyzed_scalar(&mut self, value: &str, requested: Style, ctx: Ctx, analysis: Analysis) {
        self.enter(ctx);
        let bytes = value.as_bytes();
        let style = self.select_style(requested, bytes, analysis);
        self.increase_indent(true, false, ctx.parent);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    /// `[]` or `{}`: libyaml writes an empty collection in flow style.
    pub(crate) fn empty(&mut self, open: &str, close: &str, ctx: Ctx) {
        self.enter(ctx);
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false, ctx.parent);
        self.flow_level += 1;
        self.flow_level -= 1;
        self.pop_indent();
        if self.dialect == Dialect::V3 && self.column == 0 {
            self.write_indent();
        }
        self.write_indicator(close, false, false, false);
    }

    /// Starts a non-empty block sequence.
    pub(crate) fn sequence_start(&mut self, ctx: Ctx) {
        self.enter(ctx);
        let indentless = match self.dialect {
            Dialect::V2 => self.mapping_context && !self.indention,
            Dialect::V3 => false,
        };
        self.increase_indent(false, indentless, ctx.parent);
    }

    /// Writes the `- ` of the next item and returns the context for the item's node.
    pub(crate) fn sequence_item(&mut self) -> Ctx {
        self.write_indent();
        self.write_indicator("-", true, false, true);
        Ctx {
            root: false,
            mapping: false,
            simple_key: false,
            parent: Parent::SequenceItem,
        }
    }

    pub(crate) fn sequence_end(&mut self) {
        self.pop_indent();
    }

    /// Starts a non-empty block mapping.
    pub(crate) fn mapping_start(&mut self, ctx: Ctx) {
        self.enter(ctx);
        self.increase_indent(false, false, ctx.parent);
    }

    /// Writes a key (a string with the style its encoder asked for): as a simple key when
    /// it fits on one line in 128 bytes, else after `? `. Returns whether it was simple,
    /// which [`Emitter::mapping_value`] needs.
    pub(crate) fn mapping_key(&mut self, key: &str, requested: Style) -> bool {
        self.write_indent();
        let analysis = self.analyze(key.as_bytes());
        let simple = !analysis.multiline && key.len() <= 128;
        if simple {
            self.analyzed_scalar(
                key,
                requested,
                Ctx {
                    root: false,
                    mapping: true,
                    simple_key: true,
                    parent: Parent::MappingKey,
                },
                analysis,
            );
        } else {
            self.write_indicator("?", true, false, true);
            self.analyzed_scalar(
                key,
                requested,
                Ctx {
                    root: false,
                    mapping: true,
                    simple_key: false,
                    parent: Parent::MappingKey,
                },
                analysis,
            );
        }
        simple
    }

    /// Writes the `:` after a key and returns the context for the value's node.
    pub(crate) fn mapping_value(&mut self, simple: bool) -> Ctx {
        if simple {
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indent();
            self.write_indicator(":", true, false, true);
        }
        Ctx {
            root: false,
            mapping: true,
            simple_key: false,
            parent: Parent::MappingValue,
        }
    }

    pub(crate) fn mapping_end(&mut self) {
        self.pop_indent();
    }

    // --- indentation ---------------------------------------------------------------------

    fn increase_indent(&mut self, flow: bool, indentless: bool, parent: Parent) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            match self.dialect {
                Dialect::V2 => self.indent += self.best_indent,
                Dialect::V3 => {
                    if parent == Parent::SequenceItem {
                        self.indent += 2;
                    } else {
                        self.indent = self.best_indent
                            * ((self.indent + self.best_indent) / self.best_indent);
                    }
                }
            }
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    // --- output primitives -----------------------------------------------------------------

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        if self.dialect == Dialect::V3 {
            self.indention = true;
        }
    }

    /// Copies the character at `*i` and moves past it.
    fn write(&mut self, s: &str, i: &mut usize) {
        let w = width(s.as_bytes()[*i]).min(s.len() - *i);
        self.out.push_str(&s[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_str(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count() as i64;
    }

    fn write_break(&mut self, s: &str, i: &mut usize) {
        if s.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
            if self.dialect == Dialect::V3 {
                self.indention = true;
            }
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        if self.dialect == Dialect::V2 {
            self.indention = true;
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.write_str(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    // --- scalars -------------------------------------------------------------------------

    fn analyze(&self, value: &[u8]) -> Analysis {
        if value.is_empty() {
            return Analysis {
                multiline: false,
                flow_plain_allowed: false,
                block_plain_allowed: true,
                single_quoted_allowed: true,
                block_allowed: false,
            };
        }
        let mut block_indicators = false;
        let mut flow_indicators = false;
        let mut line_breaks = false;
        let mut special_characters = false;
        let mut tab_characters = false;
        let mut leading_space = false;
        let mut leading_break = false;
        let mut trailing_space = false;
        let mut trailing_break = false;
        let mut break_space = false;
        let mut space_break = false;
        let mut previous_space = false;
        let mut previous_break = false;

        if value.starts_with(b"---") || value.starts_with(b"...") {
            block_indicators = true;
            flow_indicators = true;
        }
        let mut preceded_by_whitespace = true;
        let mut i = 0;
        while i < value.len() {
            let w = width(value[i]);
            let followed_by_whitespace = i + w >= value.len() || is_blank(value, i + w);
            let c = value[i];
            if i == 0 {
                match c {
                    b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                    | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    b'?' | b':' => {
                        flow_indicators = true;
                        if followed_by_whitespace {
                            block_indicators = true;
                        }
                    }
                    b'-' if followed_by_whitespace => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    _ => {}
                }
            } else {
                match c {
                    b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                    b':' => {
                        flow_indicators = true;
                        if followed_by_whitespace {
                            block_indicators = true;
                        }
                    }
                    b'#' if preceded_by_whitespace => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    _ => {}
                }
            }

            if c == b'\t' && self.dialect == Dialect::V3 {
                tab_characters = true;
            } else if !is_printable(value, i) {
                special_characters = true;
            }
            if is_space(value, i) {
                if i == 0 {
                    leading_space = true;
                }
                if i + w == value.len() {
                    trailing_space = true;
                }
                if previous_break {
                    break_space = true;
                }
                previous_space = true;
                previous_break = false;
            } else if is_break(value, i) {
                line_breaks = true;
                if i == 0 {
                    leading_break = true;
                }
                if i + w == value.len() {
                    trailing_break = true;
                }
                if previous_space {
                    space_break = true;
                }
                previous_space = false;
                previous_break = true;
            } else {
                previous_space = false;
                previous_break = false;
            }
            preceded_by_whitespace = is_blankz(value, i);
            i += w;
        }

        let mut a = Analysis {
            multiline: line_breaks,
            flow_plain_allowed: true,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
        if leading_space || leading_break || trailing_space || trailing_break {
            a.flow_plain_allowed = false;
            a.block_plain_allowed = false;
        }
        if trailing_space {
            a.block_allowed = false;
        }
        if break_space {
            a.flow_plain_allowed = false;
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
        }
        if space_break || tab_characters || special_characters {
            a.flow_plain_allowed = false;
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
        }
        if space_break || special_characters {
            a.block_allowed = false;
        }
        if line_breaks {
            a.flow_plain_allowed = false;
            a.block_plain_allowed = false;
        }
        if flow_indicators {
            a.flow_plain_allowed = false;
        }
        if block_indicators {
            a.block_plain_allowed = false;
        }
        a
    }

    fn select_style(&self, requested: Style, value: &[u8], a: Analysis) -> Style {
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed)
                || (self.flow_level == 0 && !a.block_plain_allowed)
            {
                style = Style::SingleQuoted;
            }
            if value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal
            && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::DoubleQuoted;
        }
        style
    }

    fn write_plain(&mut self, text: &str, allow_breaks: bool) {
        let value = text.as_bytes();
        let skip_space = self.dialect == Dialect::V3 && value.is_empty();
        if !self.whitespace && !skip_space {
            self.put(' ');
        }
        // Without spaces or line breaks there is nowhere to fold: copy it whole.
        if text.is_ascii() && !value.iter().any(|&c| matches!(c, b' ' | b'\n' | b'\r')) {
            self.out.push_str(text);
            self.column += value.len() as i64;
            if !skip_space {
                self.whitespace = false;
            }
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(text, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(text, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(text, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if !skip_space {
            self.whitespace = false;
        }
        self.indention = false;
    }

    fn write_single_quoted(&mut self, text: &str, allow_breaks: bool) {
        let value = text.as_bytes();
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < value.len() - 1
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(text, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(text, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[i] == b'\'' {
                    self.put('\'');
                }
                self.write(text, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, text: &str, allow_breaks: bool) {
        let value = text.as_bytes();
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        let bom = starts_with_bom(value);
        let mut i = 0;
        while i < value.len() {
            let c = value[i];
            if !is_printable(value, i) || bom || is_break(value, i) || c == b'"' || c == b'\\' {
                let w = width(c).min(value.len() - i);
                let ch = std::str::from_utf8(&value[i..i + w])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{FFFD}');
                i += w;
                self.put('\\');
                match ch {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0B}' => self.put('v'),
                    '\u{0C}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1B}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = u32::from(other);
                        let (marker, digits) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(marker);
                        for k in (0..digits).rev() {
                            let digit = (v >> (k * 4)) & 0xF;
                            let hex = char::from_digit(digit, 16)
                                .unwrap_or('0')
                                .to_ascii_uppercase();
                            self.put(hex);
                        }
                    }
                }
                spaces = false;
            } else if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < value.len() - 1
                {
                    self.write_indent();
                    if is_space(value, i + 1) {
                        self.put('\\');
                    }
                    i += 1;
                } else {
                    self.write(text, &mut i);
                }
                spaces = true;
            } else {
                self.write(text, &mut i);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_scalar_hints(&mut self, value: &[u8]) {
        if is_space(value, 0) || is_break(value, 0) {
            let hint = char::from_digit(self.best_indent as u32, 10).unwrap_or('2');
            let mut buf = [0u8; 4];
            self.write_indicator(hint.encode_utf8(&mut buf), false, false, false);
        }
        let chomp = if value.is_empty() {
            Some("-")
        } else {
            let mut i = value.len() - 1;
            while i > 0 && value[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(value, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                i -= 1;
                while i > 0 && value[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                is_break(value, i).then_some("+")
            }
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }

    fn write_literal(&mut self, text: &str) {
        let value = text.as_bytes();
        self.write_indicator("|", true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < value.len() {
            if is_break(value, i) {
                self.write_break(text, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                // Copy the rest of the line at once.
                let mut end = i;
                while end < value.len() && !is_break(value, end) {
                    end += 1;
                }
                let line = &text[i..end];
                self.out.push_str(line);
                self.column += line.chars().count() as i64;
                i = end;
                self.indention = false;
                breaks = false;
            }
        }
    }
}

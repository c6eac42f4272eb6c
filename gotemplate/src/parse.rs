//! The parser of Go's `text/template/parse`: builds the trees of one template text (its top
//! level and every `{{define}}`/`{{block}}` in it), checks functions and variables as Go does,
//! and prints nodes back as Go's `String()` does, because runtime errors quote them
//! (`executing "x" at <.Values.a.b>`).

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::funcmap::{FuncId, FuncMap};
use crate::lex::{Item, ItemType, Lexer};
use crate::value::Value;

/// Deepest nesting of parenthesised pipelines and control structures (each `{{else if}}`
/// counts as one more) in one text. Go allows 10000 parentheses and any nesting of blocks;
/// the parser and the executor recurse per level (on a stack grown on the heap), so a bound
/// well above what charts write keeps hostile texts cheap.
pub(crate) const MAX_PARSE_DEPTH: usize = 1000;

/// Most commands in one pipeline (Go: 100000).
const MAX_PIPELINE_CMDS: usize = 100_000;

/// A template that failed to parse, printed as Go prints it:
/// `template: NAME:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}: {message}")]
pub struct ParseError {
    /// The name of the text being parsed (a file path in Helm, `gotpl` in `tpl`).
    pub name: String,
    pub line: usize,
    pub message: String,
}

/// One parsed template: the top level of a text, a `{{define}}` or a `{{block}}`.
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    /// The name of the text it was parsed from, for error locations.
    pub parse_name: Arc<str>,
    /// The whole text it was parsed from: text nodes and error positions point into it.
    pub text: Arc<str>,
    pub root: List,
}

impl Tree {
    /// Go's `IsEmptyTree`: only spaces and comments. An empty definition does not replace a
    /// non-empty one of the same name.
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|node| match node {
            Node::Text { start, end } => self.text[*start..*end].trim().is_empty(),
            _ => false,
        })
    }

    /// `file:line:column` of a byte offset, as Go's `ErrorContext` computes it (the column is
    /// the byte offset within the line, starting at 0... counted as Go does).
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let before = &self.text.as_bytes()[..pos];
        let (line, col) = match before.iter().rposition(|&b| b == b'\n') {
            None => (1, pos),
            Some(nl) => (
                1 + before.iter().filter(|&&b| b == b'\n').count(),
                pos - (nl + 1),
            ),
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

#[derive(Debug, Default)]
pub(crate) struct List {
    pub nodes: Vec<Node>,
}

/// Trees nest as deep as the parser allows; dropping (and printing) them recurses per level,
/// so each level checks the stack as the parser and the executor do.
const DROP_RED_ZONE: usize = 32 * 1024;
const DROP_SEGMENT: usize = 1024 * 1024;

impl Drop for List {
    fn drop(&mut self) {
        let nodes = std::mem::take(&mut self.nodes);
        stacker::maybe_grow(DROP_RED_ZONE, DROP_SEGMENT, || drop(nodes));
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let cmds = std::mem::take(&mut self.cmds);
        stacker::maybe_grow(DROP_RED_ZONE, DROP_SEGMENT, || drop(cmds));
    }
}

#[derive(Debug)]
pub(crate) enum Node {
    /// Text between actions: `tree.text[start..end]`.
    Text {
        start: usize,
        end: usize,
    },
    Action(Pipe),
    If(Box<Branch>),
    With(Box<Branch>),
    Range(Box<Branch>),
    Template(Box<TemplateCall>),
    Break {
        pos: usize,
    },
    Continue {
        pos: usize,
    },
}

/// `if`, `with` and `range`: the node's position is its pipeline's.
#[derive(Debug)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug)]
pub(crate) struct TemplateCall {
    pub pos: usize,
    pub name: String,
    pub pipe: Option<Pipe>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<Arc<str>>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Operand>,
}

#[derive(Debug)]
pub(crate) enum Operand {
    /// `.a.b`: the position is that of the last-but-first field token when there are several
    /// (Go builds it from a chain), else that of the field.
    Field {
        pos: usize,
        idents: Box<[Arc<str>]>,
    },
    /// `(pipeline).a.b` or `func.a`: the term, then fields.
    Chain {
        pos: usize,
        node: Box<Operand>,
        fields: Box<[Arc<str>]>,
    },
    /// `$x.a.b`: `idents[0]` is the variable (`$x`), the rest are fields.
    Variable {
        pos: usize,
        idents: Box<[Arc<str>]>,
    },
    Pipe(Box<Pipe>),
    Ident {
        pos: usize,
        name: Arc<str>,
        func: FuncId,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        value: bool,
    },
    Number(Box<Number>),
    /// A string literal: `quoted` as written, `value` unquoted.
    String {
        pos: usize,
        quoted: Box<str>,
        value: Value,
    },
}

impl Operand {
    pub fn pos(&self) -> usize {
        match self {
            Operand::Field { pos, .. }
            | Operand::Chain { pos, .. }
            | Operand::Variable { pos, .. }
            | Operand::Ident { pos, .. }
            | Operand::Dot { pos }
            | Operand::Nil { pos }
            | Operand::Bool { pos, .. }
            | Operand::String { pos, .. } => *pos,
            Operand::Pipe(pipe) => pipe.pos,
            Operand::Number(number) => number.pos,
        }
    }
}

/// A number literal with every Go type it can take (`1` is an int, a uint and a float).
#[derive(Debug)]
pub(crate) struct Number {
    pub pos: usize,
    pub text: Box<str>,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
}

// Printing nodes as Go's String() methods do.

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stacker::maybe_grow(DROP_RED_ZONE, DROP_SEGMENT, || self.write(f))
    }
}

impl Pipe {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(v)?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Operand::Pipe(pipe) = arg {
                write!(f, "({pipe})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field { idents, .. } => {
                for ident in idents.iter() {
                    write!(f, ".{ident}")?;
                }
                Ok(())
            }
            Operand::Chain { node, fields, .. } => {
                if let Operand::Pipe(pipe) = &**node {
                    write!(f, "({pipe})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields.iter() {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Operand::Variable { idents, .. } => {
                for (i, ident) in idents.iter().enumerate() {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    f.write_str(ident)?;
                }
                Ok(())
            }
            Operand::Pipe(pipe) => write!(f, "{pipe}"),
            Operand::Ident { name, .. } => f.write_str(name),
            Operand::Dot { .. } => f.write_char('.'),
            Operand::Nil { .. } => f.write_str("nil"),
            Operand::Bool { value, .. } => write!(f, "{value}"),
            Operand::Number(number) => f.write_str(&number.text),
            Operand::String { quoted, .. } => f.write_str(quoted),
        }
    }
}

impl fmt::Display for TemplateCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pipe {
            None => write!(f, "{{{{template {}}}}}", crate::fmt::quote(&self.name)),
            Some(pipe) => write!(
                f,
                "{{{{template {} {pipe}}}}}",
                crate::fmt::quote(&self.name)
            ),
        }
    }
}

/// The trees of one parsed text, by name: its top level and its definitions.
pub(crate) type TreeSet = HashMap<String, Tree>;

/// Parses `text`, named `name`, into its trees.
pub(crate) fn parse(name: &str, text: &str, funcs: &FuncMap) -> Result<TreeSet, ParseError> {
    let shared: Arc<str> = Arc::from(text);
    let parse_name: Arc<str> = Arc::from(name);
    let mut parser = Parser {
        lex: Lexer::new(text, !funcs.contains("break"), !funcs.contains("continue")),
        token: [empty_item(), empty_item(), empty_item()],
        peek_count: 0,
        vars: vec!["$".into()],
        action_line: 0,
        range_depth: 0,
        depth: 0,
        funcs,
        name: name.to_owned(),
        trees: TreeSet::new(),
        text: shared,
        parse_name,
    };
    let root = parser.parse_top()?;
    parser.add(name.to_owned(), root)?;
    Ok(parser.trees)
}

fn empty_item<'s>() -> Item<'s> {
    Item {
        typ: ItemType::Eof,
        pos: 0,
        val: "".into(),
        line: 0,
    }
}

/// What `item_list` stopped at.
enum End {
    End,
    Else { is_if_or_with: bool },
}

/// A node of a list, or the `{{end}}`/`{{else}}` ending it.
enum ListItem {
    Node(Node),
    End(End),
}

struct Parser<'s, 'f> {
    lex: Lexer<'s>,
    token: [Item<'s>; 3],
    peek_count: usize,
    vars: Vec<Arc<str>>,
    action_line: usize,
    range_depth: usize,
    depth: usize,
    funcs: &'f FuncMap,
    /// The name of the tree being parsed (for `multiple definition` errors).
    name: String,
    trees: TreeSet,
    text: Arc<str>,
    parse_name: Arc<str>,
}

type Result<T, E = ParseError> = std::result::Result<T, E>;

impl<'s> Parser<'s, '_> {
    fn next(&mut self) -> Item<'s> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lex.next_item();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'s>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'s>, t1: Item<'s>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'s> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lex.next_item();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'s> {
        loop {
            let token = self.next();
            if token.typ != ItemType::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'s> {
        let token = self.next_non_space();
        self.backup();
        token
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            name: self.parse_name.to_string(),
            line: self.token[0].line,
            message: message.into(),
        }
    }

    fn unexpected(&self, token: &Item<'_>, context: &str) -> ParseError {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_owned();
                }
            }
            return self.error(format!("{token}{extra}"));
        }
        self.error(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> Result<Item<'s>> {
        let token = self.next_non_space();
        if token.typ != expected {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    /// Runs `f` one nesting level deeper: bounded, and on a stack grown on the heap when the
    /// thread's runs low (the parser recurses per level).
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_PARSE_DEPTH {
            return Err(self.error(format!(
                "max expression depth exceeded (more than {MAX_PARSE_DEPTH} nested parentheses and blocks)"
            )));
        }
        self.depth += 1;
        let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || f(self));
        self.depth -= 1;
        result
    }

    /// Go's `Tree.add`: a second non-empty definition of a name in one text is an error.
    fn add(&mut self, name: String, root: List) -> Result<()> {
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root,
        };
        match self.trees.get(&name) {
            Some(existing) if !existing.is_empty() => {
                if !tree.is_empty() {
                    return Err(self.error(format!(
                        "template: multiple definition of template {}",
                        crate::fmt::quote(&name)
                    )));
                }
            }
            _ => {
                self.trees.insert(name, tree);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> Result<List> {
        let mut root = List::default();
        loop {
            let token = self.peek();
            if token.typ == ItemType::Eof {
                return Ok(root);
            }
            if token.typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                ListItem::End(End::End) => return Err(self.error("unexpected {{end}}")),
                ListItem::End(End::Else { .. }) => return Err(self.error("unexpected {{else}}")),
                ListItem::Node(node) => root.nodes.push(node),
            }
        }
    }

    fn parse_definition(&mut self) -> Result<()> {
        const CONTEXT: &str = "define clause";
        let token = self.next_non_space();
        if token.typ != ItemType::String && token.typ != ItemType::RawString {
            return Err(self.unexpected(&token, CONTEXT));
        }
        let name = unquote(&token.val).map_err(|m| self.error(m))?;
        self.expect(ItemType::RightDelim, CONTEXT)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let saved_name = std::mem::replace(&mut self.name, name.clone());
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        self.name = saved_name;
        if !matches!(end, End::End) {
            return Err(self.error(format!("unexpected {} in {CONTEXT}", end_string(&end))));
        }
        self.add(name, list)
    }

    fn item_list(&mut self) -> Result<(List, End)> {
        let mut list = List::default();
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                ListItem::End(end) => return Ok((list, end)),
                ListItem::Node(node) => list.nodes.push(node),
            }
        }
        Err(self.error("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> Result<ListItem> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(ListItem::Node(Node::Text {
                start: token.pos,
                end: token.pos + token.val.len(),
            })),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let result = self.action();
                self.action_line = 0;
                result
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> Result<ListItem> {
        let token = self.next_non_space();
        let node = match token.typ {
            ItemType::Block => self.block_control()?,
            ItemType::Break => self.break_control(token.pos, "{{break}}")?,
            ItemType::Continue => self.break_control(token.pos, "{{continue}}")?,
            ItemType::Else => return self.else_control().map(ListItem::End),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(ListItem::End(End::End));
            }
            ItemType::If => Node::If(Box::new(self.parse_control("if")?)),
            ItemType::Range => Node::Range(Box::new(self.parse_control("range")?)),
            ItemType::Template => self.template_control()?,
            ItemType::With => Node::With(Box::new(self.parse_control("with")?)),
            _ => {
                self.backup();
                // Variables declared here persist until the enclosing {{end}}.
                Node::Action(self.pipeline("command", ItemType::RightDelim)?)
            }
        };
        Ok(ListItem::Node(node))
    }

    fn break_control(&mut self, pos: usize, context: &str) -> Result<Node> {
        let token = self.next_non_space();
        if token.typ != ItemType::RightDelim {
            return Err(self.unexpected(&token, context));
        }
        if self.range_depth == 0 {
            return Err(self.error(format!("{context} outside {{{{range}}}}")));
        }
        Ok(if context == "{{break}}" {
            Node::Break { pos }
        } else {
            Node::Continue { pos }
        })
    }

    fn else_control(&mut self) -> Result<End> {
        let peek = self.peek_non_space();
        // `{{else if ...}}` and `{{else with ...}}` leave the keyword pending.
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(End::Else {
                is_if_or_with: true,
            });
        }
        self.expect(ItemType::RightDelim, "else")?;
        Ok(End::Else {
            is_if_or_with: false,
        })
    }

    fn parse_control(&mut self, context: &str) -> Result<Branch> {
        self.nested(|p| {
            let vars = p.vars.len();
            let result = p.parse_control_inner(context);
            p.vars.truncate(vars);
            result
        })
    }

    fn parse_control_inner(&mut self, context: &str) -> Result<Branch> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let else_list = match next {
            End::End => None,
            End::Else { is_if_or_with } => {
                let keyword = if is_if_or_with {
                    Some(self.peek().typ)
                } else {
                    None
                };
                if context == "if" && keyword == Some(ItemType::If) {
                    self.next();
                    let inner = self.parse_control("if")?;
                    Some(List {
                        nodes: vec![Node::If(Box::new(inner))],
                    })
                } else if context == "with" && keyword == Some(ItemType::With) {
                    self.next();
                    let inner = self.parse_control("with")?;
                    Some(List {
                        nodes: vec![Node::With(Box::new(inner))],
                    })
                } else {
                    // Also `{{else if}}` in a range: the pending keyword then fails in
                    // item_list as Go's does (`unexpected <if> in input`).
                    let (else_list, next) = self.item_list()?;
                    if !matches!(next, End::End) {
                        return Err(
                            self.error(format!("expected end; found {}", end_string(&next)))
                        );
                    }
                    Some(else_list)
                }
            }
        };
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> Result<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        let (list, end) = self.nested(|p| {
            let saved_vars = std::mem::replace(&mut p.vars, vec!["$".into()]);
            let saved_range = std::mem::replace(&mut p.range_depth, 0);
            let result = p.item_list();
            p.vars = saved_vars;
            p.range_depth = saved_range;
            result
        })?;
        if !matches!(end, End::End) {
            return Err(self.error(format!("unexpected {} in {CONTEXT}", end_string(&end))));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template(Box::new(TemplateCall {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        })))
    }

    fn template_control(&mut self) -> Result<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, ItemType::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template(Box::new(TemplateCall {
            pos: token.pos,
            name,
            pipe,
        })))
    }

    fn template_name(&self, token: &Item<'_>, context: &str) -> Result<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => {
                unquote(&token.val).map_err(|m| self.error(m))
            }
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> Result<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations or assignments.
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            // Three-token look-ahead: in "$x foo" the word after the space decides.
            let token_after_variable = self.peek();
            let next = self.peek_non_space();
            match next.typ {
                ItemType::Assign | ItemType::Declare => {
                    pipe.is_assign = next.typ == ItemType::Assign;
                    self.next_non_space();
                    let name: Arc<str> = Arc::from(&*v.val);
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                }
                ItemType::Char if next.val == "," => {
                    self.next_non_space();
                    let name: Arc<str> = Arc::from(&*v.val);
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                                continue 'decls;
                            }
                            _ => return Err(self.error("range can only initialize variables")),
                        }
                    }
                    return Err(self.error(format!("too many declarations in {context}")));
                }
                _ if token_after_variable.typ == ItemType::Space => {
                    self.backup3(v, token_after_variable);
                }
                _ => self.backup2(v),
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.typ {
                t if t == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                    if pipe.cmds.len() > MAX_PIPELINE_CMDS {
                        return Err(self.error("pipeline too long"));
                    }
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> Result<()> {
        if pipe.cmds.is_empty() {
            return Err(self.error(format!("missing value for {context}")));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                cmd.args.first(),
                Some(
                    Operand::Bool { .. }
                        | Operand::Dot { .. }
                        | Operand::Nil { .. }
                        | Operand::Number(_)
                        | Operand::String { .. }
                )
            ) {
                return Err(self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.error("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> Result<Option<Operand>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields: Vec<Arc<str>> = Vec::new();
        while self.peek().typ == ItemType::Field {
            let field = self.next();
            fields.push(Arc::from(&field.val[1..]));
        }
        Ok(Some(match node {
            Operand::Field { idents, .. } => {
                let mut all = idents.into_vec();
                all.extend(fields);
                Operand::Field {
                    pos: chain_pos,
                    idents: all.into(),
                }
            }
            Operand::Variable { idents, .. } => {
                let mut all = idents.into_vec();
                all.extend(fields);
                Operand::Variable {
                    pos: chain_pos,
                    idents: all.into(),
                }
            }
            Operand::Bool { .. }
            | Operand::String { .. }
            | Operand::Number(_)
            | Operand::Nil { .. }
            | Operand::Dot { .. } => {
                return Err(self.error(format!(
                    "unexpected . after term {}",
                    crate::fmt::quote(&node.to_string())
                )));
            }
            node => Operand::Chain {
                pos: chain_pos,
                node: Box::new(node),
                fields: fields.into(),
            },
        }))
    }

    fn term(&mut self) -> Result<Option<Operand>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.typ {
            ItemType::Identifier => {
                let Some(func) = self.funcs.lookup(&token.val) else {
                    return Err(self.error(format!(
                        "function {} not defined",
                        crate::fmt::quote(&token.val)
                    )));
                };
                Operand::Ident {
                    pos,
                    name: Arc::from(&*token.val),
                    func,
                }
            }
            ItemType::Dot => Operand::Dot { pos },
            ItemType::Nil => Operand::Nil { pos },
            ItemType::Variable => {
                if !self.vars.iter().any(|v| **v == *token.val) {
                    return Err(self.error(format!(
                        "undefined variable {}",
                        crate::fmt::quote(&token.val)
                    )));
                }
                Operand::Variable {
                    pos,
                    idents: vec![Arc::from(&*token.val)].into(),
                }
            }
            ItemType::Field => Operand::Field {
                pos,
                idents: vec![Arc::from(&token.val[1..])].into(),
            },
            ItemType::Bool => Operand::Bool {
                pos,
                value: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                let number = new_number(pos, &token.val, token.typ).map_err(|m| self.error(m))?;
                Operand::Number(Box::new(number))
            }
            ItemType::LeftParen => {
                let pipe =
                    self.nested(|p| p.pipeline("parenthesized pipeline", ItemType::RightParen))?;
                Operand::Pipe(Box::new(pipe))
            }
            ItemType::String | ItemType::RawString => {
                let value = unquote(&token.val).map_err(|m| self.error(m))?;
                Operand::String {
                    pos,
                    quoted: token.val.as_ref().into(),
                    value: Value::string(value),
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn end_string(end: &End) -> &'static str {
    match end {
        End::End => "{{end}}",
        End::Else { .. } => "{{else}}",
    }
}

/// Go's `strconv.Unquote` for the string literals the lexer accepts.
pub(crate) fn unquote(quoted: &str) -> Result<String, String> {
    const SYNTAX: &str = "invalid syntax";
    if let Some(raw) = quoted.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        if raw.contains('`') {
            return Err(SYNTAX.into());
        }
        return Ok(raw.replace('\r', ""));
    }
    let Some(body) = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return Err(SYNTAX.into());
    };
    // `\x` and octal escapes are bytes: consecutive ones may spell a UTF-8 character. Bytes
    // that do not form valid UTF-8 become U+FFFD (Go strings may hold them; ours cannot).
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        let (c, tail) = unquote_char(rest, b'"').map_err(|()| SYNTAX.to_owned())?;
        match c {
            Unquoted::Char(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            Unquoted::Byte(b) => out.push(b),
        }
        rest = tail;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

enum Unquoted {
    Char(char),
    Byte(u8),
}

/// Go's `strconv.UnquoteChar`: one (possibly escaped) character of a quoted literal.
fn unquote_char(s: &str, quote: u8) -> Result<(Unquoted, &str), ()> {
    let mut chars = s.chars();
    let c = chars.next().ok_or(())?;
    if c as u32 == quote as u32 && (quote == b'\'' || quote == b'"') {
        return Err(());
    }
    if c != '\\' {
        if c == '\n' && quote == b'"' {
            return Err(());
        }
        return Ok((Unquoted::Char(c), chars.as_str()));
    }
    let e = chars.next().ok_or(())?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e as u32 != quote as u32 {
                return Err(());
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((Unquoted::Char(c), rest));
    }
    let hex = |digits: &str| u32::from_str_radix(digits, 16).ok();
    match e {
        'x' => {
            let digits = rest.get(..2).ok_or(())?;
            if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(());
            }
            let v = hex(digits).ok_or(())?;
            Ok((Unquoted::Byte(v as u8), &rest[2..]))
        }
        'u' | 'U' => {
            let n = if e == 'u' { 4 } else { 8 };
            let digits = rest.get(..n).ok_or(())?;
            if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(());
            }
            let v = hex(digits).ok_or(())?;
            let c = char::from_u32(v).ok_or(())?;
            Ok((Unquoted::Char(c), &rest[n..]))
        }
        '0'..='7' => {
            let digits = s.get(1..4).ok_or(())?;
            if !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return Err(());
            }
            let v = u32::from_str_radix(digits, 8).map_err(|_| ())?;
            if v > 255 {
                return Err(());
            }
            Ok((Unquoted::Byte(v as u8), &s[4..]))
        }
        _ => Err(()),
    }
}

/// Go's `newNumber`: every type a number literal can take.
fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.into(),
        is_int: false,
        is_uint: false,
        is_float: false,
        int: 0,
        uint: 0,
        float: 0.0,
    };
    if typ == ItemType::CharConstant {
        let inner = &text[1..];
        let (c, tail) = unquote_char(inner, b'\'').map_err(|()| "invalid syntax".to_owned())?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        let v = match c {
            Unquoted::Char(c) => c as u32,
            Unquoted::Byte(b) => u32::from(b),
        };
        n.int = i64::from(v);
        n.uint = u64::from(v);
        n.float = f64::from(v);
        n.is_int = true;
        n.is_uint = true;
        n.is_float = true;
        return Ok(n);
    }
    if typ == ItemType::Complex || text.ends_with('i') {
        return Err(format!(
            "complex number {} is not supported",
            crate::fmt::quote(text)
        ));
    }
    let u = parse_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", crate::fmt::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if !n.is_int && (f as i64) as f64 == f && f.fract() == 0.0 && f.abs() < 9.2e18 {
            n.is_int = true;
            n.int = f as i64;
        }
        if !n.is_uint && f >= 0.0 && (f as u64) as f64 == f && f.fract() == 0.0 && f < 1.8e19 {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            crate::fmt::quote(text)
        ));
    }
    Ok(n)
}

/// Go's `underscoreOK`: `_` only between digits, or between a base prefix and a digit.
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// The digits and base of an integer literal as `strconv.ParseUint(s, 0, 64)` reads them.
fn int_digits(s: &str) -> Option<(String, u32)> {
    if s.is_empty() {
        return None;
    }
    let (base, digits) = if let Some(rest) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, rest)
    } else if let Some(rest) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, rest)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    Some((digits, base))
}

fn parse_uint(s: &str) -> Option<u64> {
    let (digits, base) = int_digits(s)?;
    u64::from_str_radix(&digits, base).ok()
}

fn parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (digits, base) = int_digits(body)?;
    let magnitude = u64::from_str_radix(&digits, base).ok()?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for the literals the lexer accepts: decimal with optional
/// exponent, hexadecimal with a `p` exponent, `_` separators; out of range is an error.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (negative, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let value = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        parse_hex_float(hex)?
    } else {
        if !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exponent) = s.split_once(['p', 'P'])?;
    let exponent: i32 = exponent.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exponent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        match parse("t", text, &FuncMap::builtins()) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    fn root_string(text: &str) -> String {
        let trees = parse("t", text, &FuncMap::builtins()).expect("parses");
        let tree = &trees["t"];
        let mut out = String::new();
        for node in &tree.root.nodes {
            match node {
                Node::Action(pipe) => out.push_str(&format!("{{{{{pipe}}}}}")),
                Node::Template(call) => out.push_str(&call.to_string()),
                Node::Text { start, end } => out.push_str(&tree.text[*start..*end]),
                _ => out.push_str("<node>"),
            }
        }
        out
    }

    #[test]
    fn parse_errors_read_as_go_prints_them() {
        // Messages from Go 1.25's text/template (helm v4.1.4).
        let cases = [
            ("{{ .a }", "template: t:1: unexpected \"}\" in operand"),
            ("{{ .a\n", "template: t:2: unclosed action started at t:1"),
            ("{{ if 1 }}", "template: t:1: unexpected EOF"),
            ("{{ end }}", "template: t:1: unexpected {{end}}"),
            ("{{ else }}", "template: t:1: unexpected {{else}}"),
            ("{{ 1x }}", "template: t:1: bad number syntax: \"1x\""),
            ("{{ \"abc }}", "template: t:1: unterminated quoted string"),
            ("{{ ( 1 }}", "template: t:1: unclosed left paren"),
            ("{{ $x }}", "template: t:1: undefined variable \"$x\""),
            (
                "{{ /* c */ }}",
                "template: t:1: unexpected \"/\" in command",
            ),
            (
                "{{ nofunc 1 }}",
                "template: t:1: function \"nofunc\" not defined",
            ),
            ("{{ break }}", "template: t:1: {{break}} outside {{range}}"),
            (
                "{{ continue }}",
                "template: t:1: {{continue}} outside {{range}}",
            ),
            ("{{ }}", "template: t:1: missing value for command"),
            ("{{ if }}{{ end }}", "template: t:1: missing value for if"),
            (
                "{{ 1 | 2 }}",
                "template: t:1: non executable command in pipeline stage 2",
            ),
            (
                "{{ \"a\".b }}",
                "template: t:1: unexpected . after term \"\\\"a\\\"\"",
            ),
            (
                "{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
                "template: t:1: template: multiple definition of template \"a\"",
            ),
            (
                "{{ range $a, $b, $c := . }}{{ end }}",
                "template: t:1: too many declarations in range",
            ),
            (
                "{{ $a, $b := 1 }}",
                "template: t:1: too many declarations in command",
            ),
            (
                "{{ template . }}",
                "template: t:1: unexpected <.> in template clause",
            ),
            (
                "{{ define \"x\" }}{{ else }}{{ end }}",
                "template: t:1: unexpected {{else}} in define clause",
            ),
            (
                "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
                "template: t:1: expected end; found {{else}}",
            ),
            (
                "{{ 99999999999999999999 }}",
                "template: t:1: integer overflow: \"99999999999999999999\"",
            ),
            (
                "a\n{{ .x\n\n.y",
                "template: t:4: unclosed action started at t:2",
            ),
            (
                "{{ 'ab' }}",
                "template: t:1: malformed character constant: 'ab'",
            ),
            ("{{ \"\\q\" }}", "template: t:1: invalid syntax"),
            ("{{ .a.1 }}", "template: t:1: unexpected \".1\" in operand"),
            (
                "{{ range .x }}{{ else if 1 }}{{ end }}",
                "template: t:1: unexpected <if> in input",
            ),
            ("{{ a-b }}", "template: t:1: bad character U+002D '-'"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_err(text), expected, "{text:?}");
        }
    }

    #[test]
    fn nodes_print_as_go_prints_them() {
        let cases = [
            ("{{ .a.b | f }}", "{{.a.b | f}}"),
            ("{{$x := 1}}", "{{$x := 1}}"),
            ("{{ (print 1).a }}", "{{(print 1).a}}"),
            (
                "{{ print (len .x) \"s\" `r` 'c' 0x1F nil true }}",
                "{{print (len .x) \"s\" `r` 'c' 0x1F nil true}}",
            ),
            ("{{ template \"a\" . }}", "{{template \"a\" .}}"),
            ("{{ template \"a\" }}", "{{template \"a\"}}"),
        ];
        for (text, expected) in cases {
            let text = text.replace('f', "print");
            let expected = expected.replace('f', "print");
            assert_eq!(root_string(&text), expected);
        }
    }

    #[test]
    fn numbers_take_every_type_they_can() {
        type Case = (&'static str, Option<i64>, Option<u64>, Option<f64>);
        let cases: &[Case] = &[
            ("1", Some(1), Some(1), Some(1.0)),
            ("-1", Some(-1), None, Some(-1.0)),
            ("0x1F", Some(31), Some(31), Some(31.0)),
            ("0o17", Some(15), Some(15), Some(15.0)),
            ("017", Some(15), Some(15), Some(15.0)),
            ("0b101", Some(5), Some(5), Some(5.0)),
            ("1_000", Some(1000), Some(1000), Some(1000.0)),
            ("1.5", None, None, Some(1.5)),
            ("1e3", Some(1000), Some(1000), Some(1000.0)),
            ("0x1p4", Some(16), Some(16), Some(16.0)),
            ("'a'", Some(97), Some(97), Some(97.0)),
            ("'\\n'", Some(10), Some(10), Some(10.0)),
            (
                "18446744073709551615",
                None,
                Some(u64::MAX),
                Some(1.8446744073709552e19),
            ),
        ];
        for &(text, int, uint, float) in cases {
            let typ = if text.starts_with('\'') {
                ItemType::CharConstant
            } else {
                ItemType::Number
            };
            let n = new_number(0, text, typ).expect(text);
            assert_eq!(n.is_int.then_some(n.int), int, "{text} int");
            assert_eq!(n.is_uint.then_some(n.uint), uint, "{text} uint");
            assert_eq!(n.is_float.then_some(n.float), float, "{text} float");
        }
        for bad in ["1__0", "_1", "08", "1e400"] {
            assert!(new_number(0, bad, ItemType::Number).is_err(), "{bad}");
        }
    }

    #[test]
    fn trees_of_one_text() {
        let trees = parse(
            "f",
            "a{{define \"x\"}}X{{end}}{{block \"y\" .}}Y{{end}}{{define \"e\"}} {{end}}",
            &FuncMap::builtins(),
        )
        .expect("parses");
        let mut names: Vec<&str> = trees.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["e", "f", "x", "y"]);
        assert!(trees["e"].is_empty());
        assert!(!trees["x"].is_empty());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse_err(&deep).contains("max expression depth exceeded"));
        let deep_ifs = "{{if 1}}".repeat(5000) + &"{{end}}".repeat(5000);
        assert!(parse_err(&deep_ifs).contains("max expression depth exceeded"));
    }
}

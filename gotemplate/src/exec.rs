//! The executor: walks parsed trees over a data [`Value`] and writes the output, with Go's
//! `text/template` evaluation rules (fields, methods, pipelines, variables, `if`/`with`/
//! `range`/`template`, argument conversion) and Go's error texts and positions, plus Helm's
//! engine functions (`include`, `tpl`, `required`) and the bounds that keep hostile templates
//! from exhausting the stack, memory or time.
//!
//! Go's reflection distinguishes an invalid value (no value: a missing `$x`, a nil pipeline
//! result) from a nil `interface{}` (a map entry or list element holding nil); both print
//! `<no value>`, but only the second fails on `.field` (`nil pointer evaluating interface
//! {}.field`) and they convert differently to function arguments. [`V`] keeps that
//! difference with its `iface` flag: `Value::Nil` without it is Go's invalid value.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::builtins;
use crate::error::{CallCause, Error, ExecError};
use crate::func::{Args, Env, FuncDef, FuncError, Param};
use crate::funcmap::{ArgType, Builtin, EngineFn, Entry, FuncMap, SigView};
use crate::parse::{Branch, Command, List, Node, Operand, Pipe, TemplateCall, Tree};
use crate::template::{Limits, Options, TemplateSet, associate};
use crate::value::Value;

static NIL: Value = Value::Nil;

/// A value as the executor sees it: borrowed from the data or the tree where possible,
/// and whether its static Go type is `interface{}` (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct V<'d> {
    pub value: Cow<'d, Value>,
    pub iface: bool,
}

impl<'d> V<'d> {
    pub fn own(value: Value) -> Self {
        V {
            value: Cow::Owned(value),
            iface: false,
        }
    }

    pub fn invalid() -> Self {
        V {
            value: Cow::Borrowed(&NIL),
            iface: false,
        }
    }

    pub fn borrowed(value: &'d Value, iface: bool) -> Self {
        V {
            value: Cow::Borrowed(value),
            iface,
        }
    }

    /// Go's invalid `reflect.Value`.
    pub fn is_invalid(&self) -> bool {
        !self.iface && self.value.is_nil()
    }

    pub fn dot(&self) -> Dot<'_> {
        Dot {
            value: &self.value,
            iface: self.iface,
        }
    }

    /// The type Go would name in errors: `interface {}` for a value in an interface slot.
    pub fn static_type(&self) -> String {
        if self.iface {
            "interface {}".to_owned()
        } else {
            self.value.type_name()
        }
    }

    pub fn into_value(self) -> Value {
        self.value.into_owned()
    }
}

/// The cursor `.`: borrowed, with the same `iface` flag as [`V`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dot<'d> {
    pub value: &'d Value,
    pub iface: bool,
}

impl<'d> Dot<'d> {
    fn v(self) -> V<'d> {
        V::borrowed(self.value, self.iface)
    }
}

/// How a walk stops early: `{{break}}`, `{{continue}}`, or an error.
pub(crate) enum Stop {
    Break,
    Continue,
    Error(Box<Error>),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Error(Box::new(error))
    }
}

type R<T> = Result<T, Stop>;

/// The node Go's `state.at` last recorded: runtime errors name it and its position.
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Action(&'t Pipe),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Operand(&'t Operand),
    Template(&'t TemplateCall),
    Branch(&'t Branch, &'static str),
    Text(usize, usize),
    Keyword(usize, &'static str),
}

/// One template being executed: its tree and the node being evaluated.
struct Ctx<'t> {
    tree: &'t Tree,
    node: Cell<At<'t>>,
}

impl<'t> Ctx<'t> {
    fn new(tree: &'t Tree) -> Self {
        Ctx {
            tree,
            node: Cell::new(At::None),
        }
    }

    fn at(&self, at: At<'t>) {
        self.node.set(at);
    }

    fn location_and_context(&self) -> Option<(String, String)> {
        let (pos, context) = match self.node.get() {
            At::None => return None,
            At::Action(pipe) => (pipe.pos, format!("{{{{{pipe}}}}}")),
            At::Pipe(pipe) => (pipe.pos, pipe.to_string()),
            At::Cmd(cmd) => (cmd.pos, cmd.to_string()),
            At::Operand(op) => (op.pos(), op.to_string()),
            At::Template(call) => (call.pos, call.to_string()),
            At::Branch(branch, keyword) => {
                (branch.pipe.pos, branch_string(self.tree, branch, keyword))
            }
            At::Text(start, end) => (start, self.tree.text[start..end].to_owned()),
            At::Keyword(pos, keyword) => (pos, format!("{{{{{keyword}}}}}")),
        };
        Some((self.tree.location(pos), context))
    }
}

fn list_string(tree: &Tree, list: &List) -> String {
    let mut out = String::new();
    for node in &list.nodes {
        match node {
            Node::Text { start, end } => out.push_str(&tree.text[*start..*end]),
            Node::Action(pipe) => out.push_str(&format!("{{{{{pipe}}}}}")),
            Node::If(b) => out.push_str(&branch_string(tree, b, "if")),
            Node::With(b) => out.push_str(&branch_string(tree, b, "with")),
            Node::Range(b) => out.push_str(&branch_string(tree, b, "range")),
            Node::Template(call) => out.push_str(&call.to_string()),
            Node::Break { .. } => out.push_str("{{break}}"),
            Node::Continue { .. } => out.push_str("{{continue}}"),
        }
    }
    out
}

fn branch_string(tree: &Tree, branch: &Branch, keyword: &str) -> String {
    let mut out = format!(
        "{{{{{keyword} {}}}}}{}",
        branch.pipe,
        list_string(tree, &branch.list)
    );
    if let Some(else_list) = &branch.else_list {
        out.push_str("{{else}}");
        out.push_str(&list_string(tree, else_list));
    }
    out.push_str("{{end}}");
    out
}

struct Var {
    /// `None` is `$`, which every frame has (no allocation per template call).
    name: Option<Arc<str>>,
    value: Value,
    iface: bool,
}

impl Var {
    fn is(&self, name: &str) -> bool {
        match &self.name {
            Some(n) => **n == *name,
            None => name == "$",
        }
    }
}

/// The state of one top-level execution (Go's `state`, shared by the templates it calls).
pub(crate) struct Exec<'s> {
    set: &'s TemplateSet,
    env: &'s dyn Env,
    /// Trees parsed by enclosing `tpl` calls, innermost last: they shadow the set.
    overlays: Vec<HashMap<String, Arc<Tree>>>,
    out: String,
    vars: Vec<Var>,
    frame_base: usize,
    depth: usize,
    steps: u64,
    includes: HashMap<String, usize>,
}

impl<'s> Exec<'s> {
    pub fn new(set: &'s TemplateSet, env: &'s dyn Env) -> Self {
        Exec {
            set,
            env,
            overlays: Vec::new(),
            out: String::new(),
            vars: Vec::new(),
            frame_base: 0,
            depth: 0,
            steps: 0,
            includes: HashMap::new(),
        }
    }

    fn funcs(&self) -> &'s FuncMap {
        self.set.funcs()
    }

    fn options(&self) -> &'s Options {
        self.set.options()
    }

    fn limits(&self) -> &'s Limits {
        &self.set.options().limits
    }

    /// The template `name`: from the innermost `tpl` that defines it, else from the set,
    /// borrowed (no reference count touched, so threads sharing the set do not contend).
    fn lookup(&self, name: &str) -> Option<TreeRef<'s>> {
        for overlay in self.overlays.iter().rev() {
            if let Some(tree) = overlay.get(name) {
                return Some(TreeRef::Tpl(tree.clone()));
            }
        }
        let set: &'s TemplateSet = self.set;
        set.tree(name).map(TreeRef::Set)
    }

    /// Executes the template `name` with `data` as `.` and `$` (Go's `ExecuteTemplate`).
    pub fn execute_named(&mut self, name: &str, data: Dot<'_>) -> Result<String, Error> {
        let Some(tree) = self.lookup(name) else {
            return Err(Error::NoTemplate {
                name: name.to_owned(),
                root: self.set.root_name().to_owned(),
            });
        };
        self.execute_tree(&tree, data)
    }

    /// Runs a whole tree into a fresh output buffer, in a frame of its own (no variables but
    /// `$`), growing the stack first when it runs low.
    fn execute_tree(&mut self, tree: &Tree, data: Dot<'_>) -> Result<String, Error> {
        let saved_out = std::mem::take(&mut self.out);
        let result = self.run_frame(tree, data);
        let out = std::mem::replace(&mut self.out, saved_out);
        match result {
            Ok(()) => Ok(out),
            Err(Stop::Error(e)) => Err(*e),
            // The parser rejects break/continue outside range within one tree.
            Err(Stop::Break | Stop::Continue) => Ok(out),
        }
    }

    fn run_frame(&mut self, tree: &Tree, data: Dot<'_>) -> R<()> {
        let base = self.vars.len();
        let saved_base = std::mem::replace(&mut self.frame_base, base);
        self.vars.push(Var {
            name: None,
            value: data.value.clone(),
            iface: data.iface,
        });
        self.depth += 1;
        let cx = Ctx::new(tree);
        let result = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            self.walk_list(&cx, data, &tree.root)
        });
        self.depth -= 1;
        self.vars.truncate(base);
        self.frame_base = saved_base;
        result
    }

    fn error(&self, cx: &Ctx<'_>, message: impl Into<String>) -> Stop {
        self.error_kind(cx, CallCause::None, message.into())
    }

    fn error_kind(&self, cx: &Ctx<'_>, cause: CallCause, message: String) -> Stop {
        let (location, context) = cx
            .location_and_context()
            .unwrap_or_else(|| (String::new(), String::new()));
        Stop::Error(Box::new(Error::Exec(Box::new(ExecError {
            template: cx.tree.name.clone(),
            location,
            context,
            message,
            cause,
        }))))
    }

    fn step(&mut self, cx: &Ctx<'_>) -> R<()> {
        self.steps += 1;
        if self.steps > self.limits().max_steps {
            return Err(self.error(
                cx,
                format!(
                    "template execution exceeded {} steps (range iterations and template calls)",
                    self.limits().max_steps
                ),
            ));
        }
        Ok(())
    }

    fn write(&mut self, cx: &Ctx<'_>, text: &str) -> R<()> {
        self.out.push_str(text);
        self.check_output(cx)
    }

    fn check_output(&self, cx: &Ctx<'_>) -> R<()> {
        if self.out.len() > self.limits().max_output {
            return Err(self.error(
                cx,
                format!("template output exceeds {} bytes", self.limits().max_output),
            ));
        }
        Ok(())
    }

    // Variables.

    fn push_var(&mut self, name: &Arc<str>, v: &V<'_>) {
        self.vars.push(Var {
            name: Some(name.clone()),
            value: (*v.value).clone(),
            iface: v.iface,
        });
    }

    fn set_var(&mut self, cx: &Ctx<'_>, name: &str, v: &V<'_>) -> R<()> {
        for var in self.vars[self.frame_base..].iter_mut().rev() {
            if var.is(name) {
                var.value = (*v.value).clone();
                var.iface = v.iface;
                return Ok(());
            }
        }
        Err(self.error(cx, format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, v: &V<'_>) {
        let len = self.vars.len();
        let var = &mut self.vars[len - n];
        var.value = (*v.value).clone();
        var.iface = v.iface;
    }

    fn var_value(&self, cx: &Ctx<'_>, name: &str) -> R<V<'static>> {
        for var in self.vars[self.frame_base..].iter().rev() {
            if var.is(name) {
                return Ok(V {
                    value: Cow::Owned(var.value.clone()),
                    iface: var.iface,
                });
            }
        }
        Err(self.error(cx, format!("undefined variable: {name}")))
    }

    // Walking.

    /// Every nested `if`, `with` and `range` body is a list: checking the stack here (and in
    /// [`Exec::eval_pipeline`], for parentheses) runs each nesting level on enough stack.
    fn walk_list<'t: 'd, 'd>(&mut self, cx: &Ctx<'t>, dot: Dot<'d>, list: &'t List) -> R<()> {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            for node in &list.nodes {
                self.walk(cx, dot, node)?;
            }
            Ok(())
        })
    }

    fn walk<'t: 'd, 'd>(&mut self, cx: &Ctx<'t>, dot: Dot<'d>, node: &'t Node) -> R<()> {
        match node {
            Node::Text { start, end } => {
                cx.at(At::Text(*start, *end));
                self.write(cx, &cx.tree.text[*start..*end])
            }
            Node::Action(pipe) => {
                cx.at(At::Action(pipe));
                let value = self.eval_pipeline(cx, dot, pipe)?;
                if pipe.decl.is_empty() {
                    cx.at(At::Action(pipe));
                    self.print_value(cx, &value)?;
                }
                Ok(())
            }
            Node::If(branch) => {
                cx.at(At::Branch(branch, "if"));
                self.walk_if_or_with(cx, dot, branch, false)
            }
            Node::With(branch) => {
                cx.at(At::Branch(branch, "with"));
                self.walk_if_or_with(cx, dot, branch, true)
            }
            Node::Range(branch) => self.walk_range(cx, dot, branch),
            Node::Template(call) => self.walk_template(cx, dot, call),
            Node::Break { pos } => {
                cx.at(At::Keyword(*pos, "break"));
                Err(Stop::Break)
            }
            Node::Continue { pos } => {
                cx.at(At::Keyword(*pos, "continue"));
                Err(Stop::Continue)
            }
        }
    }

    fn print_value(&mut self, cx: &Ctx<'_>, v: &V<'_>) -> R<()> {
        if v.is_invalid() {
            return self.write(cx, "<no value>");
        }
        match &*v.value {
            Value::String(s) => self.out.push_str(s),
            Value::Int(n) | Value::Int64(n) => {
                use std::fmt::Write as _;
                let _ = write!(self.out, "{n}");
            }
            other => {
                use std::fmt::Write as _;
                let _ = write!(self.out, "{other}");
            }
        }
        self.check_output(cx)
    }

    fn walk_if_or_with<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        branch: &'t Branch,
        with: bool,
    ) -> R<()> {
        let mark = self.vars.len();
        let result = (|| {
            let value = self.eval_pipeline(cx, dot, &branch.pipe)?;
            if truth(&value) {
                if with {
                    self.walk_list(cx, value.dot(), &branch.list)
                } else {
                    self.walk_list(cx, dot, &branch.list)
                }
            } else if let Some(else_list) = &branch.else_list {
                self.walk_list(cx, dot, else_list)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range<'t: 'd, 'd>(&mut self, cx: &Ctx<'t>, dot: Dot<'d>, branch: &'t Branch) -> R<()> {
        cx.at(At::Branch(branch, "range"));
        let mark = self.vars.len();
        let result = self.walk_range_inner(cx, dot, branch);
        self.vars.truncate(mark);
        match result {
            Err(Stop::Break) => Ok(()),
            other => other,
        }
    }

    fn walk_range_inner<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        branch: &'t Branch,
    ) -> R<()> {
        let value = self.eval_pipeline(cx, dot, &branch.pipe)?;
        let mark = self.vars.len();
        let data;
        let target: &Value = match &*value.value {
            Value::Object(object) if matches!(object.kind(), "map" | "slice" | "array") => {
                data = object.data();
                &data
            }
            other => other,
        };
        let ran = match target {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.one_iteration(
                        cx,
                        branch,
                        mark,
                        &V::own(Value::Int(i as i64)),
                        Dot {
                            value: item,
                            iface: true,
                        },
                    )?;
                }
                !items.is_empty()
            }
            Value::Bytes(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    let elem = Value::Int(i64::from(*b));
                    self.one_iteration(
                        cx,
                        branch,
                        mark,
                        &V::own(Value::Int(i as i64)),
                        Dot {
                            value: &elem,
                            iface: false,
                        },
                    )?;
                }
                !bytes.is_empty()
            }
            Value::Map(map) => {
                for (key, item) in map.iter() {
                    self.one_iteration(
                        cx,
                        branch,
                        mark,
                        &V::own(Value::string(key.as_str())),
                        Dot {
                            value: item,
                            iface: true,
                        },
                    )?;
                }
                !map.is_empty()
            }
            // Go sorts the entries first (`fmtsort`), so the body sees them as they were
            // even if it changes the map (`set`, `unset`); no lock is held while it runs.
            Value::Dict(dict) => {
                let entries = dict.snapshot();
                for (key, item) in &entries {
                    self.one_iteration(
                        cx,
                        branch,
                        mark,
                        &V::own(Value::string(key.as_str())),
                        Dot {
                            value: item,
                            iface: true,
                        },
                    )?;
                }
                !entries.is_empty()
            }
            Value::Int(n) | Value::Int64(n) => {
                if branch.pipe.decl.len() > 1 {
                    return Err(self.error(
                        cx,
                        format!("can't use {} to iterate over more than one variable", n),
                    ));
                }
                let max = self.limits().max_steps;
                if *n > 0 && (*n as u64) > max {
                    return Err(self.error(
                        cx,
                        format!("range over {n} exceeds the limit of {max} iterations"),
                    ));
                }
                let int64 = matches!(target, Value::Int64(_));
                for i in 0..(*n).max(0) {
                    let elem = if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    };
                    self.one_iteration(
                        cx,
                        branch,
                        mark,
                        &V::invalid(),
                        Dot {
                            value: &elem,
                            iface: false,
                        },
                    )?;
                }
                *n > 0
            }
            Value::Nil => false,
            other => {
                return Err(self.error(cx, format!("range can't iterate over {other}")));
            }
        };
        if !ran && let Some(else_list) = &branch.else_list {
            return self.walk_list(cx, dot, else_list);
        }
        Ok(())
    }

    fn one_iteration<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        branch: &'t Branch,
        mark: usize,
        index: &V<'_>,
        elem: Dot<'d>,
    ) -> R<()> {
        self.step(cx)?;
        let decl = &branch.pipe.decl;
        let elem_v = elem.v();
        if !decl.is_empty() {
            if branch.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(cx, &decl[0], index)?;
                } else {
                    self.set_var(cx, &decl[0], &elem_v)?;
                }
            } else {
                self.set_top_var(1, &elem_v);
            }
        }
        if decl.len() > 1 {
            if branch.pipe.is_assign {
                self.set_var(cx, &decl[1], &elem_v)?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let result = self.walk_list(cx, elem, &branch.list);
        self.vars.truncate(mark);
        match result {
            Err(Stop::Continue) => Ok(()),
            other => other,
        }
    }

    fn walk_template<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        call: &'t TemplateCall,
    ) -> R<()> {
        cx.at(At::Template(call));
        let Some(tree) = self.lookup(&call.name) else {
            return Err(self.error(
                cx,
                format!("template {} not defined", crate::fmt::quote(&call.name)),
            ));
        };
        let max = self.limits().max_depth;
        if self.depth >= max {
            return Err(self.error(cx, format!("exceeded maximum template depth ({max})")));
        }
        self.step(cx)?;
        // Variables declared by the pipeline persist in the caller.
        let value = match &call.pipe {
            Some(pipe) => self.eval_pipeline(cx, dot, pipe)?,
            None => V::invalid(),
        };
        self.run_frame(&tree, value.dot())
    }

    // Evaluation.

    /// Parenthesised pipelines nest through here: the stack is checked at each level.
    fn eval_pipeline<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        pipe: &'t Pipe,
    ) -> R<V<'d>> {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            self.eval_pipeline_inner(cx, dot, pipe)
        })
    }

    fn eval_pipeline_inner<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        pipe: &'t Pipe,
    ) -> R<V<'d>> {
        cx.at(At::Pipe(pipe));
        let mut value: Option<V<'d>> = None;
        for cmd in &pipe.cmds {
            let mut v = self.eval_command(cx, dot, cmd, value.take())?;
            // An interface value is replaced by what it holds (nil becomes invalid).
            v.iface = false;
            value = Some(v);
        }
        let value = value.unwrap_or_else(V::invalid);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(cx, var, &value)?;
            } else {
                self.push_var(var, &value);
            }
        }
        Ok(value)
    }

    fn not_a_function(
        &self,
        cx: &Ctx<'_>,
        args: Option<&[Operand]>,
        final_: &Option<V<'_>>,
    ) -> R<()> {
        let args = args.unwrap_or_default();
        if args.len() > 1 || final_.is_some() {
            let first = args.first().map(ToString::to_string).unwrap_or_default();
            return Err(self.error(cx, format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn eval_command<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        cmd: &'t Command,
        final_: Option<V<'d>>,
    ) -> R<V<'d>> {
        let first = &cmd.args[0];
        match first {
            Operand::Field { idents, .. } => {
                cx.at(At::Operand(first));
                return self.eval_field_chain(
                    cx,
                    dot,
                    dot.v(),
                    first,
                    idents,
                    Some(&cmd.args),
                    final_,
                );
            }
            Operand::Chain { .. } => {
                return self.eval_chain_node(cx, dot, first, Some(&cmd.args), final_);
            }
            Operand::Ident { .. } => {
                return self.eval_function(cx, dot, first, At::Cmd(cmd), Some(&cmd.args), final_);
            }
            Operand::Pipe(pipe) => {
                self.not_a_function(cx, Some(&cmd.args), &final_)?;
                return self.eval_pipeline(cx, dot, pipe);
            }
            Operand::Variable { .. } => {
                return self.eval_variable_node(cx, dot, first, Some(&cmd.args), final_);
            }
            _ => {}
        }
        cx.at(At::Operand(first));
        self.not_a_function(cx, Some(&cmd.args), &final_)?;
        match first {
            Operand::Bool { value, .. } => Ok(V::own(Value::Bool(*value))),
            Operand::Dot { .. } => Ok(dot.v()),
            Operand::Nil { .. } => Err(self.error(cx, "nil is not a command")),
            Operand::Number(_) => self.ideal_constant(cx, first),
            Operand::String { value, .. } => Ok(V::borrowed(value, false)),
            _ => Err(self.error(cx, format!("can't evaluate command {first}"))),
        }
    }

    /// A number literal where no type is wanted: its syntax decides (Go's `idealConstant`).
    fn ideal_constant<'t, 'd>(&self, cx: &Ctx<'t>, node: &'t Operand) -> R<V<'d>> {
        let Operand::Number(n) = node else {
            return Ok(V::invalid());
        };
        cx.at(At::Operand(node));
        let text = &*n.text;
        let hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let rune = text.starts_with('\'');
        if n.is_float && !hex_int && !rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(V::own(Value::Float(n.float)));
        }
        if n.is_int {
            return Ok(V::own(Value::Int(n.int)));
        }
        if n.is_uint {
            return Err(self.error(cx, format!("{text} overflows int")));
        }
        Ok(V::invalid())
    }

    fn eval_chain_node<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        chain: &'t Operand,
        args: Option<&'t [Operand]>,
        final_: Option<V<'d>>,
    ) -> R<V<'d>> {
        cx.at(At::Operand(chain));
        let Operand::Chain { node, fields, .. } = chain else {
            return Ok(V::invalid());
        };
        if matches!(**node, Operand::Nil { .. }) {
            return Err(self.error(cx, format!("indirection through explicit nil in {chain}")));
        }
        let receiver = self.eval_arg(cx, dot, None, node)?;
        self.eval_field_chain(cx, dot, receiver, chain, fields, args, final_)
    }

    fn eval_variable_node<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        variable: &'t Operand,
        args: Option<&'t [Operand]>,
        final_: Option<V<'d>>,
    ) -> R<V<'d>> {
        cx.at(At::Operand(variable));
        let Operand::Variable { idents, .. } = variable else {
            return Ok(V::invalid());
        };
        let value = self.var_value(cx, &idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(cx, args, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(cx, dot, value, variable, &idents[1..], args, final_)
    }

    #[expect(clippy::too_many_arguments, reason = "mirrors Go's evalFieldChain")]
    fn eval_field_chain<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        receiver: V<'d>,
        node: &'t Operand,
        idents: &'t [Arc<str>],
        args: Option<&'t [Operand]>,
        final_: Option<V<'d>>,
    ) -> R<V<'d>> {
        let mut receiver = receiver;
        let n = idents.len();
        for ident in &idents[..n - 1] {
            receiver = self.eval_field(cx, dot, ident, node, None, None, receiver)?;
        }
        self.eval_field(cx, dot, &idents[n - 1], node, args, final_, receiver)
    }

    fn eval_function<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        ident: &'t Operand,
        node: At<'t>,
        args: Option<&'t [Operand]>,
        final_: Option<V<'d>>,
    ) -> R<V<'d>> {
        cx.at(At::Operand(ident));
        let Operand::Ident { name, func, .. } = ident else {
            return Ok(V::invalid());
        };
        let callee = match self.funcs().entry(*func) {
            Entry::Builtin(b) => Callee::Builtin(b),
            Entry::Def(def) => Callee::Def(def),
            Entry::Engine(e) => Callee::Engine(e),
        };
        self.eval_call(cx, dot, callee, node, name, args, final_)
    }

    #[expect(clippy::too_many_arguments, reason = "mirrors Go's evalField")]
    fn eval_field<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        name: &'t str,
        node: &'t Operand,
        args: Option<&'t [Operand]>,
        final_: Option<V<'d>>,
        receiver: V<'d>,
    ) -> R<V<'d>> {
        if receiver.is_invalid() {
            if self.options().missing_key_error {
                return Err(self.error(
                    cx,
                    format!("nil data; no entry for key {}", crate::fmt::quote(name)),
                ));
            }
            return Ok(V::invalid());
        }
        let typ = receiver.static_type();
        if receiver.value.is_nil() {
            return Err(self.error(cx, format!("nil pointer evaluating {typ}.{name}")));
        }
        if let Value::Object(object) = &*receiver.value
            && object.has_method(name)
        {
            let object = object.clone();
            return self.eval_call(
                cx,
                dot,
                Callee::Method(object),
                At::Operand(node),
                name,
                args,
                final_,
            );
        }
        let has_args = args.is_some_and(|a| a.len() > 1) || final_.is_some();
        if let Value::Dict(dict) = &*receiver.value {
            if has_args {
                return Err(self.error(cx, format!("{name} is not a method but has arguments")));
            }
            return match dict.get(name) {
                Some(v) => Ok(V {
                    value: Cow::Owned(v),
                    iface: true,
                }),
                None => self.missing_key(cx, name),
            };
        }
        match receiver.value {
            Cow::Borrowed(Value::Map(map)) => {
                if has_args {
                    return Err(self.error(cx, format!("{name} is not a method but has arguments")));
                }
                match map.get(name) {
                    Some(v) => Ok(V::borrowed(v, true)),
                    None => self.missing_key(cx, name),
                }
            }
            Cow::Owned(Value::Map(ref map)) => {
                if has_args {
                    return Err(self.error(cx, format!("{name} is not a method but has arguments")));
                }
                match map.get(name) {
                    Some(v) => Ok(V {
                        value: Cow::Owned(v.clone()),
                        iface: true,
                    }),
                    None => self.missing_key(cx, name),
                }
            }
            ref other => {
                if let Value::Object(object) = &**other {
                    let map_like = object.is_map_like();
                    match object.field(name) {
                        Some(v) => {
                            if has_args {
                                let message = if map_like {
                                    format!("{name} is not a method but has arguments")
                                } else {
                                    format!(
                                        "{name} has arguments but cannot be invoked as function"
                                    )
                                };
                                return Err(self.error(cx, message));
                            }
                            return Ok(V::own(v));
                        }
                        None if map_like => {
                            if has_args {
                                return Err(self.error(
                                    cx,
                                    format!("{name} is not a method but has arguments"),
                                ));
                            }
                            return self.missing_key(cx, name);
                        }
                        None => {}
                    }
                }
                Err(self.error(cx, format!("can't evaluate field {name} in type {typ}")))
            }
        }
    }

    fn missing_key<'d>(&self, cx: &Ctx<'_>, name: &str) -> R<V<'d>> {
        if self.options().missing_key_error {
            return Err(self.error(
                cx,
                format!("map has no entry for key {}", crate::fmt::quote(name)),
            ));
        }
        // missingkey=zero: the zero value of interface{}, a nil interface.
        Ok(V {
            value: Cow::Borrowed(&NIL),
            iface: true,
        })
    }

    /// Evaluates an argument for a parameter of type `typ` (`None`: no conversion, as for the
    /// receiver of a chain).
    fn eval_arg<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        typ: Option<ArgType>,
        n: &'t Operand,
    ) -> R<V<'d>> {
        cx.at(At::Operand(n));
        let v = match n {
            Operand::Dot { .. } => dot.v(),
            Operand::Nil { .. } => {
                return match typ {
                    None | Some(ArgType::Reflect) => Ok(V::invalid()),
                    Some(ArgType::Param(p)) if p.can_be_nil() => Ok(V {
                        value: Cow::Borrowed(&NIL),
                        iface: true,
                    }),
                    Some(ArgType::Param(p)) => {
                        Err(self.error(cx, format!("cannot assign nil to {}", p.go_name())))
                    }
                };
            }
            Operand::Field { idents, .. } => {
                cx.at(At::Operand(n));
                self.eval_field_chain(
                    cx,
                    dot,
                    dot.v(),
                    n,
                    idents,
                    Some(std::slice::from_ref(n)),
                    None,
                )?
            }
            Operand::Variable { .. } => self.eval_variable_node(cx, dot, n, None, None)?,
            Operand::Pipe(pipe) => self.eval_pipeline(cx, dot, pipe)?,
            Operand::Ident { .. } => self.eval_function(cx, dot, n, At::Operand(n), None, None)?,
            Operand::Chain { .. } => self.eval_chain_node(cx, dot, n, None, None)?,
            Operand::Bool { value, .. } => {
                return match typ {
                    Some(ArgType::Param(Param::Bool))
                    | Some(ArgType::Param(Param::Any) | ArgType::Reflect)
                    | None => Ok(V::own(Value::Bool(*value))),
                    Some(ArgType::Param(p)) => Err(self.literal_mismatch(cx, p, n)),
                };
            }
            Operand::String { value, .. } => {
                return match typ {
                    Some(ArgType::Param(Param::String))
                    | Some(ArgType::Param(Param::Any) | ArgType::Reflect)
                    | None => Ok(V::borrowed(value, false)),
                    Some(ArgType::Param(p)) => Err(self.literal_mismatch(cx, p, n)),
                };
            }
            Operand::Number(number) => {
                return match typ {
                    Some(ArgType::Param(Param::Int)) if number.is_int => {
                        Ok(V::own(Value::Int(number.int)))
                    }
                    Some(ArgType::Param(Param::Int64)) if number.is_int => {
                        Ok(V::own(Value::Int64(number.int)))
                    }
                    Some(ArgType::Param(Param::Uint32)) if number.is_uint => {
                        Ok(V::own(Value::Int64(i64::from(number.uint as u32))))
                    }
                    Some(ArgType::Param(Param::Float64)) if number.is_float => {
                        Ok(V::own(Value::Float(number.float)))
                    }
                    Some(ArgType::Param(Param::Any) | ArgType::Reflect) | None => {
                        self.ideal_constant(cx, n)
                    }
                    Some(ArgType::Param(p)) => Err(self.literal_mismatch(cx, p, n)),
                };
            }
        };
        match typ {
            None => Ok(v),
            Some(t) => self.validate_type(cx, v, t),
        }
    }

    fn literal_mismatch(&self, cx: &Ctx<'_>, p: Param, n: &Operand) -> Stop {
        let expected = match p {
            Param::Bool => "bool",
            Param::String => "string",
            Param::Int | Param::Int64 => "integer",
            Param::Uint32 => "unsigned integer",
            Param::Float64 => "float",
            // Go converts constants to basic kinds only: a struct, pointer, map or slice
            // parameter cannot take one.
            Param::Any | Param::Map | Param::List | Param::Named(_) => {
                return self.error(
                    cx,
                    format!("can't handle {n} for arg of type {}", p.go_name()),
                );
            }
        };
        self.error(cx, format!("expected {expected}; found {n}"))
    }

    /// Go's `validateType`: a value passed where a parameter of type `typ` is declared.
    fn validate_type<'d>(&self, cx: &Ctx<'_>, v: V<'d>, typ: ArgType) -> R<V<'d>> {
        let ArgType::Param(param) = typ else {
            return Ok(v);
        };
        if v.is_invalid() {
            return match param {
                p if p.can_be_nil() => Ok(v),
                p => Err(self.error(cx, format!("invalid value; expected {}", p.go_name()))),
            };
        }
        let ok = match (param, &*v.value) {
            (Param::Any, _) => true,
            (Param::String, Value::String(_)) => true,
            (Param::Int, Value::Int(_)) => true,
            (Param::Int64, Value::Int64(_)) => true,
            (Param::Float64, Value::Float(_)) => true,
            (Param::Bool, Value::Bool(_)) => true,
            // A dict passes as itself, so that the function changes the caller's map.
            (Param::Map, Value::Map(_) | Value::Dict(_)) => true,
            // Go assigns a map of another type (`map[string]string`, Helm's `engine.files`)
            // to no `map[string]interface {}` parameter.
            (Param::Map, Value::Object(o)) => o.type_name() == param.go_name(),
            (Param::List, Value::List(_)) => true,
            (Param::Named(name), Value::Object(o)) => o.type_name() == name,
            _ => false,
        };
        if ok {
            return Ok(v);
        }
        let got = if v.value.is_nil() {
            "interface {}".to_owned()
        } else {
            v.value.type_name()
        };
        Err(self.error(
            cx,
            format!(
                "wrong type for value; expected {}; got {got}",
                param.go_name()
            ),
        ))
    }

    #[expect(clippy::too_many_arguments, reason = "mirrors Go's evalCall")]
    fn eval_call<'t: 'd, 'd>(
        &mut self,
        cx: &Ctx<'t>,
        dot: Dot<'d>,
        callee: Callee,
        node: At<'t>,
        name: &str,
        args: Option<&'t [Operand]>,
        final_: Option<V<'d>>,
    ) -> R<V<'d>> {
        let args: &'t [Operand] = match args {
            Some(a) if !a.is_empty() => &a[1..],
            _ => &[],
        };
        let sig = match &callee {
            Callee::Builtin(b) => SigView::Builtin(b.signature()),
            Callee::Def(def) => SigView::Def(def.sig),
            Callee::Engine(e) => SigView::Def(e.sig()),
            Callee::Method(object) => match object.method_sig(name) {
                Some(sig) => SigView::Def(sig),
                None => SigView::Def(crate::func::Sig::variadic(&[], Param::Any)),
            },
        };
        let num_in = args.len() + usize::from(final_.is_some());
        let num_fixed = if sig.is_variadic() {
            let fixed = sig.fixed_len();
            if num_in < fixed {
                return Err(self.error(
                    cx,
                    format!(
                        "wrong number of args for {name}: want at least {fixed} got {}",
                        args.len()
                    ),
                ));
            }
            fixed
        } else {
            if num_in != sig.fixed_len() {
                return Err(self.error(
                    cx,
                    format!(
                        "wrong number of args for {name}: want {} got {num_in}",
                        sig.fixed_len()
                    ),
                ));
            }
            args.len()
        };

        // `and` and `or` evaluate their arguments lazily.
        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or)) = callee {
            let is_or = b == Builtin::Or;
            let mut v = V::invalid();
            for arg in args {
                v = self.eval_arg(cx, dot, Some(ArgType::Reflect), arg)?;
                if truth(&v) == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }

        let mut argv: Vec<V<'d>> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed.min(args.len()) {
            argv.push(self.eval_arg(cx, dot, Some(sig.arg(i)), &args[i])?);
            i += 1;
        }
        if sig.is_variadic() {
            while i < args.len() {
                argv.push(self.eval_arg(cx, dot, Some(sig.arg(i)), &args[i])?);
                i += 1;
            }
        }
        if let Some(f) = final_ {
            let t = if sig.is_variadic() && num_in > num_fixed {
                sig.arg(usize::MAX)
            } else {
                sig.arg(num_in - 1)
            };
            argv.push(self.validate_type(cx, f, t)?);
        }

        let result = match callee {
            Callee::Builtin(b) => {
                let call_name = if b == Builtin::Call {
                    args.first().map(ToString::to_string).unwrap_or_default()
                } else {
                    String::new()
                };
                builtins::call(b, &argv, &call_name).map_err(CallFailure::Message)
            }
            Callee::Def(def) => self.call_def(&def, argv),
            Callee::Engine(e) => self.call_engine(cx, e, argv),
            Callee::Method(object) => {
                let values: Vec<Value> = argv.into_iter().map(V::into_value).collect();
                match object.method(name, &values) {
                    Some(Ok(v)) => Ok(V::own(v)),
                    Some(Err(e)) => Err(func_failure(name, e)),
                    None => Err(CallFailure::Message(format!("no method {name}"))),
                }
            }
        };
        match result {
            Ok(v) => Ok(v),
            Err(failure) => {
                cx.at(node);
                Err(match failure {
                    CallFailure::Message(m) => self.error_kind(
                        cx,
                        CallCause::Func {
                            name: name.to_owned(),
                            message: m,
                        },
                        String::new(),
                    ),
                    CallFailure::Warn(m) => self.error_kind(
                        cx,
                        CallCause::Warn {
                            name: name.to_owned(),
                            message: m,
                        },
                        String::new(),
                    ),
                    CallFailure::Plain(m) => self.error(cx, m),
                    CallFailure::Nested(e) => self.error_kind(
                        cx,
                        CallCause::Nested {
                            name: name.to_owned(),
                            error: e,
                        },
                        String::new(),
                    ),
                    CallFailure::Stop(stop) => stop,
                })
            }
        }
    }

    fn call_def<'d>(&mut self, def: &FuncDef, argv: Vec<V<'d>>) -> Result<V<'d>, CallFailure> {
        let values: Vec<Value> = argv.into_iter().map(V::into_value).collect();
        match (def.func)(&Args::new(&values, self.env)) {
            Ok(v) => Ok(V::own(v)),
            Err(e) => {
                // Helm's `fail` reports its message as `required` does.
                if def.name == "fail" {
                    if self.options().lint_mode {
                        return Ok(V::own(Value::string("")));
                    }
                    if let FuncError::Message(m) = e {
                        return Err(CallFailure::Warn(m));
                    }
                }
                Err(func_failure(def.name, e))
            }
        }
    }

    fn call_engine<'d>(
        &mut self,
        cx: &Ctx<'_>,
        e: EngineFn,
        argv: Vec<V<'d>>,
    ) -> Result<V<'d>, CallFailure> {
        let first = argv.first().map(|v| &*v.value).unwrap_or(&NIL);
        let second = argv.get(1).map(|v| &*v.value).unwrap_or(&NIL);
        let text = first.as_str().unwrap_or_default();
        match e {
            EngineFn::Required => match crate::funcmap::required(text, second) {
                Ok(v) => Ok(V::own(v)),
                Err(_) if self.options().lint_mode => Ok(V::own(Value::string(""))),
                Err(m) => Err(CallFailure::Warn(m)),
            },
            EngineFn::Include => self
                .include(cx, text, second)
                .map(|s| V::own(Value::from(s))),
            EngineFn::Tpl => self.tpl(cx, text, second).map(|s| V::own(Value::from(s))),
        }
    }

    /// Helm's `include`: the named template rendered into a string, at most
    /// `max_include_depth` nested calls per name (Helm: 1000).
    fn include(&mut self, cx: &Ctx<'_>, name: &str, data: &Value) -> Result<String, CallFailure> {
        let count = self.includes.get(name).copied().unwrap_or(0);
        if count > self.limits().max_include_depth {
            return Err(CallFailure::Nested(Box::new(Error::IncludeRecursion {
                name: name.to_owned(),
            })));
        }
        self.check_depth(cx)?;
        self.step(cx).map_err(CallFailure::Stop)?;
        match self.includes.get_mut(name) {
            Some(c) => *c += 1,
            None => {
                self.includes.insert(name.to_owned(), 1);
            }
        }
        let result = self.execute_named(name, data_dot(data));
        if let Some(c) = self.includes.get_mut(name) {
            *c -= 1;
        }
        result.map_err(|e| CallFailure::Nested(Box::new(e)))
    }

    fn check_depth(&self, cx: &Ctx<'_>) -> Result<(), CallFailure> {
        let max = self.limits().max_depth;
        if self.depth >= max {
            return Err(CallFailure::Stop(
                self.error(cx, format!("exceeded maximum template depth ({max})")),
            ));
        }
        Ok(())
    }

    /// Helm's `tpl`: `text` parsed as a template named like the set's root, able to see and
    /// (for its own run) override the set's definitions, executed with `data`.
    fn tpl(&mut self, cx: &Ctx<'_>, text: &str, data: &Value) -> Result<String, CallFailure> {
        self.check_depth(cx)?;
        self.step(cx).map_err(CallFailure::Stop)?;
        let root = self.set.root_name();
        let trees = match crate::parse::parse(root, text, self.funcs()) {
            Ok(trees) => trees,
            Err(e) => {
                return Err(CallFailure::Nested(Box::new(Error::TplParse {
                    text: text.to_owned(),
                    error: e,
                })));
            }
        };
        let mut overlay: HashMap<String, Arc<Tree>> = HashMap::new();
        let mut top = None;
        for (name, tree) in trees {
            let tree = Arc::new(tree);
            if name == root {
                top = Some(tree.clone());
            }
            let existing = self.lookup(&name);
            if associate(existing.as_deref(), &tree) {
                overlay.insert(name, tree);
            }
        }
        let Some(top) = top else {
            return Ok(String::new());
        };
        self.overlays.push(overlay);
        let result = self.execute_tree(&top, data_dot(data));
        self.overlays.pop();
        match result {
            Ok(out) => Ok(crate::template::strip_no_value(out)),
            Err(e) => Err(CallFailure::Nested(Box::new(Error::TplExec {
                text: text.to_owned(),
                error: Box::new(e),
            }))),
        }
    }
}

/// The data passed to `include`/`tpl`: Go's `any` parameter, so nil is an invalid value.
fn data_dot(data: &Value) -> Dot<'_> {
    Dot {
        value: data,
        iface: false,
    }
}

/// Red zone and segment size for growing the stack: checked at each template call, list and
/// pipeline, between which a debug build uses a few KiB, so 128 KiB always covers the gap.
/// Deep recursion costs heap (about 10 KiB per template level in debug builds, a few KiB
/// optimised), never the caller's stack.
const RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// A template found by name: the set's (borrowed) or one a `tpl` text defined.
enum TreeRef<'s> {
    Set(&'s Tree),
    Tpl(Arc<Tree>),
}

impl std::ops::Deref for TreeRef<'_> {
    type Target = Tree;

    fn deref(&self) -> &Tree {
        match self {
            TreeRef::Set(tree) => tree,
            TreeRef::Tpl(tree) => tree,
        }
    }
}

enum Callee {
    Builtin(Builtin),
    Def(FuncDef),
    Engine(EngineFn),
    Method(Arc<dyn crate::value::Object>),
}

/// Why a call failed, before it is placed at its node.
enum CallFailure {
    /// `error calling NAME: MESSAGE`.
    Message(String),
    /// Helm's `required`/`fail`: `error calling NAME: MESSAGE`, shown by Helm without the
    /// template trace.
    Warn(String),
    /// An error of the template engine itself (Go checks types before calling).
    Plain(String),
    /// `error calling include: <inner error>`.
    Nested(Box<Error>),
    /// Not a call error at all (a bound was hit).
    Stop(Stop),
}

fn func_failure(_name: &str, e: FuncError) -> CallFailure {
    match e {
        FuncError::Message(m) => CallFailure::Message(m),
        // Go's reflection checks argument types before the call: its message carries no
        // `error calling`.
        e @ FuncError::WrongType { .. } => CallFailure::Plain(e.to_string()),
    }
}

/// Go's truth of a value (`if`, `with`, `and`, `or`, `not`).
pub(crate) fn truth(v: &V<'_>) -> bool {
    v.value.truth()
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;

//! The errors of parsing and executing templates. `Display` gives Go's one-line text, exactly
//! as `text/template` words it (`template: x.yaml:3:12: executing "x.yaml" at <.a.b>: nil
//! pointer evaluating interface {}.b`); [`Error::helm_message`] gives the text `helm template`
//! prints for the same failure, reproducing Helm's reformatting of Go's errors.

use crate::fmt::quote;
pub use crate::parse::ParseError;

/// Why a template set could not be built or a template could not be rendered.
///
/// Errors of templates run by `include` and `tpl` nest (up to the depth limit); printing,
/// comparing, walking and dropping them is iterative, so a deep chain cannot overflow the
/// stack (hence no derived `Debug`, `PartialEq` or `Clone`).
pub enum Error {
    Parse(ParseError),
    Exec(Box<ExecError>),
    /// `include` (or the host) named a template the set does not have:
    /// `template: no template "x" associated with template "gotpl"`.
    NoTemplate {
        name: String,
        root: String,
    },
    /// `include` nested more than Helm allows for one name.
    IncludeRecursion {
        name: String,
    },
    /// `tpl` was given text that does not parse.
    TplParse {
        text: String,
        error: ParseError,
    },
    /// The text given to `tpl` failed while executing.
    TplExec {
        text: String,
        error: Box<Error>,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.go_string(false))
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Error({:?})", self.go_string(true))
    }
}

/// Errors are equal when Go would print them alike (markers included).
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.go_string(true) == other.go_string(true)
    }
}

impl std::error::Error for Error {}

impl Drop for Error {
    fn drop(&mut self) {
        // Unlink the nested chain first so that dropping it does not recurse.
        let mut next = self.take_nested();
        while let Some(mut error) = next {
            next = error.take_nested();
        }
    }
}

/// A runtime error at a node of a template (Go's `ExecError`).
#[derive(Debug, PartialEq)]
pub struct ExecError {
    /// The template being executed (a file path, a `define`d name, `gotpl` for `tpl`).
    pub template: String,
    /// `file:line:column` of the node, as Go computes it (the column counts bytes from 0).
    pub location: String,
    /// The node as Go prints it: `.Values.a.b`, `include "x" .`, `{{template "y" .}}`.
    pub context: String,
    /// The message, unless a function call failed (then `cause` says why).
    pub message: String,
    pub cause: CallCause,
}

/// A failed function call: `error calling NAME: ...`.
#[derive(Debug, PartialEq)]
pub enum CallCause {
    None,
    /// The function's own error.
    Func {
        name: String,
        message: String,
    },
    /// Helm's `required` and `fail`, whose messages Helm shows without the template trace.
    Warn {
        name: String,
        message: String,
    },
    /// `include` or `tpl`: the error of the template they ran.
    Nested {
        name: String,
        error: Box<Error>,
    },
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.go_string(false))
    }
}

impl std::error::Error for ExecError {}

const WARN_START: &str = "HELM_ERR_START";
const WARN_END: &str = "HELM_ERR_END";

impl ExecError {
    fn head(&self) -> String {
        if self.location.is_empty() {
            format!("template: {}: ", self.template)
        } else {
            format!(
                "template: {}: executing {} at <{}>: ",
                self.location,
                quote(&self.template),
                self.context
            )
        }
    }

    /// Go's text; with `markers`, `required`/`fail` messages are wrapped as Helm wraps them.
    fn go_string(&self, markers: bool) -> String {
        let mut out = self.head();
        match &self.cause {
            CallCause::None => out.push_str(&self.message),
            CallCause::Func { name, message } => {
                out.push_str(&format!("error calling {name}: {message}"));
            }
            CallCause::Warn { name, message } => {
                if markers {
                    out.push_str(&format!(
                        "error calling {name}: {WARN_START}{message}{WARN_END}"
                    ));
                } else {
                    out.push_str(&format!("error calling {name}: {message}"));
                }
            }
            CallCause::Nested { name, error } => {
                out.push_str(&format!("error calling {name}: "));
                error.write_go_string(&mut out, markers);
            }
        }
        out
    }
}

impl Error {
    /// The error nested in this one (by `include` or `tpl`), taken out.
    fn take_nested(&mut self) -> Option<Box<Error>> {
        let placeholder = || {
            Box::new(Error::IncludeRecursion {
                name: String::new(),
            })
        };
        match self {
            Error::Exec(e) => match &mut e.cause {
                CallCause::Nested { error, .. } => Some(std::mem::replace(error, placeholder())),
                _ => None,
            },
            Error::TplExec { error, .. } => Some(std::mem::replace(error, placeholder())),
            _ => None,
        }
    }

    /// The error nested in this one, if any.
    fn nested(&self) -> Option<&Error> {
        match self {
            Error::Exec(e) => match &e.cause {
                CallCause::Nested { error, .. } => Some(error),
                _ => None,
            },
            Error::TplExec { error, .. } => Some(error),
            _ => None,
        }
    }

    fn go_string(&self, markers: bool) -> String {
        let mut out = String::new();
        self.write_go_string(&mut out, markers);
        out
    }

    /// Go's text, built level by level; with `markers`, `required`/`fail` messages are
    /// wrapped as Helm wraps them.
    fn write_go_string(&self, out: &mut String, markers: bool) {
        let mut current = self;
        loop {
            match current {
                Error::Exec(e) => {
                    out.push_str(&e.head());
                    match &e.cause {
                        CallCause::None => out.push_str(&e.message),
                        CallCause::Func { name, message } => {
                            out.push_str(&format!("error calling {name}: {message}"));
                        }
                        CallCause::Warn { name, message } => {
                            if markers {
                                out.push_str(&format!(
                                    "error calling {name}: {WARN_START}{message}{WARN_END}"
                                ));
                            } else {
                                out.push_str(&format!("error calling {name}: {message}"));
                            }
                        }
                        CallCause::Nested { name, .. } => {
                            out.push_str(&format!("error calling {name}: "));
                        }
                    }
                }
                Error::Parse(p) => out.push_str(&p.to_string()),
                Error::NoTemplate { name, root } => out.push_str(&format!(
                    "template: no template {} associated with template {}",
                    quote(name),
                    quote(root)
                )),
                Error::IncludeRecursion { name } => out.push_str(&format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )),
                Error::TplParse { text, error } => {
                    out.push_str(&format!("cannot parse template {}: {error}", quote(text)));
                }
                Error::TplExec { text, .. } => out.push_str(&format!(
                    "error during tpl function execution for {}: ",
                    quote(text)
                )),
            }
            match current.nested() {
                Some(next) => current = next,
                None => return,
            }
        }
    }

    /// Calls `visit` with the error string of each link of Go's unwrap chain, outermost
    /// first (what Helm walks), until it returns false. Each link's text includes the links
    /// below it, so they are built one at a time.
    fn visit_chain(&self, mut visit: impl FnMut(&str) -> bool) {
        let mut current = self;
        loop {
            let go_on = match current {
                Error::Exec(e) => {
                    let s = current.go_string(true);
                    visit(&s)
                        && visit(&s)
                        && match &e.cause {
                            CallCause::Func { message, .. } => visit(message),
                            CallCause::Warn { message, .. } => {
                                visit(&format!("{WARN_START}{message}{WARN_END}"))
                            }
                            CallCause::None | CallCause::Nested { .. } => true,
                        }
                }
                Error::IncludeRecursion { .. } => {
                    visit(&current.to_string()) && visit("unable to execute template")
                }
                Error::TplParse { error, .. } => {
                    visit(&current.to_string()) && visit(&error.to_string())
                }
                Error::TplExec { .. } => visit(&current.go_string(true)),
                Error::Parse(_) | Error::NoTemplate { .. } => visit(&current.to_string()),
            };
            match current.nested() {
                Some(next) if go_on => current = next,
                _ => return,
            }
        }
    }

    /// What `helm template` prints after `Error: ` for this failure (Helm's
    /// `cleanupParseError` and `reformatExecErrorMsg`): `parse error at (x.yaml:3): ...`,
    /// `execution error at (x.yaml:3:4): MESSAGE` for `required` and `fail`, or the trace of
    /// template locations, one per line.
    pub fn helm_message(&self) -> String {
        match self {
            Error::Parse(p) => {
                let s = p.to_string();
                let tokens: Vec<&str> = s.split(": ").collect();
                if tokens.len() == 1 {
                    return format!("parse error in ({}): {s}", p.name);
                }
                format!(
                    "parse error at ({}): {}",
                    tokens[1],
                    tokens[tokens.len() - 1]
                )
            }
            Error::Exec(e) => reformat_exec(self, &e.template),
            other => other.to_string(),
        }
    }

    /// The Helm message with the `required`/`fail` text, when that is what failed.
    pub fn is_required_or_fail(&self) -> bool {
        self.go_string(true).contains(WARN_START)
    }
}

fn reformat_exec(err: &Error, filename: &str) -> String {
    let s = err.go_string(true);
    let tokens: Vec<&str> = s.splitn(3, ": ").collect();
    if tokens.len() != 3 {
        return format!("execution error in ({filename}): {s}");
    }
    let location = tokens[1];
    if let Some(start) = tokens[2].find(WARN_START) {
        let rest = &tokens[2][start + WARN_START.len()..];
        if let Some(end) = rest.rfind(WARN_END) {
            return format!("execution error at ({location}): {}", &rest[..end]);
        }
    }
    let mut traces: Vec<Trace> = Vec::new();
    let mut parsed = true;
    err.visit_chain(|link| match parse_trace(link) {
        Some(trace) => {
            if traces.last() != Some(&trace) {
                traces.push(trace);
            }
            true
        }
        None => {
            parsed = false;
            false
        }
    });
    if !parsed {
        return s;
    }
    let mut out = String::new();
    for trace in &traces {
        if !trace.location.is_empty() {
            out.push_str(&trace.location);
            out.push_str("\n  ");
        }
        if !trace.function.is_empty() {
            out.push_str(&trace.function);
            out.push_str("\n    ");
        }
        if !trace.message.is_empty() {
            out.push_str(&trace.message);
            out.push('\n');
        }
    }
    out.trim().to_owned()
}

#[derive(Debug, PartialEq, Eq)]
struct Trace {
    location: String,
    message: String,
    function: String,
}

fn parse_trace(s: &str) -> Option<Trace> {
    let remainder = s.strip_prefix("template: ")?;
    if remainder.starts_with("no template ") {
        return Some(Trace {
            location: String::new(),
            message: s.to_owned(),
            function: String::new(),
        });
    }
    if let Some(trace) = parse_executing(remainder) {
        return Some(trace);
    }
    let sep = remainder.rfind(": ")?;
    let mut message = &remainder[sep + 2..];
    if let Some(cut) = message.find(" template:") {
        message = &message[..cut];
    }
    Some(Trace {
        location: remainder[..sep].to_owned(),
        message: message.to_owned(),
        function: String::new(),
    })
}

fn parse_executing(remainder: &str) -> Option<Trace> {
    let (template, after) = remainder.split_once(": executing ")?;
    let after = after.strip_prefix('"')?;
    let end_quote = after.find('"')?;
    let function = &after[..end_quote];
    let after_at = after[end_quote + 1..].strip_prefix(" at <")?;
    let (location, mut message) = after_at.split_once(">: ")?;
    if let Some(cut) = message.find(" template:") {
        message = &message[..cut];
    }
    Some(Trace {
        location: template.to_owned(),
        message: message.to_owned(),
        function: format!("executing \"{function}\" at <{location}>:"),
    })
}

//! Template helpers for chart authors: the Helm/Sprig functions charts rely on, in Handlebars
//! form (`{{nindent 4 (toYaml Values.resources)}}`). Arguments come in Sprig's order, so a
//! Go pipeline `{{ .Values.x | default "a" }}` reads `{{default "a" Values.x}}` here.
//!
//! Every helper returns a JSON value, so helpers nest as subexpressions and their results work
//! in `{{#each}}`, `{{#with}}` and `{{#if}}`. The catalogue with one example each is
//! the README (section "Template helpers").

mod data;
mod encoding;
mod files;
mod flow;
mod strings;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, PathAndJson, RenderContext,
    RenderError, RenderErrorReason, Renderable, ScopedJson,
};
use serde_json::Value;

/// The chart's non-template files, readable through the `Files.*` helpers.
pub type Files = Arc<BTreeMap<String, Vec<u8>>>;

/// Registers every helper on `registry`, replacing the Handlebars built-ins whose semantics
/// differ from what a Helm chart author expects (`eq`, `and`, `or`, `not`, comparisons).
pub fn register(registry: &mut Handlebars<'static>, files: Files) {
    strings::register(registry);
    encoding::register(registry);
    data::register(registry);
    flow::register(registry);
    files::register(registry, files);
}

/// The block helper `render` wraps around every `{{> partial}}` to bound how deep partials
/// nest; its name cannot be written in a template (`__` names are reserved here).
pub const PARTIAL_GUARD: &str = "__partial_depth";

/// `{{#__partial_depth "NAME"}}{{> NAME}}{{/__partial_depth}}` around `body`, built from
/// a compiled prototype since Handlebars' element types cannot be constructed outside it.
pub fn partial_guard(
    name: String,
    body: handlebars::Template,
) -> handlebars::template::TemplateElement {
    use handlebars::template::{Parameter, TemplateElement};
    // The prototype is a constant that always compiles to one block; compiled once.
    static PROTOTYPE: std::sync::OnceLock<Option<TemplateElement>> = std::sync::OnceLock::new();
    let prototype = PROTOTYPE.get_or_init(|| {
        handlebars::Template::compile(&format!("{{{{#{PARTIAL_GUARD}}}}}{{{{/{PARTIAL_GUARD}}}}}"))
            .ok()
            .and_then(|mut t| t.elements.pop())
    });
    let mut block = match prototype.clone() {
        Some(TemplateElement::HelperBlock(block)) => block,
        _ => return TemplateElement::Comment(format!("{{{{> {name}}}}} could not be guarded")),
    };
    block.params = vec![Parameter::Literal(Value::String(name))];
    block.template = Some(body);
    TemplateElement::HelperBlock(block)
}

/// A helper body: the arguments in, a value or an error message (without the helper's name) out.
type Body = fn(&Args<'_, '_>) -> Result<Value, String>;

/// A helper that computes a value from its arguments. Called as a block (`{{#eq a b}}..{{/eq}}`)
/// it renders its block when the value is truthy and the `{{else}}` part otherwise.
struct Fun {
    name: &'static str,
    min: usize,
    max: Option<usize>,
    body: Body,
}

/// Registers `body` as `name`, taking between `min` and `max` arguments (`None`: any number).
fn fun(
    registry: &mut Handlebars<'static>,
    name: &'static str,
    min: usize,
    max: Option<usize>,
    body: Body,
) {
    registry.register_helper(
        name,
        Box::new(Fun {
            name,
            min,
            max,
            body,
        }),
    );
}

impl Fun {
    fn eval(&self, h: &Helper<'_>) -> Result<Value, RenderError> {
        let params = h.params();
        check_arity(self.name, params.len(), self.min, self.max)?;
        (self.body)(&Args { params }).map_err(|message| fail(self.name, &message))
    }
}

fn check_arity(name: &str, got: usize, min: usize, max: Option<usize>) -> Result<(), RenderError> {
    let ok = got >= min && max.is_none_or(|max| got <= max);
    if ok {
        return Ok(());
    }
    let wanted = match max {
        Some(max) if max == min => format!("{min}"),
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    };
    let plural = if wanted == "1" { "" } else { "s" };
    Err(fail(
        name,
        &format!("expects {wanted} argument{plural}, got {got}"),
    ))
}

/// A render error whose message is `name: message`.
fn fail(name: &str, message: &str) -> RenderError {
    RenderErrorReason::Other(format!("{name}: {message}")).into()
}

impl HelperDef for Fun {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        self.eval(h).map(ScopedJson::Derived)
    }

    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        if !h.is_block() {
            // The default `call` writes the value the way Handlebars writes any expression
            // (indentation inside partials included); only `call_inner` is delegated.
            return ValueOnly(self).call(h, r, ctx, rc, out);
        }
        let value = self.eval(h)?;
        let branch = if truthy(&value) {
            h.template()
        } else {
            h.inverse()
        };
        match branch {
            Some(template) => template.render(r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

struct ValueOnly<'a>(&'a Fun);

impl HelperDef for ValueOnly<'_> {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        self.0.eval(h).map(ScopedJson::Derived)
    }
}

/// The evaluated arguments of one helper call, with conversions that explain what went wrong.
struct Args<'a, 'rc> {
    params: &'a [PathAndJson<'rc>],
}

static NULL: Value = Value::Null;

impl<'a> Args<'a, '_> {
    fn len(&self) -> usize {
        self.params.len()
    }

    /// Argument `i`; `null` when absent or when the path named nothing.
    fn get(&self, i: usize) -> &'a Value {
        self.params.get(i).map_or(&NULL, |p| p.value())
    }

    fn iter(&self) -> impl Iterator<Item = &'a Value> + use<'a> {
        self.params.iter().map(|p| p.value())
    }

    /// The last argument: Sprig's "piped" value.
    fn last(&self) -> &'a Value {
        self.params.last().map_or(&NULL, |p| p.value())
    }

    /// Argument `i` as text: strings as they are, scalars formatted, lists and maps Go-style.
    fn text(&self, i: usize) -> Cow<'a, str> {
        to_text(self.get(i))
    }

    /// Argument `i` as a whole number: integers, integral floats or numeric strings.
    fn int(&self, i: usize) -> Result<i64, String> {
        let value = self.get(i);
        to_int(value).ok_or_else(|| {
            format!(
                "{} argument must be a number, got {}",
                ordinal(i),
                describe(value)
            )
        })
    }

    fn list(&self, i: usize) -> Result<&'a Vec<Value>, String> {
        match self.get(i) {
            Value::Array(items) => Ok(items),
            other => Err(format!(
                "{} argument must be a list, got {}",
                ordinal(i),
                describe(other)
            )),
        }
    }

    fn map(&self, i: usize) -> Result<&'a serde_json::Map<String, Value>, String> {
        match self.get(i) {
            Value::Object(map) => Ok(map),
            other => Err(format!(
                "{} argument must be a map, got {}",
                ordinal(i),
                describe(other)
            )),
        }
    }
}

fn ordinal(i: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth", "sixth"]
        .get(i)
        .copied()
        .unwrap_or("an")
}

/// A value as an error message shows it: `"x"`, `3`, `null`, `a list`, `a map`.
fn describe(value: &Value) -> String {
    match value {
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a map".to_owned(),
        scalar => scalar.to_string(),
    }
}

/// Sprig's emptiness: `null`, `false`, `0`, `""`, `[]` and `{}` are empty.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// Go template truth, which is Sprig's non-emptiness.
fn truthy(value: &Value) -> bool {
    !is_empty(value)
}

/// A number as an integer when it is one (`3`, `3.0`, `"3"`).
fn to_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| to_int(&Value::from(s.parse::<f64>().ok()?)))
        }
        _ => None,
    }
}

/// Text for a value the way Go's `%v` prints it, except that `null` is empty (as Handlebars
/// prints it) rather than `<nil>`.
fn to_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        other => {
            let mut out = String::new();
            write_go(&mut out, other);
            Cow::Owned(out)
        }
    }
}

/// Go's `%v`: `[a b]` for lists, `map[k:v]` with sorted keys for maps, `3` for `3.0`.
fn write_go(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_go(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_go(out, &map[key]);
            }
            out.push(']');
        }
    }
}

fn format_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 1e21 => {
            format!("{f:.0}")
        }
        _ => n.to_string(),
    }
}

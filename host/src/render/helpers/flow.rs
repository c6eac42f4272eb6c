//! Logic and control helpers: defaults, comparisons with Go's semantics, `required`, `fail`,
//! `include` and `tpl` (which render templates to strings), `semverCompare`, `randAlphaNum`.

use std::cell::Cell;
use std::cmp::Ordering;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, PathAndJson, RenderContext, RenderError,
    RenderErrorReason, Renderable, ScopedJson, StringOutput, Template,
};
use serde_json::Value;

use super::data::{as_f64, loosely_equal};
use super::{Args, check_arity, describe, fail, fun, is_empty, to_text, truthy};
use crate::chart::constraint;

pub(super) fn register(r: &mut Handlebars<'static>) {
    fun(r, "default", 1, Some(2), |a| {
        let given = a.get(1);
        Ok(if is_empty(given) { a.get(0) } else { given }.clone())
    });
    fun(r, "empty", 1, Some(1), |a| Ok(is_empty(a.get(0)).into()));
    fun(r, "coalesce", 0, None, |a| {
        Ok(a.iter().find(|v| !is_empty(v)).cloned().unwrap_or_default())
    });
    fun(r, "ternary", 3, Some(3), |a| {
        Ok(if truthy(a.get(2)) { a.get(0) } else { a.get(1) }.clone())
    });
    fun(r, "eq", 2, None, |a| {
        let first = a.get(0);
        Ok(a.iter()
            .skip(1)
            .any(|other| loosely_equal(first, other))
            .into())
    });
    fun(r, "ne", 2, Some(2), |a| {
        Ok((!loosely_equal(a.get(0), a.get(1))).into())
    });
    fun(r, "lt", 2, Some(2), |a| {
        Ok((compare(a)? == Ordering::Less).into())
    });
    fun(r, "gt", 2, Some(2), |a| {
        Ok((compare(a)? == Ordering::Greater).into())
    });
    for name in ["le", "lte"] {
        fun(r, name, 2, Some(2), |a| {
            Ok((compare(a)? != Ordering::Greater).into())
        });
    }
    for name in ["ge", "gte"] {
        fun(r, name, 2, Some(2), |a| {
            Ok((compare(a)? != Ordering::Less).into())
        });
    }
    // Go's `and`/`or` return an argument, not a boolean: `or Values.a Values.b "c"`.
    fun(r, "and", 1, None, |a| {
        Ok(a.iter().find(|v| !truthy(v)).unwrap_or(a.last()).clone())
    });
    fun(r, "or", 1, None, |a| {
        Ok(a.iter().find(|v| truthy(v)).unwrap_or(a.last()).clone())
    });
    fun(r, "not", 1, Some(1), |a| Ok((!truthy(a.get(0))).into()));
    fun(r, "semverCompare", 2, Some(2), |a| {
        constraint::matches(&a.text(0), &a.text(1))
            .map(Value::from)
            .map_err(|err| err.to_string())
    });
    fun(r, "randAlphaNum", 1, Some(1), |a| {
        let count =
            usize::try_from(a.int(0)?).map_err(|_| "count must not be negative".to_owned())?;
        Ok(std::iter::repeat_with(fastrand::alphanumeric)
            .take(count)
            .collect::<String>()
            .into())
    });
    r.register_helper("required", Box::new(Required));
    r.register_helper("fail", Box::new(Fail));
    r.register_helper("include", Box::new(Include));
    r.register_helper("tpl", Box::new(Tpl));
    r.register_helper(super::PARTIAL_GUARD, Box::new(PartialGuard));
}

/// Go's `lt`/`gt` family: numbers (numeric strings too) by value, strings by bytes.
fn compare(a: &Args<'_, '_>) -> Result<Ordering, String> {
    let (x, y) = (a.get(0), a.get(1));
    let numeric = matches!(x, Value::Number(_)) || matches!(y, Value::Number(_));
    if let (Value::String(s), Value::String(t)) = (x, y) {
        return Ok(s.cmp(t));
    }
    if numeric && let (Some(p), Some(q)) = (as_f64(x), as_f64(y)) {
        if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
            return Ok(i.cmp(&j));
        }
        return p
            .partial_cmp(&q)
            .ok_or_else(|| "cannot compare NaN".to_owned());
    }
    Err(format!(
        "cannot compare {} with {}",
        describe(x),
        describe(y)
    ))
}

/// `required MESSAGE VALUE`: VALUE, or rendering fails with MESSAGE when VALUE is null or "".
/// (Like Helm, `0` and `false` pass.)
struct Required;

impl HelperDef for Required {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        check_arity("required", h.params().len(), 2, Some(2))?;
        let args = Args { params: h.params() };
        match args.get(1) {
            Value::Null => Err(RenderErrorReason::Other(args.text(0).into_owned()).into()),
            Value::String(s) if s.is_empty() => {
                Err(RenderErrorReason::Other(args.text(0).into_owned()).into())
            }
            value => Ok(ScopedJson::Derived(value.clone())),
        }
    }
}

/// `fail MESSAGE`: rendering fails with MESSAGE.
struct Fail;

impl HelperDef for Fail {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        check_arity("fail", h.params().len(), 1, Some(1))?;
        let args = Args { params: h.params() };
        Err(RenderErrorReason::Other(args.text(0).into_owned()).into())
    }
}

/// How deep `include` may nest (a partial including itself, directly or not, stops here).
const MAX_INCLUDE_DEPTH: usize = 100;

thread_local! {
    static INCLUDE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Counts one level of partial nesting (`include`, `tpl`, `{{> partial}}`) while it lives.
pub(super) struct DepthGuard;

impl DepthGuard {
    pub(super) fn enter(name: &str) -> Result<Self, RenderError> {
        let depth = INCLUDE_DEPTH.with(|d| {
            let next = d.get() + 1;
            d.set(next);
            next
        });
        let guard = DepthGuard;
        if depth > MAX_INCLUDE_DEPTH {
            return Err(fail(
                "include",
                &format!(
                    "partials nest more than {MAX_INCLUDE_DEPTH} deep (at `{name}`); is one including itself?"
                ),
            ));
        }
        Ok(guard)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        INCLUDE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The block `render` wraps around each `{{> partial}}`: renders it one level deeper.
struct PartialGuard;

impl HelperDef for PartialGuard {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        let name = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("?");
        let _depth = DepthGuard::enter(name)?;
        match h.template() {
            Some(template) => handlebars::Renderable::render(template, r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// `include NAME [CONTEXT]`: the partial NAME rendered to a string, with CONTEXT (by default
/// the current one) as `this`.
struct Include;

impl HelperDef for Include {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        check_arity("include", h.params().len(), 1, Some(2))?;
        let name = match h.params()[0].value() {
            Value::String(name) => name,
            other => {
                let message = format!(
                    "first argument must be a partial name, got {}",
                    describe(other)
                );
                return Err(fail("include", &message));
            }
        };
        let Some(template) = r.get_template(name) else {
            return Err(fail("include", &format!("no partial named `{name}`")));
        };
        let _depth = DepthGuard::enter(name)?;
        render_to_string(template, r, ctx, rc, h.param(1))
            .map(|text| ScopedJson::Derived(text.into()))
    }
}

/// `tpl TEXT [CONTEXT]`: TEXT compiled as a template and rendered with CONTEXT (by default the
/// current one). Partials are available inside.
struct Tpl;

impl HelperDef for Tpl {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        check_arity("tpl", h.params().len(), 1, Some(2))?;
        let text = to_text(h.params()[0].value());
        let template = Template::compile(&text).map_err(|err| {
            let (line, _) = err.pos().unwrap_or((1, 1));
            fail("tpl", &format!("line {line}: {}", err.reason()))
        })?;
        let _depth = DepthGuard::enter("tpl")?;
        render_to_string(&template, r, ctx, rc, h.param(1))
            .map(|text| ScopedJson::Derived(text.into()))
            .map_err(|err| {
                // The error is in TEXT, not in the calling template: say so, and let the caller's
                // position be reported.
                let line = err
                    .line_no
                    .map(|l| format!("line {l}: "))
                    .unwrap_or_default();
                fail(
                    "tpl",
                    &format!("{line}{}", super::super::handlebars::render_message(&err)),
                )
            })
    }
}

/// Renders `template` on its own (no indentation or block state leaks in) with `context`, or
/// the current context. The whole chart context is borrowed, never copied.
fn render_to_string<'reg: 'rc, 'rc>(
    template: &Template,
    r: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &RenderContext<'reg, 'rc>,
    context: Option<&PathAndJson<'rc>>,
) -> Result<String, RenderError> {
    let is_root = |path: Option<&Vec<String>>| path.is_some_and(Vec::is_empty);
    let owned;
    let chosen: &Context = match context {
        Some(param) if is_root(param.context_path()) => ctx,
        // A bare `@root` resolves to nothing as a parameter; it means the top context.
        Some(param) if param.relative_path().is_some_and(|p| p == "@root") => ctx,
        Some(param) => {
            owned = Context::from(param.value().clone());
            &owned
        }
        None => {
            let current = rc.evaluate(ctx, "this")?;
            if is_root(current.context_path()) {
                ctx
            } else {
                owned = Context::from(current.as_json().clone());
                &owned
            }
        }
    };
    let mut out = StringOutput::new();
    let mut inner = RenderContext::new(None);
    template.render(r, chosen, &mut inner, &mut out)?;
    out.into_string().map_err(RenderError::from)
}

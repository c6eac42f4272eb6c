//! The built-in Handlebars engine (`renderer: handlebars`): templates in Handlebars with the
//! Helm and Sprig helpers of [`super::helpers`]. Files in `templates/` whose name starts with
//! `_` define partials (`{{#*inline "name"}}...{{/inline}}`), shared by every Handlebars chart
//! of the tree, like Helm's `_helpers.tpl`. Each chart renders with its own scope: its values,
//! `Chart`, `Files`, and `Subcharts.NAME.Values`/`.Chart` of its subcharts.

mod cache;
mod compiled;

use std::sync::Arc;

use handlebars::template::{Parameter, TemplateElement};
use handlebars::{Context, Handlebars, RenderErrorReason, Template as HbTemplate};
use serde_json::{Map, Value, json};

use super::{EngineOutput, Error, Job, Result, Scope, helpers};
use crate::chart::{Chart, values::plain_numbers};

/// Renders the Handlebars charts `members` of `scopes`: every template that produces
/// objects, and the top chart's notes.
pub fn render_handlebars(
    scopes: &[Scope<'_>],
    members: &[usize],
    job: &Job,
) -> Result<EngineOutput> {
    // Every template of every member, compiled at once (or loaded from the template cache):
    // the partials of all Handlebars charts, then each chart's templates and the top notes.
    // `renders` holds, per chart, indexes into what follows the partials.
    let mut sources: Vec<(String, &str)> = Vec::new();
    for &index in members {
        let scope = &scopes[index];
        for partial in scope.chart.partials() {
            sources.push((scope.template_name(&partial.path), &partial.text));
        }
    }
    let partial_count = sources.len();
    let mut renders: Vec<(usize, Vec<usize>, Option<usize>)> = Vec::new();
    for &index in members {
        let scope = &scopes[index];
        if scope.chart.metadata.is_library() {
            continue;
        }
        let mut templates = Vec::new();
        for template in scope.chart.manifest_templates() {
            templates.push(sources.len() - partial_count);
            sources.push((scope.template_name(&template.path), &template.text));
        }
        let notes = scope.chart.notes().filter(|_| scope.is_root).map(|notes| {
            sources.push((scope.template_name(&notes.path), &notes.text));
            sources.len() - 1 - partial_count
        });
        renders.push((index, templates, notes));
    }
    let mut partials = cache::compile_all(&sources)?;
    let compiled = partials.split_off(partial_count);
    let partials = compile_partials(sources.iter().map(|(name, _)| name.clone()).zip(partials))?;
    let names = &sources[partial_count..];
    let mut output = EngineOutput::default();
    for (index, templates, notes) in renders {
        let scope = &scopes[index];
        let registry = registry(scope.chart, &partials);
        let base = base_context(scopes, scope, job);
        let base_path = scope.template_name("templates");
        let (registry_ref, compiled) = (&registry, &compiled);
        // One context per worker, with `Template` set for each template in turn.
        let rendered = super::parallel_chunks(&templates, |chunk| {
            let mut context = Context::from(base.clone());
            chunk
                .iter()
                .map(|&at| {
                    let name = &names[at].0;
                    set_template(&mut context, name, &base_path);
                    let text = render_compiled(registry_ref, &compiled[at], name, &context)?;
                    Ok::<_, Error>((name.clone(), text))
                })
                .collect()
        });
        for result in rendered {
            output.files.push(result?);
        }
        crate::verbose!(
            "rendered {} templates of chart {} with Handlebars",
            templates.len(),
            scope.full_path
        );
        if let Some(at) = notes {
            let (name, template) = (&names[at].0, &compiled[at]);
            let mut context = Context::from(base);
            set_template(&mut context, name, &base_path);
            let (registry, context) = (&registry, &context);
            output.notes = Some(super::on_render_stack(|| {
                render_compiled(registry, template, name, context)
            })?);
        }
    }
    Ok(output)
}

/// `web/templates/deployment.yaml`: the name of a template of a top chart.
pub fn template_name(chart: &Chart, path: &str) -> String {
    format!("{}/{}", chart.name(), path)
}

/// A registry for one chart: the helpers over its files, and the shared partials.
fn registry(chart: &Chart, partials: &[(String, HbTemplate)]) -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut registry, Arc::new(chart.files.clone()));
    for (name, template) in partials {
        registry.register_template(name, template.clone());
    }
    registry
}

/// The registry of a lone chart, as rendering builds it (for helper tests).
#[cfg(test)]
pub(crate) fn new_registry(chart: &Chart) -> Result<Handlebars<'static>> {
    let partials = chart
        .partials()
        .map(|p| {
            let name = template_name(chart, &p.path);
            compile(&name, &p.text).map(|compiled| (name, compiled))
        })
        .collect::<Result<Vec<_>>>()?;
    let partials = compile_partials(partials.into_iter())?;
    Ok(registry(chart, &partials))
}

/// Compiles and registers a template under `name` (for helper tests).
#[cfg(test)]
pub(crate) fn compile_into(
    registry: &mut Handlebars<'static>,
    name: &str,
    text: &str,
) -> Result<()> {
    registry.register_template(name, compile(name, text)?);
    Ok(())
}

/// Renders the registered template `name` (for helper tests).
#[cfg(test)]
pub(crate) fn render_one(
    registry: &Handlebars<'static>,
    name: &str,
    context: &Context,
) -> Result<String> {
    registry
        .render_with_context(name, context)
        .map_err(|err| Error::Render {
            template: err.template_name.clone().unwrap_or_else(|| name.to_owned()),
            line: err.line_no,
            message: render_message(&err),
        })
}

/// The partials of the given files (named as templates): each `{{#*inline "name"}}` block by
/// its name, and each partial file whole, under its template name.
fn compile_partials(
    partials: impl Iterator<Item = (String, HbTemplate)>,
) -> Result<Vec<(String, HbTemplate)>> {
    let mut registered = Vec::new();
    let mut defined: Map<String, Value> = Map::new();
    for (name, compiled) in partials {
        for element in &compiled.elements {
            let TemplateElement::DecoratorBlock(block) = element else {
                continue;
            };
            if block.name.as_name() != Some("inline") {
                continue;
            }
            let Some(Parameter::Literal(Value::String(partial_name))) = block.params.first() else {
                continue;
            };
            let partial_name = partial_name.clone();
            if let Some(other) = defined.get(&partial_name) {
                return Err(Error::DuplicatePartial {
                    template: name,
                    name: partial_name,
                    other: other.as_str().unwrap_or_default().to_owned(),
                });
            }
            defined.insert(partial_name.clone(), Value::from(name.clone()));
            let mut inner = block.template.clone().unwrap_or_default();
            inner.name = Some(name.clone());
            trim_final_newline(&mut inner);
            registered.push((partial_name, inner));
        }
        // The whole file is a partial too, under its path, for `{{> web/templates/_x.tpl}}`.
        registered.push((name, compiled));
    }
    Ok(registered)
}

/// A partial written as
///
/// ```text
/// {{#*inline "web.labels"}}
/// app: web
/// {{/inline}}
/// ```
///
/// holds `app: web\n`; the final newline belongs to the layout of the definition, not to the
/// value, so it is dropped. Then `name: {{> web.fullname}}` and
/// `{{nindent 4 (include "web.labels" this)}}` need no `~` whitespace control, which is easy
/// to get wrong in Handlebars.
fn trim_final_newline(template: &mut HbTemplate) {
    if let Some(TemplateElement::RawString(text)) = template.elements.last_mut() {
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        if text.is_empty() {
            template.elements.pop();
        }
    }
}

fn compile(name: &str, text: &str) -> Result<HbTemplate> {
    let mut template = HbTemplate::compile_with_name(text, name.to_owned())
        .map_err(|err| syntax_error(name, err))?;
    guard_partials(&mut template);
    Ok(template)
}

/// Wraps every `{{> partial}}` of a template (blocks and inline partials included) in the
/// [`helpers::PARTIAL_GUARD`] block, which counts how deep partials nest: Handlebars itself
/// has no limit, and a partial that calls itself overflowed the stack.
fn guard_partials(template: &mut HbTemplate) {
    let (name, mappings) = (template.name.clone(), template.mapping.clone());
    for (index, element) in template.elements.iter_mut().enumerate() {
        match element {
            TemplateElement::PartialExpression(partial)
            | TemplateElement::PartialBlock(partial) => {
                if let Some(inner) = partial.template.as_mut() {
                    guard_partials(inner);
                }
                let partial_name = match &partial.name {
                    Parameter::Name(n) => n.clone(),
                    Parameter::Path(p) => format!("{p:?}"),
                    Parameter::Literal(Value::String(s)) => s.clone(),
                    _ => "(computed)".to_owned(),
                };
                let original = std::mem::replace(element, TemplateElement::Comment(String::new()));
                let mut body = HbTemplate::new();
                body.name.clone_from(&name);
                body.elements.push(original);
                body.mapping.extend(mappings.get(index).cloned());
                *element = helpers::partial_guard(partial_name, body);
            }
            TemplateElement::HelperBlock(block) => {
                for inner in [block.template.as_mut(), block.inverse.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    guard_partials(inner);
                }
            }
            TemplateElement::DecoratorBlock(block) => {
                if let Some(inner) = block.template.as_mut() {
                    guard_partials(inner);
                }
            }
            _ => {}
        }
    }
}

fn syntax_error(name: &str, err: handlebars::TemplateError) -> Error {
    let (line, column) = err.pos().unwrap_or((1, 1));
    let message = err.reason().to_string();
    Error::Syntax {
        template: name.to_owned(),
        line,
        column,
        message,
    }
}

/// Renders a compiled template that is not registered (so that threads need no `&mut`).
fn render_compiled(
    registry: &Handlebars<'static>,
    template: &HbTemplate,
    name: &str,
    context: &Context,
) -> Result<String> {
    let mut output = handlebars::StringOutput::new();
    let mut render_context = handlebars::RenderContext::new(template.name.as_ref());
    handlebars::Renderable::render(
        template,
        registry,
        context,
        &mut render_context,
        &mut output,
    )
    .map_err(|err| Error::Render {
        template: err.template_name.clone().unwrap_or_else(|| name.to_owned()),
        line: err.line_no,
        message: render_message(&err),
    })?;
    // StringOutput only ever holds the UTF-8 it was given.
    Ok(output.into_string().unwrap_or_default())
}

pub(super) fn render_message(err: &handlebars::RenderError) -> String {
    match err.reason() {
        RenderErrorReason::Other(message) => message.clone(),
        reason => {
            let mut message = reason.to_string();
            let mut source = std::error::Error::source(reason);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            message
        }
    }
}

/// The context of every template of one chart: Helm's objects without the leading dot.
fn base_context(scopes: &[Scope<'_>], scope: &Scope<'_>, job: &Job) -> Value {
    let release = &job.release;
    let mut subcharts = Map::new();
    for &sub in &scope.subcharts {
        let sub = &scopes[sub];
        subcharts.insert(
            sub.chart.name().to_owned(),
            json!({
                "Values": plain_numbers(Value::Object(sub.values.clone())),
                "Chart": sub.chart_map(),
            }),
        );
    }
    json!({
        "Values": plain_numbers(Value::Object(scope.values.clone())),
        "Release": {
            "Name": release.name,
            "Namespace": release.namespace,
            "Revision": release.revision,
            "IsInstall": release.is_install,
            "IsUpgrade": release.is_upgrade,
            "Service": release.service,
        },
        "Chart": scope.chart_map(),
        "Capabilities": job.capabilities.to_value(),
        "Template": {},
        "Subcharts": subcharts,
    })
}

fn set_template(context: &mut Context, name: &str, base_path: &str) {
    if let Value::Object(map) = context.data_mut() {
        map.insert(
            "Template".to_owned(),
            json!({"Name": name, "BasePath": base_path}),
        );
    }
}

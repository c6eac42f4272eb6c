//! Rendering: a chart and its computed values become objects through the built-in Handlebars
//! engine, or through the WebAssembly renderer the chart names (`renderer:` in `Chart.yaml`),
//! then through the post-renderer plugins ([`render_with_plugins`]). Files in `templates/`
//! whose name starts with `_` define partials (`{{#*inline "name"}}...{{/inline}}`) shared by
//! every template, like Helm's `_helpers.tpl`.

pub mod helpers;

use std::sync::Arc;

use handlebars::template::{Parameter, TemplateElement};
use handlebars::{Context, Handlebars, RenderErrorReason, Template as HbTemplate};
use serde_json::{Map, Value, json};

use crate::chart::{self, Chart};
use crate::manifest::{self, Object};
use crate::plugin;
use crate::release::{Capabilities, Release};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{template}:{line}:{column}: template syntax error: {message}")]
    Syntax {
        template: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{template}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Render {
        template: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{template}: partial `{name}` is defined twice (also in {other})")]
    DuplicatePartial {
        template: String,
        name: String,
        other: String,
    },
    /// The rendered text of a template is not valid objects; `rendered` is kept so that
    /// `-v` can show it, as `helm template --debug` does.
    #[error("{error}")]
    Manifest {
        error: manifest::Error,
        rendered: String,
    },
    #[error(transparent)]
    Chart(#[from] chart::Error),
    #[error(transparent)]
    Plugin(#[from] plugin::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What rendering a chart produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Objects in Helm's install order.
    pub objects: Vec<Object>,
    /// The rendered `NOTES.txt`, if the chart has one.
    pub notes: Option<String>,
}

/// Renders every template of `chart` with `values` (already coalesced and validated).
pub fn render(
    chart: &Chart,
    values: &Value,
    release: &Release,
    capabilities: &Capabilities,
) -> Result<Rendered> {
    chart.check_renderable()?;
    chart.check_kube_version(&capabilities.kube_version)?;

    let mut registry = new_registry(chart)?;
    let base = base_context(chart, values, release, capabilities);
    let base_path = format!("{}/templates", chart.name());

    // Templates are independent once the partials are registered: compile, render and parse
    // them on every core. Results are gathered in template order, so output and the error
    // reported (the first failing template's) do not depend on scheduling.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(chart.templates.len().div_ceil(16))
        .max(1);
    let chunk = chart.templates.len().div_ceil(workers).max(1);
    let registry_ref = &registry;
    let results: Vec<Result<Vec<Object>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chart
            .templates
            .chunks(chunk)
            .map(|templates| {
                let base = &base;
                let base_path = &base_path;
                scope.spawn(move || {
                    let mut context = Context::from(base.clone());
                    templates
                        .iter()
                        .map(|template| {
                            let name = template_name(chart, &template.path);
                            let compiled = compile(&name, &template.text)?;
                            set_template(&mut context, &name, base_path);
                            let text = render_compiled(registry_ref, &compiled, &name, &context)?;
                            manifest::parse(&name, &text).map_err(|error| Error::Manifest {
                                error,
                                rendered: text,
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut objects = Vec::new();
    for result in results {
        objects.extend(result?);
    }
    manifest::sort_for_install(&mut objects);

    crate::verbose!(
        "rendered {} objects from {} templates of chart {} on {workers} thread(s)",
        objects.len(),
        chart.templates.len(),
        chart.name()
    );
    let mut context = Context::from(base);
    let notes = match &chart.notes {
        Some(notes) => {
            let name = template_name(chart, &notes.path);
            compile_into(&mut registry, &name, &notes.text)?;
            set_template(&mut context, &name, &base_path);
            Some(render_one(&registry, &name, &context)?)
        }
        None => None,
    };
    Ok(Rendered { objects, notes })
}

/// The whole pipeline: the chart's renderer (the plugin `Chart.yaml` names, else the built-in
/// Handlebars engine), then every enabled post-renderer of `plugins`, in order.
pub fn render_with_plugins(
    chart: &Chart,
    values: &Value,
    release: &Release,
    capabilities: &Capabilities,
    plugins: &plugin::Registry,
) -> Result<Rendered> {
    let mut rendered = match chart.metadata.renderer.as_deref() {
        None | Some("") | Some("handlebars") => render(chart, values, release, capabilities)?,
        Some(name) => {
            let renderer = plugins.require(name, plugin::Kind::Renderer)?;
            render_with(renderer, chart, values, release, capabilities)?
        }
    };
    let objects = std::mem::take(&mut rendered.objects);
    rendered.objects = plugins.post_render(objects)?;
    Ok(rendered)
}

/// Renders `chart` with a renderer plugin instead of Handlebars.
pub fn render_with(
    renderer: &plugin::Plugin,
    chart: &Chart,
    values: &Value,
    release: &Release,
    capabilities: &Capabilities,
) -> Result<Rendered> {
    chart.check_renderable()?;
    chart.check_kube_version(&capabilities.kube_version)?;
    let metadata = serde_json::to_value(&chart.metadata).unwrap_or_default();
    let mut files: Vec<(&str, &[u8])> = chart
        .templates
        .iter()
        .chain(&chart.partials)
        .chain(&chart.notes)
        .map(|t| (t.path.as_str(), t.text.as_bytes()))
        .chain(chart.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
        .collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    let output = renderer.render(&plugin::RenderRequest {
        chart: &metadata,
        files,
        values,
        release,
        capabilities,
    })?;
    let mut objects = Vec::new();
    for (path, text) in &output.documents {
        let parsed = manifest::parse(&template_name(chart, path), text).map_err(|error| {
            Error::Manifest {
                error,
                rendered: text.clone(),
            }
        })?;
        objects.extend(parsed);
    }
    manifest::sort_for_install(&mut objects);
    Ok(Rendered {
        objects,
        notes: output.notes,
    })
}

/// `web/templates/deployment.yaml`: the name Helm shows in `# Source:` and errors.
pub fn template_name(chart: &Chart, path: &str) -> String {
    format!("{}/{}", chart.name(), path)
}

fn new_registry(chart: &Chart) -> Result<Handlebars<'static>> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut registry, Arc::new(chart.files.clone()));
    let mut defined: Map<String, Value> = Map::new();
    for partial in &chart.partials {
        let name = template_name(chart, &partial.path);
        let compiled = compile(&name, &partial.text)?;
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
            registry.register_template(&partial_name, inner);
        }
        // The whole file is a partial too, under its path, for `{{> web/templates/_x.tpl}}`.
        registry.register_template(&name, compiled);
    }
    Ok(registry)
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
    HbTemplate::compile_with_name(text, name.to_owned()).map_err(|err| syntax_error(name, err))
}

fn compile_into(registry: &mut Handlebars<'static>, name: &str, text: &str) -> Result<()> {
    let compiled = compile(name, text)?;
    registry.register_template(name, compiled);
    Ok(())
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

fn render_one(registry: &Handlebars<'static>, name: &str, context: &Context) -> Result<String> {
    registry
        .render_with_context(name, context)
        .map_err(|err| Error::Render {
            template: err.template_name.clone().unwrap_or_else(|| name.to_owned()),
            line: err.line_no,
            message: render_message(&err),
        })
}

fn render_message(err: &handlebars::RenderError) -> String {
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

fn base_context(chart: &Chart, values: &Value, release: &Release, caps: &Capabilities) -> Value {
    json!({
        "Values": values,
        "Release": {
            "Name": release.name,
            "Namespace": release.namespace,
            "Revision": release.revision,
            "IsInstall": release.is_install,
            "IsUpgrade": release.is_upgrade,
            "Service": release.service,
        },
        "Chart": chart_context(&chart.metadata),
        "Capabilities": caps.to_value(),
        "Template": {},
    })
}

/// `Chart` in templates uses Helm's capitalised field names (`Chart.Name`, `Chart.AppVersion`).
fn chart_context(metadata: &chart::Metadata) -> Value {
    let mut map = Map::new();
    let plain = serde_json::to_value(metadata).unwrap_or_default();
    if let Value::Object(fields) = plain {
        for (key, value) in fields {
            let mut chars = key.chars();
            let capitalised = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => key,
            };
            map.insert(capitalised, value);
        }
    }
    Value::Object(map)
}

fn set_template(context: &mut Context, name: &str, base_path: &str) {
    if let Value::Object(map) = context.data_mut() {
        map.insert(
            "Template".to_owned(),
            json!({"Name": name, "BasePath": base_path}),
        );
    }
}

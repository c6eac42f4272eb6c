//! Rendering: a chart tree and its release's values become documents and objects.
//!
//! Every chart of the tree (the chart and its enabled subcharts) is rendered by the engine its
//! `Chart.yaml` names in `renderer:` ([`Engine`]): Go templates when absent (Helm's language,
//! byte for byte what `helm template` renders), the built-in Handlebars engine for
//! `handlebars`, otherwise the WebAssembly renderer plugin of that name. Whatever the engine,
//! each chart sees its own section of the values, as in Helm ([`Scope`]): the top chart all
//! of them, a subchart `values[name]` with the globals merged in. Charts that share an engine
//! share named templates (Go's `define`, Handlebars partials), so a library chart serves its
//! parent; a WebAssembly renderer is called once per chart, with that chart's files and
//! values, so the plugin contract (WIT 0.1) stays as it is.
//!
//! The rendered text of every template then goes through Helm's own pipeline
//! ([`manifest::sort_manifests`]): split into documents, hooks set apart, ordered by kind.
//! Documents keep their text, so `template` prints what the templates wrote; post-renderers,
//! when there are any, work on the parsed objects and their output is printed as YAML.

pub mod gotmpl;
pub(crate) mod handlebars;
pub mod helpers;

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::chart::{self, Chart};
use crate::manifest::{self, CrdFile, Document, Object};
use crate::plugin;
use crate::release::{Capabilities, Release};

pub use handlebars::{render_handlebars, template_name};

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
    /// A Go template error, printed as Go prints it (`template: NAME:LINE:COL: ...`).
    #[error("{0}")]
    Go(String),
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
    #[error("`{}` is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error(transparent)]
    Chart(#[from] chart::Error),
    #[error(transparent)]
    Plugin(#[from] plugin::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A release ready to render: the chart with its dependencies processed
/// ([`chart::values::for_release`]), the computed values, and what templates see of the
/// release and the cluster.
#[derive(Debug, Clone)]
pub struct Job {
    pub chart: Chart,
    /// The top chart's values: coalesced, checked, keys sorted, numbers with Go's types.
    pub values: Map<String, Value>,
    pub release: Release,
    pub capabilities: Capabilities,
}

/// What rendering a chart produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Every document of every template, in Helm's order: objects by kind in install order,
    /// then hooks by kind.
    pub documents: Vec<Document>,
    /// The `crds/` files of the chart and its enabled subcharts, in Helm's order.
    pub crds: Vec<CrdFile>,
    /// The top chart's rendered `NOTES.txt`, if it has one.
    pub notes: Option<String>,
}

impl Rendered {
    /// The objects of the documents, hooks (`helm test` ones too) included: every document
    /// but comments-only ones, checked to be Kubernetes objects, in Helm's order.
    pub fn objects(&self) -> Result<Vec<Object>> {
        let mut objects = Vec::new();
        for document in &self.documents {
            let object = document.objects().map_err(|error| Error::Manifest {
                error,
                rendered: document.text.clone(),
            })?;
            objects.extend(object);
        }
        Ok(objects)
    }

    /// The objects of the `crds/` files, installed before everything else.
    pub fn crd_objects(&self) -> Result<Vec<Object>> {
        let mut objects = Vec::new();
        for crd in &self.crds {
            let parsed =
                manifest::parse(&crd.source, &crd.text).map_err(|error| Error::Manifest {
                    error,
                    rendered: crd.text.clone(),
                })?;
            objects.extend(parsed);
        }
        Ok(objects)
    }
}

/// The engine a chart's templates are written for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Engine {
    /// Go's text/template with Sprig and Helm's functions: `renderer:` absent.
    Go,
    /// The built-in Handlebars engine: `renderer: handlebars`.
    Handlebars,
    /// A WebAssembly renderer plugin.
    Plugin(String),
}

/// The annotation that names a chart's renderer when `renderer:` cannot be used: `helm package`
/// drops `Chart.yaml` fields it does not know, annotations survive it.
pub const RENDERER_ANNOTATION: &str = "kubectl-chart.io/renderer";

impl Engine {
    /// The engine of a chart: `renderer:` in `Chart.yaml`, else the
    /// `kubectl-chart.io/renderer` annotation, else Go templates.
    pub fn of(chart: &Chart) -> Engine {
        let metadata = &chart.metadata;
        let name = metadata.renderer.as_deref().or_else(|| {
            metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(RENDERER_ANNOTATION))
                .map(String::as_str)
        });
        match name.map(str::trim) {
            None | Some("") => Engine::Go,
            Some("handlebars") => Engine::Handlebars,
            Some(name) => Engine::Plugin(name.to_owned()),
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Go => f.write_str("Go templates"),
            Engine::Handlebars => f.write_str("Handlebars"),
            Engine::Plugin(name) => write!(f, "WebAssembly renderer `{name}`"),
        }
    }
}

/// One chart of the tree as its templates see it: Helm's per-chart render values.
#[derive(Debug)]
pub struct Scope<'a> {
    pub chart: &'a Chart,
    /// Helm's `ChartFullPath`: `parent/charts/sub`, the prefix of template names.
    pub full_path: String,
    pub is_root: bool,
    /// This chart's section of the values.
    pub values: Map<String, Value>,
    /// Indexes (into the scope list) of this chart's direct subcharts.
    pub subcharts: Vec<usize>,
}

impl Scope<'_> {
    /// `.Chart`: Helm's map of the metadata with Go field names, and `IsRoot`.
    pub fn chart_map(&self) -> Map<String, Value> {
        let mut map = self.chart.metadata.to_go_map();
        map.insert("IsRoot".into(), Value::Bool(self.is_root));
        map
    }

    /// `web/templates/deployment.yaml`: the name Helm gives a template of this chart.
    pub fn template_name(&self, path: &str) -> String {
        format!("{}/{path}", self.full_path)
    }
}

/// Every chart of the tree with its scoped values, parents before their subcharts.
pub fn scopes<'a>(chart: &'a Chart, values: &Map<String, Value>) -> Vec<Scope<'a>> {
    let mut scopes = Vec::new();
    add_scope(
        chart,
        chart.name().to_owned(),
        true,
        values.clone(),
        &mut scopes,
    );
    scopes
}

fn add_scope<'a>(
    chart: &'a Chart,
    full_path: String,
    is_root: bool,
    values: Map<String, Value>,
    scopes: &mut Vec<Scope<'a>>,
) -> usize {
    let index = scopes.len();
    scopes.push(Scope {
        chart,
        full_path: full_path.clone(),
        is_root,
        values: Map::new(),
        subcharts: Vec::new(),
    });
    let mut subcharts = Vec::new();
    for sub in &chart.dependencies {
        // Helm's `values.Table("Values." + name)`: the section if it is a map, else nothing.
        let section = match values.get(sub.name()) {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        let path = format!("{full_path}/charts/{}", sub.name());
        subcharts.push(add_scope(sub, path, false, section, scopes));
    }
    scopes[index].values = values;
    scopes[index].subcharts = subcharts;
    index
}

/// Renders a release: every chart of the tree with its engine, then Helm's ordering, the
/// `crds/` files, and the post-renderers of `plugins`.
pub fn render(job: &Job, plugins: &plugin::Registry) -> Result<Rendered> {
    let chart = &job.chart;
    chart.check_renderable()?;
    chart.check_kube_version(&job.capabilities.kube_version)?;
    let scopes = scopes(chart, &job.values);

    let mut engines: Vec<Engine> = scopes.iter().map(|s| Engine::of(s.chart)).collect();
    engines.sort();
    engines.dedup();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut notes = None;
    for engine in engines {
        let members: Vec<usize> = (0..scopes.len())
            .filter(|&i| Engine::of(scopes[i].chart) == engine)
            .collect();
        crate::verbose!(
            "rendering {} chart(s) with {engine}: {}",
            members.len(),
            members
                .iter()
                .map(|&i| scopes[i].full_path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let output = match &engine {
            Engine::Go => gotmpl::render(&scopes, &members, job)?,
            Engine::Handlebars => handlebars::render_handlebars(&scopes, &members, job)?,
            Engine::Plugin(name) => {
                let renderer = plugins.require(name, plugin::Kind::Renderer)?;
                render_with_plugin(renderer, &scopes, &members, job)?
            }
        };
        files.extend(output.files);
        if output.notes.is_some() {
            notes = output.notes;
        }
    }

    let documents = documents(files)?;
    let documents = if plugins.enabled(plugin::Kind::PostRenderer).is_empty() {
        documents
    } else {
        let rendered = Rendered {
            documents,
            crds: Vec::new(),
            notes: None,
        };
        let mut objects = Vec::new();
        for document in &rendered.documents {
            let object = document.objects().map_err(|error| Error::Manifest {
                error,
                rendered: document.text.clone(),
            })?;
            objects.extend(object);
        }
        let objects = plugins.post_render(objects)?;
        manifest::order_documents(manifest::documents_from_objects(objects))
    };
    Ok(Rendered {
        documents,
        crds: crd_files(&scopes)?,
        notes,
    })
}

/// What one engine rendered: `(template name, text)` of every template that is not a
/// partial or notes, and the top chart's notes when the engine rendered it.
#[derive(Debug, Default)]
pub struct EngineOutput {
    pub files: Vec<(String, String)>,
    pub notes: Option<String>,
}

/// Helm's `SortManifests` over rendered templates, the documents parsed on every core.
fn documents(mut files: Vec<(String, String)>) -> Result<Vec<Document>> {
    files.retain(|(name, text)| {
        let base = name.rsplit('/').next().unwrap_or(name);
        !base.starts_with('_') && !name.ends_with("NOTES.txt") && !text.trim().is_empty()
    });
    files.sort_by(|a, b| a.0.cmp(&b.0));
    // Documents, not files, are shared out: one template often renders hundreds of them.
    let pieces: Vec<(&str, &str, usize, &str)> = files
        .iter()
        .flat_map(|(name, text)| {
            manifest::split_lines(text)
                .into_iter()
                .map(move |(line, doc)| (name.as_str(), text.as_str(), line, doc))
        })
        .collect();
    let parsed = parallel_map(&pieces, |&(name, text, line, doc)| {
        manifest::parse_document(name, text, line, doc).map_err(|error| Error::Manifest {
            error,
            rendered: text.to_owned(),
        })
    });
    let all = parsed.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(manifest::order_documents(all))
}

/// The `crds/` files of every chart of the tree: each chart's own in load order, then its
/// subcharts', depth first (Helm's `CRDObjects`).
fn crd_files(scopes: &[Scope<'_>]) -> Result<Vec<CrdFile>> {
    let mut crds = Vec::new();
    if !scopes.is_empty() {
        add_crds(scopes, 0, &mut crds)?;
    }
    Ok(crds)
}

fn add_crds(scopes: &[Scope<'_>], index: usize, crds: &mut Vec<CrdFile>) -> Result<()> {
    let scope = &scopes[index];
    for path in &scope.chart.crds {
        let bytes = scope
            .chart
            .files
            .get(path)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let text = std::str::from_utf8(bytes).map_err(|_| Error::NotText {
            path: scope.chart.file_path(path),
        })?;
        crds.push(CrdFile {
            source: scope.template_name(path),
            text: text.to_owned(),
        });
    }
    for &sub in &scope.subcharts {
        add_crds(scopes, sub, crds)?;
    }
    Ok(())
}

/// Renders each chart of `members` with a renderer plugin: one call per chart, with that
/// chart's files and its section of the values.
fn render_with_plugin(
    renderer: &plugin::Plugin,
    scopes: &[Scope<'_>],
    members: &[usize],
    job: &Job,
) -> Result<EngineOutput> {
    let mut output = EngineOutput::default();
    for &index in members {
        let scope = &scopes[index];
        let chart = scope.chart;
        if chart.metadata.is_library() {
            continue;
        }
        let metadata = serde_json::to_value(&chart.metadata).unwrap_or_default();
        let mut files: Vec<(&str, &[u8])> = chart
            .templates
            .iter()
            .map(|t| (t.path.as_str(), t.text.as_bytes()))
            .chain(chart.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let values = chart::values::plain_numbers(Value::Object(scope.values.clone()));
        let result = renderer.render(&plugin::RenderRequest {
            chart: &metadata,
            files,
            values: &values,
            release: &job.release,
            capabilities: &job.capabilities,
        })?;
        output.files.extend(
            result
                .documents
                .into_iter()
                .map(|(path, text)| (scope.template_name(&path), text)),
        );
        if scope.is_root {
            output.notes = result.notes;
        }
    }
    Ok(output)
}

/// The stack of each rendering thread: Handlebars partials nest up to 100 deep, each level
/// several frames (a debug build needs about 6 MiB there); untouched stack costs no memory.
/// (The Go engine grows its own stack on the heap.)
const RENDER_STACK_SIZE: usize = 32 << 20;

/// Runs `render` on a thread with a [`RENDER_STACK_SIZE`] stack.
pub(crate) fn on_render_stack<T: Send>(render: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .stack_size(RENDER_STACK_SIZE)
            .spawn_scoped(scope, render)
            .map_err(|err| thread_error(&err))?;
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

fn thread_error(err: &std::io::Error) -> Error {
    Error::Render {
        template: "(renderer)".to_owned(),
        line: None,
        message: format!("cannot start a thread to render on: {err}"),
    }
}

/// Maps `f` over `items` on every core, keeping the order of `items`.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Vec<Result<R>> {
    parallel_chunks(items, |chunk| chunk.iter().map(&f).collect())
}

/// Runs `f` on consecutive chunks of `items`, one chunk per core (small inputs make one
/// chunk), each on a thread with a [`RENDER_STACK_SIZE`] stack, and concatenates the results
/// in order. `f` must return one result per item. A thread that cannot start is an error.
pub fn parallel_chunks<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&[T]) -> Vec<Result<R>> + Sync,
) -> Vec<Result<R>> {
    on_threads(items.chunks(chunk_len(items.len(), 8)), f)
        .into_iter()
        .flat_map(|chunk| match chunk {
            Ok(results) => results,
            Err(err) => vec![Err(thread_error(&err))],
        })
        .collect()
}

/// How many items each worker takes: one chunk per core, each of at least `min` items (so
/// small inputs make one chunk).
pub fn chunk_len(items: usize, min: usize) -> usize {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.div_ceil(min))
        .max(1);
    items.div_ceil(workers).max(1)
}

/// Runs `f` on each of `chunks` on a thread of its own with a [`RENDER_STACK_SIZE`] stack
/// (templates and merges recurse as deep as their input nests; untouched stack costs
/// nothing), and returns the results in order; a thread that cannot start is an error for its
/// chunk. A panic is passed on.
pub fn on_threads<C: Send, R: Send>(
    chunks: impl Iterator<Item = C>,
    f: impl Fn(C) -> R + Sync,
) -> Vec<std::io::Result<R>> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .map(|chunk| {
                std::thread::Builder::new()
                    .stack_size(RENDER_STACK_SIZE)
                    .spawn_scoped(scope, move || f(chunk))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.map(|h| match h.join() {
                    Ok(result) => result,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{File, from_files};
    use serde_json::json;

    fn tree() -> Chart {
        let files = [
            ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            ("crds/top.yaml", "kind: A\n"),
            (
                "charts/a/Chart.yaml",
                "apiVersion: v2\nname: a\nversion: 1.0.0\nrenderer: handlebars\n",
            ),
            ("charts/a/crds/a.yaml", "kind: B\n"),
            (
                "charts/a/charts/b/Chart.yaml",
                "apiVersion: v2\nname: b\nversion: 1.0.0\n",
            ),
            (
                "charts/c/Chart.yaml",
                "apiVersion: v2\nname: c\nversion: 1.0.0\nrenderer: jinja\n",
            ),
        ];
        from_files(
            std::path::Path::new("top"),
            files
                .iter()
                .map(|(n, d)| File {
                    name: n.to_string(),
                    data: d.as_bytes().to_vec(),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn scopes_follow_helm() {
        let chart = tree();
        let values = json!({"x": 1, "a": {"y": 2, "b": {"z": 3}}, "c": "not a map"});
        let scopes = scopes(&chart, values.as_object().unwrap());
        let paths: Vec<&str> = scopes.iter().map(|s| s.full_path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "top",
                "top/charts/a",
                "top/charts/a/charts/b",
                "top/charts/c"
            ]
        );
        assert_eq!(
            Value::Object(scopes[1].values.clone()),
            json!({"y": 2, "b": {"z": 3}})
        );
        assert_eq!(Value::Object(scopes[2].values.clone()), json!({"z": 3}));
        assert_eq!(Value::Object(scopes[3].values.clone()), json!({}));
        assert_eq!(scopes[0].subcharts, [1, 3]);
        assert!(scopes[0].is_root && !scopes[1].is_root);
        assert_eq!(scopes[0].chart_map()["IsRoot"], true);
        assert_eq!(
            scopes[1].template_name("templates/x.yaml"),
            "top/charts/a/templates/x.yaml"
        );
        let engines: Vec<Engine> = scopes.iter().map(|s| Engine::of(s.chart)).collect();
        assert_eq!(
            engines,
            [
                Engine::Go,
                Engine::Handlebars,
                Engine::Go,
                Engine::Plugin("jinja".into())
            ]
        );
        let crds = crd_files(&scopes).unwrap();
        let sources: Vec<&str> = crds.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(sources, ["top/crds/top.yaml", "top/charts/a/crds/a.yaml"]);
    }
}

//! Go templates (`renderer:` absent): Helm's render loop (`pkg/engine`) over the
//! `kchart-gotemplate` engine.
//!
//! Every template of every Go chart of the tree (a library chart's partials only) is parsed
//! into one set, in Helm's order, so named templates are shared and a parent's `define`
//! overrides a subchart's. Each template but partials is then executed with its chart's
//! render values, Helm's `recAllTpls`: `.Values` (the chart's section), `.Chart` (Go field
//! names, `IsRoot`), `.Files`, `.Release` (`Service` is `Helm`), `.Capabilities`,
//! `.Subcharts` (each subchart's own render values, by name) and `.Template` (`Name`,
//! `BasePath`). `<no value>` becomes nothing, as in Helm. Templates execute on every core;
//! the error reported is the first in Helm's execution order, worded as Helm words it.

use std::collections::BTreeMap;

use kchart_gotemplate::encoding::convert::{NumberMode, from_json};
use kchart_gotemplate::helm::{BuildInfo, Capabilities, Files, KubeVersion};
use kchart_gotemplate::{Dict, Env, FuncMap, Map, TemplateSet, Value};
use serde_json::Value as Json;

use super::{EngineOutput, Error, Job, Result, Scope};

/// The `Release.Service` of Go-template charts: what Helm says, so the labels of charts
/// migrated from Helm (`app.kubernetes.io/managed-by`), selectors included, do not change.
pub const SERVICE: &str = "Helm";

/// Renders the Go charts `members` of `scopes`: every template that is not a partial, and
/// the top chart's notes.
pub fn render(scopes: &[Scope<'_>], members: &[usize], job: &Job) -> Result<EngineOutput> {
    // (template name, index of its scope, text): library charts only lend their partials.
    let mut templates: Vec<(String, usize, &str)> = Vec::new();
    for &index in members {
        let scope = &scopes[index];
        let library = scope.chart.metadata.is_library();
        for template in &scope.chart.templates {
            if library && !template.is_partial() {
                continue;
            }
            templates.push((
                scope.template_name(&template.path),
                index,
                template.text.as_str(),
            ));
        }
    }
    let mut set = TemplateSet::new(FuncMap::helm());
    set.parse_all(
        templates
            .iter()
            .map(|(name, _, text)| (name.as_str(), *text)),
    )
    .map_err(|err| Error::Go(message(&err)))?;

    let contexts = contexts(scopes, members, job)?;
    // Helm executes in its parse order; the first failure in that order is the one shown.
    let mut order: Vec<&(String, usize, &str)> = templates
        .iter()
        .filter(|(name, _, _)| !is_partial(name))
        .collect();
    order.sort_by(|a, b| helm_order(&a.0, &b.0));
    let env = HostEnv::new();
    let run = |(name, index, _): &&(String, usize, &str)| {
        let context = &contexts[index];
        let template = template_value(name, &scopes[*index].template_name("templates"));
        (name.clone(), context, template)
    };
    // Go's maps are references: a template that `set`s into `.Values` (or into its chart's
    // context) changes what later templates read. Such charts run one template after the
    // other in Helm's order, each seeing its chart's one context with `.Template` updated in
    // place, as Helm runs them; the others run in parallel on copies, which cannot differ.
    let results: Vec<Result<(String, String)>> = if templates.iter().any(|t| mutates(t.2)) {
        crate::verbose!("a template changes maps in place: rendering in Helm's order, one by one");
        order
            .iter()
            .map(|item| {
                let (name, context, template) = run(item);
                context.insert("Template", template);
                set.render(&name, &Value::Dict(context.clone()), &env)
                    .map(|text| (name, text))
                    .map_err(|err| Error::Go(message(&err)))
            })
            .collect()
    } else {
        super::parallel_map(&order, |item| {
            let (name, context, template) = run(item);
            let mut data = context.read().clone();
            data.insert("Template".into(), template);
            set.render(&name, &Value::map(data), &env)
                .map(|text| (name, text))
                .map_err(|err| Error::Go(message(&err)))
        })
    };
    let mut output = EngineOutput::default();
    let root_notes = scopes
        .first()
        .map(|root| root.template_name("templates/NOTES.txt"));
    for result in results {
        let (name, text) = result?;
        if Some(&name) == root_notes.as_ref() {
            output.notes = Some(text);
        } else if !name.ends_with("NOTES.txt") {
            output.files.push((name, text));
        }
    }
    crate::verbose!(
        "rendered {} templates of {} Go chart(s)",
        order.len(),
        members.len()
    );
    Ok(output)
}

fn is_partial(name: &str) -> bool {
    name.rsplit('/').next().unwrap_or(name).starts_with('_')
}

/// Helm's `sortTemplates`: deeper paths first, then reverse lexicographic order.
fn helm_order(a: &str, b: &str) -> std::cmp::Ordering {
    let mut pair = [a, b];
    kchart_gotemplate::helm_parse_order(&mut pair);
    if a == b {
        std::cmp::Ordering::Equal
    } else if pair[0] == a {
        std::cmp::Ordering::Less
    } else {
        std::cmp::Ordering::Greater
    }
}

/// How an engine error reads: Go's one-line text (`template: NAME:LINE:COL: executing ...`),
/// or Helm's wording where Helm rewords on one line (parse errors, `required`, `fail`).
fn message(err: &kchart_gotemplate::Error) -> String {
    match err {
        kchart_gotemplate::Error::Parse(_) => err.helm_message(),
        _ if err.is_required_or_fail() => err.helm_message(),
        _ => err.to_string(),
    }
}

/// Each member chart's render values (Helm's `recAllTpls`), indexed by scope, as shared maps:
/// `.Values` of a subchart is its section of the parent's `.Values` itself (not a copy), and
/// `.Subcharts.<name>` is the subchart's own context, so in-place changes reach every holder
/// as in Helm.
fn contexts(scopes: &[Scope<'_>], members: &[usize], job: &Job) -> Result<BTreeMap<usize, Dict>> {
    let release = release_value(job);
    let capabilities = capabilities_value(job)?;
    // `.Values` top down: the root's whole tree made shared once, then each subchart's
    // section of its parent's (Helm's `Table("Values." + name)`: a fresh map when the
    // section is not a map).
    let mut values: Vec<Option<Value>> = vec![None; scopes.len()];
    for index in 0..scopes.len() {
        let own = match values[index].take() {
            Some(value) => value,
            // File numbers are f64 JSON numbers and `--set` integers i64: Go's float64 and
            // int64.
            None => from_json(
                &Json::Object(scopes[index].values.clone()),
                NumberMode::Plain,
            )
            .into_shared(),
        };
        for &sub in &scopes[index].subcharts {
            let section = match &own {
                Value::Dict(dict) => dict.get(scopes[sub].chart.name()),
                _ => None,
            };
            values[sub] = Some(match section {
                Some(section @ Value::Dict(_)) => section,
                _ => Value::dict(Map::new()),
            });
        }
        values[index] = Some(own);
    }
    let mut built: BTreeMap<usize, Dict> = BTreeMap::new();
    // Scopes are listed parents first: build in reverse so children exist first.
    for index in (0..scopes.len()).rev() {
        let scope = &scopes[index];
        let mut subcharts = Map::new();
        for &sub in &scope.subcharts {
            if let Some(context) = built.get(&sub) {
                subcharts.insert(
                    scopes[sub].chart.name().to_owned(),
                    Value::Dict(context.clone()),
                );
            }
        }
        let mut context = Map::new();
        context.insert(
            "Chart".into(),
            from_json(&Json::Object(scope.chart_map()), NumberMode::Plain),
        );
        context.insert(
            "Files".into(),
            Files::new(
                scope
                    .chart
                    .files
                    .iter()
                    .map(|(path, bytes)| (path.clone(), bytes.clone())),
            )
            .into_value(),
        );
        context.insert("Release".into(), release.clone());
        context.insert("Capabilities".into(), capabilities.clone());
        context.insert(
            "Values".into(),
            values[index]
                .take()
                .unwrap_or_else(|| Value::dict(Map::new())),
        );
        context.insert("Subcharts".into(), Value::dict(subcharts));
        built.insert(index, Dict::new(context));
    }
    built.retain(|index, _| members.contains(index));
    Ok(built)
}

/// `.Template`: the template's name and its chart's `templates` folder.
fn template_value(name: &str, base_path: &str) -> Value {
    let mut template = Map::new();
    template.insert("Name".into(), Value::from(name));
    template.insert("BasePath".into(), Value::from(base_path));
    Value::map(template)
}

/// Whether a template's actions call a function that changes a map in place (Sprig's `set`,
/// `unset` and the `merge` family). Words outside `{{ }}` do not count; a call hidden in a
/// string that `tpl` runs is not seen.
fn mutates(text: &str) -> bool {
    const MUTATORS: [&str; 6] = [
        "set",
        "unset",
        "merge",
        "mergeOverwrite",
        "mustMerge",
        "mustMergeOverwrite",
    ];
    text.split("{{").skip(1).any(|rest| {
        let action = rest.split_once("}}").map_or(rest, |(action, _)| action);
        action
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'))
            .any(|word| MUTATORS.contains(&word))
    })
}

fn release_value(job: &Job) -> Value {
    let release = &job.release;
    let mut map = Map::new();
    map.insert("Name".into(), Value::from(release.name.as_str()));
    map.insert("Namespace".into(), Value::from(release.namespace.as_str()));
    map.insert("IsUpgrade".into(), Value::Bool(release.is_upgrade));
    map.insert("IsInstall".into(), Value::Bool(release.is_install));
    map.insert(
        "Revision".into(),
        Value::Int(i64::try_from(release.revision).unwrap_or(i64::MAX)),
    );
    map.insert("Service".into(), Value::from(SERVICE));
    Value::map(map)
}

fn capabilities_value(job: &Job) -> Result<Value> {
    let caps = &job.capabilities;
    let kube_version = KubeVersion {
        version: caps.kube_git_version.clone(),
        normalized: caps.kube_version.clone(),
        major: caps.kube_major.clone(),
        minor: caps.kube_minor.clone(),
    };
    Ok(Capabilities {
        kube_version,
        api_versions: caps.api_versions.clone(),
        helm_version: BuildInfo::helm_4_1_4(),
    }
    .into_value())
}

/// The world as templates see it from the command line: the real clock and local time zone,
/// and cryptographic randomness (Sprig's `randAlphaNum` and certificates). `lookup` finds
/// nothing, as in `helm template`.
pub(crate) struct HostEnv {
    zone: jiff::tz::TimeZone,
}

impl HostEnv {
    pub(crate) fn new() -> Self {
        HostEnv {
            zone: jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
        }
    }
}

impl Env for HostEnv {
    fn now(&self) -> (i64, u32) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (
            i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
            now.subsec_nanos(),
        )
    }

    fn local_offset(&self, unix_seconds: i64) -> (i32, String) {
        match jiff::Timestamp::from_second(unix_seconds) {
            Ok(timestamp) => {
                let info = self.zone.to_offset_info(timestamp);
                (info.offset().seconds(), info.abbreviation().to_owned())
            }
            Err(_) => (0, "UTC".to_owned()),
        }
    }

    fn random(&self, buf: &mut [u8]) {
        // The system's generator cannot fail on the platforms we build for; should it, the
        // bytes still vary run to run.
        if getrandom::fill(buf).is_err() {
            for byte in buf.iter_mut() {
                *byte = fastrand::u8(..);
            }
        }
    }
}

/// Helm's `--name-template`: the release name as a Go template with no data (`<no value>`
/// kept, as Helm keeps it; the name is then checked like any other).
pub fn release_name_from_template(text: &str) -> Result<String> {
    let mut set = TemplateSet::new(FuncMap::helm());
    let name = "name-template";
    set.parse(name, text)
        .and_then(|()| set.execute(name, &Value::Nil, &HostEnv::new()))
        // Helm prints Go's own error here, `fail` included.
        .map_err(|err| Error::Go(err.to_string()))
}

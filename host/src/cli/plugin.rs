//! `kubectl chart plugin list|inspect`: the WebAssembly plugins a run would use, and the
//! discovery every command that renders shares ([`registry`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{GlobalArgs, Outcome, OutputFormat};
use crate::plugin::{self, Cache, Kind, Origin, Plugin, Registry, SearchPath, Settings, Trust};
use crate::render::Engine;

#[derive(Debug, Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    pub command: PluginCommand,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List the plugins found in the plugin folders (and the chart's `plugins/`)
    List(ListArgs),
    /// Show one plugin: kind, WIT version, limits, config and rules
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also search this chart's `plugins/` folder, and say which engine renders it and each
    /// of its subcharts
    #[arg(value_name = "CHART")]
    pub chart: Option<PathBuf>,
    /// Output format (default: a table)
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A plugin name (`labels`), or the path of a `.wasm` file
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Also search this chart's `plugins/` folder
    #[arg(long, value_name = "CHART")]
    pub chart: Option<PathBuf>,
    /// Output format (default: text)
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<OutputFormat>,
}

pub fn run(global: &GlobalArgs, args: PluginArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    match args.command {
        PluginCommand::List(args) => list(global, args, out),
        PluginCommand::Inspect(args) => inspect(global, args, out),
    }
}

/// Discovers the plugins for a run: `--plugins-dir`, `$KUBECTL_CHART_PLUGINS`, the chart's
/// `plugins/` folder (when `chart` is a folder, unless `--no-chart-plugins`), the user's and
/// the system's data folders. Skipped files and trust conflicts are reported on stderr as
/// warnings.
pub fn registry(global: &GlobalArgs, chart: Option<&Path>) -> anyhow::Result<Registry> {
    let mut search = SearchPath::standard(&global.plugins_dir, chart);
    search.set_chart_limits(Settings::from_env()?.chart_plugin_limits);
    if global.no_chart_plugins {
        search.ignore_chart_plugins();
    }
    let registry = Registry::discover(&search, Cache::from_env())?;
    warn(&registry);
    Ok(registry)
}

fn warn(registry: &Registry) {
    for warning in registry.warnings() {
        crate::log::warning(&warning.to_string());
    }
}

fn list(global: &GlobalArgs, args: ListArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let registry = registry(global, args.chart.as_deref())?;
    match args.output {
        Some(format) => {
            let list: Vec<Value> = registry.plugins().iter().map(describe).collect();
            super::values::write_value(out, &Value::Array(list), format)?;
        }
        None => {
            let mut rows = vec![[
                "NAME".to_owned(),
                "KIND".to_owned(),
                "WIT".to_owned(),
                "ENABLED".to_owned(),
                "ORIGIN".to_owned(),
                "TRUST".to_owned(),
                "PATH".to_owned(),
                "RULES".to_owned(),
            ]];
            for p in registry.plugins() {
                rows.push([
                    p.name().to_owned(),
                    p.kind().to_string(),
                    p.wit_version().to_owned(),
                    if p.sidecar().enabled { "yes" } else { "no" }.to_owned(),
                    p.origin().to_string(),
                    p.trust().to_string(),
                    p.path().display().to_string(),
                    p.rules()
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                ]);
            }
            if registry.plugins().is_empty() {
                writeln!(out, "no plugins found")?;
            } else {
                write_table(out, &rows)?;
            }
            if let Some(chart) = &args.chart {
                write_engines(out, chart)?;
            }
        }
    }
    Ok(Outcome::Success)
}

/// Which engine renders the chart and each of its subcharts (`renderer:` in `Chart.yaml`),
/// so a user sees whether Go templates, Handlebars or a plugin is at work.
fn write_engines(out: &mut dyn Write, path: &Path) -> anyhow::Result<()> {
    fn walk(out: &mut dyn Write, chart: &crate::chart::Chart, path: &str) -> std::io::Result<()> {
        writeln!(out, "chart {path} renders with {}", Engine::of(chart))?;
        for sub in &chart.dependencies {
            walk(out, sub, &format!("{path}/charts/{}", sub.name()))?;
        }
        Ok(())
    }
    let chart = crate::chart::load(path)?;
    walk(out, &chart, chart.name())?;
    Ok(())
}

fn write_table<const N: usize>(out: &mut dyn Write, rows: &[[String; N]]) -> std::io::Result<()> {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}   "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn inspect(global: &GlobalArgs, args: InspectArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let explicit = args.name.ends_with(".wasm") || args.name.contains('/');
    let registry = if explicit {
        // A file named explicitly: any problem with it is an error, not a warning.
        let mut search = SearchPath::default();
        search.push(PathBuf::from(&args.name), Origin::Flag);
        let registry = Registry::discover(&search, Cache::from_env())?;
        warn(&registry);
        registry
    } else {
        registry(global, args.chart.as_deref())?
    };
    let plugin = match registry.plugins() {
        [only] if explicit => only,
        _ => registry
            .get(&args.name)
            .ok_or_else(|| plugin::Error::NotFound {
                name: args.name.clone(),
                searched: registry
                    .search_path()
                    .entries()
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
    };
    let described = describe(plugin);
    match args.output {
        Some(format) => super::values::write_value(out, &described, format)?,
        None => write_inspect(out, plugin).context("failed to write")?,
    }
    Ok(Outcome::Success)
}

fn write_inspect(out: &mut dyn Write, p: &Plugin) -> std::io::Result<()> {
    let limits = &p.sidecar().limits;
    writeln!(out, "Name:       {}", p.name())?;
    writeln!(out, "Kind:       {}", p.kind())?;
    writeln!(
        out,
        "WIT:        {}/{}@{}",
        plugin::WIT_PACKAGE,
        p.kind().interface(),
        p.wit_version()
    )?;
    writeln!(out, "Path:       {}", p.path().display())?;
    writeln!(out, "Origin:     {}", p.origin())?;
    writeln!(
        out,
        "Trust:      {}",
        match p.trust() {
            Trust::Trusted => "trusted (installed by the user or the system)",
            Trust::Untrusted =>
                "untrusted (shipped by the chart: may add plugins, never replace one; limits capped)",
        }
    )?;
    let sidecar = p.path().with_extension("toml");
    writeln!(
        out,
        "Sidecar:    {}",
        if sidecar.is_file() {
            sidecar.display().to_string()
        } else {
            "(none)".to_owned()
        }
    )?;
    writeln!(out, "Enabled:    {}", p.sidecar().enabled)?;
    if p.kind() == Kind::PostRenderer {
        writeln!(out, "Order:      {}", p.sidecar().order)?;
    }
    writeln!(
        out,
        "Limits:     {} ms, {} MiB memory, {} MiB output",
        limits.timeout.as_millis(),
        limits.memory / (1024 * 1024),
        limits.output / (1024 * 1024)
    )?;
    writeln!(out, "Config:     {}", p.sidecar().config)?;
    writeln!(
        out,
        "Compiled:   {}",
        if p.from_cache() {
            "from cache"
        } else {
            "in this run"
        }
    )?;
    if p.kind() == Kind::Linter {
        writeln!(out, "Rules:")?;
        for rule in p.rules() {
            let severity = serde_json::to_value(rule.default_severity).unwrap_or_default();
            writeln!(
                out,
                "  {:<24} {:<8} {}",
                rule.id,
                severity.as_str().unwrap_or_default(),
                rule.description
            )?;
        }
    }
    Ok(())
}

fn describe(p: &Plugin) -> Value {
    let limits = &p.sidecar().limits;
    json!({
        "name": p.name(),
        "kind": p.kind(),
        "witVersion": p.wit_version(),
        "path": p.path(),
        "origin": p.origin(),
        "trust": p.trust(),
        "enabled": p.sidecar().enabled,
        "order": p.sidecar().order,
        "limits": {
            "timeoutMs": u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            "memoryBytes": limits.memory,
            "outputBytes": limits.output,
        },
        "config": p.sidecar().config,
        "rules": p.rules(),
    })
}

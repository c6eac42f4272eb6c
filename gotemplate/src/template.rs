//! The template set: every template of a chart (and its subcharts) parsed once into one
//! namespace, as Helm does, then executed by name, from any number of threads at once.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Error;
use crate::exec::{Dot, Exec};
use crate::func::Env;
use crate::funcmap::FuncMap;
use crate::parse::Tree;
use crate::value::Value;

/// Bounds on one execution, so that hostile templates end with an error, not a crash or a
/// hang. Every limit applies to one call of [`TemplateSet::execute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting of `{{template}}`, `include` and `tpl` calls. Go allows 100000 `{{template}}`
    /// levels; Helm stops `include` at 1000 per name first, so the default leaves room for
    /// that error to show as Helm shows it.
    pub max_depth: usize,
    /// Nested `include` calls of one name (Helm's `recursionMaxNums`, 1000).
    pub max_include_depth: usize,
    /// Bytes one template (or one `include`/`tpl`) may write.
    pub max_output: usize,
    /// `range` iterations plus template calls; also the largest integer `range` accepts.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 2500,
            max_include_depth: 1000,
            max_output: 64 << 20,
            max_steps: 10_000_000,
        }
    }
}

/// How templates run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Go's `missingkey=error` (Helm's `--strict` lint): a missing map key is an error
    /// instead of a nil value.
    pub missing_key_error: bool,
    /// Helm's lint mode: `required` and `fail` give an empty string instead of failing.
    pub lint_mode: bool,
    /// The name of the set's root template, which `tpl` texts are parsed as and errors of a
    /// missing `include` mention (Helm: `gotpl`).
    pub root_name: String,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            missing_key_error: false,
            lint_mode: false,
            root_name: "gotpl".to_owned(),
            limits: Limits::default(),
        }
    }
}

/// Templates parsed into one namespace: each text is a template named after it, and every
/// `{{define}}`/`{{block}}` is global; a later definition replaces an earlier one of the same
/// name, unless it is empty (only spaces and comments). Parse the texts in Helm's order (see
/// [`helm_parse_order`]) to get Helm's overrides. Cheap to share: `Send + Sync`.
#[derive(Clone)]
pub struct TemplateSet {
    funcs: FuncMap,
    trees: HashMap<String, Arc<Tree>>,
    options: Options,
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_struct("TemplateSet")
            .field("templates", &names)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Go's `associate`: whether a newly parsed tree replaces an existing one of its name.
pub(crate) fn associate(existing: Option<&Tree>, new: &Tree) -> bool {
    !(existing.is_some() && new.is_empty())
}

impl TemplateSet {
    pub fn new(funcs: FuncMap) -> Self {
        TemplateSet::with_options(funcs, Options::default())
    }

    pub fn with_options(funcs: FuncMap, options: Options) -> Self {
        TemplateSet {
            funcs,
            trees: HashMap::new(),
            options,
        }
    }

    /// Parses `text` as the template `name` (a chart file's path, in Helm) and adds it and
    /// its definitions to the set (Go's `t.New(name).Parse(text)`). On error the set is
    /// unchanged.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let trees = crate::parse::parse(name, text, &self.funcs).map_err(Error::Parse)?;
        for (tree_name, tree) in trees {
            if associate(self.trees.get(&tree_name).map(|t| &**t), &tree) {
                self.trees.insert(tree_name, Arc::new(tree));
            }
        }
        Ok(())
    }

    /// Parses a chart's templates (and its subcharts') as Helm does: in Helm's order (see
    /// [`helm_parse_order`]), stopping at the first text that does not parse, whose error is
    /// then the one Helm reports.
    pub fn parse_all<N, T>(&mut self, files: impl IntoIterator<Item = (N, T)>) -> Result<(), Error>
    where
        N: AsRef<str>,
        T: AsRef<str>,
    {
        let mut files: Vec<(N, T)> = files.into_iter().collect();
        files.sort_by(|(a, _), (b, _)| helm_order(a.as_ref(), b.as_ref()));
        for (name, text) in &files {
            self.parse(name.as_ref(), text.as_ref())?;
        }
        Ok(())
    }

    /// Executes the template `name` with `data` as `.` and `$`, returning exactly what Go
    /// writes (missing values print `<no value>`).
    pub fn execute(&self, name: &str, data: &Value, env: &dyn Env) -> Result<String, Error> {
        let mut exec = Exec::new(self, env);
        exec.execute_named(
            name,
            Dot {
                value: data,
                iface: false,
            },
        )
    }

    /// [`TemplateSet::execute`], then `<no value>` removed, as Helm does with every rendered
    /// file.
    pub fn render(&self, name: &str, data: &Value, env: &dyn Env) -> Result<String, Error> {
        self.execute(name, data, env).map(strip_no_value)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of all templates (files and definitions), unordered.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.trees.keys().map(String::as_str)
    }

    pub fn funcs(&self) -> &FuncMap {
        &self.funcs
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub(crate) fn root_name(&self) -> &str {
        &self.options.root_name
    }

    pub(crate) fn tree(&self, name: &str) -> Option<&Tree> {
        self.trees.get(name).map(|t| &**t)
    }
}

/// Helm's final touch on every rendered file: `<no value>` (a missing value printed) becomes
/// nothing.
pub fn strip_no_value(text: String) -> String {
    if text.contains("<no value>") {
        text.replace("<no value>", "")
    } else {
        text
    }
}

/// Sorts template paths into the order Helm parses them (`sortTemplates`): the deepest paths
/// first (subcharts before their parents), and among paths of equal depth, reverse
/// lexicographic order. Definitions parsed later win, so a parent's `define` overrides a
/// subchart's.
pub fn helm_parse_order<S: AsRef<str>>(paths: &mut [S]) {
    paths.sort_by(|a, b| helm_order(a.as_ref(), b.as_ref()));
}

fn helm_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (da, db) = (a.matches('/').count(), b.matches('/').count());
    db.cmp(&da).then_with(|| b.cmp(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_parse_order_puts_deep_paths_first_then_reverse_names() {
        let mut paths = vec![
            "c/templates/a.yaml",
            "c/templates/b.yaml",
            "c/charts/sub/templates/_h.tpl",
            "c/templates/_helpers.tpl",
            "c/charts/sub/templates/x.yaml",
        ];
        helm_parse_order(&mut paths);
        assert_eq!(
            paths,
            [
                "c/charts/sub/templates/x.yaml",
                "c/charts/sub/templates/_h.tpl",
                "c/templates/b.yaml",
                "c/templates/a.yaml",
                "c/templates/_helpers.tpl",
            ]
        );
    }

    #[test]
    fn parse_all_uses_helm_order_and_stops_at_the_first_bad_text() {
        let mut set = TemplateSet::new(FuncMap::builtins());
        set.parse_all([
            ("c/templates/_a.tpl", "{{ define \"x\" }}parent{{ end }}"),
            (
                "c/charts/s/templates/_b.tpl",
                "{{ define \"x\" }}sub{{ end }}",
            ),
            ("c/templates/use.yaml", "{{ template \"x\" }}"),
        ])
        .expect("parses");
        let out = set.execute("c/templates/use.yaml", &Value::Nil, &crate::func::FixedEnv);
        assert_eq!(out, Ok("parent".to_owned()));

        let mut set = TemplateSet::new(FuncMap::builtins());
        let err = set
            .parse_all([
                ("c/templates/a.yaml", "{{ .a }"),
                ("c/templates/b.yaml", "{{ end }}"),
            ])
            .expect_err("both are bad");
        // b.yaml comes first in Helm's order (reverse names at equal depth).
        assert_eq!(
            err.to_string(),
            "template: c/templates/b.yaml:1: unexpected {{end}}"
        );
    }

    #[test]
    fn the_set_is_shareable_across_threads() {
        fn check<T: Send + Sync>() {}
        check::<TemplateSet>();
    }
}

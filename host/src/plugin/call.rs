//! [`Plugin`]: one loaded plugin, and its calls (render, lint, post-render), converting
//! between the WIT types and the host's own.
//!
//! Everything a guest returns is checked before anything downstream sees it: the total size
//! against the output limit, every object for valid JSON with `apiVersion`, `kind` and
//! `metadata.name`, every finding for a rule the linter declared. Bad output is an error
//! naming the plugin; nothing partial is passed on.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use wasmtime::component::InstancePre;

use super::bindings::{lint, post_render, render, types};
use super::discovery::{Origin, exported_kind};
use super::engine::{Host, State, root_message};
use super::files::{self, ReadError};
use super::sidecar::Sidecar;
use super::{Error, Kind, Result, text};

/// The largest plugin file loaded. Real components are a few MB (an interpreter for a
/// scripting language, the largest kind, some tens of MB).
pub const MAX_COMPONENT_BYTES: u64 = 128 * 1024 * 1024;

/// The longest `source` a guest may give an object or a document.
const MAX_SOURCE_LEN: usize = 4096;

/// The most of a guest's own text (an error, a finding) kept in a message.
const MAX_GUEST_TEXT: usize = 2000;
use crate::lint::{Finding, Linter, LinterError, RuleInfo, Severity};
use crate::manifest::{Object, ObjectRef};

/// The indices of the exported interface, looked up once when the plugin is loaded.
#[derive(Clone)]
enum Exports {
    Render(render::GuestIndices),
    Lint(lint::GuestIndices),
    PostRender(post_render::GuestIndices),
}

struct Inner {
    name: String,
    path: PathBuf,
    origin: Origin,
    kind: Kind,
    wit_version: String,
    sidecar: Sidecar,
    from_cache: bool,
    host: Arc<Host>,
    pre: InstancePre<State>,
    exports: Exports,
    /// A linter's rules, asked for once at load.
    rules: Vec<RuleInfo>,
}

/// A loaded plugin: compiled, its kind known, its exports type-checked. Cheap to clone.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.inner.name)
            .field("kind", &self.inner.kind)
            .field("path", &self.inner.path)
            .finish()
    }
}

/// What a renderer gets: the chart, values and release, with the host's types.
#[derive(Debug, Clone)]
pub struct RenderRequest<'a> {
    /// `Chart.yaml` as JSON.
    pub chart: &'a Value,
    /// Chart files, relative paths with `/`.
    pub files: Vec<(&'a str, &'a [u8])>,
    pub values: &'a Value,
    pub release: &'a crate::release::Release,
    pub capabilities: &'a crate::release::Capabilities,
}

/// What a renderer returned: `(template path, rendered text)` pairs, and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderResult {
    pub documents: Vec<(String, String)>,
    pub notes: Option<String>,
}

impl Plugin {
    /// Loads the plugin in `path`: compiles it (or takes it from the cache), reads its kind
    /// from its exports, checks the sandbox satisfies its imports and that its exports match
    /// the contract, and (for a linter) asks for its rules.
    pub fn load(
        host: Arc<Host>,
        path: &Path,
        name: String,
        origin: Origin,
        sidecar: Sidecar,
    ) -> Result<Plugin> {
        let bytes = read_component(path)?;
        let (component, from_cache) = host.compile(path, &bytes)?;
        let (kind, wit_version) = exported_kind(host.engine(), &component, path)?;
        let pre = host.instantiate_pre(path, &component)?;
        let contract = |err: wasmtime::Error| Error::Contract {
            path: path.to_owned(),
            message: root_message(&err),
        };
        let exports = match kind {
            Kind::Renderer => Exports::Render(render::GuestIndices::new(&pre).map_err(contract)?),
            Kind::Linter => Exports::Lint(lint::GuestIndices::new(&pre).map_err(contract)?),
            Kind::PostRenderer => {
                Exports::PostRender(post_render::GuestIndices::new(&pre).map_err(contract)?)
            }
        };
        let mut plugin = Inner {
            name,
            path: path.to_owned(),
            origin,
            kind,
            wit_version,
            sidecar,
            from_cache,
            host,
            pre,
            exports,
            rules: Vec::new(),
        };
        // Type-check the exports on a real instance now, so a mismatch is a load error that
        // names the file, not a failure in the middle of a run.
        let probe = plugin
            .host
            .call(&plugin.name, &plugin.pre, &plugin.sidecar.limits, {
                let exports = plugin.exports.clone();
                move |store, instance| match &exports {
                    Exports::Render(indices) => indices.load(&mut *store, instance).map(|_| None),
                    Exports::PostRender(indices) => {
                        indices.load(&mut *store, instance).map(|_| None)
                    }
                    Exports::Lint(indices) => {
                        let guest = indices.load(&mut *store, instance)?;
                        guest.call_rules(&mut *store).map(Some)
                    }
                }
            });
        match probe {
            Ok(Some(rules)) => {
                plugin.rules = convert_rules(&plugin.name, rules)?;
            }
            Ok(None) => {}
            Err(Error::Trap { message, .. }) => {
                return Err(Error::Contract {
                    path: path.to_owned(),
                    message,
                });
            }
            Err(err) => return Err(err),
        }
        Ok(Plugin {
            inner: Arc::new(plugin),
        })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn origin(&self) -> Origin {
        self.inner.origin
    }

    /// How far the plugin is trusted: a chart's own plugins are not.
    pub fn trust(&self) -> super::Trust {
        self.inner.origin.trust()
    }

    pub fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// The version of the WIT package the plugin was built against (`0.1.0`).
    pub fn wit_version(&self) -> &str {
        &self.inner.wit_version
    }

    pub fn sidecar(&self) -> &Sidecar {
        &self.inner.sidecar
    }

    /// Whether the compiled form came from the cache (false: it was compiled in this run).
    pub fn from_cache(&self) -> bool {
        self.inner.from_cache
    }

    /// A linter's rules (empty for other kinds).
    pub fn rules(&self) -> &[RuleInfo] {
        &self.inner.rules
    }

    /// The plugin's config from its sidecar, as JSON text.
    fn config_text(&self) -> String {
        self.inner.sidecar.config.to_string()
    }

    fn wrong_kind(&self, expected: Kind) -> Error {
        Error::WrongKind {
            name: self.inner.name.clone(),
            expected,
            actual: self.inner.kind,
        }
    }

    fn bad_output(&self, message: impl Into<String>) -> Error {
        Error::BadOutput {
            plugin: self.inner.name.clone(),
            message: text::one_line(&message.into(), 2 * text::QUOTE_CHARS),
        }
    }

    fn guest_error(&self, err: types::PluginError) -> Error {
        Error::Guest {
            plugin: self.inner.name.clone(),
            file: err
                .file
                .map(|file| text::one_line(&file, text::QUOTE_CHARS)),
            line: err.line,
            message: text::one_line(&err.message, MAX_GUEST_TEXT),
        }
    }

    /// Checks a `source` a guest returned: it is printed after `# Source:` in a YAML stream,
    /// so a line break in it would smuggle text (a whole object) past the linters.
    fn check_source(&self, what: &str, source: &str) -> Result<()> {
        if source.len() > MAX_SOURCE_LEN {
            return Err(self.bad_output(format!(
                "{what} source is {} bytes long, more than {MAX_SOURCE_LEN}",
                source.len()
            )));
        }
        if source.chars().any(char::is_control) {
            return Err(self.bad_output(format!(
                "{what} source `{}` holds a line break or another control character",
                source.escape_debug()
            )));
        }
        Ok(())
    }

    fn check_size(&self, size: usize) -> Result<()> {
        let limit = self.inner.sidecar.limits.output;
        if size > limit {
            return Err(Error::OutputTooLarge {
                plugin: self.inner.name.clone(),
                size,
                limit,
            });
        }
        Ok(())
    }

    /// Renders a chart with this renderer.
    pub fn render(&self, request: &RenderRequest<'_>) -> Result<RenderResult> {
        let Exports::Render(indices) = &self.inner.exports else {
            return Err(self.wrong_kind(Kind::Renderer));
        };
        let input = types::RenderInput {
            chart: request.chart.to_string(),
            files: request
                .files
                .iter()
                .map(|(path, content)| types::ChartFile {
                    path: (*path).to_owned(),
                    content: content.to_vec(),
                })
                .collect(),
            values: request.values.to_string(),
            release: types::Release {
                name: request.release.name.clone(),
                namespace: request.release.namespace.clone(),
                revision: request.release.revision,
                is_install: request.release.is_install,
                is_upgrade: request.release.is_upgrade,
                service: request.release.service.clone(),
            },
            capabilities: types::Capabilities {
                kube_version: request.capabilities.kube_version.clone(),
                api_versions: request.capabilities.api_versions.clone(),
            },
            config: self.config_text(),
        };
        let output = self.inner.host.call(
            &self.inner.name,
            &self.inner.pre,
            &self.inner.sidecar.limits,
            |store, instance| {
                indices
                    .load(&mut *store, instance)?
                    .call_render(&mut *store, &input)
            },
        )?;
        let output = output.map_err(|err| self.guest_error(err))?;
        let size = output
            .documents
            .iter()
            .map(|d| d.source.len() + d.text.len())
            .sum::<usize>()
            + output.notes.as_ref().map_or(0, String::len);
        self.check_size(size)?;
        let mut documents = Vec::with_capacity(output.documents.len());
        for doc in output.documents {
            self.check_source("document", &doc.source)?;
            if doc.source.is_empty() || doc.source.starts_with('/') || doc.source.contains("..") {
                return Err(self.bad_output(format!(
                    "document source `{}` is not a path inside the chart",
                    doc.source
                )));
            }
            documents.push((doc.source, doc.text));
        }
        Ok(RenderResult {
            documents,
            notes: output.notes,
        })
    }

    /// Runs this post-renderer on `objects`.
    pub fn post_render(&self, objects: &[Object]) -> Result<Vec<Object>> {
        let Exports::PostRender(indices) = &self.inner.exports else {
            return Err(self.wrong_kind(Kind::PostRenderer));
        };
        let input = to_wit_objects(objects);
        let config = self.config_text();
        let output = self.inner.host.call(
            &self.inner.name,
            &self.inner.pre,
            &self.inner.sidecar.limits,
            |store, instance| {
                indices
                    .load(&mut *store, instance)?
                    .call_post_render(&mut *store, &input, &config)
            },
        )?;
        let output = output.map_err(|err| self.guest_error(err))?;
        self.check_size(output.iter().map(|o| o.source.len() + o.json.len()).sum())?;
        let origin = format!("<{}>", self.inner.name);
        output
            .into_iter()
            .enumerate()
            .map(|(index, object)| {
                self.check_source(&format!("object {index}"), &object.source)?;
                let value: Value = serde_json::from_str(&object.json).map_err(|err| {
                    self.bad_output(format!("object {index} is not valid JSON: {err}"))
                })?;
                let source = if object.source.is_empty() {
                    origin.clone()
                } else {
                    object.source
                };
                Object::new(source, value)
                    .map_err(|err| self.bad_output(format!("object {index}: {err}")))
            })
            .collect()
    }

    /// Runs this linter on `objects` with `config` (JSON; `null` means the sidecar's config).
    pub fn lint(&self, objects: &[Object], config: &Value) -> Result<Vec<Finding>> {
        let Exports::Lint(indices) = &self.inner.exports else {
            return Err(self.wrong_kind(Kind::Linter));
        };
        let input = to_wit_objects(objects);
        let config = if config.is_null() {
            self.config_text()
        } else {
            config.to_string()
        };
        let output = self.inner.host.call(
            &self.inner.name,
            &self.inner.pre,
            &self.inner.sidecar.limits,
            |store, instance| {
                indices
                    .load(&mut *store, instance)?
                    .call_lint(&mut *store, &input, &config)
            },
        )?;
        let output = output.map_err(|err| self.guest_error(err))?;
        self.check_size(
            output
                .iter()
                .map(|f| {
                    f.rule.len()
                        + f.message.len()
                        + f.path.as_ref().map_or(0, String::len)
                        + f.object.name.len()
                        + f.object.kind.len()
                })
                .sum(),
        )?;
        output
            .into_iter()
            .map(|finding| self.convert_finding(objects, finding))
            .collect()
    }

    fn convert_finding(&self, objects: &[Object], finding: types::Finding) -> Result<Finding> {
        if !self.inner.rules.iter().any(|r| r.id == finding.rule) {
            return Err(self.bad_output(format!(
                "finding for rule `{}`, which the plugin did not declare in `rules`",
                finding.rule
            )));
        }
        let object = ObjectRef {
            api_version: finding.object.api_version,
            kind: finding.object.kind,
            namespace: finding.object.namespace.filter(|ns| !ns.is_empty()),
            name: finding.object.name,
        };
        let source = objects
            .iter()
            .find(|o| o.object_ref() == object)
            .or_else(|| {
                // A linter may leave out a namespace the object leaves to the release.
                objects.iter().find(|o| {
                    let r = o.object_ref();
                    r.api_version == object.api_version
                        && r.kind == object.kind
                        && r.name == object.name
                })
            })
            .map(|o| o.source.clone())
            .unwrap_or_default();
        // The object is printed in the finding's line: what the guest named stays on it.
        let field = |s: &str| text::one_line(s, text::QUOTE_CHARS);
        let object = ObjectRef {
            api_version: field(&object.api_version),
            kind: field(&object.kind),
            namespace: object.namespace.as_deref().map(field),
            name: field(&object.name),
        };
        // A finding is printed on one line; what the guest wrote is folded and bounded.
        Ok(Finding {
            rule: finding.rule,
            severity: severity(finding.severity),
            message: text::one_line(&finding.message, MAX_GUEST_TEXT),
            object,
            source,
            path: finding
                .path
                .filter(|p| !p.is_empty())
                .map(|p| text::one_line(&p, MAX_GUEST_TEXT)),
            linter: self.inner.name.clone(),
        })
    }
}

/// The bytes of the component in `path`: a regular file of at most [`MAX_COMPONENT_BYTES`]
/// that starts like a WebAssembly component. The header is checked before the rest is read.
fn read_component(path: &Path) -> Result<Vec<u8>> {
    let too_large = |size, limit| Error::TooLarge {
        path: path.to_owned(),
        what: "plugin",
        size,
        limit,
    };
    let convert = |err: ReadError| match err {
        ReadError::NotAFile { kind } => Error::NotAFile {
            path: path.to_owned(),
            kind,
        },
        ReadError::TooLarge { size, limit } => too_large(size, limit),
        ReadError::Io(source) => Error::Read {
            path: path.to_owned(),
            source,
        },
    };
    let mut opened = files::open(path, MAX_COMPONENT_BYTES).map_err(convert)?;
    let mut header = Vec::with_capacity(8);
    (&mut opened.file)
        .take(8)
        .read_to_end(&mut header)
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    check_header(path, &header)?;
    files::read_rest(&mut opened, &mut header, MAX_COMPONENT_BYTES).map_err(convert)?;
    Ok(header)
}

/// `\0asm`, then a version and a layer: layer 1 is a component, layer 0 a core module.
fn check_header(path: &Path, header: &[u8]) -> Result<()> {
    if header.len() < 8 || &header[..4] != b"\0asm" {
        return Err(Error::NotWasm {
            path: path.to_owned(),
            start: text::bytes_start(header, 8),
        });
    }
    if header[6..8] == [0, 0] {
        return Err(Error::CoreModule {
            path: path.to_owned(),
        });
    }
    Ok(())
}

fn to_wit_objects(objects: &[Object]) -> Vec<types::Object> {
    objects
        .iter()
        .map(|o| types::Object {
            source: o.source.clone(),
            json: o.value.to_string(),
        })
        .collect()
}

fn severity(s: types::Severity) -> Severity {
    match s {
        types::Severity::Info => Severity::Info,
        types::Severity::Warning => Severity::Warning,
        types::Severity::Error => Severity::Error,
    }
}

fn convert_rules(plugin: &str, rules: Vec<types::RuleInfo>) -> Result<Vec<RuleInfo>> {
    let mut seen = std::collections::BTreeSet::new();
    rules
        .into_iter()
        .map(|rule| {
            let valid_id = !rule.id.is_empty()
                && rule
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_id || !seen.insert(rule.id.clone()) {
                return Err(Error::BadOutput {
                    plugin: plugin.to_owned(),
                    message: format!(
                        "rule id `{}` is not a unique kebab-case id",
                        rule.id.escape_debug()
                    ),
                });
            }
            Ok(RuleInfo {
                id: rule.id,
                default_severity: severity(rule.default_severity),
                description: text::one_line(&rule.description, MAX_GUEST_TEXT),
            })
        })
        .collect()
}

/// A linter plugin as a [`Linter`] for the lint runner.
#[derive(Debug, Clone)]
pub struct WasmLinter {
    plugin: Plugin,
}

impl WasmLinter {
    /// Wraps `plugin`, which should be a linter (other kinds fail when run).
    pub fn new(plugin: Plugin) -> WasmLinter {
        WasmLinter { plugin }
    }

    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }
}

impl Linter for WasmLinter {
    fn name(&self) -> &str {
        self.plugin.name()
    }

    fn rules(&self) -> Vec<RuleInfo> {
        self.plugin.rules().to_vec()
    }

    fn lint(&self, objects: &[Object], config: &Value) -> Result<Vec<Finding>, LinterError> {
        self.plugin
            .lint(objects, config)
            .map_err(|err| LinterError {
                linter: self.plugin.name().to_owned(),
                message: err.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked_before_compiling() {
        let p = Path::new("p/x.wasm");
        for (header, expected) in [
            (&b"\0asm\x0d\0\x01\0"[..], "ok"),
            (b"\0asm\x0e\0\x01\0", "ok"),
            (
                b"\0asm\x01\0\0\0",
                "is a core WebAssembly module, not a component",
            ),
            (b"hello world", "it starts with `hello wo…`"),
            (
                b"\x7fELF\x02\x01\x01\0",
                "it starts with `\\x7fELF\\x02\\x01\\x01\\x00`",
            ),
            (b"\0asm", "it starts with `\\x00asm`"),
            (b"", "it starts with ``"),
        ] {
            let got = match check_header(p, header) {
                Ok(()) => "ok".to_owned(),
                Err(err) => err.to_string(),
            };
            assert!(got.contains(expected), "{header:?}: {got}");
            assert!(!got.contains('\n'));
        }
    }
}

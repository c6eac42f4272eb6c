//! A Kubernetes API server emulator on loopback, for tests and the demo.
//!
//! It serves the Kubernetes REST API of a v1.35 cluster over real HTTP/1.1 on `127.0.0.1`,
//! in memory: discovery (legacy and aggregated), OpenAPI v3 from the vendored schema, CRUD,
//! list and watch for every GA built-in kind and for CRDs, the four PATCH types including
//! server-side apply, realistic server-side defaults, namespaces, finalizers, garbage
//! collection ([`store`]); the controllers that roll workloads out, run Jobs and Pods, bind
//! claims and establish CRDs ([`controllers`]); and fault injection. Real `kubectl` and real
//! `helm` work against it.
//!
//! ```no_run
//! let emu = kchart_emulator::Emulator::start()?;
//! println!("{} {}", emu.url(), emu.kubeconfig_path().display());
//! emu.faults().conflict_next_updates(2);
//! # Ok::<(), kchart_emulator::Error>(())
//! ```

pub mod client;
pub mod controllers;
pub mod defaults;
pub mod discovery;
pub mod faults;
pub mod patch;
pub mod proto;
pub mod registry;
pub mod selector;
pub mod server;
pub mod shape;
pub mod status;
pub mod store;
pub mod table;
pub mod util;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use controllers::Controllers;
pub use faults::{Fault, Faults, Rule};
pub use status::ApiError;
use store::{Store, WriteOptions};

/// Errors of starting and driving an emulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The tokio runtime could not be built.
    #[error("failed to start the emulator runtime")]
    Runtime(#[source] std::io::Error),
    /// The port could not be bound.
    #[error("failed to bind 127.0.0.1:{port}")]
    Bind {
        /// The requested port (0 for any).
        port: u16,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The kubeconfig could not be written.
    #[error("failed to write kubeconfig `{}`", path.display())]
    Kubeconfig {
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The state file could not be read or written.
    #[error("failed to use state file `{}`: {message}", path.display())]
    State {
        /// Where.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An object given to [`Emulator::create`] was refused, as the API would refuse it.
    #[error("the emulator refused the object: {0}")]
    Api(String),
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How to start an emulator. [`Emulator::start`] uses the defaults.
#[derive(Debug, Clone)]
pub struct Builder {
    port: u16,
    ready_delay: Duration,
    kubeconfig: Option<PathBuf>,
    state: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            port: 0,
            ready_delay: Duration::from_millis(50),
            kubeconfig: None,
            state: None,
        }
    }
}

impl Builder {
    /// Port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long the controllers take to act on a change (default 50 ms): workloads to roll
    /// out, Jobs and Pods to run, claims to bind, load balancers to get an address.
    pub fn ready_delay(mut self, delay: Duration) -> Self {
        self.ready_delay = delay;
        self
    }

    /// Where to write the kubeconfig (default: a file in a temporary directory removed on drop).
    pub fn kubeconfig(mut self, path: impl Into<PathBuf>) -> Self {
        self.kubeconfig = Some(path.into());
        self
    }

    /// A JSON file to restore state from (if it exists) and persist state to.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state = Some(path.into());
        self
    }

    /// Starts the server on its own runtime.
    pub fn start(self) -> Result<Emulator> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kchart-emulator")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let std_listener =
            std::net::TcpListener::bind(("127.0.0.1", self.port)).map_err(|source| {
                Error::Bind {
                    port: self.port,
                    source,
                }
            })?;
        std_listener
            .set_nonblocking(true)
            .map_err(|source| Error::Bind {
                port: self.port,
                source,
            })?;
        let addr = std_listener.local_addr().map_err(|source| Error::Bind {
            port: self.port,
            source,
        })?;
        let mut store = Store::new();
        if let Some(path) = &self.state
            && path.exists()
        {
            let text = std::fs::read(path).map_err(|e| Error::State {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let snap: Value = serde_json::from_slice(&text).map_err(|e| Error::State {
                path: path.clone(),
                message: e.to_string(),
            })?;
            store.restore(&snap).map_err(|message| Error::State {
                path: path.clone(),
                message,
            })?;
        }
        // One pass before serving: every namespace has its default ServiceAccount from the
        // first request on.
        let mut controllers = Controllers::new(self.ready_delay);
        controllers.tick(&mut store);
        let shared = Arc::new(server::Shared::new(
            store,
            controllers,
            Faults::default(),
            addr.to_string(),
        ));
        let url = format!("http://{addr}");
        let (dir, kubeconfig) = match &self.kubeconfig {
            Some(p) => (None, p.clone()),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("kchart-emulator-")
                    .tempdir()
                    .map_err(|source| Error::Kubeconfig {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let p = dir.path().join("kubeconfig");
                (Some(dir), p)
            }
        };
        std::fs::write(&kubeconfig, kubeconfig_text(&url)).map_err(|source| Error::Kubeconfig {
            path: kubeconfig.clone(),
            source,
        })?;
        {
            let _guard = runtime.enter();
            let listener =
                tokio::net::TcpListener::from_std(std_listener).map_err(|source| Error::Bind {
                    port: self.port,
                    source,
                })?;
            runtime.spawn(server::serve(listener, shared.clone()));
        }
        let ticker = shared.clone();
        runtime.spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(10));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                interval.tick().await;
                ticker.tick();
            }
        });
        if let Some(path) = self.state.clone() {
            let persist = shared.clone();
            runtime.spawn(async move {
                let mut saved = u64::MAX;
                loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let (writes, snap) = {
                        let s = persist.lock();
                        if s.writes == saved {
                            continue;
                        }
                        (s.writes, s.snapshot())
                    };
                    if save(&path, &snap).is_ok() {
                        saved = writes;
                    }
                }
            });
        }
        Ok(Emulator {
            runtime: Some(runtime),
            shared,
            url,
            kubeconfig,
            state: self.state,
            _dir: dir,
        })
    }
}

fn save(path: &Path, snap: &Value) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(snap).unwrap_or_default())?;
    std::fs::rename(tmp, path)
}

/// A kubeconfig for a server URL: cluster, user and context all named `emulator`, default
/// namespace `default`, no credentials.
pub fn kubeconfig_text(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: emulator\n  cluster:\n    server: {url}\ncontexts:\n- name: emulator\n  context:\n    cluster: emulator\n    user: emulator\n    namespace: default\ncurrent-context: emulator\nusers:\n- name: emulator\n  user: {{}}\npreferences: {{}}\n"
    )
}

/// A running emulator. It stops when dropped.
pub struct Emulator {
    runtime: Option<tokio::runtime::Runtime>,
    shared: Arc<server::Shared>,
    url: String,
    kubeconfig: PathBuf,
    state: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("kubeconfig", &self.kubeconfig)
            .finish()
    }
}

impl Emulator {
    /// Starts an emulator on a free port with the default settings.
    pub fn start() -> Result<Self> {
        Builder::default().start()
    }

    /// Settings for a new emulator.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The kubeconfig pointing at this emulator (context `emulator`, namespace `default`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The fault controls.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Changes how long the controllers take to act on a change (for work queued from now on).
    pub fn set_ready_delay(&self, delay: Duration) {
        self.shared.controllers().set_ready_delay(delay);
    }

    /// An object by `apiVersion`, kind, namespace (ignored for cluster-scoped kinds) and name.
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let gvk = kchart_schema::Gvk::from_api_version(api_version, kind);
        let store = self.shared.lock();
        let rt = store.registry.by_kind(&gvk.group, &gvk.kind)?;
        store.get(&rt, &gvk.version, namespace, name).ok()
    }

    /// Objects of a kind, in one namespace or all (`None`).
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let gvk = kchart_schema::Gvk::from_api_version(api_version, kind);
        let store = self.shared.lock();
        let Some(rt) = store.registry.by_kind(&gvk.group, &gvk.kind) else {
            return Vec::new();
        };
        store.list(
            &rt,
            &gvk.version,
            namespace,
            &Default::default(),
            &Default::default(),
        )
    }

    /// Creates an object directly (as `POST` would, with defaults and validation); the
    /// namespace comes from the object (`default` if unset).
    pub fn create(&self, obj: Value) -> Result<Value> {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let gvk = kchart_schema::Gvk::from_api_version(api_version, kind);
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let mut store = self.shared.lock();
        let rt = store
            .registry
            .by_kind(&gvk.group, &gvk.kind)
            .ok_or_else(|| Error::Api(format!("no kind {kind} in {api_version}")))?;
        let opts = WriteOptions {
            field_manager: "kchart-emulator".into(),
            ..Default::default()
        };
        store
            .create(&rt, &gvk.version, &ns, obj, &opts)
            .map(|w| w.object)
            .map_err(|e| Error::Api(e.message))
    }

    /// Replaces an object directly (as `PUT` would; a `resourceVersion` in it must be current),
    /// as another client or controller changing the cluster behind a tool's back.
    pub fn update(&self, obj: Value) -> Result<Value> {
        let (rt, version, ns, name) = self.target(&obj)?;
        let opts = WriteOptions {
            field_manager: "kchart-emulator".into(),
            ..Default::default()
        };
        self.shared
            .lock()
            .update(&rt, &version, &ns, &name, obj, &opts, store::Part::Main)
            .map(|w| w.object)
            .map_err(|e| Error::Api(e.message))
    }

    /// Deletes an object directly (background propagation, finalizers honoured).
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Result<()> {
        let gvk = kchart_schema::Gvk::from_api_version(api_version, kind);
        let mut store = self.shared.lock();
        let rt = store
            .registry
            .by_kind(&gvk.group, &gvk.kind)
            .ok_or_else(|| Error::Api(format!("no kind {kind} in {api_version}")))?;
        store
            .delete(&rt, namespace, name, &store::DeleteOptions::default())
            .map(|_| ())
            .map_err(|e| Error::Api(e.message))
    }

    fn target(&self, obj: &Value) -> Result<(Arc<registry::ResourceType>, String, String, String)> {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let gvk = kchart_schema::Gvk::from_api_version(api_version, kind);
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let rt = self
            .shared
            .lock()
            .registry
            .by_kind(&gvk.group, &gvk.kind)
            .ok_or_else(|| Error::Api(format!("no kind {kind} in {api_version}")))?;
        Ok((rt, gvk.version, ns, name))
    }

    /// How many objects are stored.
    pub fn object_count(&self) -> usize {
        self.shared.lock().len()
    }

    /// How many HTTP requests were served.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().resource_version()
    }

    /// Every stored object with its resource, as the state file holds it.
    pub fn snapshot(&self) -> Value {
        self.shared.lock().snapshot()
    }

    /// Writes the state file now (if one is configured).
    pub fn save_state(&self) -> Result<()> {
        if let Some(path) = &self.state {
            let snap = self.snapshot();
            save(path, &snap).map_err(|e| Error::State {
                path: path.clone(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Blocks until the server is stopped from elsewhere (the binary runs this).
    pub fn wait(&self) {
        loop {
            std::thread::park();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.save_state();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

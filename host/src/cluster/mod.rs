//! The only module that talks to a cluster: connecting from a kubeconfig (as every kubectl
//! plugin does), resolving kinds to REST resources (discovery, cached per group-version), and
//! reading and writing objects as plain JSON. Everything above it works on `serde_json::Value`.
//! Every request is bounded in time ([`Timeouts`], kubectl's `--request-timeout`).

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams, PropagationPolicy,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersion};
use kube::discovery::{self, Scope};
use kube::{Client, Config};
use serde_json::Value;

use crate::manifest::ObjectRef;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read kubeconfig `{}`", path.display())]
    ReadKubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("cannot load the kubeconfig{}", context.as_ref().map(|c| format!(" (context `{c}`)")).unwrap_or_default())]
    Kubeconfig {
        context: Option<String>,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("cannot create a client for {server}")]
    Client {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot discover the resources of {group_version}")]
    Discovery {
        group_version: String,
        #[source]
        source: kube::Error,
    },
    #[error("{verb} {object}: {message} ({reason}, {code})")]
    Api {
        verb: &'static str,
        object: String,
        code: u16,
        reason: String,
        message: String,
    },
    #[error("{verb} {object}: request failed")]
    Request {
        verb: &'static str,
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("{verb} {object}: timed out after {} (see --request-timeout)", seconds(*after))]
    Timeout {
        verb: &'static str,
        object: String,
        after: Duration,
    },
    #[error("{verb} {object}: the server answered with something that is not an object")]
    Decode {
        verb: &'static str,
        object: String,
        #[source]
        source: serde_json::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status of an API error (409 for conflicts, 404 not found, ...).
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A write lost a race: the object changed since it was read (409 Conflict on update).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Api { code: 409, reason, .. } if reason == "Conflict")
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }
}

/// How to reach the cluster: kubectl's flags.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub timeouts: Timeouts,
}

/// How long one API request may take; `None` is no limit. Long operations (waiting for a
/// CRD) are many requests, each bounded, so these never cut them short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Discovery, the version, gets and lists.
    pub read: Option<Duration>,
    /// Creates, updates, applies and deletes.
    pub write: Option<Duration>,
}

impl Timeouts {
    /// One limit for every request, as kubectl's `--request-timeout` (`0` is none).
    pub fn uniform(limit: Duration) -> Self {
        let limit = (!limit.is_zero()).then_some(limit);
        Timeouts {
            read: limit,
            write: limit,
        }
    }
}

impl Default for Timeouts {
    /// A read that takes 30 s is a server that will not answer; writes get the API server's
    /// own request limit (60 s), which admission webhooks may use up.
    fn default() -> Self {
        Timeouts {
            read: Some(Duration::from_secs(30)),
            write: Some(Duration::from_secs(60)),
        }
    }
}

/// `30s`, `1.5s`: a duration as the timeout flag is written.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if duration.subsec_nanos() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{secs}s")
    }
}

/// Runs `request` within `limit`, naming it when it does not finish in time.
async fn within<T>(
    limit: Option<Duration>,
    verb: &'static str,
    object: impl FnOnce() -> String,
    request: impl Future<Output = Result<T>>,
) -> Result<T> {
    match limit {
        None => request.await,
        Some(after) => tokio::time::timeout(after, request)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    verb,
                    object: object(),
                    after,
                })
            }),
    }
}

/// A REST resource: where objects of one kind live.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// Options of a write.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Send with `dryRun=All`: the server validates and defaults but persists nothing.
    pub dry_run: bool,
    /// The field manager recorded in `managedFields`.
    pub field_manager: String,
    /// Server-side apply only: take fields owned by other managers.
    pub force: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            dry_run: false,
            field_manager: FIELD_MANAGER.to_owned(),
            force: false,
        }
    }
}

/// The field manager name kubectl-chart writes with.
pub const FIELD_MANAGER: &str = "kubectl-chart";

/// A connected cluster.
pub struct Cluster {
    client: Client,
    namespace: String,
    server: String,
    timeouts: Timeouts,
    /// Discovery per group-version (`apps/v1`): kind -> resource. `None` when not served.
    resources: Mutex<HashMap<String, Option<HashMap<String, Resource>>>>,
}

impl Cluster {
    /// Connects with kubectl's rules: `--kubeconfig`, else `$KUBECONFIG`, else
    /// `~/.kube/config`; `--context`; `-n`, else the context's namespace, else `default`.
    pub async fn connect(options: &ConnectOptions) -> Result<Self> {
        let kube_options = KubeConfigOptions {
            context: options.context.clone(),
            cluster: None,
            user: None,
        };
        let mut config = match &options.kubeconfig {
            Some(path) => {
                let kubeconfig =
                    Kubeconfig::read_from(path).map_err(|source| Error::ReadKubeconfig {
                        path: path.clone(),
                        source,
                    })?;
                Config::from_custom_kubeconfig(kubeconfig, &kube_options).await
            }
            None => Config::from_kubeconfig(&kube_options).await,
        }
        .map_err(|source| Error::Kubeconfig {
            context: options.context.clone(),
            source,
        })?;
        // Each request is bounded by `timeouts` instead, which name the request that hung.
        config.read_timeout = None;
        let server = config.cluster_url.to_string();
        let namespace = options
            .namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| config.default_namespace.clone());
        crate::verbose!("connecting to {server}, namespace {namespace}");
        let client = Client::try_from(config).map_err(|source| Error::Client {
            server: server.clone(),
            source,
        })?;
        Ok(Cluster {
            client,
            namespace,
            server,
            timeouts: options.timeouts,
            resources: Mutex::new(HashMap::new()),
        })
    }

    /// The namespace commands work in (`-n`, else the context's).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The server's Kubernetes version (`v1.35.0`), for `Capabilities.KubeVersion`.
    pub async fn kube_version(&self) -> Result<String> {
        let request = async {
            self.client
                .apiserver_version()
                .await
                .map_err(|source| Error::Request {
                    verb: "get",
                    object: "/version".to_owned(),
                    source,
                })
        };
        let info = within(self.timeouts.read, "get", || "/version".to_owned(), request).await?;
        Ok(info.git_version)
    }

    /// The API server's URL, for messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The resource serving `kind` in `api_version`, or `None` when the cluster does not serve it.
    pub async fn resource(&self, api_version: &str, kind: &str) -> Result<Option<Resource>> {
        if let Some(known) = self.cached(api_version) {
            return Ok(known.and_then(|kinds| kinds.get(kind).cloned()));
        }
        let group_version: GroupVersion = match api_version.parse() {
            Ok(gv) => gv,
            Err(_) => return Ok(None),
        };
        let discovered = within(
            self.timeouts.read,
            "discover",
            || api_version.to_owned(),
            async { Ok(discovery::pinned_group(&self.client, &group_version).await) },
        )
        .await?;
        let kinds = match discovered {
            Ok(group) => {
                let mut kinds = HashMap::new();
                for (api, caps) in group.versioned_resources(&group_version.version) {
                    let namespaced = matches!(caps.scope, Scope::Namespaced);
                    kinds.insert(api.kind.clone(), Resource { api, namespaced });
                }
                Some(kinds)
            }
            Err(kube::Error::Api(status)) if status.code == 404 => None,
            Err(source) => {
                return Err(Error::Discovery {
                    group_version: api_version.to_owned(),
                    source,
                });
            }
        };
        let found = kinds.as_ref().and_then(|k| k.get(kind).cloned());
        self.lock().insert(api_version.to_owned(), kinds);
        Ok(found)
    }

    /// Forgets what discovery said of `api_version` (after installing a CRD that serves it).
    pub fn forget(&self, api_version: &str) {
        self.lock().remove(api_version);
    }

    fn cached(&self, api_version: &str) -> Option<Option<HashMap<String, Resource>>> {
        self.lock().get(api_version).cloned()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Option<HashMap<String, Resource>>>> {
        // A poisoned cache only means a panic elsewhere; the data is still a valid cache.
        self.resources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The namespace an object of `resource` lives in: its own, else ours; none when
    /// cluster-scoped.
    fn namespace_for<'a>(
        &'a self,
        resource: &Resource,
        namespace: Option<&'a str>,
    ) -> Option<&'a str> {
        resource
            .namespaced
            .then(|| namespace.unwrap_or(self.namespace.as_str()))
    }

    fn api(&self, resource: &Resource, namespace: Option<&str>) -> Api<DynamicObject> {
        match self.namespace_for(resource, namespace) {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource.api),
            None => Api::all_with(self.client.clone(), &resource.api),
        }
    }

    /// Reads an object; `None` when it does not exist.
    pub async fn get(&self, resource: &Resource, object: &ObjectRef) -> Result<Option<Value>> {
        // Straight to JSON: the hot path of every apply reads each object once, and a
        // round trip through `DynamicObject` would parse and copy it twice.
        let namespace = self.namespace_for(resource, object.namespace.as_deref());
        let url = <DynamicObject as kube::Resource>::url_path(&resource.api, namespace);
        let request = kube::core::Request::new(url)
            .get(&object.name, &kube::api::GetParams::default())
            .map_err(|source| Error::Request {
                verb: "get",
                object: object.to_string(),
                source: kube::Error::BuildRequest(source),
            })?;
        within(self.timeouts.read, "get", || object.to_string(), async {
            match self.client.request::<Value>(request).await {
                Ok(found) => Ok(Some(found)),
                Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
                Err(err) => Err(api_error("get", object, err)),
            }
        })
        .await
    }

    /// Lists objects of a resource, in a namespace or everywhere, with a label selector.
    pub async fn list(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        label_selector: &str,
    ) -> Result<Vec<Value>> {
        let api = match (resource.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &resource.api),
            _ => Api::all_with(self.client.clone(), &resource.api),
        };
        let what = ObjectRef {
            api_version: resource.api.api_version.clone(),
            kind: resource.api.kind.clone(),
            namespace: namespace.map(str::to_owned),
            name: format!("(selector {label_selector})"),
        };
        let list = within(self.timeouts.read, "list", || what.to_string(), async {
            api.list(&ListParams::default().labels(label_selector))
                .await
                .map_err(|err| api_error("list", &what, err))
        })
        .await?;
        list.items
            .iter()
            .map(|item| to_value("list", &what, item))
            .collect()
    }

    /// Creates an object.
    pub async fn create(
        &self,
        resource: &Resource,
        object: &ObjectRef,
        value: &Value,
        options: &WriteOptions,
    ) -> Result<Value> {
        let api = self.api(resource, object.namespace.as_deref());
        let data = from_value("create", object, value)?;
        let params = post_params(options);
        let created = within(
            self.timeouts.write,
            "create",
            || object.to_string(),
            async {
                api.create(&params, &data)
                    .await
                    .map_err(|err| api_error("create", object, err))
            },
        )
        .await?;
        to_value("create", object, &created)
    }

    /// Replaces an object (PUT). `value` carries the `resourceVersion` it was computed from, so
    /// a concurrent change fails with a conflict instead of being overwritten.
    pub async fn replace(
        &self,
        resource: &Resource,
        object: &ObjectRef,
        value: &Value,
        options: &WriteOptions,
    ) -> Result<Value> {
        let api = self.api(resource, object.namespace.as_deref());
        let data = from_value("update", object, value)?;
        let replaced = within(
            self.timeouts.write,
            "update",
            || object.to_string(),
            async {
                api.replace(&object.name, &post_params(options), &data)
                    .await
                    .map_err(|err| api_error("update", object, err))
            },
        )
        .await?;
        to_value("update", object, &replaced)
    }

    /// Server-side apply of `value` with our field manager.
    pub async fn server_side_apply(
        &self,
        resource: &Resource,
        object: &ObjectRef,
        value: &Value,
        options: &WriteOptions,
    ) -> Result<Value> {
        let api = self.api(resource, object.namespace.as_deref());
        let mut params = PatchParams::apply(&options.field_manager);
        params.force = options.force;
        params.dry_run = options.dry_run;
        let applied = within(self.timeouts.write, "apply", || object.to_string(), async {
            api.patch(&object.name, &params, &Patch::Apply(value))
                .await
                .map_err(|err| api_error("apply", object, err))
        })
        .await?;
        to_value("apply", object, &applied)
    }

    /// Deletes an object in the background (dependents are garbage-collected). Returns false
    /// when it was already gone.
    pub async fn delete(
        &self,
        resource: &Resource,
        object: &ObjectRef,
        options: &WriteOptions,
    ) -> Result<bool> {
        let api = self.api(resource, object.namespace.as_deref());
        let params = DeleteParams {
            dry_run: options.dry_run,
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        within(
            self.timeouts.write,
            "delete",
            || object.to_string(),
            async {
                match api.delete(&object.name, &params).await {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
                    Err(err) => Err(api_error("delete", object, err)),
                }
            },
        )
        .await
    }
}

fn post_params(options: &WriteOptions) -> PostParams {
    PostParams {
        dry_run: options.dry_run,
        field_manager: Some(options.field_manager.clone()),
    }
}

fn api_error(verb: &'static str, object: &ObjectRef, err: kube::Error) -> Error {
    match err {
        kube::Error::Api(status) => Error::Api {
            verb,
            object: object.to_string(),
            code: status.code,
            reason: status.reason.clone(),
            message: status.message.clone(),
        },
        source => Error::Request {
            verb,
            object: object.to_string(),
            source,
        },
    }
}

fn to_value(verb: &'static str, object: &ObjectRef, found: &DynamicObject) -> Result<Value> {
    serde_json::to_value(found).map_err(|source| Error::Decode {
        verb,
        object: object.to_string(),
        source,
    })
}

fn from_value(verb: &'static str, object: &ObjectRef, value: &Value) -> Result<DynamicObject> {
    serde_json::from_value(value.clone()).map_err(|source| Error::Decode {
        verb,
        object: object.to_string(),
        source,
    })
}

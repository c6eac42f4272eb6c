//! The HTTP/1.1 front: parses API paths and query parameters, applies injected faults,
//! dispatches to the store, and answers with the bodies, status codes, headers, tables and
//! watch streams a kube-apiserver sends.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::controllers::Controllers;
use crate::discovery;
use crate::faults::{Fault, Faults};
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::{ApiError, ApiResult, success_status};
use crate::store::{
    DeleteOptions, FieldValidation, Page, Part, Propagation, Store, WriteOptions,
    manager_from_user_agent,
};
use crate::table;
use crate::util::parse_query;

/// State shared by all connections.
pub struct Shared {
    /// The cluster.
    pub store: Mutex<Store>,
    /// The controllers that make stored objects come alive (lock before the store).
    pub controllers: Mutex<Controllers>,
    /// Fault controls.
    pub faults: Faults,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Number of requests served.
    pub requests: AtomicU64,
    openapi: Mutex<HashMap<String, Bytes>>,
}

impl Shared {
    /// Wraps a store and its controllers.
    pub fn new(store: Store, controllers: Controllers, faults: Faults, addr: String) -> Self {
        Self {
            store: Mutex::new(store),
            controllers: Mutex::new(controllers),
            faults,
            addr,
            requests: AtomicU64::new(0),
            openapi: Mutex::new(HashMap::new()),
        }
    }

    /// Locks the store (a panic in another request does not make the store unusable).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Locks the controllers.
    pub fn controllers(&self) -> MutexGuard<'_, Controllers> {
        self.controllers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs the controllers once.
    pub fn tick(&self) {
        let mut controllers = self.controllers();
        let mut store = self.lock();
        controllers.tick(&mut store);
    }
}

/// A response body: a whole buffer, or a stream (watches).
pub enum Body {
    /// A complete body.
    Full(Option<Bytes>),
    /// A body streamed from a channel.
    Stream(mpsc::Receiver<Bytes>),
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Full(Some(b)) => http_body::SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => http_body::SizeHint::with_exact(0),
            Body::Stream(_) => http_body::SizeHint::default(),
        }
    }
}

/// Returned to hyper to close a connection without an answer (fault injection).
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections forever.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let s = shared.clone();
                async move { handle(s, req).await }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn json_response(code: u16, v: &Value) -> Response<Body> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut r = Response::new(Body::Full(Some(Bytes::from(body))));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = json_response(e.code, &e.to_status());
    if let Some(s) = e.retry_after
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        r.headers_mut().insert("retry-after", v);
    }
    r
}

fn text(code: u16, s: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::Full(Some(Bytes::from_static(s.as_bytes()))));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Everything a handler needs from the request.
struct Req {
    method: Method,
    query: Vec<(String, String)>,
    accept: String,
    content_type: String,
    user_agent: String,
    body: Bytes,
}

impl Req {
    fn param(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    fn wants_table(&self) -> bool {
        self.accept.contains("as=Table")
    }

    fn write_options(&self) -> ApiResult<WriteOptions> {
        let dry_run = match self.param("dryRun") {
            None | Some("") => false,
            Some("All") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid dry run value {other:?}: supported values: \"All\""
                )));
            }
        };
        let field_validation = match self.param("fieldValidation") {
            None | Some("") | Some("Warn") => FieldValidation::Warn,
            Some("Strict") => FieldValidation::Strict,
            Some("Ignore") => FieldValidation::Ignore,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Strict\", \"Warn\""
                )));
            }
        };
        let field_manager = match self.param("fieldManager") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => manager_from_user_agent(&self.user_agent),
        };
        Ok(WriteOptions {
            dry_run,
            field_manager,
            field_validation,
            force: self.param("force") == Some("true"),
        })
    }

    fn body_json(&self) -> ApiResult<Value> {
        let ct = self
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if ct.contains("protobuf") {
            return crate::proto::decode(&self.body)
                .map_err(|m| ApiError::new(415, "UnsupportedMediaType", m));
        }
        if ct.contains("yaml") {
            return serde_yaml_ng::from_slice(&self.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, Dropped> {
    let (parts, body) = req.into_parts();
    // The apiserver refuses request bodies over 3 MiB.
    const MAX_BODY: u64 = 3 * 1024 * 1024;
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if declared > MAX_BODY {
        return Ok(error_response(&ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {MAX_BODY}"),
        )));
    }
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let r = Req {
        method: parts.method.clone(),
        query: parse_query(parts.uri.query().unwrap_or_default()),
        accept: header("accept"),
        content_type: header("content-type"),
        user_agent: header("user-agent"),
        body,
    };
    let path = parts.uri.path().trim_end_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["healthz" | "livez" | "readyz", ..] => return Ok(text(200, "ok")),
        ["version"] => return Ok(json_response(200, &discovery::version())),
        ["api"] => {
            if r.accept.contains("as=APIGroupDiscoveryList") {
                return Ok(aggregated(&shared, true));
            }
            return Ok(json_response(200, &discovery::api_versions(&shared.addr)));
        }
        ["apis"] => {
            if r.accept.contains("as=APIGroupDiscoveryList") {
                return Ok(aggregated(&shared, false));
            }
            let v = discovery::api_group_list(&shared.lock().registry);
            return Ok(json_response(200, &v));
        }
        ["openapi", "v3"] => {
            let hash = format!(
                "{:016X}",
                shared.lock().registry.types().len() as u64 * 7919
            );
            let v = discovery::openapi_v3_index(&shared.lock().registry, &hash);
            return Ok(json_response(200, &v));
        }
        ["openapi", "v3", "api", v] => return Ok(openapi_doc(&shared, "", v)),
        ["openapi", "v3", "apis", g, v] => return Ok(openapi_doc(&shared, g, v)),
        ["api", "v1"] => {
            return Ok(
                match discovery::resource_list(&shared.lock().registry, "", "v1") {
                    Some(v) => json_response(200, &v),
                    None => error_response(&ApiError::path_not_found()),
                },
            );
        }
        ["apis", g] => {
            return Ok(match discovery::api_group(&shared.lock().registry, g) {
                Some(v) => json_response(200, &v),
                None => error_response(&ApiError::path_not_found()),
            });
        }
        ["apis", g, v] => {
            return Ok(
                match discovery::resource_list(&shared.lock().registry, g, v) {
                    Some(v) => json_response(200, &v),
                    None => error_response(&ApiError::path_not_found()),
                },
            );
        }
        _ => {}
    }
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Ok(error_response(&ApiError::path_not_found())),
    };
    let Some(target) = resolve(&shared, group, version, rest) else {
        return Ok(error_response(&ApiError::path_not_found()));
    };
    let verb = verb_of(&r, &target);
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match shared.faults.take(verb, &target.rt.plural, &target.rt.kind) {
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Conflict) => {
            let name = target.name.clone().unwrap_or_default();
            return Ok(error_response(&ApiError::conflict(
                &target.rt.group,
                &target.rt.plural,
                &name,
            )));
        }
        Some(Fault::Status(code)) => {
            let reason = match code {
                429 => "TooManyRequests",
                503 => "ServiceUnavailable",
                504 => "Timeout",
                _ => "InternalError",
            };
            let mut e = ApiError::new(code, reason, format!("injected fault: {reason}"));
            if code == 429 || code == 503 {
                e.retry_after = Some(1);
            }
            return Ok(error_response(&e));
        }
        None => {}
    }
    if verb == "watch" {
        return Ok(watch(&shared, &r, &target));
    }
    Ok(match dispatch(&shared, &r, &target, verb) {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    })
}

fn aggregated(shared: &Shared, core: bool) -> Response<Body> {
    let v = discovery::aggregated(&shared.lock().registry, core);
    let mut r = json_response(200, &v);
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static(discovery::AGGREGATED_CONTENT_TYPE),
    );
    r
}

fn openapi_doc(shared: &Shared, group: &str, version: &str) -> Response<Body> {
    let key = format!("{group}/{version}");
    let cached = shared
        .openapi
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    let bytes = match cached {
        Some(b) => b,
        None => {
            let doc = discovery::openapi_v3_doc(&shared.lock().registry, group, version);
            let Some(doc) = doc else {
                return error_response(&ApiError::path_not_found());
            };
            let b = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
            // CRD documents change with their CRD; only built-in ones are cached.
            let builtin = shared
                .lock()
                .registry
                .in_group_version(group, version)
                .all(|t| t.crd.is_none());
            if builtin {
                shared
                    .openapi
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, b.clone());
            }
            b
        }
    };
    let mut r = Response::new(Body::Full(Some(bytes)));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// A resolved resource path.
struct Target {
    rt: Arc<ResourceType>,
    version: String,
    namespace: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

fn resolve(shared: &Shared, group: &str, version: &str, rest: &[&str]) -> Option<Target> {
    let store = shared.lock();
    let reg = &store.registry;
    let make =
        |rt: Arc<ResourceType>, ns: Option<&str>, name: Option<&&str>, sub: Option<&&str>| Target {
            rt,
            version: version.to_string(),
            namespace: ns.map(String::from),
            name: name.map(|s| s.to_string()),
            sub: sub.map(|s| s.to_string()),
        };
    if let ["namespaces", ns, res, tail @ ..] = rest
        && let Some(rt) = reg.by_path(group, version, res)
        && rt.namespaced
        && tail.len() <= 2
    {
        return Some(make(rt, Some(ns), tail.first(), tail.get(1)));
    }
    match rest {
        [res, tail @ ..] if tail.len() <= 2 => {
            let rt = reg.by_path(group, version, res)?;
            if rt.namespaced && !tail.is_empty() {
                return None;
            }
            Some(make(rt, None, tail.first(), tail.get(1)))
        }
        _ => None,
    }
}

fn verb_of(r: &Req, t: &Target) -> &'static str {
    let watch = matches!(r.param("watch"), Some("true" | "1"));
    match (&r.method, t.name.is_some()) {
        (&Method::GET, true) => "get",
        (&Method::GET, false) if watch => "watch",
        (&Method::GET, false) => "list",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => "unknown",
    }
}

fn with_warnings(mut r: Response<Body>, warnings: &[String]) -> Response<Body> {
    for w in warnings {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "299 - {}",
            serde_json::to_string(w).unwrap_or_default()
        )) {
            r.headers_mut().append("warning", v);
        }
    }
    r
}

fn part_of(t: &Target) -> ApiResult<Part> {
    match t.sub.as_deref() {
        None => Ok(Part::Main),
        Some("status") if t.rt.status => Ok(Part::Status),
        Some("finalize") if t.rt.group.is_empty() && t.rt.kind == "Namespace" => Ok(Part::Finalize),
        _ => Err(ApiError::path_not_found()),
    }
}

fn selectors(r: &Req) -> ApiResult<(LabelSelector, FieldSelector)> {
    let labels = LabelSelector::parse(r.param("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(r.param("fieldSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn list_body(rt: &ResourceType, version: &str, items: Vec<Value>, rv: u64) -> Value {
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut i| {
            // Typed lists of built-in kinds carry no per-item apiVersion/kind on the wire.
            if rt.crd.is_none()
                && let Some(m) = i.as_object_mut()
            {
                m.shift_remove("apiVersion");
                m.shift_remove("kind");
            }
            i
        })
        .collect();
    // Built by hand: `json!` would deep-copy the items through `to_value`.
    let mut m = serde_json::Map::new();
    m.insert("apiVersion".into(), Value::String(rt.api_version(version)));
    m.insert("kind".into(), Value::String(rt.list_kind.clone()));
    m.insert(
        "metadata".into(),
        json!({"resourceVersion": rv.to_string()}),
    );
    m.insert("items".into(), Value::Array(items));
    Value::Object(m)
}

fn dispatch(shared: &Shared, r: &Req, t: &Target, verb: &str) -> ApiResult<Response<Body>> {
    let rt = &t.rt;
    let version = t.version.as_str();
    let ns = t.namespace.clone().unwrap_or_default();
    if !rt.verbs.iter().any(|v| v == verb) && t.sub.is_none() {
        return Err(ApiError::method_not_allowed());
    }
    if rt.namespaced && t.namespace.is_none() && !matches!(verb, "list" | "watch") {
        return Err(ApiError::path_not_found());
    }
    if t.sub.as_deref() == Some("scale") {
        return scale(shared, r, t, verb);
    }
    if t.sub.as_deref() == Some("binding") {
        return binding(shared, r, t, verb);
    }
    match verb {
        "get" => {
            let name = t.name.as_deref().unwrap_or_default();
            part_of(t)?;
            let obj = shared.lock().get(rt, version, &ns, name)?;
            if r.wants_table() {
                return Ok(json_response(
                    200,
                    &table::table(rt, version, &[obj], shared.lock().resource_version()),
                ));
            }
            Ok(json_response(200, &obj))
        }
        "list" => {
            let (labels, fields) = selectors(r)?;
            let page = Page::parse(r.param("limit"), r.param("continue"))?;
            let store = shared.lock();
            if r.wants_table() {
                let (items, more) =
                    store.list_paged(rt, version, t.namespace.as_deref(), &labels, &fields, &page);
                let rv = store.resource_version();
                drop(store);
                let mut table = table::table(rt, version, &items, rv);
                if let Some(tok) = more.token {
                    table["metadata"]["continue"] = json!(tok);
                    table["metadata"]["remainingItemCount"] = json!(more.remaining);
                }
                return Ok(json_response(200, &table));
            }
            let body =
                store.list_json(rt, version, t.namespace.as_deref(), &labels, &fields, &page);
            drop(store);
            let mut resp = Response::new(Body::Full(Some(Bytes::from(body))));
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            Ok(resp)
        }
        "create" => {
            if t.name.is_some() {
                return Err(ApiError::method_not_allowed());
            }
            let opts = r.write_options()?;
            let body = r.body_json()?;
            let w = shared.lock().create(rt, version, &ns, body, &opts)?;
            Ok(with_warnings(json_response(201, &w.object), &w.warnings))
        }
        "update" => {
            let name = t.name.as_deref().unwrap_or_default();
            let part = part_of(t)?;
            let opts = r.write_options()?;
            let body = r.body_json()?;
            let w = shared
                .lock()
                .update(rt, version, &ns, name, body, &opts, part)?;
            Ok(with_warnings(json_response(200, &w.object), &w.warnings))
        }
        "patch" => {
            let name = t.name.as_deref().unwrap_or_default();
            let part = part_of(t)?;
            let opts = r.write_options()?;
            let ct = r
                .content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let w = shared
                .lock()
                .patch(rt, version, &ns, name, &ct, &r.body, &opts, part)?;
            let code = if w.created { 201 } else { 200 };
            Ok(with_warnings(json_response(code, &w.object), &w.warnings))
        }
        "delete" => {
            let name = t.name.as_deref().unwrap_or_default();
            let (opts, warnings) = delete_options(r, rt)?;
            let (obj, gone) = shared.lock().delete(rt, &ns, name, &opts)?;
            if !gone || rt.crd.is_some() || opts.dry_run {
                return Ok(with_warnings(
                    json_response(200, &Store::present(rt, version, obj)),
                    &warnings,
                ));
            }
            let uid = obj
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok(with_warnings(
                json_response(200, &success_status(&rt.group, &rt.plural, name, uid)),
                &warnings,
            ))
        }
        "deletecollection" => {
            let (opts, warnings) = delete_options(r, rt)?;
            let (labels, fields) = selectors(r)?;
            let mut store = shared.lock();
            let items = store.list(rt, version, t.namespace.as_deref(), &labels, &fields);
            let mut deleted = Vec::new();
            for i in items {
                let n = i
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let ins = i
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Ok((o, _)) = store.delete(rt, &ins, &n, &opts) {
                    deleted.push(Store::present(rt, version, o));
                }
            }
            let rv = store.resource_version();
            Ok(with_warnings(
                json_response(200, &list_body(rt, version, deleted, rv)),
                &warnings,
            ))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The delete options of a request, and the warnings they earn. Without a propagation policy,
/// `batch/v1` Jobs and `v1` ReplicationControllers orphan their Pods, as they did before
/// server-side garbage collection (Jobs warn about it); everything else deletes in the
/// background.
fn delete_options(r: &Req, rt: &ResourceType) -> ApiResult<(DeleteOptions, Vec<String>)> {
    let body: Value = if r.body.is_empty() {
        json!({})
    } else if r.content_type.contains("protobuf") {
        crate::proto::decode(&r.body)
            .map_err(|m| ApiError::bad_request(format!("invalid delete options: {m}")))?
    } else {
        serde_json::from_slice(&r.body)
            .map_err(|e| ApiError::bad_request(format!("invalid delete options: {e}")))?
    };
    let policy = r.param("propagationPolicy").map(String::from).or_else(|| {
        body.get("propagationPolicy")
            .and_then(Value::as_str)
            .map(String::from)
    });
    let legacy = matches!(
        (rt.group.as_str(), rt.kind.as_str()),
        ("batch", "Job") | ("", "ReplicationController")
    );
    let mut warnings = Vec::new();
    let propagation = match policy.as_deref() {
        None | Some("") if legacy && body.get("orphanDependents").is_none() => {
            if rt.kind == "Job" {
                warnings.push(
                    "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"
                        .to_string(),
                );
            }
            Propagation::Orphan
        }
        None | Some("") | Some("Background") => Propagation::Background,
        Some("Foreground") => Propagation::Foreground,
        Some("Orphan") => Propagation::Orphan,
        Some(other) => {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!(
                    "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: {other:?}: supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
                ),
            ));
        }
    };
    let propagation = if body.get("orphanDependents") == Some(&json!(true)) {
        Propagation::Orphan
    } else {
        propagation
    };
    let dry_run = r.param("dryRun") == Some("All")
        || body
            .get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v == "All"));
    let opts = DeleteOptions {
        dry_run,
        propagation,
        uid: body
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(String::from),
        resource_version: body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(String::from),
    };
    Ok((opts, warnings))
}

fn scale_of(rt: &ResourceType, obj: &Value) -> Value {
    let Some(paths) = &rt.scale else {
        return json!({});
    };
    let ptr = |p: &str| p.trim_start_matches('.').replace('.', "/");
    let spec = obj
        .pointer(&format!("/{}", ptr(&paths.spec_replicas)))
        .cloned()
        .unwrap_or(json!(0));
    let status = obj
        .pointer(&format!("/{}", ptr(&paths.status_replicas)))
        .cloned()
        .unwrap_or(json!(0));
    let selector = obj
        .pointer("/spec/selector")
        .map(|s| {
            let l = s.get("matchLabels").unwrap_or(s);
            l.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let m = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut meta = json!({});
    for f in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = m.get(f) {
            meta[f] = v.clone();
        }
    }
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta, "spec": {"replicas": spec}, "status": {"replicas": status, "selector": selector}})
}

fn scale(shared: &Shared, r: &Req, t: &Target, verb: &str) -> ApiResult<Response<Body>> {
    let rt = &t.rt;
    let Some(paths) = rt.scale.clone() else {
        return Err(ApiError::path_not_found());
    };
    let name = t.name.as_deref().unwrap_or_default();
    let ns = t.namespace.clone().unwrap_or_default();
    let mut store = shared.lock();
    let current = store.get(rt, &t.version, &ns, name)?;
    let scale_now = scale_of(rt, &current);
    let desired = match verb {
        "get" => return Ok(json_response(200, &scale_now)),
        "update" => r.body_json()?,
        "patch" => {
            let patch: Value = serde_json::from_slice(&r.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            let mut doc = scale_now.clone();
            match r.content_type.split(';').next().unwrap_or_default().trim() {
                "application/json-patch+json" => crate::patch::json::apply(&mut doc, &patch)
                    .map_err(|e| ApiError::new(422, "Invalid", e))?,
                _ => crate::patch::merge::apply(&mut doc, &patch),
            }
            doc
        }
        _ => return Err(ApiError::method_not_allowed()),
    };
    if let Some(rv) = desired
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        && Some(rv)
            != current
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
    {
        return Err(ApiError::conflict(&rt.group, &rt.plural, name));
    }
    let replicas = desired
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(
            "autoscaling",
            "Scale",
            name,
            vec![crate::status::cause(
                "FieldValueInvalid",
                "spec.replicas",
                format!("Invalid value: {replicas}: must be greater than or equal to 0"),
            )],
        ));
    }
    let mut updated = current.clone();
    let ptr = format!(
        "/{}",
        paths
            .spec_replicas
            .trim_start_matches('.')
            .replace('.', "/")
    );
    match updated.pointer_mut(&ptr) {
        Some(v) => *v = json!(replicas),
        None => {
            let segs: Vec<&str> = paths
                .spec_replicas
                .trim_start_matches('.')
                .split('.')
                .collect();
            if let Some((last, parents)) = segs.split_last()
                && let Some(m) = crate::util::obj_at(&mut updated, parents)
            {
                m.insert(last.to_string(), json!(replicas));
            }
        }
    }
    let opts = r.write_options()?;
    let w = store.update(rt, &t.version, &ns, name, updated, &opts, Part::Main)?;
    Ok(json_response(200, &scale_of(rt, &w.object)))
}

/// `POST pods/NAME/binding`: what a scheduler sends to put a Pod on a node.
fn binding(shared: &Shared, r: &Req, t: &Target, verb: &str) -> ApiResult<Response<Body>> {
    if !t.rt.group.is_empty() || t.rt.kind != "Pod" {
        return Err(ApiError::path_not_found());
    }
    if verb != "create" {
        return Err(ApiError::method_not_allowed());
    }
    let name = t.name.as_deref().unwrap_or_default();
    let ns = t.namespace.clone().unwrap_or_default();
    let body = r.body_json()?;
    let node = body
        .pointer("/target/name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "",
                "Binding",
                name,
                vec![crate::status::cause(
                    "FieldValueRequired",
                    "target.name",
                    "Required value",
                )],
            )
        })?;
    shared.lock().bind_pod(&ns, name, node)?;
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// The event type a watch with selectors reports for a change, if any: a modification that
/// moves an object into the selection is `ADDED`, out of it `DELETED`.
fn watch_kind(
    ev: &crate::store::Event,
    labels: &LabelSelector,
    fields: &FieldSelector,
) -> Option<&'static str> {
    let fields_ok = fields.matches(&ev.object);
    let now = fields_ok && labels.matches(ev.object.pointer("/metadata/labels"));
    if ev.kind != "MODIFIED" {
        return now.then_some(ev.kind);
    }
    let before = fields_ok
        && ev
            .old_labels
            .as_ref()
            .is_some_and(|l| labels.matches(Some(l)));
    match (before, now) {
        (true, true) => Some("MODIFIED"),
        (false, true) => Some("ADDED"),
        (true, false) => Some("DELETED"),
        (false, false) => None,
    }
}

fn watch_event(kind: &str, object: Value) -> Value {
    let mut event = serde_json::Map::new();
    event.insert("type".into(), Value::String(kind.to_string()));
    event.insert("object".into(), object);
    Value::Object(event)
}

fn watch(shared: &Arc<Shared>, r: &Req, t: &Target) -> Response<Body> {
    let (labels, fields) = match selectors(r) {
        Ok(x) => x,
        Err(e) => return error_response(&e),
    };
    let rt = t.rt.clone();
    let version = t.version.clone();
    let ns = t.namespace.clone();
    let table = r.wants_table();
    let initial_events = r.param("sendInitialEvents") == Some("true");
    let rv_param = r.param("resourceVersion").unwrap_or_default().to_string();
    let timeout = r
        .param("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let (initial, mut sub, rv_now) = {
        let store = shared.lock();
        let sub = store.subscribe();
        let rv_now = store.resource_version();
        let initial: Vec<(&'static str, Value)> =
            if rv_param.is_empty() || rv_param == "0" || initial_events {
                store
                    .list(&rt, &version, ns.as_deref(), &labels, &fields)
                    .into_iter()
                    .map(|o| ("ADDED", o))
                    .collect()
            } else {
                let Ok(from) = rv_param.parse::<u64>() else {
                    return error_response(&ApiError::bad_request(format!(
                        "invalid resource version {rv_param:?}"
                    )));
                };
                match store.events_since(from) {
                    Some(evs) => evs
                        .iter()
                        .filter(|e| e.key.0 == rt.group && e.key.1 == rt.plural)
                        .filter(|e| ns.as_ref().is_none_or(|n| *n == e.namespace))
                        .filter_map(|e| {
                            watch_kind(e, &labels, &fields)
                                .map(|k| (k, Store::present(&rt, &version, e.object.clone())))
                        })
                        .collect(),
                    None => return error_response(&ApiError::gone(from)),
                }
            };
        (initial, sub, rv_now)
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let render = move |kind: &str, obj: Value| -> Bytes {
        let object = if table {
            table::table(&rt, &version, &[obj], 0)
        } else {
            obj
        };
        let mut line = serde_json::to_vec(&watch_event(kind, object)).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    };
    let rt2 = t.rt.clone();
    let version2 = t.version.clone();
    tokio::spawn(async move {
        for (kind, obj) in initial {
            if tx.send(render(kind, obj)).await.is_err() {
                return;
            }
        }
        if initial_events {
            let bookmark = json!({"apiVersion": rt2.api_version(&version2), "kind": rt2.kind,
                "metadata": {"resourceVersion": rv_now.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
            let mut line = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": bookmark}))
                .unwrap_or_default();
            line.push(b'\n');
            if tx.send(Bytes::from(line)).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                ev = sub.recv() => {
                    let ev = match ev {
                        Ok(ev) => ev,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => return,
                    };
                    if ev.rv <= rv_now || ev.key.0 != rt2.group || ev.key.1 != rt2.plural {
                        continue;
                    }
                    if ns.as_ref().is_some_and(|n| *n != ev.namespace) {
                        continue;
                    }
                    let Some(kind) = watch_kind(&ev, &labels, &fields) else {
                        continue;
                    };
                    let obj = Store::present(&rt2, &version2, ev.object.clone());
                    if tx.send(render(kind, obj)).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut resp = Response::new(Body::Stream(rx));
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

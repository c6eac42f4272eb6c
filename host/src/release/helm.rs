//! Helm's release records, read-only: the pure decoder of one record (a Secret
//! `sh.helm.release.v1.NAME.vN` of type `helm.sh/release.v1`, or a ConfigMap with
//! `HELM_DRIVER=configmap`) into a typed [`HelmRelease`], and a reader that lists a release's
//! records in a namespace and picks one (the latest deployed, as `helm upgrade` does).
//!
//! A record's `data.release` is Helm's payload: base64 of (usually) gzip of the release JSON;
//! a Secret adds its own base64 on top. Everything is bounded: the payload's size, the
//! decompressed size, and JSON nesting (serde_json's recursion limit), so a hostile record
//! gives a one-line error naming it.

use std::io::Read;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::apply::plan;
use crate::cluster::{self, Cluster, Resource};
use crate::manifest::{self, Object, ObjectRef};

/// The type of the Secrets Helm records releases in.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// The largest payload read from a record (Kubernetes caps an object at about 1.5 MiB).
pub const MAX_PAYLOAD: usize = 8 << 20;
/// The largest release JSON a payload may decompress to.
pub const MAX_DECOMPRESSED: u64 = 64 << 20;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b, 0x08];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Cluster(#[from] cluster::Error),
    #[error("the cluster does not serve v1 {kind}s, where Helm records releases")]
    NotServed { kind: &'static str },
    #[error("Helm release record {record}: {message}")]
    Corrupt { record: String, message: String },
    #[error("Helm release record {record}: the release is larger than {limit} bytes uncompressed")]
    TooLarge { record: String, limit: u64 },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where Helm keeps its records (`HELM_DRIVER`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Driver {
    /// Secrets (Helm's default, `HELM_DRIVER=secret`).
    #[default]
    Secret,
    /// ConfigMaps (`HELM_DRIVER=configmap`).
    ConfigMap,
}

impl Driver {
    /// The driver `HELM_DRIVER` names, as Helm reads it: empty or `secret(s)` is Secrets,
    /// `configmap(s)` ConfigMaps; `None` for drivers that keep nothing in the cluster's
    /// objects (`memory`, `sql`).
    pub fn from_env_value(value: &str) -> Option<Driver> {
        match value {
            "" | "secret" | "secrets" => Some(Driver::Secret),
            "configmap" | "configmaps" => Some(Driver::ConfigMap),
            _ => None,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Driver::Secret => "Secret",
            Driver::ConfigMap => "ConfigMap",
        }
    }
}

/// One revision of a Helm release, as its record holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    /// The revision number (`version` in Helm's JSON).
    pub version: u64,
    /// `deployed`, `superseded`, `failed`, `uninstalled`, `pending-upgrade`, ...
    pub status: String,
    pub chart: ChartInfo,
    /// The values the user gave (`helm get values`), not the chart's defaults.
    pub config: Map<String, Value>,
    /// The rendered objects Helm applied (hooks and `crds/` excluded), as a YAML stream with
    /// `# Source:` comments.
    pub manifest: String,
    pub hooks: Vec<Hook>,
    pub info: Info,
    /// `ssa` or `csa` (Helm 4); empty for releases Helm 3 wrote (client-side apply).
    pub apply_method: String,
}

/// What a record keeps of its chart: the metadata and default values (templates and files
/// are left out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartInfo {
    pub name: String,
    pub version: String,
    pub app_version: String,
    /// `Chart.yaml` as Helm recorded it.
    pub metadata: Map<String, Value>,
    /// The chart's `values.yaml`.
    pub values: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Info {
    pub first_deployed: String,
    pub last_deployed: String,
    pub description: String,
    pub notes: String,
}

/// A hook of the release (rendered, applied apart from the manifest).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Hook {
    pub name: String,
    pub kind: String,
    /// The template it came from.
    pub path: String,
    pub manifest: String,
    pub events: Vec<String>,
    pub weight: i64,
    pub delete_policies: Vec<String>,
}

/// Helm's release JSON, as far as we read it.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    info: Option<RawInfo>,
    #[serde(default)]
    chart: Option<RawChart>,
    #[serde(default)]
    config: Option<Map<String, Value>>,
    #[serde(default)]
    manifest: String,
    #[serde(default)]
    hooks: Option<Vec<Hook>>,
    #[serde(default)]
    apply_method: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawInfo {
    first_deployed: String,
    last_deployed: String,
    description: String,
    status: String,
    notes: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawChart {
    metadata: Option<Map<String, Value>>,
    values: Option<Map<String, Value>>,
}

impl HelmRelease {
    /// Decodes a record: a Secret or ConfigMap as the API returns it (JSON).
    pub fn from_record(record: &Value) -> Result<HelmRelease> {
        let name = describe(record);
        let corrupt = |message: String| Error::Corrupt {
            record: name.clone(),
            message,
        };
        let data = record
            .pointer("/data/release")
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt("no `release` key in its data".to_owned()))?;
        if data.len() > MAX_PAYLOAD * 2 {
            return Err(corrupt(format!(
                "its data is larger than {} bytes",
                MAX_PAYLOAD * 2
            )));
        }
        let payload = match record.get("kind").and_then(Value::as_str) {
            // A Secret's data is base64 once more.
            Some("Secret") => base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|err| corrupt(format!("its data is not base64: {err}")))?,
            _ => data.as_bytes().to_vec(),
        };
        decode_payload(&payload, MAX_DECOMPRESSED).map_err(|failure| match failure {
            Failure::TooLarge => Error::TooLarge {
                record: name.clone(),
                limit: MAX_DECOMPRESSED,
            },
            Failure::Invalid(message) => corrupt(message),
        })
    }

    /// The objects of the manifest, each with the template it came from.
    pub fn objects(&self) -> Result<Vec<Object>, manifest::Error> {
        let default = format!("{}/manifest", self.chart.name);
        manifest::parse_sourced(&default, &self.manifest)
    }
}

impl HelmRelease {
    /// The objects Helm applied, each placed where it lives (namespaced kinds in their own
    /// namespace, else the release's; cluster-scoped ones in none), as apply places objects.
    /// Kinds the cluster no longer serves are left out: nothing of theirs can exist.
    pub async fn applied_objects(&self, cluster: &Cluster) -> Result<Vec<(ObjectRef, Value)>> {
        let objects = self.objects().map_err(|err| Error::Corrupt {
            record: format!(
                "{}/sh.helm.release.v1.{}.v{}",
                self.namespace, self.name, self.version
            ),
            message: err.to_string(),
        })?;
        let mut placed = Vec::with_capacity(objects.len());
        for object in objects {
            let Some(resource) = cluster
                .resource(object.api_version(), object.kind())
                .await?
            else {
                continue;
            };
            let reference = plan::target_ref(&object, resource.namespaced, &self.namespace);
            let mut value = object.value;
            plan::set_namespace(&mut value, reference.namespace.as_deref());
            placed.push((reference, value));
        }
        Ok(placed)
    }
}

enum Failure {
    TooLarge,
    Invalid(String),
}

/// Helm's payload (base64 text) -> the release, decompressed to at most `limit` bytes.
fn decode_payload(payload: &[u8], limit: u64) -> Result<HelmRelease, Failure> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Failure::Invalid(format!(
            "the release is larger than {MAX_PAYLOAD} bytes"
        )));
    }
    // Helm's base64 ignores no whitespace; a record copied by hand may end in a newline.
    let trimmed: Vec<u8> = payload
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&trimmed)
        .map_err(|err| Failure::Invalid(format!("the release is not base64: {err}")))?;
    // Releases stored before Helm compressed them are plain JSON.
    let json = if bytes.starts_with(GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|err| Failure::Invalid(format!("the release is not valid gzip: {err}")))?;
        if out.len() as u64 > limit {
            return Err(Failure::TooLarge);
        }
        out
    } else {
        bytes
    };
    let raw: Raw = serde_json::from_slice(&json)
        .map_err(|err| Failure::Invalid(format!("the release is not Helm's JSON: {err}")))?;
    let info = raw.info.unwrap_or_default();
    let chart = raw.chart.unwrap_or_default();
    let metadata = chart.metadata.unwrap_or_default();
    let text = |key: &str| {
        metadata
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(HelmRelease {
        name: raw.name,
        namespace: raw.namespace,
        version: raw.version,
        status: info.status,
        chart: ChartInfo {
            name: text("name"),
            version: text("version"),
            app_version: text("appVersion"),
            values: chart.values.unwrap_or_default(),
            metadata,
        },
        config: raw.config.unwrap_or_default(),
        manifest: raw.manifest,
        hooks: raw.hooks.unwrap_or_default(),
        info: Info {
            first_deployed: info.first_deployed,
            last_deployed: info.last_deployed,
            description: info.description,
            notes: info.notes,
        },
        apply_method: raw.apply_method,
    })
}

/// `Secret default/sh.helm.release.v1.web.v3`, for messages.
fn describe(record: &Value) -> String {
    let text = |pointer: &str| {
        record
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("?")
    };
    format!(
        "{} {}/{}",
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name")
    )
}

/// A record as its labels describe it, before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    /// The Secret's (or ConfigMap's) name: `sh.helm.release.v1.NAME.vN`.
    pub object: String,
    pub namespace: String,
    pub release: String,
    pub version: u64,
    pub status: String,
}

/// The records of release `name` in `namespace`, oldest first, with their objects.
async fn list_records(
    cluster: &Cluster,
    driver: Driver,
    namespace: &str,
    selector: &str,
) -> Result<Vec<(RecordRef, Value)>> {
    let resource = resource(cluster, driver).await?;
    let items = cluster.list(&resource, Some(namespace), selector).await?;
    let mut records = Vec::with_capacity(items.len());
    for mut item in items {
        // List items come without their kind, which says how the record is encoded.
        if let Some(map) = item.as_object_mut() {
            map.entry("kind")
                .or_insert_with(|| Value::from(driver.kind()));
        }
        let label = |key: &str| {
            item.pointer("/metadata/labels")
                .and_then(|l| l.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let version = label("version").parse().map_err(|_| Error::Corrupt {
            record: describe(&item),
            message: format!("its `version` label `{}` is not a number", label("version")),
        })?;
        let reference = RecordRef {
            object: item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            namespace: namespace.to_owned(),
            release: label("name"),
            version,
            status: label("status"),
        };
        records.push((reference, item));
    }
    records.sort_by_key(|(r, _)| r.version);
    Ok(records)
}

async fn resource(cluster: &Cluster, driver: Driver) -> Result<Resource> {
    cluster
        .resource("v1", driver.kind())
        .await?
        .ok_or(Error::NotServed {
            kind: driver.kind(),
        })
}

/// The records of release `name` in `namespace` (its history), oldest first, undecoded.
pub async fn records(
    cluster: &Cluster,
    driver: Driver,
    namespace: &str,
    name: &str,
) -> Result<Vec<RecordRef>> {
    let selector = format!("owner=helm,name={name}");
    Ok(list_records(cluster, driver, namespace, &selector)
        .await?
        .into_iter()
        .map(|(reference, _)| reference)
        .collect())
}

/// Reads and decodes one record; `None` when it no longer exists.
pub async fn read(
    cluster: &Cluster,
    driver: Driver,
    record: &RecordRef,
) -> Result<Option<HelmRelease>> {
    let resource = resource(cluster, driver).await?;
    let reference = ObjectRef {
        api_version: "v1".into(),
        kind: driver.kind().into(),
        namespace: Some(record.namespace.clone()),
        name: record.object.clone(),
    };
    match cluster.get(&resource, &reference).await? {
        Some(found) => HelmRelease::from_record(&found).map(Some),
        None => Ok(None),
    }
}

/// The latest deployed revision of release `name` in `namespace`, as `helm upgrade` takes it
/// (the highest version among records labelled `status=deployed`); `None` when there is none.
pub async fn latest_deployed(
    cluster: &Cluster,
    driver: Driver,
    namespace: &str,
    name: &str,
) -> Result<Option<HelmRelease>> {
    let selector = format!("owner=helm,name={name},status=deployed");
    let records = list_records(cluster, driver, namespace, &selector).await?;
    match records.last() {
        Some((_, record)) => HelmRelease::from_record(record).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;

    use super::*;

    /// Two records real `helm install` and `helm upgrade` wrote into the emulator (see
    /// `host/tests/fixtures/README.md`).
    fn fixture() -> Vec<Value> {
        let text = include_str!("../../tests/fixtures/helm-release-fx.json");
        let list: Value = serde_json::from_str(text).unwrap();
        list["items"].as_array().unwrap().clone()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn secret(payload: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
            "metadata": {"name": "sh.helm.release.v1.web.v1", "namespace": "shop"},
            "data": {"release": b64(payload.as_bytes())}})
    }

    #[test]
    fn decodes_what_real_helm_wrote() {
        let records = fixture();
        let v1 = HelmRelease::from_record(&records[0]).unwrap();
        let v2 = HelmRelease::from_record(&records[1]).unwrap();
        assert_eq!((v1.version, v1.status.as_str()), (1, "superseded"));
        assert_eq!((v2.version, v2.status.as_str()), (2, "deployed"));
        assert_eq!(v2.name, "fx");
        assert_eq!(v2.namespace, "default");
        assert_eq!(v2.chart.name, "hello-world");
        assert_eq!(v2.chart.version, "0.1.0");
        assert_eq!(v2.chart.app_version, "1.16.0");
        assert_eq!(v2.chart.values["replicaCount"], 1);
        assert_eq!(
            Value::Object(v2.config.clone()),
            json!({"password": "hunter2", "replicaCount": 3})
        );
        assert_eq!(v2.apply_method, "ssa");
        assert_eq!(v2.hooks.len(), 1);
        let hook = &v2.hooks[0];
        assert_eq!(hook.name, "fx-hook");
        assert_eq!(hook.kind, "ConfigMap");
        assert_eq!(hook.events, ["post-install", "post-upgrade"]);
        assert_eq!(hook.weight, 5);
        assert_eq!(hook.delete_policies, ["before-hook-creation"]);
        assert!(
            hook.manifest.contains("revision: \"2\""),
            "{}",
            hook.manifest
        );

        let objects = v2.objects().unwrap();
        let kinds: Vec<(&str, &str)> = objects.iter().map(|o| (o.kind(), o.name())).collect();
        assert_eq!(
            kinds,
            [
                ("ServiceAccount", "fx-hello-world"),
                ("Secret", "fx-creds"),
                ("Service", "fx-hello-world"),
                ("Deployment", "fx-hello-world"),
            ]
        );
        assert_eq!(objects[3].source, "hello-world/templates/deployment.yaml");
        assert_eq!(objects[3].value["spec"]["replicas"], 3);
        // The manifest holds no hooks.
        assert!(!v2.manifest.contains("helm.sh/hook"));
    }

    #[test]
    fn plain_json_and_config_maps_decode_too() {
        let release = r#"{"name":"web","namespace":"shop","version":4,"info":{"status":"deployed"},"manifest":"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"}"#;
        // Releases from before compression: base64 of the JSON itself.
        let plain = HelmRelease::from_record(&secret(&b64(release.as_bytes()))).unwrap();
        assert_eq!(plain.version, 4);
        assert_eq!(plain.objects().unwrap()[0].name(), "a");
        // ConfigMaps hold Helm's payload without the Secret's base64.
        let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "sh.helm.release.v1.web.v4", "namespace": "shop"},
            "data": {"release": b64(&gzip(release.as_bytes()))}});
        let decoded = HelmRelease::from_record(&config_map).unwrap();
        assert_eq!(decoded, plain);
        assert!(decoded.config.is_empty() && decoded.hooks.is_empty());
    }

    #[test]
    fn decompression_is_bounded() {
        let zeros = b64(&gzip(&vec![0u8; 2 << 20]));
        assert!(matches!(
            decode_payload(zeros.as_bytes(), 1 << 20),
            Err(Failure::TooLarge)
        ));
        let release = b64(&gzip(br#"{"name":"web","version":1}"#));
        assert!(decode_payload(release.as_bytes(), 26).is_ok());
        assert!(matches!(
            decode_payload(release.as_bytes(), 25),
            Err(Failure::TooLarge)
        ));
    }

    #[test]
    fn hostile_records_give_one_line_errors_naming_them() {
        let deep = format!(
            "{{\"config\":{}1{}}}",
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        );
        let huge = "A".repeat(MAX_PAYLOAD * 2 + 4);
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"kind": "Secret", "metadata": {"name": "x", "namespace": "n"}, "data": {}}),
                "no `release` key",
            ),
            (secret("%%%"), "not base64"),
            (
                json!({"kind": "Secret", "metadata": {"name": "x", "namespace": "n"}, "data": {"release": "!!"}}),
                "not base64",
            ),
            (secret(&b64(b"\x1f\x8b\x08garbage")), "not valid gzip"),
            (secret(&b64(b"{\"name\": 3}")), "not Helm's JSON"),
            (secret(&b64(deep.as_bytes())), "recursion limit"),
            (
                json!({"kind": "Secret", "metadata": {"name": "x", "namespace": "n"}, "data": {"release": huge}}),
                "its data is larger than",
            ),
        ];
        for (record, expected) in cases {
            let err = HelmRelease::from_record(&record).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should say {expected}");
            assert!(err.starts_with("Helm release record Secret "), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn drivers_from_helm_driver() {
        assert_eq!(Driver::from_env_value(""), Some(Driver::Secret));
        assert_eq!(Driver::from_env_value("secrets"), Some(Driver::Secret));
        assert_eq!(Driver::from_env_value("configmap"), Some(Driver::ConfigMap));
        assert_eq!(Driver::from_env_value("sql"), None);
    }
}

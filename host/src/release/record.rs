//! One revision of a release as the cluster keeps it: a Secret
//! `kubectl-chart.release.v1.NAME.vN` (type `kubectl-chart.io/release.v1`) in the release
//! namespace, labelled with the release name, revision, status and owner, holding the revision
//! as gzip-compressed JSON: the chart's metadata, the values, the applied manifest (the next
//! apply's "last applied"), the objects the release may own, notes, hooks and, for a failure,
//! the error.

use std::collections::BTreeSet;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Error, NAME_LABEL, ReleaseId, Result};
use crate::manifest::{Object, ObjectRef};

/// The Secret type of revision records.
pub const SECRET_TYPE: &str = "kubectl-chart.io/release.v1";
/// Label holding a record's revision number.
pub const REVISION_LABEL: &str = "kubectl-chart.io/revision";
/// Label holding a record's status.
pub const STATUS_LABEL: &str = "kubectl-chart.io/status";
/// Label marking records as kubectl-chart's (as Helm's carry `owner=helm`).
pub const OWNER_LABEL: &str = "owner";
pub const OWNER: &str = "kubectl-chart";

/// What a Secret's `data` may hold in all: the API server's limit.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// The most a record may decompress to (a hostile or corrupt record must not eat memory).
const MAX_DECOMPRESSED_BYTES: u64 = 64 * 1024 * 1024;

/// Where a revision stands, with Helm's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
    Deployed,
    Superseded,
    Failed,
    Uninstalling,
    Uninstalled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
            Status::Deployed => "deployed",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::Uninstalled => "uninstalled",
        }
    }

    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object as a revision applied it, with the template it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    pub source: String,
    pub object: Value,
}

/// A hook of a revision and how its last run went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRecord {
    pub object: ObjectRef,
    pub source: String,
    pub events: Vec<String>,
    pub weight: i64,
    pub delete_policies: Vec<String>,
    /// The hook's manifest, so that `test` and `rollback` can run it again.
    pub manifest: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<HookRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRun {
    pub started_at: String,
    pub completed_at: String,
    /// `Succeeded` or `Failed`.
    pub phase: String,
}

/// One revision of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub status: Status,
    /// RFC 3339: when the release was first installed.
    pub first_deployed: String,
    /// RFC 3339: when this revision was written last.
    pub last_deployed: String,
    pub description: String,
    /// `Chart.yaml` as the chart declared it (`null` for objects applied from a file).
    #[serde(default)]
    pub chart: Value,
    /// The values the user supplied (`-f`, `--set`...).
    #[serde(default)]
    pub values: Value,
    /// The values the chart was rendered with.
    #[serde(default)]
    pub computed_values: Value,
    /// The objects this revision applies, in install order.
    #[serde(default)]
    pub manifest: Vec<Applied>,
    /// The objects the release may own after this revision: its manifest, and for a failed or
    /// interrupted revision also whatever earlier revisions owned, so nothing is orphaned.
    #[serde(default)]
    pub objects: BTreeSet<ObjectRef>,
    /// Of a failed revision, the objects it did write.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub written: BTreeSet<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The Secret's `resourceVersion` when read, guarding updates against a second writer.
    #[serde(skip)]
    pub resource_version: Option<String>,
}

impl Revision {
    pub fn id(&self) -> ReleaseId {
        ReleaseId {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
        }
    }

    /// `web-0.3.0`, as Helm prints a chart.
    pub fn chart_label(&self) -> String {
        let name = self.chart.get("name").and_then(Value::as_str);
        let version = self.chart.get("version").and_then(Value::as_str);
        match (name, version) {
            (Some(name), Some(version)) => format!("{name}-{version}"),
            (Some(name), None) => name.to_owned(),
            _ => String::new(),
        }
    }

    pub fn app_version(&self) -> &str {
        self.chart
            .get("appVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The manifest's objects.
    pub fn objects(&self) -> Vec<Object> {
        self.manifest
            .iter()
            .filter_map(|applied| Object::new(applied.source.clone(), applied.object.clone()).ok())
            .collect()
    }

    /// The name of this revision's Secret.
    pub fn secret_name(&self) -> String {
        secret_name(&self.name, self.revision)
    }

    /// The Secret holding this revision, ready to create or replace. Fails when the record is
    /// too large for a Secret, before anything is written.
    pub fn to_secret(&self) -> Result<Value> {
        let data = self.encode()?;
        let mut secret = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": self.secret_name(),
                "namespace": self.namespace,
                "labels": {
                    NAME_LABEL: self.name,
                    REVISION_LABEL: self.revision.to_string(),
                    STATUS_LABEL: self.status.as_str(),
                    OWNER_LABEL: OWNER,
                },
            },
            "type": SECRET_TYPE,
            "data": {"release": base64_encode(&data)},
        });
        if let Some(version) = &self.resource_version {
            secret["metadata"]["resourceVersion"] = Value::from(version.clone());
        }
        Ok(secret)
    }

    /// The record as stored: gzip-compressed JSON.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(self).map_err(|err| Error::Encode {
            release: self.id().to_string(),
            revision: self.revision,
            message: err.to_string(),
        })?;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let compressed = encoder
            .write_all(&json)
            .and_then(|()| encoder.finish())
            .map_err(|err| Error::Encode {
                release: self.id().to_string(),
                revision: self.revision,
                message: err.to_string(),
            })?;
        // Base64 in the Secret's JSON counts against the limit as the raw bytes do not; the
        // API server limits the decoded data, so the raw size is what counts.
        if compressed.len() > MAX_RECORD_BYTES {
            return Err(Error::TooLarge {
                release: self.id().to_string(),
                revision: self.revision,
                bytes: compressed.len(),
                uncompressed: json.len(),
            });
        }
        Ok(compressed)
    }

    /// Reads a record from its Secret.
    pub fn from_secret(secret: &Value) -> Result<Revision> {
        let name = secret
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let namespace = secret
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let corrupt = |message: String| Error::Corrupt {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            message,
        };
        let encoded = secret
            .pointer("/data/release")
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt("no `release` key".to_owned()))?;
        let compressed = base64_decode(encoded).map_err(corrupt)?;
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .take(MAX_DECOMPRESSED_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|err| corrupt(format!("not gzip: {err}")))?;
        if json.len() as u64 > MAX_DECOMPRESSED_BYTES {
            return Err(corrupt(format!(
                "it decompresses to more than {} MiB",
                MAX_DECOMPRESSED_BYTES / 1024 / 1024
            )));
        }
        let mut revision: Revision = serde_json::from_slice(&json)
            .map_err(|err| corrupt(crate::log::truncate(&err.to_string(), 200)))?;
        revision.resource_version = secret
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(revision)
    }
}

/// `kubectl-chart.release.v1.NAME.vN`.
pub fn secret_name(release: &str, revision: u64) -> String {
    format!("kubectl-chart.release.v1.{release}.v{revision}")
}

pub fn secret_ref(namespace: &str, release: &str, revision: u64) -> ObjectRef {
    ObjectRef {
        api_version: "v1".to_owned(),
        kind: "Secret".to_owned(),
        namespace: Some(namespace.to_owned()),
        name: secret_name(release, revision),
    }
}

/// The label selector of a release's records (or of every release's, without a name).
pub fn selector(release: Option<&str>) -> String {
    match release {
        Some(name) => format!("{OWNER_LABEL}={OWNER},{NAME_LABEL}={name}"),
        None => format!("{OWNER_LABEL}={OWNER}"),
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|err| format!("not base64: {err}"))
}

/// Now, in RFC 3339 with seconds, UTC.
pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision() -> Revision {
        Revision {
            name: "web".into(),
            namespace: "shop".into(),
            revision: 3,
            status: Status::Deployed,
            first_deployed: "2026-01-01T00:00:00Z".into(),
            last_deployed: "2026-01-02T00:00:00Z".into(),
            description: "Upgrade complete".into(),
            chart: json!({"name": "web", "version": "0.3.0", "appVersion": "1.27"}),
            values: json!({"replicas": 2}),
            computed_values: json!({"replicas": 2, "image": "nginx"}),
            manifest: vec![Applied {
                source: "web/templates/cm.yaml".into(),
                object: json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            }],
            objects: BTreeSet::new(),
            written: BTreeSet::new(),
            notes: Some("hi".into()),
            hooks: Vec::new(),
            error: None,
            resource_version: Some("12".into()),
        }
    }

    #[test]
    fn a_record_round_trips_through_its_secret() {
        let original = revision();
        let secret = original.to_secret().unwrap();
        assert_eq!(
            secret["metadata"]["name"],
            "kubectl-chart.release.v1.web.v3"
        );
        assert_eq!(secret["metadata"]["labels"][STATUS_LABEL], "deployed");
        assert_eq!(secret["metadata"]["labels"][REVISION_LABEL], "3");
        assert_eq!(secret["type"], SECRET_TYPE);
        assert_eq!(secret["metadata"]["resourceVersion"], "12");
        let read = Revision::from_secret(&secret).unwrap();
        assert_eq!(read, original);
        assert_eq!(read.chart_label(), "web-0.3.0");
    }

    #[test]
    fn a_record_too_large_for_a_secret_fails_before_it_is_written() {
        let mut big = revision();
        // Random-looking text does not compress.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: String = (0..1_600_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'!' + (state % 90) as u8)
            })
            .collect();
        big.manifest[0].object["data"] = json!({"blob": noise});
        let err = big.to_secret().unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        assert!(err.contains("shop/web"), "{err}");
    }

    #[test]
    fn corrupt_records_name_their_secret() {
        let cases = [
            json!({"metadata": {"name": "s", "namespace": "n"}, "data": {}}),
            json!({"metadata": {"name": "s", "namespace": "n"}, "data": {"release": "%%%"}}),
            json!({"metadata": {"name": "s", "namespace": "n"}, "data": {"release": base64_encode(b"plain")}}),
        ];
        for secret in cases {
            let err = Revision::from_secret(&secret).unwrap_err().to_string();
            assert!(err.contains("n/s"), "{err}");
        }
    }

    #[test]
    fn a_gzip_bomb_is_refused() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..70 {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        let secret = json!({"metadata": {"name": "s", "namespace": "n"}, "data": {"release": base64_encode(&bomb)}});
        let err = Revision::from_secret(&secret).unwrap_err().to_string();
        assert!(err.contains("decompresses to more than"), "{err}");
    }
}

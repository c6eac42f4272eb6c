//! The release record of kubectl-chart 0.1: one Secret per release (`kubectl-chart.release.NAME`)
//! holding the objects the last apply wrote and a revision counter, with "last applied" kept in
//! an annotation on every object. Read once to migrate a release to revision records, then
//! deleted.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Error, ReleaseId, Result};
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::ObjectRef;

fn secret_name(release: &ReleaseId) -> String {
    format!("kubectl-chart.release.{}", release.name)
}

fn secret_ref(release: &ReleaseId) -> ObjectRef {
    ObjectRef {
        api_version: "v1".to_owned(),
        kind: "Secret".to_owned(),
        namespace: Some(release.namespace.clone()),
        name: secret_name(release),
    }
}

/// The objects a release owns, as recorded by its last apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// How many applies wrote this record (1 after the first install).
    #[serde(default)]
    pub revision: u64,
    pub objects: BTreeSet<ObjectRef>,
}

/// The record as stored.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub inventory: Inventory,
    resource_version: Option<String>,
}

impl Record {
    /// Whether the cluster holds such a record.
    pub fn exists(&self) -> bool {
        self.resource_version.is_some()
    }
}

async fn secrets(cluster: &Cluster) -> Result<Resource> {
    cluster
        .resource("v1", "Secret")
        .await?
        .ok_or(Error::NoSecrets)
}

/// Reads the release's record; an empty one for a release never applied.
pub async fn load(cluster: &Cluster, release: &ReleaseId) -> Result<Record> {
    let resource = secrets(cluster).await?;
    let Some(secret) = cluster.get(&resource, &secret_ref(release)).await? else {
        return Ok(Record::default());
    };
    let corrupt = |message: String| Error::Corrupt {
        namespace: release.namespace.clone(),
        name: secret_name(release),
        message,
    };
    let encoded = secret
        .pointer("/data/inventory")
        .and_then(Value::as_str)
        .ok_or_else(|| corrupt("no `inventory` key".to_owned()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|err| corrupt(err.to_string()))?;
    let inventory = serde_json::from_slice(&bytes).map_err(|err| corrupt(err.to_string()))?;
    Ok(Record {
        inventory,
        resource_version: secret
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Deletes the release's record, once its history has taken over.
pub async fn delete(cluster: &Cluster, release: &ReleaseId) -> Result<()> {
    let resource = secrets(cluster).await?;
    cluster
        .delete(&resource, &secret_ref(release), &WriteOptions::default())
        .await?;
    Ok(())
}

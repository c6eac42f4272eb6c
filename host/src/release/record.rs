//! What the cluster remembers of a release between applies: the objects the last apply wrote
//! (so the next one can prune what the chart no longer renders), in one Secret per release
//! in the release namespace.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Error, MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL, ReleaseId, Result};
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::ObjectRef;

/// The Secret type of release records.
pub const SECRET_TYPE: &str = "kubectl-chart.io/release.v1";

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

/// The record as stored; `resource_version` guards against two applies racing.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub inventory: Inventory,
    resource_version: Option<String>,
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

/// Writes the release's record. Fails with a conflict if another apply wrote it since `load`.
pub async fn save(
    cluster: &Cluster,
    release: &ReleaseId,
    previous: &Record,
    inventory: &Inventory,
) -> Result<()> {
    let resource = secrets(cluster).await?;
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(inventory).unwrap_or_default());
    let mut secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(release),
            "namespace": release.namespace,
            "labels": {NAME_LABEL: release.name, MANAGED_BY_LABEL: MANAGED_BY},
        },
        "type": SECRET_TYPE,
        "data": {"inventory": encoded},
    });
    let options = WriteOptions::default();
    match &previous.resource_version {
        Some(version) => {
            secret["metadata"]["resourceVersion"] = Value::from(version.clone());
            cluster
                .replace(&resource, &secret_ref(release), &secret, &options)
                .await?;
        }
        None => {
            cluster
                .create(&resource, &secret_ref(release), &secret, &options)
                .await?;
        }
    }
    Ok(())
}

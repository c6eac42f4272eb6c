//! Reading the cluster for a plan: everything [`super::plan`] needs to know, gathered once,
//! concurrently where it can be. Nothing here decides anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::plan::{self, KindKey};
use super::{Previous, Result};
use crate::cluster::{Cluster, Resource};
use crate::manifest::{Object, ObjectRef};
use crate::merge::SchemaShape;
use crate::release::ReleaseId;

/// What the cluster looks like for one apply.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// How each `(apiVersion, kind)` of the chart and of the previous revision is served;
    /// `None` when the cluster does not serve it.
    pub resources: BTreeMap<KindKey, Option<Resource>>,
    /// The objects that exist, among the chart's and the previous revision's.
    pub live: HashMap<ObjectRef, Value>,
    /// The `openAPIV3Schema` of served custom kinds whose CRD is not part of the chart (for
    /// list merge keys), by `(apiVersion, kind)`.
    pub crd_schemas: HashMap<KindKey, Value>,
    /// The namespaces the objects go to that exist.
    pub namespaces: BTreeSet<String>,
}

impl Snapshot {
    /// How many of the read objects exist.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }
}

/// Reads what a plan of `objects` for `release` needs: kinds, live objects (the chart's and
/// the previous revision's), CRD schemas, namespaces.
pub async fn snapshot(
    cluster: &Cluster,
    release: &ReleaseId,
    objects: &[Object],
    previous: &Previous,
    concurrency: usize,
) -> Result<Snapshot> {
    let concurrency = concurrency.max(1);
    let mut kinds: BTreeSet<KindKey> = objects.iter().map(plan::kind_key).collect();
    kinds.extend(
        previous
            .objects
            .iter()
            .map(|r| (r.api_version.clone(), r.kind.clone())),
    );
    let resources: BTreeMap<KindKey, Option<Resource>> = stream::iter(kinds)
        .map(|key| async move {
            let resource = cluster.resource(&key.0, &key.1).await?;
            Ok::<_, super::Error>((key, resource))
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;

    // The objects to read: the chart's (where they will live) and the previous revision's.
    let defined = plan::defined_crds(objects);
    let mut wanted: Vec<(Resource, ObjectRef)> = Vec::new();
    let mut seen = BTreeSet::new();
    for object in objects {
        let Some(Some(resource)) = resources.get(&plan::kind_key(object)) else {
            continue;
        };
        let reference = plan::target_ref(object, resource.namespaced, &release.namespace);
        if seen.insert(reference.clone()) {
            wanted.push((resource.clone(), reference));
        }
    }
    for reference in &previous.objects {
        let key = (reference.api_version.clone(), reference.kind.clone());
        if let Some(Some(resource)) = resources.get(&key)
            && seen.insert(reference.clone())
        {
            wanted.push((resource.clone(), reference.clone()));
        }
    }
    let live: HashMap<ObjectRef, Value> = stream::iter(wanted)
        .map(|(resource, reference)| async move {
            let found = cluster.get(&resource, &reference).await?;
            Ok::<_, super::Error>(found.map(|value| (reference, value)))
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .filter_map(Result::transpose)
        .collect::<Result<_>>()?;

    let mut crd_schemas = HashMap::new();
    for (key, resource) in &resources {
        let Some(resource) = resource else { continue };
        if SchemaShape::for_kind(&key.0, &key.1).is_some()
            || defined.contains_key(&plan::group_kind(&key.0, &key.1))
            || !objects.iter().any(|o| plan::kind_key(o) == *key)
        {
            continue;
        }
        if let Some(schema) = crd_schema(cluster, resource).await? {
            crd_schemas.insert(key.clone(), schema);
        }
    }

    let namespaces = existing_namespaces(cluster, objects, &resources, release).await?;
    Ok(Snapshot {
        resources,
        live,
        crd_schemas,
        namespaces,
    })
}

/// The `openAPIV3Schema` of the version `resource` serves, from its CRD.
async fn crd_schema(cluster: &Cluster, resource: &Resource) -> Result<Option<Value>> {
    let Some(crds) = cluster
        .resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        .await?
    else {
        return Ok(None);
    };
    let reference = ObjectRef {
        api_version: "apiextensions.k8s.io/v1".into(),
        kind: "CustomResourceDefinition".into(),
        namespace: None,
        name: format!("{}.{}", resource.api.plural, resource.api.group),
    };
    let Some(crd) = cluster.get(&crds, &reference).await? else {
        return Ok(None);
    };
    Ok(plan::crd_version_schema(&crd, &resource.api.version).cloned())
}

/// Which of the namespaces the chart's objects go to exist.
async fn existing_namespaces(
    cluster: &Cluster,
    objects: &[Object],
    resources: &BTreeMap<KindKey, Option<Resource>>,
    release: &ReleaseId,
) -> Result<BTreeSet<String>> {
    let defined = plan::defined_crds(objects);
    let wanted: BTreeSet<String> = objects
        .iter()
        .filter_map(|object| {
            let namespaced = match resources.get(&plan::kind_key(object)) {
                Some(Some(resource)) => resource.namespaced,
                _ => plan::crd_namespaced(&defined, object)?,
            };
            plan::target_ref(object, namespaced, &release.namespace).namespace
        })
        .collect();
    let Some(namespaces) = cluster.resource("v1", "Namespace").await? else {
        return Ok(wanted);
    };
    let mut existing = BTreeSet::new();
    for ns in wanted {
        if cluster
            .get(&namespaces, &plan::namespace_ref(&ns))
            .await?
            .is_some()
        {
            existing.insert(ns);
        }
    }
    Ok(existing)
}

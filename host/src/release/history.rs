//! A release's revision history as the cluster keeps it: reading every revision of a release
//! (or the latest of every release), writing and updating one guarded by its
//! `resourceVersion`, and what the history says the next apply starts from ([`Previous`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::record::{self, Revision, Status};
use super::{Error, Release, ReleaseId, Result, legacy};
use crate::apply::Previous;
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::ObjectRef;

/// Every revision of one release, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    pub id: ReleaseId,
    pub revisions: Vec<Revision>,
    /// The single record of kubectl-chart 0.1, when the release has not been migrated yet.
    pub legacy: Option<legacy::Record>,
}

pub(super) async fn secrets(cluster: &Cluster) -> Result<Resource> {
    cluster
        .resource("v1", "Secret")
        .await?
        .ok_or(Error::NoSecrets)
}

impl History {
    /// Reads the release's revisions (and its 0.1 record, if it has no revisions yet).
    pub async fn load(cluster: &Cluster, id: &ReleaseId) -> Result<History> {
        let resource = secrets(cluster).await?;
        let secrets = cluster
            .list(
                &resource,
                Some(&id.namespace),
                &record::selector(Some(&id.name)),
            )
            .await?;
        let mut revisions = secrets
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) == Some(record::SECRET_TYPE))
            .map(Revision::from_secret)
            .collect::<Result<Vec<_>>>()?;
        revisions.retain(|r| r.name == id.name);
        revisions.sort_by_key(|r| r.revision);
        let legacy = if revisions.is_empty() {
            let found = legacy::load(cluster, id).await?;
            found.exists().then_some(found)
        } else {
            None
        };
        Ok(History {
            id: id.clone(),
            revisions,
            legacy,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty() && self.legacy.is_none()
    }

    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    pub fn get(&self, revision: u64) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.revision == revision)
    }

    /// The revision now deployed.
    pub fn deployed(&self) -> Option<&Revision> {
        self.revisions
            .iter()
            .rev()
            .find(|r| r.status == Status::Deployed)
    }

    /// The number the next revision gets: revision numbers only grow.
    pub fn next_revision(&self) -> Result<u64> {
        let last = self
            .latest()
            .map(|r| r.revision)
            .or_else(|| self.legacy.as_ref().map(|l| l.inventory.revision))
            .unwrap_or(0);
        last.checked_add(1).ok_or_else(|| Error::RevisionOverflow {
            release: self.id.to_string(),
        })
    }

    /// `Release` as templates of the next revision see it (for apply, and for diff, which must
    /// render exactly what apply would).
    pub fn template_release(&self) -> Result<Release> {
        let installed = self.deployed().is_some() || self.legacy.is_some();
        Ok(Release {
            revision: self.next_revision()?,
            is_install: !installed,
            is_upgrade: installed,
            ..Release::install(&self.id.name, &self.id.namespace)
        })
    }

    /// Whether the release is installed now: it has revisions and was not uninstalled.
    pub fn is_installed(&self) -> bool {
        match self.latest() {
            Some(latest) => latest.status != Status::Uninstalled,
            None => self.legacy.is_some(),
        }
    }

    /// When the release was first deployed, for a new revision of it.
    pub fn first_deployed(&self) -> Option<String> {
        if !self.is_installed() {
            return None;
        }
        self.revisions
            .iter()
            .rev()
            .find(|r| r.status != Status::Uninstalled)
            .map(|r| r.first_deployed.clone())
    }

    /// What the next apply starts from: the deployed revision's manifest as "last applied",
    /// and as owned every object it or any later (failed or interrupted) revision may have
    /// written. Objects a failed revision did write count as applied as it applied them.
    pub fn previous(&self) -> Previous {
        if !self.is_installed() {
            return Previous::default();
        }
        let Some(latest) = self.latest() else {
            // Migrating from the 0.1 record: objects only; "last applied" from annotations.
            return self
                .legacy
                .as_ref()
                .map(|l| Previous::from_inventory(&l.inventory))
                .unwrap_or_default();
        };
        let deployed_index = self
            .revisions
            .iter()
            .rposition(|r| r.status == Status::Deployed);
        let mut previous = Previous::default();
        let after = match deployed_index {
            Some(index) => {
                let deployed = &self.revisions[index];
                previous.revision = Some(deployed.revision);
                previous.objects = deployed.objects.clone();
                previous.applied = applied_by_ref(deployed, None);
                &self.revisions[index + 1..]
            }
            // Never deployed (a failed first install): what it may have written is owned.
            None => std::slice::from_ref(latest),
        };
        for revision in after {
            previous.objects.extend(revision.objects.iter().cloned());
            for (reference, applied) in applied_by_ref(revision, Some(&revision.written)) {
                previous
                    .applied_in
                    .insert(reference.clone(), revision.revision);
                previous.applied.insert(reference, applied);
            }
        }
        previous
    }
}

/// A revision's manifest by object, limited to `only` when given.
fn applied_by_ref(
    revision: &Revision,
    only: Option<&std::collections::BTreeSet<ObjectRef>>,
) -> HashMap<ObjectRef, Value> {
    revision
        .objects()
        .into_iter()
        .map(|object| (object.object_ref(), object.value))
        .filter(|(reference, _)| only.is_none_or(|only| only.contains(reference)))
        .collect()
}

/// Writes a new revision. Fails with a conflict when the revision exists already (another
/// writer got there first).
pub async fn create(cluster: &Cluster, revision: &mut Revision) -> Result<()> {
    let resource = secrets(cluster).await?;
    revision.resource_version = None;
    let secret = revision.to_secret()?;
    let reference = record::secret_ref(&revision.namespace, &revision.name, revision.revision);
    let created = cluster
        .create(&resource, &reference, &secret, &WriteOptions::default())
        .await?;
    revision.resource_version = resource_version(&created);
    Ok(())
}

/// Rewrites a revision read or written before, guarded by its `resourceVersion`.
pub async fn update(cluster: &Cluster, revision: &mut Revision) -> Result<()> {
    let resource = secrets(cluster).await?;
    revision.last_deployed = record::now();
    let secret = revision.to_secret()?;
    let reference = record::secret_ref(&revision.namespace, &revision.name, revision.revision);
    let written = if revision.resource_version.is_some() {
        cluster
            .replace(&resource, &reference, &secret, &WriteOptions::default())
            .await?
    } else {
        cluster
            .create(&resource, &reference, &secret, &WriteOptions::default())
            .await?
    };
    revision.resource_version = resource_version(&written);
    Ok(())
}

/// Deletes a revision's record.
pub async fn delete(cluster: &Cluster, revision: &Revision) -> Result<()> {
    let resource = secrets(cluster).await?;
    let reference = record::secret_ref(&revision.namespace, &revision.name, revision.revision);
    cluster
        .delete(&resource, &reference, &WriteOptions::default())
        .await?;
    Ok(())
}

/// Keeps the newest `max` revisions (0: all), never deleting the deployed one.
pub async fn trim(cluster: &Cluster, history: &History, max: usize) -> Result<usize> {
    if max == 0 || history.revisions.len() <= max {
        return Ok(0);
    }
    let deployed = history.deployed().map(|r| r.revision);
    let excess = history.revisions.len() - max;
    let mut deleted = 0;
    for revision in &history.revisions {
        if deleted == excess {
            break;
        }
        if Some(revision.revision) == deployed {
            continue;
        }
        delete(cluster, revision).await?;
        deleted += 1;
    }
    Ok(deleted)
}

/// The latest revision of every release in `namespace` (every namespace with `None`).
pub async fn list_releases(cluster: &Cluster, namespace: Option<&str>) -> Result<Vec<Revision>> {
    let resource = secrets(cluster).await?;
    let secrets = cluster
        .list(&resource, namespace, &record::selector(None))
        .await?;
    let mut latest: BTreeMap<(String, String), Revision> = BTreeMap::new();
    for secret in &secrets {
        if secret.get("type").and_then(Value::as_str) != Some(record::SECRET_TYPE) {
            continue;
        }
        let revision = Revision::from_secret(secret)?;
        let key = (revision.namespace.clone(), revision.name.clone());
        match latest.get(&key) {
            Some(known) if known.revision >= revision.revision => {}
            _ => {
                latest.insert(key, revision);
            }
        }
    }
    Ok(latest.into_values().collect())
}

fn resource_version(object: &Value) -> Option<String> {
    object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::release::record::Applied;

    fn cm(name: &str, value: &str) -> (ObjectRef, Applied) {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop"}, "data": {"v": value}});
        let reference = ObjectRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("shop".into()),
            name: name.into(),
        };
        (
            reference,
            Applied {
                source: "t".into(),
                object,
            },
        )
    }

    fn revision(number: u64, status: Status, objects: &[(&str, &str)]) -> Revision {
        let applied: Vec<(ObjectRef, Applied)> = objects.iter().map(|(n, v)| cm(n, v)).collect();
        Revision {
            name: "web".into(),
            namespace: "shop".into(),
            revision: number,
            status,
            first_deployed: String::new(),
            last_deployed: String::new(),
            description: String::new(),
            chart: Value::Null,
            values: Value::Null,
            computed_values: Value::Null,
            objects: applied.iter().map(|(r, _)| r.clone()).collect(),
            manifest: applied.into_iter().map(|(_, a)| a).collect(),
            written: BTreeSet::new(),
            notes: None,
            hooks: Vec::new(),
            error: None,
            resource_version: None,
        }
    }

    fn history(revisions: Vec<Revision>) -> History {
        History {
            id: ReleaseId {
                name: "web".into(),
                namespace: "shop".into(),
            },
            revisions,
            legacy: None,
        }
    }

    #[test]
    fn the_deployed_revision_is_last_applied() {
        let h = history(vec![
            revision(1, Status::Superseded, &[("a", "1")]),
            revision(2, Status::Deployed, &[("a", "2"), ("b", "2")]),
        ]);
        let previous = h.previous();
        assert_eq!(previous.revision, Some(2));
        assert_eq!(previous.objects.len(), 2);
        assert_eq!(previous.applied[&cm("a", "").0]["data"]["v"], "2");
        assert_eq!(h.next_revision().unwrap(), 3);
    }

    #[test]
    fn later_failed_and_interrupted_revisions_add_what_they_may_have_written() {
        let mut failed = revision(3, Status::Failed, &[("a", "3"), ("c", "3")]);
        failed.written = BTreeSet::from([cm("c", "").0]);
        let interrupted = revision(4, Status::PendingUpgrade, &[("d", "4")]);
        let h = history(vec![
            revision(2, Status::Deployed, &[("a", "2")]),
            failed,
            interrupted,
        ]);
        let previous = h.previous();
        let names: Vec<&str> = previous.objects.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
        // `a` was not written by the failed revision: the deployed one's is last applied.
        assert_eq!(previous.applied[&cm("a", "").0]["data"]["v"], "2");
        assert_eq!(previous.applied[&cm("c", "").0]["data"]["v"], "3");
        assert!(!previous.applied.contains_key(&cm("d", "").0));
        // Drift on `c` dates from the failed revision that wrote it.
        assert_eq!(previous.revision_of(&cm("a", "").0), Some(2));
        assert_eq!(previous.revision_of(&cm("c", "").0), Some(3));
        assert_eq!(h.next_revision().unwrap(), 5);
    }

    #[test]
    fn a_failed_first_install_owns_what_it_may_have_written() {
        let h = history(vec![revision(1, Status::Failed, &[("a", "1")])]);
        assert_eq!(h.previous().objects.len(), 1);
        assert_eq!(h.previous().revision, None);
    }

    #[test]
    fn an_uninstalled_release_starts_afresh_but_keeps_counting() {
        let h = history(vec![revision(4, Status::Uninstalled, &[("a", "1")])]);
        assert_eq!(h.previous(), Previous::default());
        assert!(!h.is_installed());
        assert_eq!(h.first_deployed(), None);
        assert_eq!(h.next_revision().unwrap(), 5);
    }

    #[test]
    fn revision_numbers_do_not_wrap() {
        let h = history(vec![revision(u64::MAX, Status::Deployed, &[])]);
        let err = h.next_revision().unwrap_err().to_string();
        assert!(err.contains("shop/web"), "{err}");
    }
}

//! One writer per release at a time: a `coordination.k8s.io/v1` Lease named after the release,
//! in its namespace. The holder renews it while it works; a holder that dies stops renewing,
//! and once the lease has expired the next run takes it over. A second run meanwhile fails at
//! once, naming the holder and since when, or waits for the lease (`--wait-for-lock`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::{Error, ReleaseId, Result};
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::ObjectRef;

/// How a run takes a release's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockOptions {
    /// Wait this long for another run's lock instead of failing at once.
    pub wait: Option<Duration>,
    /// How long the lock outlives a holder that stopped renewing it (one that died): the
    /// holder renews it every third of this.
    pub ttl: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            wait: None,
            ttl: Duration::from_secs(30),
        }
    }
}

/// A held lock. Dropping it stops renewing (the lease then expires); [`Lock::release`] frees
/// it at once.
pub struct Lock {
    cluster: Arc<Cluster>,
    resource: Resource,
    reference: ObjectRef,
    holder: String,
    stop: watch::Sender<bool>,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

/// Who holds a release's lock and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub identity: String,
    pub since: String,
}

fn lease_name(release: &ReleaseId) -> String {
    format!("kubectl-chart.release.{}", release.name)
}

/// This process, as lease holders are named: `host/pid/random`.
fn identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}/{}/{:08x}", std::process::id(), fastrand::u32(..))
}

fn micro_time(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// When a lease expires: its renew (or acquire) time plus its duration.
fn expiry(lease: &Value) -> Option<jiff::Timestamp> {
    let spec = lease.get("spec")?;
    let renewed = spec
        .get("renewTime")
        .or_else(|| spec.get("acquireTime"))
        .and_then(Value::as_str)?
        .parse::<jiff::Timestamp>()
        .ok()?;
    let seconds = spec.get("leaseDurationSeconds").and_then(Value::as_i64)?;
    renewed
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .ok()
}

fn holder_of(lease: &Value) -> Option<Holder> {
    let spec = lease.get("spec")?;
    let identity = spec.get("holderIdentity").and_then(Value::as_str)?;
    if identity.is_empty() {
        return None;
    }
    let since = spec
        .get("acquireTime")
        .and_then(Value::as_str)
        .unwrap_or("an unknown time")
        .to_owned();
    Some(Holder {
        identity: identity.to_owned(),
        since,
    })
}

impl Lock {
    /// Takes the release's lock; fails at once when another run holds it, or waits up to
    /// `wait` for it.
    pub async fn acquire(
        cluster: Arc<Cluster>,
        release: &ReleaseId,
        options: &LockOptions,
    ) -> Result<Lock> {
        let wait = options.wait;
        let ttl = options.ttl.as_secs().clamp(1, i32::MAX as u64) as i64;
        let resource = cluster
            .resource("coordination.k8s.io/v1", "Lease")
            .await?
            .ok_or(Error::NoLeases)?;
        let reference = ObjectRef {
            api_version: "coordination.k8s.io/v1".into(),
            kind: "Lease".into(),
            namespace: Some(release.namespace.clone()),
            name: lease_name(release),
        };
        let holder = identity();
        let deadline = wait.map(|w| tokio::time::Instant::now() + w);
        loop {
            match try_acquire(&cluster, &resource, &reference, &holder, ttl).await? {
                None => break,
                Some(other) => {
                    let waiting = deadline.is_some_and(|d| tokio::time::Instant::now() < d);
                    if !waiting {
                        return Err(Error::Locked {
                            release: release.to_string(),
                            holder: other.identity,
                            since: other.since,
                            waited: wait.is_some(),
                        });
                    }
                    crate::verbose!(
                        "release {release} is locked by {} since {}; waiting",
                        other.identity,
                        other.since
                    );
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        crate::verbose!("locked release {release} as {holder}");
        let (stop, stopped) = watch::channel(false);
        let renewer = tokio::spawn(renew(
            cluster.clone(),
            resource.clone(),
            reference.clone(),
            holder.clone(),
            Duration::from_secs(ttl.unsigned_abs()) / 3,
            stopped,
        ));
        Ok(Lock {
            cluster,
            resource,
            reference,
            holder,
            stop,
            renewer: Some(renewer),
        })
    }

    /// Frees the lock for the next run.
    pub async fn release(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.await;
        }
        let Some(mut lease) = self.cluster.get(&self.resource, &self.reference).await? else {
            return Ok(());
        };
        if holder_of(&lease).map(|h| h.identity) != Some(self.holder.clone()) {
            return Ok(()); // it expired and someone else has it: not ours to free
        }
        lease["spec"]["holderIdentity"] = Value::from("");
        lease["spec"]["leaseDurationSeconds"] = Value::from(1);
        self.cluster
            .replace(
                &self.resource,
                &self.reference,
                &lease,
                &WriteOptions::default(),
            )
            .await?;
        Ok(())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Takes the lease when it is free, expired, or ours; otherwise says who holds it.
async fn try_acquire(
    cluster: &Cluster,
    resource: &Resource,
    reference: &ObjectRef,
    holder: &str,
    ttl: i64,
) -> Result<Option<Holder>> {
    let now = jiff::Timestamp::now();
    let spec = |transitions: i64| {
        json!({
            "holderIdentity": holder,
            "leaseDurationSeconds": ttl,
            "acquireTime": micro_time(now),
            "renewTime": micro_time(now),
            "leaseTransitions": transitions,
        })
    };
    match cluster.get(resource, reference).await? {
        None => {
            let lease = json!({
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": reference.name, "namespace": reference.namespace},
                "spec": spec(0),
            });
            match cluster
                .create(resource, reference, &lease, &WriteOptions::default())
                .await
            {
                Ok(_) => Ok(None),
                // Someone created it first: look again.
                Err(err) if err.code() == Some(409) => {
                    Box::pin(try_acquire(cluster, resource, reference, holder, ttl)).await
                }
                Err(err) => Err(err.into()),
            }
        }
        Some(mut lease) => {
            if let Some(other) = holder_of(&lease)
                && other.identity != holder
                && expiry(&lease).is_some_and(|e| e > now)
            {
                return Ok(Some(other));
            }
            let transitions = lease
                .pointer("/spec/leaseTransitions")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            lease["spec"] = spec(transitions.saturating_add(1));
            match cluster
                .replace(resource, reference, &lease, &WriteOptions::default())
                .await
            {
                Ok(_) => Ok(None),
                Err(err) if err.code() == Some(409) => {
                    // Another run took it between our read and write: report it.
                    match cluster.get(resource, reference).await? {
                        Some(lease) => Ok(holder_of(&lease).filter(|h| h.identity != holder)),
                        None => {
                            Box::pin(try_acquire(cluster, resource, reference, holder, ttl)).await
                        }
                    }
                }
                Err(err) => Err(err.into()),
            }
        }
    }
}

/// Renews the lease until told to stop.
async fn renew(
    cluster: Arc<Cluster>,
    resource: Resource,
    reference: ObjectRef,
    holder: String,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every.max(Duration::from_millis(200))) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let Ok(Some(mut lease)) = cluster.get(&resource, &reference).await else {
            continue;
        };
        if holder_of(&lease).map(|h| h.identity).as_deref() != Some(holder.as_str()) {
            crate::verbose!("lost the lock of {}", reference.name);
            return;
        }
        lease["spec"]["renewTime"] = Value::from(micro_time(jiff::Timestamp::now()));
        let _ = cluster
            .replace(&resource, &reference, &lease, &WriteOptions::default())
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_expire_after_their_duration() {
        let lease = json!({"spec": {"holderIdentity": "h", "leaseDurationSeconds": 30,
            "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:01:00.000000Z"}});
        assert_eq!(
            expiry(&lease).unwrap(),
            "2026-01-01T00:01:30Z".parse::<jiff::Timestamp>().unwrap()
        );
        assert_eq!(
            holder_of(&lease),
            Some(Holder {
                identity: "h".into(),
                since: "2026-01-01T00:00:00.000000Z".into()
            })
        );
        let freed = json!({"spec": {"holderIdentity": "", "leaseDurationSeconds": 1}});
        assert_eq!(holder_of(&freed), None);
    }

    #[test]
    fn micro_times_have_six_decimals() {
        let at: jiff::Timestamp = "2026-01-01T00:00:00.5Z".parse().unwrap();
        assert_eq!(micro_time(at), "2026-01-01T00:00:00.500000Z");
    }
}

//! Installing, upgrading and rolling back a release: one writer at a time (the release's
//! lock), the history read once, and every write of objects bracketed by revision records so
//! that nothing is ever unknown:
//!
//! 1. plan the apply (every check passes before anything is written);
//! 2. record revision N as `pending-*`, naming every object it may write;
//! 3. run the `pre-*` hooks, write the objects, run the `post-*` hooks, wait (`--wait`);
//! 4. record N as `deployed` (the one before as `superseded`), or as `failed` with the error
//!    and the objects it did write; with `--atomic`, roll back to the last deployed revision.
//!
//! A run killed anywhere leaves a `pending-*` revision behind; the next run takes the expired
//! lock, marks it failed, and starts from what is deployed plus what the interrupted run may
//! have written, so re-running converges.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::history::{self, History};
use super::hooks::{self, Event};
use super::lock::{Lock, LockOptions};
use super::record::{Applied, HookRecord, Revision, Status, now};
use super::wait;
use super::{Error, Release, ReleaseId, Result, legacy};
use crate::apply::{self, Action, DryRun, Previous, Report};
use crate::cluster::{Cluster, Resource, WriteOptions};
use crate::manifest::{Object, ObjectRef};

/// How a deploy runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub apply: apply::Options,
    /// `--wait`: until every object is ready.
    pub wait: bool,
    /// How long `--wait` and each hook may take.
    pub timeout: Duration,
    /// `--atomic`: on failure, roll back to the last deployed revision.
    pub atomic: bool,
    /// Revisions kept (0: all).
    pub history_max: usize,
    pub no_hooks: bool,
    pub lock: LockOptions,
    /// A description for the revision instead of the default.
    pub description: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            apply: apply::Options::default(),
            wait: false,
            timeout: Duration::from_secs(300),
            atomic: false,
            history_max: 10,
            no_hooks: false,
            lock: LockOptions::default(),
            description: None,
        }
    }
}

/// What a revision applies.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// `Chart.yaml` (null when objects come from a file).
    pub chart: Value,
    pub values: Value,
    pub computed_values: Value,
    /// The rendered objects, hooks included.
    pub objects: Vec<Object>,
    pub notes: Option<String>,
}

/// What a deploy did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    /// The revision now current: the one written, or (when nothing changed) the deployed one;
    /// `None` for a dry run.
    pub revision: Option<Revision>,
    /// Whether a new revision was recorded.
    pub recorded: bool,
}

/// A release opened for writing: locked (unless a dry run), with its history read.
pub struct Session {
    pub cluster: Arc<Cluster>,
    pub id: ReleaseId,
    pub history: History,
    lock: Option<Lock>,
    options: Options,
    /// What the next apply starts from (the history's, or a Helm release's).
    previous: Previous,
    /// Whether opening created the release namespace (reported with the first deploy).
    created_namespace: bool,
}

impl Session {
    /// Locks the release (unless this is a dry run) and reads its history. With
    /// `--create-namespace`, the release namespace is created first if missing, since the
    /// lock and the records live in it.
    pub async fn open(cluster: Arc<Cluster>, id: ReleaseId, options: Options) -> Result<Session> {
        let dry_run = options.apply.dry_run != DryRun::None;
        let created_namespace = if !dry_run && options.apply.create_namespace {
            ensure_namespace(&cluster, &id.namespace).await?
        } else {
            false
        };
        let lock = if dry_run {
            None
        } else {
            Some(Lock::acquire(cluster.clone(), &id, &options.lock).await?)
        };
        let mut history = History::load(&cluster, &id).await?;
        if !dry_run {
            interrupted(&cluster, &mut history).await?;
        }
        let previous = history.previous();
        Ok(Session {
            cluster,
            id,
            history,
            lock,
            options,
            previous,
            created_namespace,
        })
    }

    /// Starts from `previous` instead of the history (a migration from a Helm release).
    pub fn start_from(&mut self, previous: Previous) {
        self.previous = previous;
    }

    /// Whether the next deploy installs the release (no revision of ours deployed, nothing
    /// taken over from Helm).
    fn installing(&self) -> bool {
        self.history.deployed().is_none()
            && self.history.legacy.is_none()
            && self.previous.helm_release.is_none()
    }

    /// `Release` as templates of the next revision see it. A release taken over from Helm is
    /// installed already: its templates see an upgrade, as under `helm upgrade`.
    pub fn template_release(&self) -> Result<Release> {
        let installing = self.installing();
        Ok(Release {
            is_install: installing,
            is_upgrade: !installing,
            ..self.history.template_release()?
        })
    }

    /// Frees the lock.
    pub async fn close(mut self) -> Result<()> {
        match self.lock.take() {
            Some(lock) => lock.release().await,
            None => Ok(()),
        }
    }

    /// Installs or upgrades the release to `desired`.
    pub async fn upgrade(&mut self, desired: Desired) -> Result<Outcome> {
        // A failed take-over is not undone by uninstalling: the objects are Helm's release's.
        let installing = self.installing();
        let (pending, events, description) = if installing {
            (
                Status::PendingInstall,
                (Event::PreInstall, Event::PostInstall),
                "Install complete",
            )
        } else {
            (
                Status::PendingUpgrade,
                (Event::PreUpgrade, Event::PostUpgrade),
                "Upgrade complete",
            )
        };
        let description = match (&self.options.description, &self.previous.helm_release) {
            (Some(description), _) => description.clone(),
            (None, Some(helm)) => format!(
                "Taken over from Helm release {helm} revision {}",
                self.previous.revision.unwrap_or(0)
            ),
            (None, None) => description.to_owned(),
        };
        let result = self
            .deploy(desired, pending, events, description.clone())
            .await;
        match result {
            Err(failure) if self.options.atomic && failure.wrote() => {
                Err(self.undo(failure, installing).await)
            }
            other => other.map_err(Failure::into_error),
        }
    }

    /// Rolls the release back to `revision` (default: the one deployed before the current).
    pub async fn rollback(&mut self, revision: Option<u64>) -> Result<Outcome> {
        let target = match revision {
            Some(number) => {
                self.history
                    .get(number)
                    .cloned()
                    .ok_or_else(|| Error::NoSuchRevision {
                        release: self.id.to_string(),
                        revision: number,
                    })?
            }
            None => self.previous_deployed()?.clone(),
        };
        if target.manifest.is_empty() && target.status == Status::Uninstalled {
            return Err(Error::NoSuchRevision {
                release: self.id.to_string(),
                revision: target.revision,
            });
        }
        let mut objects = target.objects();
        objects.extend(
            target
                .hooks
                .iter()
                .filter_map(|h| Object::new(h.source.clone(), h.manifest.clone()).ok()),
        );
        let desired = Desired {
            chart: target.chart.clone(),
            values: target.values.clone(),
            computed_values: target.computed_values.clone(),
            objects,
            notes: target.notes.clone(),
        };
        let description = self
            .options
            .description
            .clone()
            .unwrap_or_else(|| format!("Rollback to {}", target.revision));
        self.deploy(
            desired,
            Status::PendingRollback,
            (Event::PreRollback, Event::PostRollback),
            description,
        )
        .await
        .map_err(Failure::into_error)
    }

    /// The revision deployed before the current one, which `rollback` goes back to.
    fn previous_deployed(&self) -> Result<&Revision> {
        let current = self.history.deployed().map(|r| r.revision);
        self.history
            .revisions
            .iter()
            .rev()
            .filter(|r| Some(r.revision) != current)
            .find(|r| matches!(r.status, Status::Superseded | Status::Deployed))
            .ok_or_else(|| Error::NothingToRollBack {
                release: self.id.to_string(),
            })
    }

    /// After a failed upgrade with `--atomic`: back to the last deployed revision, or, for a
    /// failed install, nothing left behind.
    async fn undo(&mut self, failure: Failure, installing: bool) -> Error {
        let cause = failure.into_error();
        eprintln!("error: {cause}");
        if installing {
            eprintln!("--atomic: uninstalling release {}", self.id);
            let undone = super::uninstall::uninstall_locked(
                &self.cluster,
                &self.id,
                &super::uninstall::Options {
                    keep_history: false,
                    wait: self.options.wait,
                    timeout: self.options.timeout,
                    no_hooks: true,
                },
            )
            .await;
            return Error::RolledBack {
                cause: Box::new(cause),
                outcome: match undone {
                    Ok(_) => "the release was uninstalled".to_owned(),
                    Err(err) => format!("uninstalling it failed too: {err}"),
                },
            };
        }
        let Some(deployed) = self.history.deployed().map(|r| r.revision) else {
            return cause;
        };
        eprintln!(
            "--atomic: rolling release {} back to revision {deployed}",
            self.id
        );
        let outcome = match self.reload().await {
            Ok(()) => match self.rollback(Some(deployed)).await {
                Ok(done) => format!(
                    "rolled back to revision {deployed} (recorded as revision {})",
                    done.revision.map(|r| r.revision).unwrap_or_default()
                ),
                Err(err) => format!("the rollback to revision {deployed} failed too: {err}"),
            },
            Err(err) => format!("the rollback could not read the history: {err}"),
        };
        Error::RolledBack {
            cause: Box::new(cause),
            outcome,
        }
    }

    async fn reload(&mut self) -> Result<()> {
        self.history = History::load(&self.cluster, &self.id).await?;
        self.previous = self.history.previous();
        Ok(())
    }

    /// Plans, records and executes one revision.
    async fn deploy(
        &mut self,
        desired: Desired,
        pending: Status,
        (pre, post): (Event, Event),
        description: String,
    ) -> Result<Outcome, Failure> {
        let cluster = self.cluster.clone();
        let options = self.options.clone();
        let (objects, mut hooks) = hooks::split(desired.objects);
        let started = std::time::Instant::now();
        let snapshot = apply::snapshot(
            &cluster,
            &self.id,
            &objects,
            &self.previous,
            options.apply.concurrency,
        )
        .await
        .map_err(Failure::before)?;
        let plan = apply::plan(&self.id, objects, &snapshot, &self.previous, &options.apply)
            .map_err(Failure::before)?;
        crate::verbose!(
            "planned {} objects in {}",
            plan.steps.len(),
            crate::log::ms(started)
        );

        let manifest: Vec<Applied> = plan
            .steps
            .iter()
            .map(|s| Applied {
                source: s.source.clone(),
                object: s.desired.clone(),
            })
            .collect();
        match options.apply.dry_run {
            DryRun::Client => {
                return Ok(Outcome {
                    report: plan.report(DryRun::Client),
                    revision: None,
                    recorded: false,
                });
            }
            DryRun::Server => {
                let mut report = Report {
                    release: self.id.owner(),
                    dry_run: DryRun::Server,
                    ..Report::default()
                };
                apply::execute(&cluster, &plan, &options.apply, &mut report)
                    .await
                    .map_err(Failure::before)?;
                return Ok(Outcome {
                    report,
                    revision: None,
                    recorded: false,
                });
            }
            DryRun::None => {}
        }

        // Nothing to do: nothing is written, not even a revision.
        let writes = !plan.create_namespaces.is_empty()
            || !plan.prunes.is_empty()
            || plan
                .steps
                .iter()
                .any(|s| s.report_action() != Action::Unchanged);
        if !writes
            && pending != Status::PendingRollback
            && let Some(deployed) = self.history.deployed()
            && deployed.manifest == manifest
            && deployed.chart == desired.chart
            && deployed.values == desired.values
            && hooks.is_empty()
        {
            return Ok(Outcome {
                report: plan.report(DryRun::None),
                revision: Some(deployed.clone()),
                recorded: false,
            });
        }

        let number = self.history.next_revision().map_err(Failure::before)?;
        let mut owned: BTreeSet<ObjectRef> = self.previous.objects.clone();
        owned.extend(plan.steps.iter().map(|s| s.object.clone()));
        let timestamp = now();
        let mut revision = Revision {
            name: self.id.name.clone(),
            namespace: self.id.namespace.clone(),
            revision: number,
            status: pending,
            first_deployed: self
                .history
                .first_deployed()
                .unwrap_or_else(|| timestamp.clone()),
            last_deployed: timestamp,
            description: description.clone(),
            chart: desired.chart,
            values: desired.values,
            computed_values: desired.computed_values,
            manifest,
            objects: owned,
            written: BTreeSet::new(),
            notes: desired.notes,
            hooks: Vec::new(),
            error: None,
            resource_version: None,
        };
        // The record must fit before anything is written.
        revision.to_secret().map_err(Failure::before)?;
        history::create(&cluster, &mut revision)
            .await
            .map_err(|err| match err {
                Error::Cluster(err) if err.code() == Some(409) => {
                    Failure::before(Error::ConcurrentRevision {
                        release: self.id.to_string(),
                        revision: number,
                    })
                }
                other => Failure::before(other),
            })?;
        crate::verbose!("recorded revision {number} as {pending}");

        let mut report = Report {
            release: self.id.owner(),
            dry_run: DryRun::None,
            ..Report::default()
        };
        if std::mem::take(&mut self.created_namespace) {
            report.changes.push(apply::Change {
                object: apply::plan::namespace_ref(&self.id.namespace),
                action: Action::Created,
            });
        }
        let result = run_revision(
            &cluster,
            &self.id,
            &plan,
            &mut hooks,
            (pre, post),
            &options,
            &mut report,
        )
        .await;
        revision.hooks = hooks;
        match result {
            Ok(()) => {
                revision.status = Status::Deployed;
                history::update(&cluster, &mut revision)
                    .await
                    .map_err(|err| Failure::after(err, report.clone()))?;
                self.supersede(number).await;
                if self.history.legacy.is_some() {
                    legacy::delete(&cluster, &self.id)
                        .await
                        .map_err(|err| Failure::after(err, report.clone()))?;
                }
                self.history.revisions.push(revision.clone());
                self.history.legacy = None;
                let trimmed = history::trim(&cluster, &self.history, options.history_max)
                    .await
                    .unwrap_or(0);
                crate::verbose!("revision {number} deployed; {trimmed} old revision(s) deleted");
                Ok(Outcome {
                    report,
                    revision: Some(revision),
                    recorded: true,
                })
            }
            Err(err) => {
                let written: BTreeSet<ObjectRef> = report
                    .changes
                    .iter()
                    .filter(|c| matches!(c.action, Action::Created | Action::Configured))
                    .map(|c| c.object.clone())
                    .collect();
                revision.status = Status::Failed;
                revision.description = format!(
                    "{} failed: {}",
                    match pending {
                        Status::PendingInstall => "Install",
                        Status::PendingRollback => "Rollback",
                        _ => "Upgrade",
                    },
                    crate::log::truncate(&err.to_string(), 200)
                );
                revision.error = Some(err.to_string());
                revision.written = written.clone();
                let recorded = history::update(&cluster, &mut revision).await;
                self.history.revisions.push(revision.clone());
                Err(Failure {
                    error: Error::Failed {
                        release: self.id.to_string(),
                        revision: number,
                        written: written.len(),
                        recorded: recorded.is_ok(),
                        source: Box::new(err),
                    },
                    report: Some(report),
                })
            }
        }
    }

    /// Marks the revision deployed before `current` as superseded.
    async fn supersede(&mut self, current: u64) {
        for revision in self
            .history
            .revisions
            .iter_mut()
            .filter(|r| r.status == Status::Deployed && r.revision != current)
        {
            revision.status = Status::Superseded;
            if let Err(err) = history::update(&self.cluster, revision).await {
                eprintln!(
                    "warning: could not mark revision {} of {} superseded: {err}",
                    revision.revision, self.id
                );
            }
        }
    }
}

/// A failed deploy, and whether it wrote anything (which decides whether `--atomic` has
/// anything to undo).
struct Failure {
    error: Error,
    report: Option<Report>,
}

impl Failure {
    fn before(error: impl Into<Error>) -> Failure {
        Failure {
            error: error.into(),
            report: None,
        }
    }

    fn after(error: Error, report: Report) -> Failure {
        Failure {
            error,
            report: Some(report),
        }
    }

    fn wrote(&self) -> bool {
        self.report.is_some()
    }

    fn into_error(self) -> Error {
        self.error
    }
}

/// The writes of one revision: hooks before, objects, hooks after, then the wait.
async fn run_revision(
    cluster: &Cluster,
    id: &ReleaseId,
    plan: &apply::Plan,
    hooks: &mut [HookRecord],
    (pre, post): (Event, Event),
    options: &Options,
    report: &mut Report,
) -> Result<()> {
    if !options.no_hooks {
        hooks::run(cluster, id, hooks, pre, options.timeout).await?;
    }
    apply::execute(cluster, plan, &options.apply, report).await?;
    if !options.no_hooks {
        hooks::run(cluster, id, hooks, post, options.timeout).await?;
    }
    if options.wait {
        let mut targets: Vec<(Resource, ObjectRef)> = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            let resource = match &step.resource {
                Some(resource) => Some(resource.clone()),
                None => {
                    cluster
                        .resource(&step.object.api_version, &step.object.kind)
                        .await?
                }
            };
            if let Some(resource) = resource {
                targets.push((resource, step.object.clone()));
            }
        }
        wait::wait_ready(cluster, &targets, options.timeout).await?;
    }
    Ok(())
}

/// Marks revisions left pending by a run that died (its lock has expired, or we would not hold
/// it) as failed, so the history says what happened.
async fn interrupted(cluster: &Cluster, history: &mut History) -> Result<()> {
    for revision in history
        .revisions
        .iter_mut()
        .filter(|r| r.status.is_pending())
    {
        revision.status = Status::Failed;
        revision.description =
            "Interrupted: the run that wrote this revision stopped before it finished".to_owned();
        revision.error = Some(revision.description.clone());
        history::update(cluster, revision).await?;
    }
    Ok(())
}

/// Creates a namespace if it does not exist (not owned by the release, as Helm does); says
/// whether it did.
async fn ensure_namespace(cluster: &Cluster, name: &str) -> Result<bool> {
    let Some(resource) = cluster.resource("v1", "Namespace").await? else {
        return Ok(false);
    };
    let reference = apply::plan::namespace_ref(name);
    if cluster.get(&resource, &reference).await?.is_some() {
        return Ok(false);
    }
    let body =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    match cluster
        .create(&resource, &reference, &body, &WriteOptions::default())
        .await
    {
        Ok(_) => Ok(true),
        Err(err) if err.code() == Some(409) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

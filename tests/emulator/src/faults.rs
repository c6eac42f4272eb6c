//! Fault injection, controlled by the test: conflicts on the next updates, error codes for
//! chosen verbs and resources, added latency, and connections dropped mid-request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a matching request gets instead of its normal answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An error `Status` with this code (500 `InternalError`, 503 `ServiceUnavailable`, ...).
    Status(u16),
    /// The connection is closed without an answer.
    Drop,
    /// `409 Conflict` as for a stale resourceVersion.
    Conflict,
}

/// One rule: which requests it matches, what they get, and how many times.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`), or any if `None`.
    pub verb: Option<String>,
    /// Resource plural or kind, case-insensitive (`deployments`, `Deployment`), or any;
    /// `!leases` matches every resource but that one.
    pub resource: Option<String>,
    /// The fault.
    pub fault: Fault,
    /// How many more requests it applies to (`None`: forever).
    pub remaining: Option<usize>,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    latency: Duration,
    injected: usize,
}

/// The fault controls of one emulator. Cheap to clone; all clones control the same server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The next `n` updates (`PUT` and `PATCH`, any resource) answer `409 Conflict`.
    pub fn conflict_next_updates(&self, n: usize) -> &Self {
        self.add(Rule {
            verb: Some("update-or-patch".into()),
            resource: None,
            fault: Fault::Conflict,
            remaining: Some(n),
        })
    }

    /// The next `times` requests with this verb (any if `None`) on this resource (any if
    /// `None`) answer with `code` (500 InternalError, 503 ServiceUnavailable, 429, ...).
    pub fn fail_next(
        &self,
        verb: Option<&str>,
        resource: Option<&str>,
        code: u16,
        times: usize,
    ) -> &Self {
        self.add(Rule {
            verb: verb.map(String::from),
            resource: resource.map(String::from),
            fault: Fault::Status(code),
            remaining: Some(times),
        })
    }

    /// Every request with this verb on this resource answers `code` until [`Faults::clear`].
    pub fn fail_always(&self, verb: Option<&str>, resource: Option<&str>, code: u16) -> &Self {
        self.add(Rule {
            verb: verb.map(String::from),
            resource: resource.map(String::from),
            fault: Fault::Status(code),
            remaining: None,
        })
    }

    /// The next `times` matching requests have their connection closed without an answer.
    pub fn drop_next(&self, verb: Option<&str>, resource: Option<&str>, times: usize) -> &Self {
        self.add(Rule {
            verb: verb.map(String::from),
            resource: resource.map(String::from),
            fault: Fault::Drop,
            remaining: Some(times),
        })
    }

    /// Adds a rule.
    pub fn add(&self, rule: Rule) -> &Self {
        self.with(|s| s.rules.push(rule));
        self
    }

    /// Every API request waits this long before it is served.
    pub fn set_latency(&self, latency: Duration) -> &Self {
        self.with(|s| s.latency = latency);
        self
    }

    /// Removes all rules and the latency.
    pub fn clear(&self) {
        self.with(|s| {
            s.rules.clear();
            s.latency = Duration::ZERO;
        });
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> usize {
        self.with(|s| s.injected)
    }

    /// The added latency.
    pub fn latency(&self) -> Duration {
        self.with(|s| s.latency)
    }

    /// The fault for a request, consuming one use of the first matching rule.
    pub fn take(&self, verb: &str, plural: &str, kind: &str) -> Option<Fault> {
        self.with(|s| {
            let pos = s.rules.iter().position(|r| {
                let verb_ok = match r.verb.as_deref() {
                    None => true,
                    Some("update-or-patch") => verb == "update" || verb == "patch",
                    Some(v) => v.eq_ignore_ascii_case(verb),
                };
                let names =
                    |x: &str| x.eq_ignore_ascii_case(plural) || x.eq_ignore_ascii_case(kind);
                let res_ok = r
                    .resource
                    .as_deref()
                    .is_none_or(|x| match x.strip_prefix('!') {
                        Some(other) => !names(other),
                        None => names(x),
                    });
                verb_ok && res_ok && r.remaining != Some(0)
            })?;
            let rule = &mut s.rules[pos];
            let fault = rule.fault.clone();
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            s.rules.retain(|r| r.remaining != Some(0));
            s.injected += 1;
            Some(fault)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_and_run_out() {
        let f = Faults::default();
        f.conflict_next_updates(2);
        assert_eq!(f.take("get", "deployments", "Deployment"), None);
        assert_eq!(
            f.take("patch", "deployments", "Deployment"),
            Some(Fault::Conflict)
        );
        assert_eq!(
            f.take("update", "configmaps", "ConfigMap"),
            Some(Fault::Conflict)
        );
        assert_eq!(f.take("update", "configmaps", "ConfigMap"), None);
        f.fail_next(Some("list"), Some("Deployment"), 503, 1);
        assert_eq!(f.take("list", "configmaps", "ConfigMap"), None);
        assert_eq!(
            f.take("list", "deployments", "Deployment"),
            Some(Fault::Status(503))
        );
        f.fail_next(Some("create"), Some("!leases"), 500, 2);
        assert_eq!(f.take("create", "leases", "Lease"), None);
        assert_eq!(
            f.take("create", "secrets", "Secret"),
            Some(Fault::Status(500))
        );
        f.clear();
        f.fail_always(None, None, 500);
        assert_eq!(f.take("get", "x", "X"), Some(Fault::Status(500)));
        assert_eq!(f.take("get", "x", "X"), Some(Fault::Status(500)));
        f.clear();
        assert_eq!(f.take("get", "x", "X"), None);
        assert_eq!(f.injected(), 6);
    }
}

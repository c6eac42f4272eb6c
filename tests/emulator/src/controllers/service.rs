//! The cloud provider's load balancers: a `LoadBalancer` Service gets an ingress address in
//! `status.loadBalancer` (the one it asks for in `spec.loadBalancerIP`, or one from
//! 198.51.100.0/24); a Service that stops being one loses it.

use serde_json::{Value, json};

use super::{Controllers, NEVER_READY_ANNOTATION, annotated, get};
use crate::store::{ObjKey, Store};

fn is_load_balancer(svc: &Value) -> bool {
    svc.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer")
}

fn has_ingress(svc: &Value) -> bool {
    svc.pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

/// Whether a Service's load balancer status is not what its type asks for.
pub(super) fn wants_load_balancer(svc: &Value) -> bool {
    if is_load_balancer(svc) {
        !has_ingress(svc) && !annotated(svc, NEVER_READY_ANNOTATION)
    } else {
        has_ingress(svc)
    }
}

/// Provisions (or releases) a Service's load balancer.
pub(super) fn reconcile(ctl: &mut Controllers, store: &mut Store, okey: &ObjKey) {
    let Some(svc) = get(store, "", "services", okey) else {
        return;
    };
    if !wants_load_balancer(&svc) || svc.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let mut status = svc.get("status").cloned().unwrap_or(json!({}));
    if is_load_balancer(&svc) {
        let ip = svc
            .pointer("/spec/loadBalancerIP")
            .and_then(Value::as_str)
            .filter(|ip| !ip.is_empty())
            .map(String::from)
            .unwrap_or_else(|| ctl.ips.load_balancer());
        status["loadBalancer"] = json!({"ingress": [{"ip": ip, "ipMode": "VIP"}]});
    } else {
        status["loadBalancer"] = json!({});
    }
    super::write_status(store, "", "Service", svc, status);
}

//! Unit tests of the store: writes, conflicts, deletion, garbage collection, apply, CRDs,
//! persistence.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;

fn store() -> Store {
    Store::new()
}

fn rt(s: &Store, g: &str, k: &str) -> Arc<ResourceType> {
    s.registry.by_kind(g, k).expect("kind")
}

fn opts() -> WriteOptions {
    WriteOptions {
        field_manager: "test".into(),
        field_validation: FieldValidation::Strict,
        ..Default::default()
    }
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
}

#[test]
fn starts_with_system_objects() {
    let s = store();
    let ns = rt(&s, "", "Namespace");
    for n in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(s.get(&ns, "v1", "", n).is_ok(), "{n}");
    }
    let svc = s
        .get(&rt(&s, "", "Service"), "v1", "default", "kubernetes")
        .expect("svc");
    assert_eq!(svc["spec"]["clusterIP"], "10.96.0.1");
}

#[test]
fn create_sets_metadata_and_rejects_duplicates() {
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    let w = s
        .create(&c, "v1", "default", cm("a"), &opts())
        .expect("create");
    let m = &w.object["metadata"];
    assert_eq!(m["namespace"], "default");
    assert_eq!(m["uid"].as_str().map(str::len), Some(36));
    assert!(m["resourceVersion"].as_str().is_some());
    assert!(m.get("generation").is_none());
    assert_eq!(m["managedFields"][0]["manager"], "test");
    let e = s
        .create(&c, "v1", "default", cm("a"), &opts())
        .expect_err("dup");
    assert_eq!((e.code, e.reason.as_str()), (409, "AlreadyExists"));
    let e = s
        .create(&c, "v1", "nope", cm("b"), &opts())
        .expect_err("no ns");
    assert_eq!(e.message, "namespaces \"nope\" not found");
    let e = s
        .create(&c, "v1", "default", cm("Bad_Name"), &opts())
        .expect_err("bad name");
    assert_eq!(e.code, 422);
}

#[test]
fn update_conflicts_on_stale_resource_version_and_bumps_generation() {
    let mut s = store();
    let d = rt(&s, "apps", "Deployment");
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let w = s.create(&d, "v1", "default", dep, &opts()).expect("create");
    assert_eq!(w.object["metadata"]["generation"], 1);
    let mut stale = w.object.clone();
    let mut next = w.object.clone();
    next["spec"]["replicas"] = json!(3);
    let w2 = s
        .update(&d, "v1", "default", "web", next, &opts(), Part::Main)
        .expect("update");
    assert_eq!(w2.object["metadata"]["generation"], 2);
    stale["spec"]["replicas"] = json!(5);
    let e = s
        .update(&d, "v1", "default", "web", stale, &opts(), Part::Main)
        .expect_err("stale");
    assert_eq!(e.code, 409);
    assert!(
        e.message
            .starts_with("Operation cannot be fulfilled on deployments.apps \"web\"")
    );
    let mut meta_only = w2.object.clone();
    meta_only["metadata"]["labels"] = json!({"x": "y"});
    let w3 = s
        .update(&d, "v1", "default", "web", meta_only, &opts(), Part::Main)
        .expect("labels");
    assert_eq!(w3.object["metadata"]["generation"], 2);
    let same = s
        .update(
            &d,
            "v1",
            "default",
            "web",
            w3.object.clone(),
            &opts(),
            Part::Main,
        )
        .expect("noop");
    assert_eq!(
        same.object["metadata"]["resourceVersion"],
        w3.object["metadata"]["resourceVersion"]
    );
}

#[test]
fn owner_references_are_collected() {
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    let owner = s
        .create(&c, "v1", "default", cm("owner"), &opts())
        .expect("owner")
        .object;
    let mut dep = cm("dep");
    dep["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}]);
    s.create(&c, "v1", "default", dep.clone(), &opts())
        .expect("dependent");
    s.delete(&c, "default", "owner", &DeleteOptions::default())
        .expect("delete");
    assert!(s.get(&c, "v1", "default", "dep").is_err());
    let owner = s
        .create(&c, "v1", "default", cm("owner"), &opts())
        .expect("owner")
        .object;
    dep["metadata"]["ownerReferences"][0]["uid"] = owner["metadata"]["uid"].clone();
    s.create(&c, "v1", "default", dep, &opts())
        .expect("dependent");
    let orphan = DeleteOptions {
        propagation: Propagation::Orphan,
        ..Default::default()
    };
    s.delete(&c, "default", "owner", &orphan).expect("delete");
    let kept = s.get(&c, "v1", "default", "dep").expect("orphaned");
    assert_eq!(kept["metadata"]["ownerReferences"], json!([]));
}

#[test]
fn finalizers_hold_deletion() {
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    let mut obj = cm("f");
    obj["metadata"]["finalizers"] = json!(["example.com/hold"]);
    s.create(&c, "v1", "default", obj, &opts()).expect("create");
    let (marked, gone) = s
        .delete(&c, "default", "f", &DeleteOptions::default())
        .expect("delete");
    assert!(!gone);
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    let w = s
        .patch(
            &c,
            "v1",
            "default",
            "f",
            "application/merge-patch+json",
            br#"{"metadata":{"finalizers":null}}"#,
            &opts(),
            Part::Main,
        )
        .expect("remove finalizer");
    assert!(w.object["metadata"]["deletionTimestamp"].is_string());
    assert!(s.get(&c, "v1", "default", "f").is_err());
}

#[test]
fn server_side_apply_conflicts_and_force() {
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    let mut a = opts();
    a.field_manager = "alice".into();
    let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"1","a":"1"}}"#;
    let w = s
        .patch(
            &c,
            "v1",
            "default",
            "x",
            "application/apply-patch+yaml",
            body,
            &a,
            Part::Main,
        )
        .expect("create by apply");
    assert!(w.created);
    assert_eq!(
        w.object["metadata"]["managedFields"][0]["operation"],
        "Apply"
    );
    let mut b = opts();
    b.field_manager = "bob".into();
    let body_b = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: '2'\n";
    let e = s
        .patch(
            &c,
            "v1",
            "default",
            "x",
            "application/apply-patch+yaml",
            body_b,
            &b,
            Part::Main,
        )
        .expect_err("conflict");
    assert_eq!(e.code, 409);
    assert_eq!(
        e.message,
        "Apply failed with 1 conflict: conflict with \"alice\" using v1: .data.k"
    );
    b.force = true;
    let w = s
        .patch(
            &c,
            "v1",
            "default",
            "x",
            "application/apply-patch+yaml",
            body_b,
            &b,
            Part::Main,
        )
        .expect("force");
    assert_eq!(w.object["data"], json!({"k": "2", "a": "1"}));
    // alice drops `a` from her config: it is removed (nobody else owns it).
    let body_a2 = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{}}"#;
    let w = s
        .patch(
            &c,
            "v1",
            "default",
            "x",
            "application/apply-patch+yaml",
            body_a2,
            &a,
            Part::Main,
        )
        .expect("shrink");
    assert_eq!(w.object["data"], json!({"k": "2"}));
}

#[test]
fn crd_serves_its_kind_until_deleted() {
    let mut s = store();
    let crd_rt = rt(&s, "apiextensions.k8s.io", "CustomResourceDefinition");
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}});
    let w = s.create(&crd_rt, "v1", "", crd, &opts()).expect("crd");
    // Served at once; its conditions are the CRD controller's.
    assert!(w.object.get("status").is_none());
    let wrt = s
        .registry
        .by_path("example.com", "v1", "widgets")
        .expect("served");
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}});
    s.create(&wrt, "v1", "default", widget, &opts())
        .expect("cr");
    let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w2"}, "spec": {"colour": 1}});
    let e = s
        .create(&wrt, "v1", "default", bad, &opts())
        .expect_err("strict");
    assert!(
        e.message.contains("unknown field \"spec.colour\""),
        "{}",
        e.message
    );
    s.delete(
        &crd_rt,
        "",
        "widgets.example.com",
        &DeleteOptions::default(),
    )
    .expect("delete crd");
    assert!(s.registry.by_path("example.com", "v1", "widgets").is_none());
    assert!(
        s.all_of(&("example.com".into(), "widgets".into()))
            .next()
            .is_none()
    );
}

#[test]
fn snapshot_round_trip() {
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    s.create(&c, "v1", "default", cm("persisted"), &opts())
        .expect("create");
    let snap = s.snapshot();
    let mut t = store();
    t.restore(&snap).expect("restore");
    assert!(t.get(&c, "v1", "default", "persisted").is_ok());
    assert_eq!(t.resource_version(), s.resource_version());
}

#[test]
fn annotations_over_256_kib_are_refused_by_every_write() {
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    let big = "x".repeat(300 * 1024);
    let message = "ConfigMap \"a\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes";
    let mut obj = cm("a");
    obj["metadata"]["annotations"] = json!({"big": big});
    let e = s
        .create(&c, "v1", "default", obj, &opts())
        .expect_err("create");
    assert_eq!((e.code, e.message.as_str()), (422, message));
    assert_eq!(e.details.causes[0].reason, "FieldValueTooLong");
    let current = s
        .create(&c, "v1", "default", cm("a"), &opts())
        .expect("small")
        .object;
    let mut replaced = current.clone();
    replaced["metadata"]["annotations"] = json!({"big": big});
    let e = s
        .update(&c, "v1", "default", "a", replaced, &opts(), Part::Main)
        .expect_err("update");
    assert_eq!(e.message, message);
    let merge =
        serde_json::to_vec(&json!({"metadata": {"annotations": {"big": big}}})).expect("json");
    for ct in [
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ] {
        let e = s
            .patch(&c, "v1", "default", "a", ct, &merge, &opts(), Part::Main)
            .expect_err(ct);
        assert_eq!(e.message, message, "{ct}");
    }
    let json_patch = serde_json::to_vec(
        &json!([{"op": "add", "path": "/metadata/annotations", "value": {"big": big}}]),
    )
    .expect("json");
    let e = s
        .patch(
            &c,
            "v1",
            "default",
            "a",
            "application/json-patch+json",
            &json_patch,
            &opts(),
            Part::Main,
        )
        .expect_err("json patch");
    assert_eq!(e.message, message);
    let applied = serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "a", "annotations": {"big": big}}}))
    .expect("json");
    let e = s
        .patch(
            &c,
            "v1",
            "default",
            "a",
            "application/apply-patch+yaml",
            &applied,
            &opts(),
            Part::Main,
        )
        .expect_err("apply");
    assert_eq!(e.message, message);
    // Nothing was written.
    let now = s.get(&c, "v1", "default", "a").expect("get");
    assert_eq!(
        now["metadata"]["resourceVersion"],
        current["metadata"]["resourceVersion"]
    );
    // Just under the limit is fine.
    let mut fits = cm("b");
    fits["metadata"]["annotations"] = json!({"k": "x".repeat(256 * 1024 - 1)});
    s.create(&c, "v1", "default", fits, &opts()).expect("fits");
    // Custom resources share the rule.
    let crd_rt = rt(&s, "apiextensions.k8s.io", "CustomResourceDefinition");
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    s.create(&crd_rt, "v1", "", crd, &opts()).expect("crd");
    let wrt = s
        .registry
        .by_path("example.com", "v1", "widgets")
        .expect("served");
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "annotations": {"big": big}}});
    let e = s
        .create(&wrt, "v1", "default", widget, &opts())
        .expect_err("cr");
    assert_eq!(
        e.message,
        "Widget.example.com \"w\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"
    );
}

#[test]
fn reapplying_after_another_managers_update_writes_nothing() {
    // kubectl-chart applies, the deployment controller stamps an annotation (an Update
    // entry), the same apply again must be a no-op, whatever order the entries were in.
    let mut s = store();
    let c = rt(&s, "", "ConfigMap");
    let mut tool = opts();
    tool.field_manager = "tool".into();
    let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","annotations":{"mine":"1"}},"data":{"k":"v"}}"#;
    s.patch(
        &c,
        "v1",
        "default",
        "x",
        "application/apply-patch+yaml",
        body,
        &tool,
        Part::Main,
    )
    .expect("apply");
    let mut ctl = opts();
    ctl.field_manager = "controller".into();
    let mut stamped = s.get(&c, "v1", "default", "x").expect("get");
    stamped["metadata"]["annotations"]["theirs"] = json!("2");
    let before = s
        .update(&c, "v1", "default", "x", stamped, &ctl, Part::Main)
        .expect("update")
        .object;
    let managers: Vec<&Value> = before["metadata"]["managedFields"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["operation"])
        .collect();
    assert_eq!(managers, [&json!("Apply"), &json!("Update")], "sorted");
    let again = s
        .patch(
            &c,
            "v1",
            "default",
            "x",
            "application/apply-patch+yaml",
            body,
            &tool,
            Part::Main,
        )
        .expect("apply again");
    assert_eq!(
        again.object["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert_eq!(again.object["metadata"]["annotations"]["theirs"], "2");
}

//! Diffs of plans made from snapshots, as `kubectl chart diff` makes them: tables of cases for
//! each idea (counts, drift, Secrets, ignore rules, renames, custom resources, adoption).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kube::core::ApiResource;
use serde_json::{Value, json};

use super::*;
use crate::apply::{self, Previous, Snapshot};
use crate::cluster::Resource;
use crate::manifest::Object;
use crate::release::ReleaseId;

fn release() -> ReleaseId {
    ReleaseId {
        name: "web".into(),
        namespace: "shop".into(),
    }
}

fn resource(api_version: &str, kind: &str, plural: &str, namespaced: bool) -> Resource {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    Resource {
        api: ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
        },
        namespaced,
    }
}

fn cluster() -> Snapshot {
    let mut resources = BTreeMap::new();
    for (api_version, kind, plural) in [
        ("v1", "ConfigMap", "configmaps"),
        ("v1", "Secret", "secrets"),
        ("apps/v1", "Deployment", "deployments"),
        ("example.com/v1", "Widget", "widgets"),
    ] {
        resources.insert(
            (api_version.to_owned(), kind.to_owned()),
            Some(resource(api_version, kind, plural, true)),
        );
    }
    Snapshot {
        resources,
        namespaces: BTreeSet::from(["shop".to_owned()]),
        ..Snapshot::default()
    }
}

fn reference(api_version: &str, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: Some("shop".into()),
        name: name.into(),
    }
}

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
}

fn deployment(replicas: u32, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
}

/// The live object an earlier apply of `desired` left, with what the server adds: its own
/// metadata, defaults (`imagePullPolicy`), and status.
fn live_after_apply(desired: &Value) -> Value {
    let mut value = desired.clone();
    value["metadata"]["namespace"] = json!("shop");
    value["metadata"]["labels"] = json!({"app.kubernetes.io/managed-by": "kubectl-chart"});
    value["metadata"]["annotations"] = json!({
        "kubectl-chart.io/release": "shop/web",
        "kubectl-chart.io/last-applied": serde_json::to_string(desired).unwrap(),
    });
    value["metadata"]["uid"] = json!("u-1");
    value["metadata"]["resourceVersion"] = json!("7");
    value["metadata"]["managedFields"] = json!([{"manager": "kubectl-chart"}]);
    if let Some(containers) = value
        .pointer_mut("/spec/template/spec/containers")
        .and_then(Value::as_array_mut)
    {
        for container in containers {
            container["imagePullPolicy"] = json!("IfNotPresent");
        }
        value["status"] = json!({"replicas": 1});
    }
    value
}

/// The diff of applying `objects` to a cluster holding `live`, after a revision 7 that
/// applied `last` (each object's last applied body).
fn run(objects: Vec<Value>, live: Vec<Value>, last: Vec<Value>, options: &Options) -> Diff {
    run_with(objects, live, last, options, &apply::Options::default())
}

fn run_with(
    objects: Vec<Value>,
    live: Vec<Value>,
    last: Vec<Value>,
    options: &Options,
    apply_options: &apply::Options,
) -> Diff {
    let mut snapshot = cluster();
    let place = |value: &Value| {
        reference(
            value["apiVersion"].as_str().unwrap(),
            value["kind"].as_str().unwrap(),
            value["metadata"]["name"].as_str().unwrap(),
        )
    };
    for value in live {
        snapshot.live.insert(place(&value), value);
    }
    let previous = Previous::from_applied(
        Some(7),
        last.into_iter().map(|mut value| {
            value["metadata"]["namespace"] = json!("shop");
            (place(&value), value)
        }),
    );
    let objects = objects
        .into_iter()
        .map(|v| Object::new("t/templates/x.yaml", v).unwrap())
        .collect();
    let plan = apply::plan(&release(), objects, &snapshot, &previous, apply_options).unwrap();
    diff(&plan, &previous, &HashMap::new(), options)
}

fn summary(diff: &Diff) -> (usize, usize, usize, usize, usize) {
    let s = &diff.summary;
    (s.add, s.change, s.remove, s.unchanged, s.ignored)
}

fn field_paths(entry: &Entry) -> Vec<&str> {
    entry.fields.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn objects_are_added_changed_removed_or_counted_unchanged() {
    let same = cm("same", json!({"k": "v"}));
    let old = cm("old", json!({"k": "v"}));
    let diff = run(
        vec![
            same.clone(),
            deployment(3, "nginx:2"),
            cm("new", json!({"fresh": "x"})),
        ],
        vec![
            live_after_apply(&same),
            live_after_apply(&deployment(3, "nginx:1")),
            live_after_apply(&old),
        ],
        vec![same, deployment(3, "nginx:1"), old],
        &Options::default(),
    );
    assert_eq!(summary(&diff), (1, 1, 1, 1, 0));
    let kinds: Vec<(ChangeKind, &str)> = diff
        .changes
        .iter()
        .map(|e| (e.change, e.object.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ChangeKind::Change, "web"),
            (ChangeKind::Add, "new"),
            (ChangeKind::Remove, "old"),
        ]
    );
    let changed = &diff.changes[0];
    // Server defaults and server-owned fields make no noise: only the image changes.
    assert_eq!(
        field_paths(changed),
        ["$.spec.template.spec.containers[0].image"]
    );
    assert_eq!(changed.fields[0].old, Some(json!("nginx:1")));
    assert_eq!(changed.fields[0].new, Some(json!("nginx:2")));
    assert!(changed.fields[0].drift.is_none());
    let after = changed.after.as_ref().unwrap();
    assert!(after["metadata"].get("resourceVersion").is_none());
    assert!(after.get("status").is_none());
    assert_eq!(
        after["metadata"].get("annotations"),
        None,
        "our bookkeeping is invisible"
    );
    assert_eq!(
        after["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert!(diff.summary.has_changes());
    assert_eq!(changed.source.as_deref(), Some("t/templates/x.yaml"));
}

#[test]
fn drift_names_what_this_apply_reverts() {
    let applied = deployment(3, "nginx:1");
    let scaled = {
        let mut live = live_after_apply(&applied);
        live["spec"]["replicas"] = json!(5);
        // An env var added by hand to our container: kept by the merge, so no change.
        live["spec"]["template"]["spec"]["containers"][0]["env"] =
            json!([{"name": "DEBUG", "value": "1"}]);
        live
    };
    let cases = [
        // The chart still says 3: the scale to 5 is reverted.
        (deployment(3, "nginx:1"), Some(json!(3)), json!(3)),
        // The chart now says 4: the 5 set by hand is overwritten all the same.
        (deployment(4, "nginx:1"), Some(json!(3)), json!(4)),
    ];
    for (desired, last, new) in cases {
        let diff = run(
            vec![desired],
            vec![scaled.clone()],
            vec![applied.clone()],
            &Options::default(),
        );
        let entry = &diff.changes[0];
        assert_eq!(field_paths(entry), ["$.spec.replicas"]);
        let field = &entry.fields[0];
        assert_eq!(field.new, Some(new));
        let drift = field.drift.as_ref().expect("drift");
        assert_eq!(drift.last, last);
        assert_eq!(drift.revision, Some(7));
        assert_eq!(diff.summary.drifted, 1);
    }
    // A change the chart makes to a field nobody touched is not drift.
    let diff = run(
        vec![deployment(3, "nginx:2")],
        vec![live_after_apply(&applied)],
        vec![applied.clone()],
        &Options::default(),
    );
    assert!(diff.changes[0].fields[0].drift.is_none());
    // Without a last applied object there is no drift to speak of.
    let mut unknown = scaled.clone();
    unknown["metadata"]["annotations"]
        .as_object_mut()
        .unwrap()
        .remove("kubectl-chart.io/last-applied");
    let diff = run(
        vec![deployment(3, "nginx:1")],
        vec![unknown],
        vec![],
        &Options::default(),
    );
    assert!(diff.changes[0].fields[0].drift.is_none());
}

fn secret(extra: Value) -> Value {
    let mut value = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "type": "Opaque"});
    value
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    value
}

/// A Secret as the server stores it: `stringData` folded into base64 `data`.
fn stored(value: &Value) -> Value {
    let mut live = live_after_apply(value);
    let mut data = live["data"].as_object().cloned().unwrap_or_default();
    if let Some(strings) = live
        .as_object_mut()
        .unwrap()
        .remove("stringData")
        .and_then(|v| v.as_object().cloned())
    {
        for (key, value) in strings {
            let encoded = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                value.as_str().unwrap(),
            );
            data.insert(key, json!(encoded));
        }
    }
    live["data"] = Value::Object(data);
    live
}

#[test]
fn secrets_compare_decoded_and_stay_masked_unless_shown() {
    let applied = secret(json!({"stringData": {"user": "admin", "password": "hunter2"}}));
    let live = stored(&applied);
    // The same values moved from stringData to data: no change at all.
    let moved = secret(json!({"data": {"user": "YWRtaW4=", "password": "aHVudGVyMg=="}}));
    let diff = run(
        vec![moved],
        vec![live.clone()],
        vec![applied.clone()],
        &Options::default(),
    );
    assert_eq!(summary(&diff), (0, 0, 0, 1, 0));

    let changed = secret(json!({"stringData": {"user": "admin", "password": "correct-horse"}}));
    let masked = run(
        vec![changed.clone()],
        vec![live.clone()],
        vec![applied.clone()],
        &Options::default(),
    );
    let entry = &masked.changes[0];
    assert_eq!(field_paths(entry), ["$.data.password"]);
    assert_eq!(entry.fields[0].old, Some(json!("*** (7 bytes)")));
    assert_eq!(entry.fields[0].new, Some(json!("*** (13 bytes, changed)")));
    let text = serde_json::to_string(&masked).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("correct-horse"),
        "{text}"
    );
    assert!(!text.contains("aHVudGVyMg"), "{text}");
    assert_eq!(
        entry.before.as_ref().unwrap()["data"]["user"],
        "*** (5 bytes)"
    );
    assert_eq!(
        entry.shown.as_ref().unwrap()["data"]["user"],
        "*** (5 bytes)"
    );

    let shown = run(
        vec![changed],
        vec![live],
        vec![applied],
        &Options {
            show_secrets: true,
            ..Options::default()
        },
    );
    let field = &shown.changes[0].fields[0];
    assert_eq!(field.old, Some(json!("hunter2")));
    assert_eq!(field.new, Some(json!("correct-horse")));
}

#[test]
fn ignore_rules_set_changes_aside() {
    let applied = deployment(3, "nginx:1");
    let live = {
        let mut live = live_after_apply(&applied);
        live["spec"]["replicas"] = json!(5);
        live
    };
    let rules = |texts: &[&str]| Options {
        rules: texts.iter().map(|t| Rule::parse(t).unwrap()).collect(),
        ..Options::default()
    };
    // (rules, desired image, counted as a change, ignored paths)
    let cases: Vec<(Vec<&str>, &str, bool, Vec<&str>)> = vec![
        (
            vec!["Deployment/*:$.spec.replicas"],
            "nginx:1",
            false,
            vec!["$.spec.replicas"],
        ),
        (
            vec!["Deployment/*:$.spec.replicas"],
            "nginx:2",
            true,
            vec!["$.spec.replicas"],
        ),
        (
            vec!["deployment/web:$.spec"],
            "nginx:2",
            false,
            vec![
                "$.spec.replicas",
                "$.spec.template.spec.containers[0].image",
            ],
        ),
        (
            vec!["StatefulSet/*:$.spec.replicas"],
            "nginx:1",
            true,
            vec![],
        ),
        (
            vec!["Deployment/other-*:$.spec.replicas"],
            "nginx:1",
            true,
            vec![],
        ),
    ];
    for (texts, image, counts, ignored) in cases {
        let diff = run(
            vec![deployment(3, image)],
            vec![live.clone()],
            vec![applied.clone()],
            &rules(&texts),
        );
        let entry = &diff.changes[0];
        assert_eq!(entry.counts(), counts, "{texts:?} {image}");
        assert_eq!(diff.summary.has_changes(), counts, "{texts:?} {image}");
        let set_aside: Vec<&str> = entry
            .fields
            .iter()
            .filter(|f| f.ignored_by.is_some())
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(set_aside, ignored, "{texts:?} {image}");
        // What the text diff shows keeps the live value of ignored fields.
        let shown = entry.shown.as_ref().unwrap();
        let replicas = if ignored.is_empty() { 3 } else { 5 };
        assert_eq!(shown["spec"]["replicas"], replicas, "{texts:?}");
        // What apply writes is still the merged object.
        assert_eq!(entry.after.as_ref().unwrap()["spec"]["replicas"], 3);
    }
    // A rule without a path ignores the whole object, whatever happens to it.
    let diff = run(
        vec![cm("new", json!({}))],
        vec![],
        vec![],
        &rules(&["ConfigMap/new"]),
    );
    assert_eq!(diff.changes[0].ignored_by.as_deref(), Some("ConfigMap/new"));
    assert_eq!(summary(&diff), (0, 0, 0, 0, 1));
    assert!(!diff.summary.has_changes());
}

#[test]
fn similar_objects_removed_and_added_are_a_rename() {
    let data =
        json!({"app.properties": "a=1\nb=2\nc=3\nd=4\n", "log.level": "info", "mode": "fast"});
    let old = cm("config-5f7d", data.clone());
    let mut changed = data.clone();
    changed["mode"] = json!("safe");
    let cases = [
        // Similar enough: one rename, with the fields that differ.
        (cm("config-9a8b", changed), 0.7, true),
        // Another object altogether.
        (
            cm("config-9a8b", json!({"x": "completely different"})),
            0.7,
            false,
        ),
        // Alike in metadata only (two small ConfigMaps of one chart).
        (cm("other", json!({"k": "v"})), 0.7, false),
        // Detection off.
        (cm("config-9a8b", data.clone()), 0.0, false),
    ];
    for (new, threshold, renamed) in cases {
        let diff = run(
            vec![new],
            vec![live_after_apply(&old)],
            vec![old.clone()],
            &Options {
                rename_threshold: threshold,
                ..Options::default()
            },
        );
        if renamed {
            assert_eq!(diff.changes.len(), 1);
            let entry = &diff.changes[0];
            assert_eq!(entry.change, ChangeKind::Rename);
            assert_eq!(entry.object.name, "config-9a8b");
            assert_eq!(entry.renamed_from.as_ref().unwrap().name, "config-5f7d");
            assert_eq!(field_paths(entry), ["$.metadata.name", "$.data.mode"]);
            assert!(entry.similarity.unwrap() >= 0.7);
            assert_eq!(diff.summary.rename, 1);
            assert_eq!((diff.summary.add, diff.summary.remove), (0, 0));
        } else {
            assert_eq!(summary(&diff), (1, 0, 1, 0, 0), "{threshold}");
        }
    }
}

#[test]
fn custom_resources_pair_list_elements_by_their_crd_keys() {
    let crd_schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "ports": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["port"], "items": {"type": "object"}}}}}});
    let widget = |ports: Value| json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"ports": ports}});
    let applied = widget(json!([{"port": 80, "label": "http"}, {"port": 443, "label": "tls"}]));
    let mut snapshot = cluster();
    snapshot
        .crd_schemas
        .insert(("example.com/v1".into(), "Widget".into()), crd_schema);
    let w = reference("example.com/v1", "Widget", "w");
    // Someone added a port; the chart relabels 443. The merge keeps theirs, by key.
    let mut live = live_after_apply(&applied);
    live["spec"]["ports"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"port": 9090, "label": "theirs"}));
    snapshot.live.insert(w.clone(), live);
    let previous = Previous::from_applied(Some(2), [(w, applied)]);
    let desired = widget(json!([{"port": 80, "label": "http"}, {"port": 443, "label": "https"}]));
    let plan = apply::plan(
        &release(),
        vec![Object::new("t/templates/w.yaml", desired).unwrap()],
        &snapshot,
        &previous,
        &apply::Options::default(),
    )
    .unwrap();
    let diff = diff(&plan, &previous, &HashMap::new(), &Options::default());
    let entry = &diff.changes[0];
    // One field, paired by `port` although positions shifted; their port is no change.
    assert_eq!(field_paths(entry), ["$.spec.ports[1].label"]);
    assert_eq!(entry.fields[0].old, Some(json!("tls")));
    assert!(entry.fields[0].drift.is_none());
}

#[test]
fn taking_over_an_object_is_a_change_even_when_nothing_else_is() {
    let theirs = {
        let mut value = cm("a", json!({"k": "v"}));
        value["metadata"]["namespace"] = json!("shop");
        value["metadata"]["labels"] = json!({"app.kubernetes.io/managed-by": "kubectl-chart"});
        value["metadata"]["annotations"] = json!({"kubectl-chart.io/release": "shop/other"});
        value
    };
    let diff = run_with(
        vec![cm("a", json!({"k": "v"}))],
        vec![theirs],
        vec![],
        &Options::default(),
        &apply::Options {
            take_ownership: true,
            ..apply::Options::default()
        },
    );
    let entry = &diff.changes[0];
    assert!(entry.adopted && entry.counts());
    assert_eq!(entry.previous_owner.as_deref(), Some("shop/other"));
    assert!(entry.fields.is_empty());
    assert_eq!(diff.summary.change, 1);
}

#[test]
fn text_output_reads_like_a_review() {
    colored::control::set_override(false);
    let applied = deployment(3, "nginx:1");
    let mut live = live_after_apply(&applied);
    live["spec"]["replicas"] = json!(5);
    let diff = run(
        vec![deployment(3, "nginx:2"), cm("new", json!({"k": "v"}))],
        vec![live],
        vec![applied],
        &Options::default(),
    );
    let mut out = Vec::new();
    text::write(&mut out, &diff, &text::TextOptions::default()).unwrap();
    let expected = "\
apps/v1 Deployment shop/web: changed
@@ -6,10 +6,10 @@ spec
   labels:
     app.kubernetes.io/managed-by: kubectl-chart
 spec:
-  replicas: 5
+  replicas: 3
   template:
     spec:
       containers:
       - name: web
-        image: nginx:1
+        image: nginx:2
         imagePullPolicy: IfNotPresent
  drift: spec.replicas: 5 -> 3 (changed outside kubectl-chart since revision 7)

v1 ConfigMap shop/new: added
+apiVersion: v1
+kind: ConfigMap
+metadata:
+  name: new
+  namespace: shop
+  labels:
+    app.kubernetes.io/managed-by: kubectl-chart
+data:
+  k: v

release shop/web: 1 to add, 1 to change, 0 to remove, 0 unchanged (1 field changed outside kubectl-chart since revision 7 will be reverted)
";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

//! The emulator's HTTP behaviour checked byte for byte: status bodies, headers, watch streams,
//! dry runs, field validation, faults and persistence.

use std::time::{Duration, Instant};

use kchart_emulator::Emulator;
use kchart_emulator::client::Client;
use serde_json::{Value, json};

fn client(emu: &Emulator) -> Client {
    Client::connect(emu.url()).expect("connects")
}

fn cm(name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})).unwrap_or_default()
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[test]
fn not_found_is_a_real_status_body() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let r = c
        .request(
            "POST",
            "/api/v1/namespaces/nope/configmaps",
            Some("application/json"),
            &cm("a"),
        )
        .expect("post");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "namespaces \"nope\" not found",
               "reason": "NotFound", "code": 404, "details": {"name": "nope", "kind": "namespaces"}})
    );
    let r = c
        .get("/apis/apps/v1/namespaces/default/deployments/x")
        .expect("get");
    assert_eq!(r.json()["message"], "deployments.apps \"x\" not found");
    assert_eq!(r.json()["details"]["group"], "apps");
    assert_eq!(c.get("/apis/nope.io/v1").expect("get").status, 404);
    assert_eq!(c.get("/healthz").expect("healthz").body, b"ok");
}

#[test]
fn discovery_aggregated_and_legacy() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let legacy = c.get("/apis").expect("apis");
    assert_eq!(legacy.json()["kind"], "APIGroupList");
    assert_eq!(
        c.get("/apis/apps").expect("group").json()["preferredVersion"]["version"],
        "v1"
    );
    let mut raw =
        std::net::TcpStream::connect(emu.url().trim_start_matches("http://")).expect("tcp");
    use std::io::{Read, Write};
    raw.write_all(b"GET /api HTTP/1.1\r\nHost: x\r\nAccept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json\r\nConnection: close\r\n\r\n").expect("write");
    let mut text = String::new();
    raw.read_to_string(&mut text).expect("read");
    assert!(
        text.to_ascii_lowercase().contains(
            "content-type: application/json;g=apidiscovery.k8s.io;v=v2;as=apigroupdiscoverylist"
        ),
        "{text}"
    );
    assert!(text.contains("\"APIGroupDiscoveryList\""));
}

#[test]
fn resource_versions_conflicts_and_injected_conflicts() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let created = c
        .request("POST", CMS, Some("application/json"), &cm("a"))
        .expect("post");
    assert_eq!(created.status, 201);
    let mut obj = created.json();
    let rv: u64 = obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    obj["data"]["k"] = json!("w");
    let body = serde_json::to_vec(&obj).unwrap_or_default();
    emu.faults().conflict_next_updates(1);
    let r = c
        .request("PUT", &format!("{CMS}/a"), Some("application/json"), &body)
        .expect("put");
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "Conflict");
    let r = c
        .request("PUT", &format!("{CMS}/a"), Some("application/json"), &body)
        .expect("put");
    assert_eq!(r.status, 200);
    let rv2: u64 = r.json()["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(rv2 > rv, "resourceVersion is monotonic");
    let stale = c
        .request("PUT", &format!("{CMS}/a"), Some("application/json"), &body)
        .expect("put");
    assert_eq!(stale.status, 409);
    assert!(
        stale.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("the object has been modified")
    );
}

#[test]
fn dry_run_and_field_validation() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let r = c
        .request(
            "POST",
            &format!("{CMS}?dryRun=All"),
            Some("application/json"),
            &cm("dry"),
        )
        .expect("post");
    assert_eq!(r.status, 201);
    assert!(
        emu.get("v1", "ConfigMap", "default", "dry").is_none(),
        "dry run stores nothing"
    );
    let extra = serde_json::to_vec(
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "bogus": 1}),
    )
    .unwrap_or_default();
    let r = c
        .request(
            "POST",
            &format!("{CMS}?fieldValidation=Strict"),
            Some("application/json"),
            &extra,
        )
        .expect("post");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\""
    );
    let r = c
        .request(
            "POST",
            &format!("{CMS}?fieldValidation=Warn"),
            Some("application/json"),
            &extra,
        )
        .expect("post");
    assert_eq!(r.status, 201);
    assert_eq!(
        r.header("warning"),
        Some("299 - \"unknown field \\\"bogus\\\"\"")
    );
    assert!(
        r.json().get("bogus").is_none(),
        "unknown fields are dropped"
    );
    let r = c
        .request(
            "POST",
            &format!("{CMS}?fieldValidation=Nope"),
            Some("application/json"),
            &cm("y"),
        )
        .expect("post");
    assert_eq!(r.status, 400);
}

#[test]
fn watch_streams_changes_after_a_list() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let list = c.get(CMS).expect("list");
    let rv = list.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut w = client(&emu);
    let (status, _) = w
        .send(
            "GET",
            &format!("{CMS}?watch=1&resourceVersion={rv}"),
            None,
            &[],
        )
        .expect("watch");
    assert_eq!(status, 200);
    c.request("POST", CMS, Some("application/json"), &cm("w1"))
        .expect("create");
    c.request("DELETE", &format!("{CMS}/w1"), None, &[])
        .expect("delete");
    let mut events = Vec::new();
    while events.len() < 2 {
        let chunk = w.chunk().expect("chunk").expect("stream open");
        for line in String::from_utf8_lossy(&chunk).lines() {
            let e: Value = serde_json::from_str(line).expect("event JSON");
            events.push((
                e["type"].as_str().unwrap_or_default().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    assert_eq!(
        events,
        [
            ("ADDED".to_string(), "w1".to_string()),
            ("DELETED".to_string(), "w1".to_string())
        ]
    );
}

#[test]
fn dropped_connections_errors_and_latency() {
    let emu = Emulator::start().expect("start");
    emu.faults().drop_next(Some("list"), Some("configmaps"), 1);
    let mut c = client(&emu);
    assert!(
        c.get(CMS).is_err(),
        "the connection is closed without an answer"
    );
    let mut c = client(&emu);
    assert_eq!(c.get(CMS).expect("second list").status, 200);
    emu.faults()
        .fail_always(Some("create"), Some("ConfigMap"), 500);
    let r = c
        .request("POST", CMS, Some("application/json"), &cm("e"))
        .expect("post");
    assert_eq!(
        (r.status, r.json()["reason"].clone()),
        (500, json!("InternalError"))
    );
    emu.faults().clear();
    emu.faults().set_latency(Duration::from_millis(60));
    let t = Instant::now();
    c.get(CMS).expect("slow list");
    assert!(t.elapsed() >= Duration::from_millis(60), "latency is added");
}

#[test]
fn scale_subresource_and_garbage_collection() {
    let emu = Emulator::start().expect("start");
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}}, "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let d = emu.create(dep).expect("create");
    let mut c = client(&emu);
    let path = "/apis/apps/v1/namespaces/default/deployments/d/scale";
    let s = c.get(path).expect("scale");
    assert_eq!(s.json()["kind"], "Scale");
    assert_eq!(s.json()["spec"]["replicas"], 1);
    assert_eq!(s.json()["status"]["selector"], "app=d");
    let r = c
        .request(
            "PATCH",
            path,
            Some("application/merge-patch+json"),
            br#"{"spec":{"replicas":4}}"#,
        )
        .expect("patch");
    assert_eq!(r.json()["spec"]["replicas"], 4);
    assert_eq!(
        emu.get("apps/v1", "Deployment", "default", "d")
            .map(|d| d["spec"]["replicas"].clone()),
        Some(json!(4))
    );
    let owned = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned",
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": d["metadata"]["uid"]}]}});
    emu.create(owned).expect("dependent");
    let r = c
        .request(
            "DELETE",
            "/apis/apps/v1/namespaces/default/deployments/d",
            Some("application/json"),
            br#"{"propagationPolicy":"Background"}"#,
        )
        .expect("delete");
    assert_eq!(r.json()["status"], "Success");
    assert!(
        emu.get("v1", "ConfigMap", "default", "owned").is_none(),
        "dependents are collected"
    );
}

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    {
        let emu = Emulator::builder()
            .state_file(&state)
            .start()
            .expect("start");
        emu.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}}))
            .expect("create");
    }
    let emu = Emulator::builder()
        .state_file(&state)
        .start()
        .expect("restart");
    assert!(emu.get("v1", "ConfigMap", "default", "kept").is_some());
    let rv = emu.resource_version();
    emu.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "next"}}))
        .expect("create");
    assert!(
        emu.resource_version() > rv,
        "resourceVersions continue after a restart"
    );
}

#[test]
fn lists_paginate_with_limit_and_continue() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    for i in 0..5 {
        c.request("POST", CMS, Some("application/json"), &cm(&format!("p{i}")))
            .expect("create");
    }
    let mut names = Vec::new();
    let mut path = format!("{CMS}?limit=2");
    let mut pages = 0;
    loop {
        let page = c.get(&path).expect("page").json();
        pages += 1;
        names.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["metadata"]["name"].as_str().map(String::from)),
        );
        match page["metadata"]["continue"].as_str() {
            Some(tok) => {
                assert!(
                    page["metadata"]["remainingItemCount"]
                        .as_u64()
                        .is_some_and(|n| n > 0)
                );
                path = format!(
                    "{CMS}?limit=2&continue={}",
                    tok.replace('+', "%2B")
                        .replace('/', "%2F")
                        .replace('=', "%3D")
                );
            }
            None => break,
        }
    }
    assert_eq!(pages, 3, "6 objects (5 + kube-root-ca.crt) in pages of 2");
    assert_eq!(names, ["kube-root-ca.crt", "p0", "p1", "p2", "p3", "p4"]);
    assert_eq!(
        c.get(&format!("{CMS}?continue=@@@"))
            .expect("bad token")
            .status,
        400
    );
}

#[test]
fn watches_with_label_selectors_see_objects_leave_and_enter() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let body = serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "l", "labels": {"team": "a"}}})).unwrap_or_default();
    c.request("POST", CMS, Some("application/json"), &body)
        .expect("create");
    let rv = c.get(CMS).expect("list").json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut w = client(&emu);
    w.send(
        "GET",
        &format!("{CMS}?watch=true&labelSelector=team%3Da&resourceVersion={rv}"),
        None,
        &[],
    )
    .expect("watch");
    let patch =
        |team: &str| format!(r#"{{"metadata":{{"labels":{{"team":"{team}"}}}}}}"#).into_bytes();
    c.request(
        "PATCH",
        &format!("{CMS}/l"),
        Some("application/merge-patch+json"),
        &patch("b"),
    )
    .expect("leave");
    c.request(
        "PATCH",
        &format!("{CMS}/l"),
        Some("application/merge-patch+json"),
        &patch("a"),
    )
    .expect("enter");
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        let chunk = w.chunk().expect("chunk").expect("open");
        for line in String::from_utf8_lossy(&chunk).lines() {
            let e: Value = serde_json::from_str(line).expect("event");
            kinds.push(e["type"].as_str().unwrap_or_default().to_string());
        }
    }
    assert_eq!(kinds, ["DELETED", "ADDED"]);
}

#[test]
fn size_limits_of_bodies_and_secrets() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let big = serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"k": "x".repeat(1_100_000)}})).unwrap_or_default();
    let r = c
        .request("POST", CMS, Some("application/json"), &big)
        .expect("post");
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "ConfigMap \"big\" is invalid: []: Too long: may not be more than 1048576 bytes"
    );
    // Announce a body over 3 MiB without sending it: the answer comes from the headers alone
    // (sending it could race the server closing the connection).
    use std::io::{Read, Write};
    let mut raw =
        std::net::TcpStream::connect(emu.url().trim_start_matches("http://")).expect("tcp");
    let head = format!(
        "POST {CMS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        3 * 1024 * 1024 + 1
    );
    raw.write_all(head.as_bytes()).expect("write");
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&text).contains("RequestEntityTooLarge") {
        let n = raw.read(&mut buf).expect("read");
        assert!(
            n > 0,
            "closed without an answer: {}",
            String::from_utf8_lossy(&text)
        );
        text.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&text).starts_with("HTTP/1.1 413"));
}

#[test]
fn library_writes_behind_a_tools_back() {
    let emu = Emulator::start().expect("start");
    let created = emu.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}})).expect("create");
    let mut changed = created.clone();
    changed["data"]["a"] = json!("2");
    let updated = emu.update(changed.clone()).expect("update");
    assert_eq!(updated["data"]["a"], "2");
    let err = emu.update(changed).expect_err("stale resourceVersion");
    assert!(
        err.to_string().contains("the object has been modified"),
        "{err}"
    );
    emu.delete("v1", "ConfigMap", "default", "x")
        .expect("delete");
    assert!(emu.get("v1", "ConfigMap", "default", "x").is_none());
    let err = emu
        .delete("v1", "ConfigMap", "default", "x")
        .expect_err("gone");
    assert_eq!(
        err.to_string(),
        "the emulator refused the object: configmaps \"x\" not found"
    );
}

#[test]
fn leases_lock_with_create_conflicts_and_resource_versions() {
    let emu = Emulator::start().expect("start");
    let mut c = client(&emu);
    let path = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    let lease = |holder: &str, rv: Option<&str>| {
        let mut l = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "release-web"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30,
                "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:00.000000Z",
                "leaseTransitions": 0}});
        if let Some(rv) = rv {
            l["metadata"]["resourceVersion"] = json!(rv);
        }
        serde_json::to_vec(&l).unwrap_or_default()
    };
    // Two writers race to take the lock: the second create loses.
    let r = c
        .request("POST", path, Some("application/json"), &lease("a", None))
        .expect("post");
    assert_eq!(r.status, 201);
    let taken = r.json();
    // MicroTime keeps its microseconds.
    assert_eq!(taken["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
    let r = c
        .request("POST", path, Some("application/json"), &lease("b", None))
        .expect("post");
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "AlreadyExists");
    // The holder renews with the resourceVersion it read; a stale one conflicts.
    let rv = taken["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let item = format!("{path}/release-web");
    let r = c
        .request(
            "PUT",
            &item,
            Some("application/json"),
            &lease("a", Some(&rv)),
        )
        .expect("put");
    assert_eq!(r.status, 200);
    let renewed = r.json();
    let rv2 = renewed["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    // Unchanged content writes nothing, so take the lock over to see a new version.
    let r = c
        .request(
            "PUT",
            &item,
            Some("application/json"),
            &lease("b", Some(&rv2)),
        )
        .expect("put");
    assert_eq!(r.status, 200);
    let rv3 = r.json()["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    assert_ne!(rv3, rv2);
    let r = c
        .request(
            "PUT",
            &item,
            Some("application/json"),
            &lease("a", Some(&rv2)),
        )
        .expect("put");
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "Conflict");
    assert_eq!(
        c.get(&item).expect("get").json()["spec"]["holderIdentity"],
        "b"
    );
    // Releasing the lock with a stale precondition fails; with the current one it succeeds.
    let stale =
        serde_json::to_vec(&json!({"preconditions": {"resourceVersion": rv2}})).unwrap_or_default();
    let r = c
        .request("DELETE", &item, Some("application/json"), &stale)
        .expect("delete");
    assert_eq!(r.status, 409);
    let current =
        serde_json::to_vec(&json!({"preconditions": {"resourceVersion": rv3}})).unwrap_or_default();
    let r = c
        .request("DELETE", &item, Some("application/json"), &current)
        .expect("delete");
    assert_eq!(r.status, 200);
    assert_eq!(c.get(&item).expect("get").status, 404);
}

#[test]
fn deleting_a_job_orphans_its_pods_unless_told_otherwise() {
    let emu = Emulator::builder()
        .ready_delay(Duration::from_millis(10))
        .start()
        .expect("start");
    let mut c = client(&emu);
    let jobs = "/apis/batch/v1/namespaces/default/jobs";
    let job = |name: &str| {
        serde_json::to_vec(&json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}))
        .unwrap_or_default()
    };
    let pods_of = |emu: &Emulator, job: &str| -> Vec<Value> {
        emu.list("v1", "Pod", Some("default"))
            .into_iter()
            .filter(|p| p["metadata"]["labels"]["job-name"] == job)
            .collect()
    };
    for name in ["kept", "gone"] {
        let r = c
            .request("POST", jobs, Some("application/json"), &job(name))
            .expect("post");
        assert_eq!(r.status, 201);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while (pods_of(&emu, "kept").is_empty() || pods_of(&emu, "gone").is_empty())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    // No propagation policy: batch/v1 orphans the Pods, and says so.
    let r = c
        .request("DELETE", &format!("{jobs}/kept"), None, b"")
        .expect("delete");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("warning"),
        Some(
            "299 - \"child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning\""
        )
    );
    let kept = pods_of(&emu, "kept");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["metadata"]["ownerReferences"], json!([]));
    // Background, as kubectl and Helm ask for: the Pods go with the Job.
    let r = c
        .request(
            "DELETE",
            &format!("{jobs}/gone?propagationPolicy=Background"),
            None,
            b"",
        )
        .expect("delete");
    assert_eq!(r.status, 200);
    assert!(r.header("warning").is_none());
    assert!(pods_of(&emu, "gone").is_empty());
}

#[test]
fn pods_are_bound_through_the_binding_subresource() {
    // A very long delay: the emulator's own scheduler stays out of the way.
    let emu = Emulator::builder()
        .ready_delay(Duration::from_secs(3600))
        .start()
        .expect("start");
    let mut c = client(&emu);
    let pod = serde_json::to_vec(
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .unwrap_or_default();
    let pods = "/api/v1/namespaces/default/pods";
    assert_eq!(
        c.request("POST", pods, Some("application/json"), &pod)
            .expect("post")
            .status,
        201
    );
    let binding = |node: &str| {
        serde_json::to_vec(
            &json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}),
        )
        .unwrap_or_default()
    };
    let url = format!("{pods}/p/binding");
    let r = c
        .request("POST", &url, Some("application/json"), &binding("node-a"))
        .expect("bind");
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["status"], "Success");
    let bound = c.get(&format!("{pods}/p")).expect("get").json();
    assert_eq!(bound["spec"]["nodeName"], "node-a");
    assert_eq!(
        bound["metadata"]["generation"], 1,
        "binding is no spec change"
    );
    let r = c
        .request("POST", &url, Some("application/json"), &binding("node-b"))
        .expect("bind");
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json()["message"],
        "pod p is already assigned to node \"node-a\""
    );
    let discovery = c.get("/api/v1").expect("discovery").json();
    let sub = discovery["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == "pods/binding")
        .cloned()
        .expect("pods/binding listed");
    assert_eq!(sub["kind"], "Binding");
    assert_eq!(sub["verbs"], json!(["create"]));
}

//! Decoding of the Kubernetes protobuf request encoding (`application/vnd.kubernetes.protobuf`)
//! for the kinds kubectl's typed generators send that way (`kubectl create namespace`,
//! `configmap`, `secret`, `serviceaccount`, `service`, `deployment`, `job`, `cronjob`, `role`,
//! `clusterrole`, `rolebinding`, `clusterrolebinding`), with the fields those generators set,
//! and the `DeleteOptions` typed clients send (Helm's release storage deletes that way).
//! A table of field numbers drives a generic decoder; other kinds answer 415.

use base64::Engine;
use serde_json::{Map, Value, json};

const MAGIC: &[u8] = b"k8s\0";

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.pos)?;
            self.pos += 1;
            out |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(out);
            }
        }
        None
    }

    /// The next field: number, wire type, and its bytes (for length-delimited) or value.
    fn field(&mut self) -> Option<(u64, Field<'a>)> {
        if self.pos >= self.b.len() {
            return None;
        }
        let key = self.varint()?;
        let (num, wire) = (key >> 3, key & 7);
        let f = match wire {
            0 => Field::Varint(self.varint()?),
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                let end = self.pos.checked_add(len)?;
                let s = self.b.get(self.pos..end)?;
                self.pos = end;
                Field::Bytes(s)
            }
            1 => {
                self.pos += 8;
                Field::Varint(0)
            }
            5 => {
                self.pos += 4;
                Field::Varint(0)
            }
            _ => return None,
        };
        Some((num, f))
    }
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn fields(b: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut r = Reader { b, pos: 0 };
    let mut out = Vec::new();
    while let Some(f) = r.field() {
        out.push(f);
    }
    out
}

fn string(b: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(b).into_owned())
}

/// How a field is carried on the wire and rendered in JSON.
#[derive(Clone, Copy)]
enum T {
    /// `string`; empty strings are left out (as JSON `omitempty` does).
    Str,
    /// A non-pointer integer: zero is left out.
    Int,
    /// A pointer integer: zero is kept.
    IntPtr,
    /// A non-pointer bool: false is left out.
    Bool,
    /// A pointer bool: false is kept.
    BoolPtr,
    /// A nested message.
    Msg(&'static str),
    /// `repeated string`.
    RepStr,
    /// `repeated` message.
    RepMsg(&'static str),
    /// `map<string, string>`.
    MapStr,
    /// `map<string, bytes>` (base64 in JSON).
    MapBytes,
    /// `map<string, Quantity>`.
    MapQuantity,
    /// `IntOrString`.
    IntOrStr,
}

use T::*;

/// A field: number, JSON name, wire form.
type FieldDef = (u64, &'static str, T);

const META: FieldDef = (1, "metadata", Msg("ObjectMeta"));

/// Field numbers of the messages decoded (from the Kubernetes `generated.proto` files).
const MESSAGES: &[(&str, &[FieldDef])] = &[
    (
        "ObjectMeta",
        &[
            (1, "name", Str),
            (2, "generateName", Str),
            (3, "namespace", Str),
            (6, "resourceVersion", Str),
            (11, "labels", MapStr),
            (12, "annotations", MapStr),
            (14, "finalizers", RepStr),
        ],
    ),
    ("Namespace", &[META, (2, "spec", Msg("NamespaceSpec"))]),
    ("NamespaceSpec", &[(1, "finalizers", RepStr)]),
    (
        "ConfigMap",
        &[
            META,
            (2, "data", MapStr),
            (3, "binaryData", MapBytes),
            (4, "immutable", BoolPtr),
        ],
    ),
    (
        "Secret",
        &[
            META,
            (2, "data", MapBytes),
            (3, "type", Str),
            (4, "stringData", MapStr),
            (5, "immutable", BoolPtr),
        ],
    ),
    (
        "ServiceAccount",
        &[META, (4, "automountServiceAccountToken", BoolPtr)],
    ),
    ("Deployment", &[META, (2, "spec", Msg("DeploymentSpec"))]),
    (
        "DeploymentSpec",
        &[
            (1, "replicas", IntPtr),
            (2, "selector", Msg("LabelSelector")),
            (3, "template", Msg("PodTemplateSpec")),
            (4, "strategy", Msg("DeploymentStrategy")),
            (5, "minReadySeconds", Int),
            (6, "revisionHistoryLimit", IntPtr),
            (7, "paused", Bool),
            (9, "progressDeadlineSeconds", IntPtr),
        ],
    ),
    (
        "DeploymentStrategy",
        &[
            (1, "type", Str),
            (2, "rollingUpdate", Msg("RollingUpdateDeployment")),
        ],
    ),
    (
        "RollingUpdateDeployment",
        &[(1, "maxUnavailable", IntOrStr), (2, "maxSurge", IntOrStr)],
    ),
    (
        "LabelSelector",
        &[
            (1, "matchLabels", MapStr),
            (2, "matchExpressions", RepMsg("LabelSelectorRequirement")),
        ],
    ),
    (
        "LabelSelectorRequirement",
        &[(1, "key", Str), (2, "operator", Str), (3, "values", RepStr)],
    ),
    ("PodTemplateSpec", &[META, (2, "spec", Msg("PodSpec"))]),
    (
        "PodSpec",
        &[
            (2, "containers", RepMsg("Container")),
            (3, "restartPolicy", Str),
            (4, "terminationGracePeriodSeconds", IntPtr),
            (5, "activeDeadlineSeconds", IntPtr),
            (6, "dnsPolicy", Str),
            (7, "nodeSelector", MapStr),
            (8, "serviceAccountName", Str),
            (9, "serviceAccount", Str),
            (10, "nodeName", Str),
            (11, "hostNetwork", Bool),
            (16, "hostname", Str),
            (17, "subdomain", Str),
            (19, "schedulerName", Str),
            (20, "initContainers", RepMsg("Container")),
            (24, "priorityClassName", Str),
        ],
    ),
    (
        "Container",
        &[
            (1, "name", Str),
            (2, "image", Str),
            (3, "command", RepStr),
            (4, "args", RepStr),
            (5, "workingDir", Str),
            (6, "ports", RepMsg("ContainerPort")),
            (7, "env", RepMsg("EnvVar")),
            (8, "resources", Msg("ResourceRequirements")),
            (13, "terminationMessagePath", Str),
            (14, "imagePullPolicy", Str),
            (16, "stdin", Bool),
            (17, "stdinOnce", Bool),
            (18, "tty", Bool),
            (20, "terminationMessagePolicy", Str),
        ],
    ),
    (
        "ContainerPort",
        &[
            (1, "name", Str),
            (2, "hostPort", Int),
            (3, "containerPort", Int),
            (4, "protocol", Str),
            (5, "hostIP", Str),
        ],
    ),
    ("EnvVar", &[(1, "name", Str), (2, "value", Str)]),
    (
        "ResourceRequirements",
        &[(1, "limits", MapQuantity), (2, "requests", MapQuantity)],
    ),
    ("Service", &[META, (2, "spec", Msg("ServiceSpec"))]),
    (
        "ServiceSpec",
        &[
            (1, "ports", RepMsg("ServicePort")),
            (2, "selector", MapStr),
            (3, "clusterIP", Str),
            (4, "type", Str),
            (5, "externalIPs", RepStr),
            (7, "sessionAffinity", Str),
            (10, "externalName", Str),
            (11, "externalTrafficPolicy", Str),
        ],
    ),
    (
        "ServicePort",
        &[
            (1, "name", Str),
            (2, "protocol", Str),
            (3, "port", Int),
            (4, "targetPort", IntOrStr),
            (5, "nodePort", Int),
            (6, "appProtocol", Str),
        ],
    ),
    ("Job", &[META, (2, "spec", Msg("JobSpec"))]),
    (
        "JobSpec",
        &[
            (1, "parallelism", IntPtr),
            (2, "completions", IntPtr),
            (3, "activeDeadlineSeconds", IntPtr),
            (4, "selector", Msg("LabelSelector")),
            (5, "manualSelector", BoolPtr),
            (6, "template", Msg("PodTemplateSpec")),
            (7, "backoffLimit", IntPtr),
            (8, "ttlSecondsAfterFinished", IntPtr),
            (9, "completionMode", Str),
            (10, "suspend", BoolPtr),
        ],
    ),
    ("CronJob", &[META, (2, "spec", Msg("CronJobSpec"))]),
    (
        "CronJobSpec",
        &[
            (1, "schedule", Str),
            (2, "startingDeadlineSeconds", IntPtr),
            (3, "concurrencyPolicy", Str),
            (4, "suspend", BoolPtr),
            (5, "jobTemplate", Msg("JobTemplateSpec")),
            (6, "successfulJobsHistoryLimit", IntPtr),
            (7, "failedJobsHistoryLimit", IntPtr),
            (8, "timeZone", Str),
        ],
    ),
    ("JobTemplateSpec", &[META, (2, "spec", Msg("JobSpec"))]),
    ("Role", &[META, (2, "rules", RepMsg("PolicyRule"))]),
    ("ClusterRole", &[META, (2, "rules", RepMsg("PolicyRule"))]),
    (
        "PolicyRule",
        &[
            (1, "verbs", RepStr),
            (2, "apiGroups", RepStr),
            (3, "resources", RepStr),
            (4, "resourceNames", RepStr),
            (5, "nonResourceURLs", RepStr),
        ],
    ),
    (
        "RoleBinding",
        &[
            META,
            (2, "subjects", RepMsg("Subject")),
            (3, "roleRef", Msg("RoleRef")),
        ],
    ),
    (
        "ClusterRoleBinding",
        &[
            META,
            (2, "subjects", RepMsg("Subject")),
            (3, "roleRef", Msg("RoleRef")),
        ],
    ),
    (
        "Subject",
        &[
            (1, "kind", Str),
            (2, "apiGroup", Str),
            (3, "name", Str),
            (4, "namespace", Str),
        ],
    ),
    (
        "RoleRef",
        &[(1, "apiGroup", Str), (2, "kind", Str), (3, "name", Str)],
    ),
    (
        "SelfSubjectAccessReview",
        &[META, (2, "spec", Msg("SelfSubjectAccessReviewSpec"))],
    ),
    (
        "SelfSubjectAccessReviewSpec",
        &[
            (1, "resourceAttributes", Msg("ResourceAttributes")),
            (2, "nonResourceAttributes", Msg("NonResourceAttributes")),
        ],
    ),
    (
        "ResourceAttributes",
        &[
            (1, "namespace", Str),
            (2, "verb", Str),
            (3, "group", Str),
            (4, "version", Str),
            (5, "resource", Str),
            (6, "subresource", Str),
            (7, "name", Str),
        ],
    ),
    (
        "NonResourceAttributes",
        &[(1, "path", Str), (2, "verb", Str)],
    ),
    (
        "SelfSubjectRulesReview",
        &[META, (2, "spec", Msg("SelfSubjectRulesReviewSpec"))],
    ),
    ("SelfSubjectRulesReviewSpec", &[(1, "namespace", Str)]),
    ("SelfSubjectReview", &[META]),
    (
        "DeleteOptions",
        &[
            (1, "gracePeriodSeconds", IntPtr),
            (2, "preconditions", Msg("Preconditions")),
            (3, "orphanDependents", BoolPtr),
            (4, "propagationPolicy", Str),
            (5, "dryRun", RepStr),
        ],
    ),
    (
        "Preconditions",
        &[(1, "uid", Str), (2, "resourceVersion", Str)],
    ),
];

/// Top-level kinds decoded, as `(apiVersion, kind)`; the message is named after the kind.
const KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
    ("authentication.k8s.io/v1", "SelfSubjectReview"),
    // The typed clients (Helm's release storage among them) send delete options this way.
    ("v1", "DeleteOptions"),
    ("meta.k8s.io/v1", "DeleteOptions"),
];

fn map_entry(b: &[u8]) -> (String, Option<&[u8]>) {
    let mut k = String::new();
    let mut v = None;
    for (n, f) in fields(b) {
        if let Field::Bytes(x) = f {
            match n {
                1 => k = String::from_utf8_lossy(x).into_owned(),
                2 => v = Some(x),
                _ => {}
            }
        }
    }
    (k, v)
}

fn int_or_string(b: &[u8]) -> Value {
    let (mut ty, mut int, mut s) = (0u64, 0i64, String::new());
    for (n, f) in fields(b) {
        match (n, f) {
            (1, Field::Varint(v)) => ty = v,
            (2, Field::Varint(v)) => int = v as i64 as i32 as i64,
            (3, Field::Bytes(x)) => s = String::from_utf8_lossy(x).into_owned(),
            _ => {}
        }
    }
    if ty == 1 {
        Value::String(s)
    } else {
        json!(int)
    }
}

fn message(name: &str, b: &[u8]) -> Value {
    let Some((_, table)) = MESSAGES.iter().find(|(n, _)| *n == name) else {
        return json!({});
    };
    let mut out = Map::new();
    for (n, f) in fields(b) {
        let Some((_, key, ty)) = table.iter().find(|(num, _, _)| *num == n) else {
            continue;
        };
        let key = key.to_string();
        match (ty, f) {
            (Str, Field::Bytes(x)) if !x.is_empty() => {
                out.insert(key, string(x));
            }
            (Int, Field::Varint(v)) if v != 0 => {
                out.insert(key, json!(v as i64 as i32 as i64));
            }
            (IntPtr, Field::Varint(v)) => {
                out.insert(key, json!(v as i64));
            }
            (Bool, Field::Varint(v)) if v != 0 => {
                out.insert(key, json!(true));
            }
            (BoolPtr, Field::Varint(v)) => {
                out.insert(key, json!(v != 0));
            }
            (Msg(m), Field::Bytes(x)) => {
                out.insert(key, message(m, x));
            }
            (RepStr, Field::Bytes(x)) => {
                if let Some(a) = out.entry(key).or_insert_with(|| json!([])).as_array_mut() {
                    a.push(string(x));
                }
            }
            (RepMsg(m), Field::Bytes(x)) => {
                let v = message(m, x);
                if let Some(a) = out.entry(key).or_insert_with(|| json!([])).as_array_mut() {
                    a.push(v);
                }
            }
            (MapStr | MapBytes | MapQuantity, Field::Bytes(x)) => {
                let (k, v) = map_entry(x);
                let v = match (ty, v) {
                    (MapBytes, Some(v)) => {
                        json!(base64::engine::general_purpose::STANDARD.encode(v))
                    }
                    (MapQuantity, Some(v)) => fields(v)
                        .into_iter()
                        .find_map(|(n, f)| match (n, f) {
                            (1, Field::Bytes(s)) => Some(string(s)),
                            _ => None,
                        })
                        .unwrap_or(json!("0")),
                    (_, Some(v)) => string(v),
                    (_, None) => json!(""),
                };
                if let Some(m) = out.entry(key).or_insert_with(|| json!({})).as_object_mut() {
                    m.insert(k, v);
                }
            }
            (IntOrStr, Field::Bytes(x)) => {
                out.insert(key, int_or_string(x));
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// Decodes a protobuf request body to JSON, or explains why it cannot.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or("protobuf body without the k8s magic prefix")?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (n, f) in fields(rest) {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                for (tn, tf) in fields(tm) {
                    if let Field::Bytes(x) = tf {
                        match tn {
                            1 => api_version = String::from_utf8_lossy(x).into_owned(),
                            2 => kind = String::from_utf8_lossy(x).into_owned(),
                            _ => {}
                        }
                    }
                }
            }
            (2, Field::Bytes(x)) => raw = x,
            _ => {}
        }
    }
    if !KINDS.contains(&(api_version.as_str(), kind.as_str())) {
        return Err(format!(
            "protobuf encoding of {api_version} {kind} is not supported by the emulator; use JSON"
        ));
    }
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    if let Value::Object(m) = message(&kind, raw) {
        obj.extend(m);
    }
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(num: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![(num << 3) | 2, payload.len() as u8];
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn decodes_a_configmap() {
        let meta = [
            ld(1, b"cm"),
            ld(11, &[ld(1, b"app"), ld(2, b"web")].concat()),
        ]
        .concat();
        let raw = [ld(1, &meta), ld(2, &[ld(1, b"k"), ld(2, b"v")].concat())].concat();
        let tm = [ld(1, b"v1"), ld(2, b"ConfigMap")].concat();
        let body = [MAGIC.to_vec(), ld(1, &tm), ld(2, &raw)].concat();
        let v = decode(&body).expect("decodes");
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"app": "web"}}, "data": {"k": "v"}})
        );
    }

    #[test]
    fn decodes_delete_options_as_typed_clients_send_them() {
        // Helm's release storage deleting a release Secret: empty options.
        let empty = b"k8s\x00\n\x13\n\x02v1\x12\rDeleteOptions\x12\x00\x1a\x00\"\x00";
        assert_eq!(
            decode(empty).expect("decodes"),
            json!({"apiVersion": "v1", "kind": "DeleteOptions"})
        );
        let pre = [ld(1, b"u-1"), ld(2, b"42")].concat();
        let raw = [ld(2, &pre), ld(4, b"Foreground"), ld(5, b"All")].concat();
        let tm = [ld(1, b"v1"), ld(2, b"DeleteOptions")].concat();
        let body = [MAGIC.to_vec(), ld(1, &tm), ld(2, &raw)].concat();
        assert_eq!(
            decode(&body).expect("decodes"),
            json!({"apiVersion": "v1", "kind": "DeleteOptions",
                "preconditions": {"uid": "u-1", "resourceVersion": "42"},
                "propagationPolicy": "Foreground", "dryRun": ["All"]})
        );
    }

    #[test]
    fn refuses_complex_kinds() {
        let tm = [ld(1, b"apps/v1"), ld(2, b"StatefulSet")].concat();
        let body = [MAGIC.to_vec(), ld(1, &tm)].concat();
        assert!(
            decode(&body)
                .expect_err("unsupported")
                .contains("apps/v1 StatefulSet")
        );
        assert!(decode(b"junk").is_err());
    }
}

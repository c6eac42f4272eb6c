//! Decoding of the Kubernetes protobuf request encoding (`application/vnd.kubernetes.protobuf`)
//! for the simple kinds kubectl's typed clients send that way (`kubectl create namespace`,
//! `create configmap`, `create secret`, `create serviceaccount`). Other kinds answer 415.

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

fn map_entry(b: &[u8], bytes_value: bool) -> (String, Value) {
    let mut k = String::new();
    let mut v = Value::String(String::new());
    for (n, f) in fields(b) {
        if let Field::Bytes(x) = f {
            match n {
                1 => k = String::from_utf8_lossy(x).into_owned(),
                2 if bytes_value => v = json!(base64::engine::general_purpose::STANDARD.encode(x)),
                2 => v = string(x),
                _ => {}
            }
        }
    }
    (k, v)
}

fn insert_map(obj: &mut Map<String, Value>, key: &str, b: &[u8], bytes_value: bool) {
    let (k, v) = map_entry(b, bytes_value);
    if let Some(m) = obj
        .entry(key.to_string())
        .or_insert_with(|| json!({}))
        .as_object_mut()
    {
        m.insert(k, v);
    }
}

fn object_meta(b: &[u8]) -> Value {
    let mut m = Map::new();
    for (n, f) in fields(b) {
        match (n, f) {
            (1, Field::Bytes(x)) => {
                m.insert("name".into(), string(x));
            }
            (2, Field::Bytes(x)) => {
                m.insert("generateName".into(), string(x));
            }
            (3, Field::Bytes(x)) => {
                m.insert("namespace".into(), string(x));
            }
            (6, Field::Bytes(x)) => {
                m.insert("resourceVersion".into(), string(x));
            }
            (11, Field::Bytes(x)) => insert_map(&mut m, "labels", x, false),
            (12, Field::Bytes(x)) => insert_map(&mut m, "annotations", x, false),
            (14, Field::Bytes(x)) => {
                if let Some(a) = m
                    .entry("finalizers")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                {
                    a.push(string(x));
                }
            }
            _ => {}
        }
    }
    m.retain(|_, v| !matches!(v, Value::String(s) if s.is_empty()));
    Value::Object(m)
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
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    let simple = matches!(
        (api_version.as_str(), kind.as_str()),
        (
            "v1",
            "Namespace" | "ConfigMap" | "Secret" | "ServiceAccount"
        )
    );
    if !simple {
        return Err(format!(
            "protobuf encoding of {api_version} {kind} is not supported by the emulator; use JSON"
        ));
    }
    for (n, f) in fields(raw) {
        match (kind.as_str(), n, f) {
            (_, 1, Field::Bytes(x)) => {
                obj.insert("metadata".into(), object_meta(x));
            }
            ("Namespace", 2, Field::Bytes(x)) => {
                let fin: Vec<Value> = fields(x)
                    .into_iter()
                    .filter_map(|(n, f)| match (n, f) {
                        (1, Field::Bytes(s)) => Some(string(s)),
                        _ => None,
                    })
                    .collect();
                obj.insert("spec".into(), json!({"finalizers": fin}));
            }
            ("ConfigMap", 2, Field::Bytes(x)) => insert_map(&mut obj, "data", x, false),
            ("ConfigMap", 3, Field::Bytes(x)) => insert_map(&mut obj, "binaryData", x, true),
            ("ConfigMap", 4, Field::Varint(v)) | ("Secret", 5, Field::Varint(v)) => {
                obj.insert("immutable".into(), json!(v != 0));
            }
            ("Secret", 2, Field::Bytes(x)) => insert_map(&mut obj, "data", x, true),
            ("Secret", 3, Field::Bytes(x)) => {
                obj.insert("type".into(), string(x));
            }
            ("Secret", 4, Field::Bytes(x)) => insert_map(&mut obj, "stringData", x, false),
            ("ServiceAccount", 4, Field::Varint(v)) => {
                obj.insert("automountServiceAccountToken".into(), json!(v != 0));
            }
            _ => {}
        }
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
    fn refuses_complex_kinds() {
        let tm = [ld(1, b"apps/v1"), ld(2, b"Deployment")].concat();
        let body = [MAGIC.to_vec(), ld(1, &tm)].concat();
        assert!(
            decode(&body)
                .expect_err("unsupported")
                .contains("apps/v1 Deployment")
        );
        assert!(decode(b"junk").is_err());
    }
}

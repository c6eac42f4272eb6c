//! Reads: one object, lists with label and field selectors, and paging with `limit` and
//! `continue` tokens; list bodies are serialized straight from storage.

use serde_json::Value;

use super::{ObjKey, Store};
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::{ApiError, ApiResult};

/// `limit` and `continue` of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many items (0: all).
    pub limit: usize,
    /// Start after this object (decoded from the `continue` token).
    pub after: Option<ObjKey>,
}

impl Page {
    /// Parses the `limit` and `continue` query parameters.
    pub fn parse(limit: Option<&str>, cont: Option<&str>) -> ApiResult<Self> {
        use base64::Engine;
        let limit = match limit {
            None | Some("") => 0,
            Some(l) => l
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
        };
        let after = match cont {
            None | Some("") => None,
            Some(c) => {
                let bad =
                    || ApiError::bad_request("continue key is not valid: illegal base64 data");
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(c)
                    .map_err(|_| bad())?;
                let (ns, name): (String, String) =
                    serde_json::from_slice(&raw).map_err(|_| bad())?;
                Some((ns, name))
            }
        };
        Ok(Self { limit, after })
    }

    fn token(key: &ObjKey) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&(&key.0, &key.1)).unwrap_or_default())
    }
}

/// What a paged list says about the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct More {
    /// The `continue` token, if items remain.
    pub token: Option<String>,
    /// `remainingItemCount`.
    pub remaining: Option<usize>,
}

impl Store {
    /// Objects of a resource in a namespace (all namespaces if `None`) matching selectors.
    pub fn list(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Vec<Value> {
        let key = Self::key(rt);
        self.all_of(&key)
            .filter(|((n, _), _)| ns.is_none_or(|want| want == n))
            .filter(|(_, v)| labels.matches(v.pointer("/metadata/labels")) && fields.matches(v))
            .map(|(_, v)| Self::present(rt, version, v.clone()))
            .collect()
    }

    fn select<'a>(
        &'a self,
        rt: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        page: &Page,
    ) -> (Vec<&'a Value>, More) {
        use std::ops::Bound;
        let key = Self::key(rt);
        let Some(map) = self.objects.get(&key) else {
            return (Vec::new(), More::default());
        };
        let lower = match &page.after {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        let mut matching = map
            .range((lower, Bound::Unbounded))
            .filter(|((n, _), _)| ns.is_none_or(|want| want == n))
            .filter(|(_, v)| labels.matches(v.pointer("/metadata/labels")) && fields.matches(v));
        let mut out = Vec::new();
        let mut last = None;
        for (k, v) in matching.by_ref() {
            if page.limit > 0 && out.len() == page.limit {
                // One more exists: count the rest and hand out a token.
                let remaining = 1 + matching.count();
                return (
                    out,
                    More {
                        token: last.map(Page::token),
                        remaining: Some(remaining),
                    },
                );
            }
            out.push(v);
            last = Some(k);
        }
        (out, More::default())
    }

    /// One page of a list, objects as served at a version.
    pub fn list_paged(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        page: &Page,
    ) -> (Vec<Value>, More) {
        let (items, more) = self.select(rt, ns, labels, fields, page);
        (
            items
                .into_iter()
                .map(|v| Self::present(rt, version, v.clone()))
                .collect(),
            more,
        )
    }

    /// The JSON body of a list (`kind: XList`), serialized straight from the stored objects
    /// without copying them: built-in items carry no apiVersion/kind (as typed lists on the
    /// wire), custom resources carry the requested version.
    pub fn list_json(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        page: &Page,
    ) -> Vec<u8> {
        struct Item<'a> {
            obj: &'a Value,
            api_version: Option<&'a str>,
            kind: &'a str,
        }
        impl serde::Serialize for Item<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let Some(m) = self.obj.as_object() else {
                    return self.obj.serialize(s);
                };
                let mut out = s.serialize_map(None)?;
                if let Some(av) = self.api_version {
                    out.serialize_entry("apiVersion", av)?;
                    out.serialize_entry("kind", self.kind)?;
                }
                for (k, v) in m {
                    if k != "apiVersion" && k != "kind" {
                        out.serialize_entry(k, v)?;
                    }
                }
                out.end()
            }
        }
        let av = rt.api_version(version);
        let (selected, more) = self.select(rt, ns, labels, fields, page);
        let items: Vec<Item<'_>> = selected
            .into_iter()
            .map(|v| Item {
                obj: v,
                api_version: rt.crd.is_some().then_some(av.as_str()),
                kind: &rt.kind,
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Meta {
            #[serde(rename = "resourceVersion")]
            resource_version: String,
            #[serde(rename = "continue", skip_serializing_if = "Option::is_none")]
            token: Option<String>,
            #[serde(rename = "remainingItemCount", skip_serializing_if = "Option::is_none")]
            remaining: Option<usize>,
        }
        #[derive(serde::Serialize)]
        struct List<'a> {
            #[serde(rename = "apiVersion")]
            api_version: &'a str,
            kind: &'a str,
            metadata: Meta,
            items: Vec<Item<'a>>,
        }
        let list = List {
            api_version: &av,
            kind: &rt.list_kind,
            metadata: Meta {
                resource_version: self.rv.to_string(),
                token: more.token,
                remaining: more.remaining,
            },
            items,
        };
        serde_json::to_vec(&list).unwrap_or_default()
    }

    /// One object as served at a version.
    pub fn get(&self, rt: &ResourceType, version: &str, ns: &str, name: &str) -> ApiResult<Value> {
        let ns = if rt.namespaced { ns } else { "" };
        self.get_raw(&Self::key(rt), &(ns.to_string(), name.to_string()))
            .map(|v| Self::present(rt, version, v.clone()))
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }
}

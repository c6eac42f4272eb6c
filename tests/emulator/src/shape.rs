//! A view of "the schema at this point of an object", the same for built-in kinds (the
//! vendored schema, [`kchart_schema::Node`]) and custom resources (the CRD's
//! `openAPIV3Schema`, raw JSON). Patches, field ownership and validation walk objects with it.

use kchart_schema::{ListType, MapType, Node};
use serde_json::Value;

/// Definitions with a string field named `description` that the vendored schema does not
/// list: its generator drops every `description` key to shed the documentation texts, and
/// these fields went with them. Without this, a CRD with descriptions in its schema (most
/// of them) would be rejected by strict validation and stripped by the others.
const DESCRIPTION_FIELD: &[&str] = &[
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceColumnDefinition",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ExternalDocumentation",
    "io.k8s.api.scheduling.v1.PriorityClass",
];

fn lost_description(n: &Node<'_>, name: &str) -> bool {
    // Compared by identity: a kind's own node is its definition, not a `$ref` to it.
    name == "description"
        && DESCRIPTION_FIELD.iter().any(|d| {
            kchart_schema::schema()
                .definition(d)
                .is_some_and(|def| std::ptr::eq(def.resolved(), n.resolved()))
        })
}

/// The schema at one point of an object, or `Unknown` where there is none.
#[derive(Clone, Copy, Debug)]
pub enum Shape<'a> {
    /// A node of a built-in type.
    Builtin(Node<'a>),
    /// A node of a CRD's structural schema.
    Crd(&'a Value),
    /// No schema: maps merge, lists are atomic, any field is allowed.
    Unknown,
}

impl<'a> Shape<'a> {
    /// The schema of a field of an object (or of a map value).
    pub fn child(&self, name: &str) -> Shape<'a> {
        match self {
            Shape::Builtin(n) => n.child(name).map(Shape::Builtin).unwrap_or(Shape::Unknown),
            Shape::Crd(v) => {
                if let Some(p) = v.get("properties").and_then(|p| p.get(name)) {
                    Shape::Crd(p)
                } else if let Some(ap) = v.get("additionalProperties").filter(|a| a.is_object()) {
                    Shape::Crd(ap)
                } else if name == "metadata" && v.get("properties").is_some() {
                    // The structural schema of a CR does not describe metadata; use ObjectMeta.
                    kchart_schema::schema()
                        .definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
                        .map(Shape::Builtin)
                        .unwrap_or(Shape::Unknown)
                } else {
                    Shape::Unknown
                }
            }
            Shape::Unknown => Shape::Unknown,
        }
    }

    /// The schema of list elements.
    pub fn items(&self) -> Shape<'a> {
        match self {
            Shape::Builtin(n) => n.items().map(Shape::Builtin).unwrap_or(Shape::Unknown),
            Shape::Crd(v) => v.get("items").map(Shape::Crd).unwrap_or(Shape::Unknown),
            Shape::Unknown => Shape::Unknown,
        }
    }

    /// Whether the node declares named properties (a struct), as opposed to a free map.
    pub fn is_struct(&self) -> bool {
        match self {
            Shape::Builtin(n) => n.properties().next().is_some(),
            Shape::Crd(v) => v.get("properties").is_some(),
            Shape::Unknown => false,
        }
    }

    /// Whether unknown fields are allowed here (free maps, `x-kubernetes-preserve-unknown-fields`).
    pub fn allows_unknown(&self) -> bool {
        match self {
            Shape::Builtin(n) => {
                n.additional_properties().is_some()
                    || !n.is_object()
                    || n.properties().next().is_none()
            }
            Shape::Crd(v) => {
                v.get("x-kubernetes-preserve-unknown-fields")
                    .and_then(Value::as_bool)
                    == Some(true)
                    || v.get("additionalProperties")
                        .is_some_and(|a| a.is_object() || a == &Value::Bool(true))
                    || v.get("properties").is_none()
            }
            Shape::Unknown => true,
        }
    }

    /// Whether the field exists in the schema of this struct.
    pub fn has_property(&self, name: &str) -> bool {
        match self {
            Shape::Builtin(n) => n.property(name).is_some() || lost_description(n, name),
            Shape::Crd(v) => v.get("properties").and_then(|p| p.get(name)).is_some(),
            Shape::Unknown => true,
        }
    }

    /// The server-side-apply list type; built-in lists with a merge key count as `map`.
    pub fn list_type(&self) -> ListType {
        match self {
            Shape::Builtin(n) => match n.list_type() {
                Some(t) => t,
                None if n.patch_merge_key().is_some() => ListType::Map,
                None => ListType::Atomic,
            },
            Shape::Crd(v) => match v.get("x-kubernetes-list-type").and_then(Value::as_str) {
                Some("map") => ListType::Map,
                Some("set") => ListType::Set,
                _ => ListType::Atomic,
            },
            Shape::Unknown => ListType::Atomic,
        }
    }

    /// The keys of a `map` list.
    pub fn list_map_keys(&self) -> Vec<String> {
        match self {
            Shape::Builtin(n) => {
                let keys = n.list_map_keys();
                if keys.is_empty() {
                    n.patch_merge_key()
                        .map(|k| vec![k.to_string()])
                        .unwrap_or_default()
                } else {
                    keys.into_iter().map(String::from).collect()
                }
            }
            Shape::Crd(v) => v
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            Shape::Unknown => Vec::new(),
        }
    }

    /// Whether the map is owned as a whole.
    pub fn is_atomic_map(&self) -> bool {
        match self {
            Shape::Builtin(n) => n.map_type() == Some(MapType::Atomic),
            Shape::Crd(v) => {
                v.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic")
            }
            Shape::Unknown => false,
        }
    }

    /// The underlying built-in node, if any.
    pub fn node(&self) -> Option<Node<'a>> {
        match self {
            Shape::Builtin(n) => Some(*n),
            _ => None,
        }
    }
}

//! Property tests of the readers of untrusted input and of the merge engine: whatever the
//! input, no panic, results within the limits of [`crate::yaml`], and errors of one line.
//! Case counts are small and fixed so the suite stays fast.

use std::io::Read as _;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::chart::{self, strvals};
use crate::{manifest, merge, yaml};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// How many maps and lists nest in `value` (a scalar is 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Text made of the characters that matter to YAML, in runs long enough to nest.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("- ".to_owned()),
        Just("a: ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just(", ".to_owned()),
        Just("&x ".to_owned()),
        Just("*x".to_owned()),
        Just("<<: ".to_owned()),
        Just("---\n".to_owned()),
        Just("'q'".to_owned()),
        Just("\"d\\n\"".to_owned()),
        Just("|\n  t\n".to_owned()),
        Just("!!str ".to_owned()),
        Just("kind: List\n".to_owned()),
        Just("items: ".to_owned()),
        Just("1.5e3".to_owned()),
        Just("yes".to_owned()),
        Just("#c".to_owned()),
        "[a-z0-9]{1,3}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

/// `n` maps and lists nested, in one of the ways YAML can write them.
fn nested(n: usize, style: u8) -> String {
    match style % 3 {
        0 => format!("a: {}1{}\n", "[".repeat(n), "]".repeat(n)),
        1 => format!("a:\n{}1\n", "- ".repeat(n)),
        _ => {
            let mut text = String::new();
            for level in 0..n {
                text.push_str(&format!("{}k:\n", "  ".repeat(level)));
            }
            text.push_str(&format!("{}k: 1\n", "  ".repeat(n)));
            text
        }
    }
}

/// JSON values without nulls in maps and without `$` keys: what merging is defined on.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-c]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Whether `outer` holds everything `inner` does: maps may have more keys.
fn covers(outer: &Value, inner: &Value) -> bool {
    match (outer, inner) {
        (Value::Object(o), Value::Object(i)) => i
            .iter()
            .all(|(k, v)| o.get(k).is_some_and(|have| covers(have, v))),
        (Value::Array(o), Value::Array(i)) => {
            o.len() == i.len() && o.iter().zip(i).all(|(a, b)| covers(a, b))
        }
        _ => outer == inner,
    }
}

fn object(spec: Value) -> Value {
    serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "spec": spec})
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn values_yaml_never_panics_and_stays_within_limits(text in yamlish()) {
        match chart::parse_values_yaml(Path::new("v.yaml"), text.as_bytes()) {
            Ok(values) => prop_assert!(depth(&Value::Object(values)) <= yaml::MAX_DEPTH),
            Err(err) => prop_assert!(!err.to_string().contains('\n'), "{err}"),
        }
    }

    #[test]
    fn values_yaml_nesting_is_refused_exactly_past_the_limit(n in 90usize..400, style in 0u8..3) {
        // `a` is the first level: the top map holds it.
        let result = chart::parse_values_yaml(Path::new("v.yaml"), nested(n, style).as_bytes());
        if n < yaml::MAX_DEPTH {
            let values = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(depth(&Value::Object(values)), n + 1);
        } else {
            let err = result.err().map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(err.contains("deeper than the limit"), "{}", err);
        }
    }

    #[test]
    fn set_flags_never_panic_and_stay_within_limits(
        arg in "[a-c0-2.,=\\[\\]{}\\\\ ]{0,80}",
        kind in prop_oneof![
            Just(strvals::Kind::Set),
            Just(strvals::Kind::String),
            Just(strvals::Kind::Json),
            Just(strvals::Kind::Literal),
            Just(strvals::Kind::File),
        ],
    ) {
        let mut dest = Map::new();
        let mut read = |name: &str| Ok::<_, String>(name.to_owned());
        match strvals::parse_into(kind, &arg, &mut dest, &mut read) {
            Ok(()) => prop_assert!(depth(&Value::Object(dest)) <= yaml::MAX_DEPTH),
            Err(message) => prop_assert!(!message.contains('\n'), "{}", message),
        }
    }

    #[test]
    fn set_list_nesting_is_refused_past_the_limit(n in 1usize..300) {
        let arg = format!("a{}=1", "[0]".repeat(n));
        let mut dest = Map::new();
        let result = strvals::parse_into(strvals::Kind::Set, &arg, &mut dest, &mut |_| Ok(String::new()));
        prop_assert_eq!(result.is_ok(), n < yaml::MAX_DEPTH);
    }

    #[test]
    fn manifests_never_panic_and_objects_are_valid(text in yamlish()) {
        match manifest::parse("t.yaml", &text) {
            Ok(objects) => {
                for object in objects {
                    prop_assert!(!object.api_version().is_empty() && !object.kind().is_empty());
                    prop_assert!(depth(&object.value) <= yaml::MAX_DEPTH);
                }
            }
            Err(err) => prop_assert!(!err.to_string().contains('\n'), "{err}"),
        }
    }

    #[test]
    fn a_list_stands_for_exactly_its_items(names in prop::collection::vec("[a-z]{1,8}", 0..20)) {
        let items: Vec<Value> = names
            .iter()
            .map(|n| serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}}))
            .collect();
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        let objects = manifest::parse("t.yaml", &yaml::to_string(&list))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: Vec<&str> = objects.iter().map(|o| o.name()).collect();
        prop_assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn merging_an_object_with_itself_and_its_last_applied_changes_nothing(spec in json_value()) {
        let object = object(spec);
        prop_assert_eq!(merge::merge(Some(&object), Some(&object), &object, None), object);
    }

    #[test]
    fn a_merge_is_idempotent(last in json_value(), live in json_value(), desired in json_value()) {
        let (last, live, desired) = (object(last), object(live), object(desired));
        let once = merge::merge(Some(&last), Some(&live), &desired, None);
        let twice = merge::merge(Some(&last), Some(&once), &desired, None);
        prop_assert_eq!(&twice, &once);
        // And what was desired is there (live may hold more: fields no one applied).
        prop_assert!(covers(&once["spec"], &desired["spec"]), "{once} lacks {desired}");
    }

    #[test]
    fn chart_archives_of_any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("c.tgz");
        // Half the cases: a real gzip stream around the bytes, so tar parsing is reached.
        let mut gz = flate2::read::GzEncoder::new(&bytes[..], flate2::Compression::fast());
        let mut packed = Vec::new();
        gz.read_to_end(&mut packed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for content in [&bytes, &packed] {
            std::fs::write(&path, content).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if let Err(err) = chart::load(&path) {
                prop_assert!(!err.to_string().contains('\n'), "{err}");
            }
        }
    }

    #[test]
    fn chart_archives_of_any_entries_load_or_fail_cleanly(
        entries in prop::collection::vec(("(c|d|\\.\\.)(/[a-zA-Z._]{1,12}){0,3}", 0u64..3000), 0..12),
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("c.tgz");
        let file = std::fs::File::create(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
        for (name, size) in &entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(*size);
            header.set_mode(0o644);
            header.set_cksum();
            // Names the tar writer itself refuses (`..`) are simply not in the archive.
            let _ = tar.append_data(&mut header, name, std::io::repeat(b'a').take(*size));
        }
        let finished = tar.into_inner().and_then(|gz| gz.finish());
        prop_assert!(finished.is_ok());
        match chart::load(&path) {
            Ok(chart) => prop_assert!(chart.files.values().all(|f| f.len() as u64 <= chart::load::MAX_FILE_SIZE)),
            Err(err) => prop_assert!(!err.to_string().contains('\n'), "{err}"),
        }
    }
}

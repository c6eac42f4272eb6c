//! Image rules: images must name a version, not float on `latest`.

use super::pod::pod_spec;
use super::{Context, Hit, Rule};
use crate::lint::{Severity, path};
use crate::manifest::Object;

pub(super) const RULES: &[Rule] = &[Rule {
    id: "latest-tag",
    severity: Severity::Warning,
    description: "Container images must be pinned to a version tag or digest, not `latest` or no tag",
    check: latest_tag,
}];

/// What an image reference pins.
#[derive(Debug, PartialEq, Eq)]
enum Pin<'a> {
    Digest,
    Tag(&'a str),
    Nothing,
}

fn pin(image: &str) -> Pin<'_> {
    if image.contains('@') {
        return Pin::Digest;
    }
    // A `:` before the last `/` is a registry port (`registry:5000/app`), not a tag.
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => Pin::Tag(tag),
        None => Pin::Nothing,
    }
}

fn latest_tag(object: &Object, _: &Context<'_>) -> Vec<Hit> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for container in spec.containers() {
        let Some(image) = container.value.get("image").and_then(|v| v.as_str()) else {
            continue;
        };
        let image = image.trim();
        let problem = match pin(image) {
            Pin::Digest => continue,
            Pin::Tag(tag) if tag != "latest" && !tag.is_empty() => continue,
            Pin::Tag(_) => "uses the `latest` tag",
            Pin::Nothing => "has no tag, which means `latest`",
        };
        hits.push(Hit::new(
            path::key(&container.path, "image"),
            format!(
                "{} image `{image}` {problem}, so what runs changes without a deploy; pin a version tag or a digest (`@sha256:...`)",
                container.describe()
            ),
        ));
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_table, deployment, pod};
    use super::*;

    #[test]
    fn parses_image_pins() {
        let cases = [
            ("nginx", Pin::Nothing),
            ("nginx:1.27", Pin::Tag("1.27")),
            ("nginx:latest", Pin::Tag("latest")),
            ("registry:5000/team/app", Pin::Nothing),
            ("registry:5000/team/app:v2", Pin::Tag("v2")),
            ("nginx@sha256:abc", Pin::Digest),
            ("nginx:latest@sha256:abc", Pin::Digest),
        ];
        for (image, want) in cases {
            assert_eq!(pin(image), want, "{image}");
        }
    }

    #[test]
    fn latest_tag() {
        let c = "$.spec.containers[0].image";
        check_table(&[
            (
                "tagged",
                "latest-tag",
                &pod(r#"{containers: [{name: a, image: "nginx:1.27"}]}"#),
                &[],
            ),
            (
                "latest",
                "latest-tag",
                &pod(r#"{containers: [{name: a, image: "nginx:latest"}]}"#),
                &[c],
            ),
            (
                "no tag",
                "latest-tag",
                &pod("{containers: [{name: a, image: nginx}]}"),
                &[c],
            ),
            (
                "digest",
                "latest-tag",
                &pod(r#"{containers: [{name: a, image: "nginx@sha256:0123"}]}"#),
                &[],
            ),
            (
                "port no tag",
                "latest-tag",
                &pod(r#"{containers: [{name: a, image: "reg:5000/app"}]}"#),
                &[c],
            ),
            (
                "port and tag",
                "latest-tag",
                &pod(r#"{containers: [{name: a, image: "reg:5000/app:1"}]}"#),
                &[],
            ),
            (
                "no image",
                "latest-tag",
                &pod("{containers: [{name: a}]}"),
                &[],
            ),
            (
                "init container",
                "latest-tag",
                &pod(
                    r#"{containers: [{name: a, image: "x:1"}], initContainers: [{name: i, image: busybox}]}"#,
                ),
                &["$.spec.initContainers[0].image"],
            ),
            (
                "deployment second container",
                "latest-tag",
                &deployment(
                    r#"{containers: [{name: a, image: "x:1"}, {name: b, image: "y:latest"}]}"#,
                ),
                &["$.spec.template.spec.containers[1].image"],
            ),
        ]);
    }
}

//! The template cache: Handlebars templates compiled once per chart content.
//!
//! handlebars-rust parses every template on every run, which was most of a Handlebars chart's
//! render time. So the compiled templates of a render (every template of every Handlebars
//! chart of the tree, partials' guards included) are kept on disk, as one authenticated entry
//! ([`crate::cache::Store`], the user's key, like compiled plugins) per content: the entry
//! key is the SHA-256 of the names and texts of all those templates, this kubectl-chart's
//! version and a fingerprint of how this build compiles (handlebars' parser and our
//! post-processing). Any change to any template is a new entry; the folder keeps the
//! [`MAX_ENTRIES`] newest.
//!
//! `$XDG_CACHE_HOME/kubectl-chart/templates` (else `~/.cache/...`);
//! `KUBECTL_CHART_NO_CACHE=1` turns this cache and the plugin cache off.

use std::sync::OnceLock;

use handlebars::Template as HbTemplate;
use sha2::{Digest, Sha256};

use super::{Result, compile, compiled};
use crate::cache::{KEY_LEN, Kind, Store};

const KIND: Kind = Kind {
    // Bumped whenever the payload's layout (the mirror of `compiled`) changes.
    magic: b"kchart-hbs-v1\n\n\n",
    extension: "hbsc",
    label: "compiled-template",
    compiled: "Handlebars templates",
    // Compiled templates take a few times their text; charts are capped far below this.
    max_entry_bytes: 512 * 1024 * 1024,
};

/// How many entries the folder keeps: older ones are removed when a new one is written.
pub const MAX_ENTRIES: usize = 64;

fn store() -> Option<&'static Store> {
    static STORE: OnceLock<Option<Store>> = OnceLock::new();
    STORE
        .get_or_init(|| Store::from_env(KIND, "templates"))
        .as_ref()
}

/// The compiled form of every `(name, text)` of `sources`, in order: from the cache when this
/// user's kubectl-chart compiled the same templates before, else compiled (on every core)
/// and stored. A syntax error is the first in `sources`' order, as without a cache.
pub(super) fn compile_all(sources: &[(String, &str)]) -> Result<Vec<HbTemplate>> {
    let Some(store) = store() else {
        return compile_sources(sources);
    };
    let entry = entry_key(sources);
    let subject = format!(
        "for `{}`",
        sources
            .first()
            .map(|(name, _)| name.split('/').next().unwrap_or(name))
            .unwrap_or("(no templates)")
    );
    let start = std::time::Instant::now();
    let cached = store
        .load(&entry, &subject)
        .and_then(|bytes| match compiled::decode(&bytes) {
            Ok(templates) if templates.len() == sources.len() => Some(templates),
            Ok(_) => {
                store.reject(&entry, &subject, "holds another number of templates".into());
                None
            }
            Err(err) => {
                store.reject(&entry, &subject, format!("could not be loaded ({err})"));
                None
            }
        });
    let templates = match cached {
        Some(templates) => {
            crate::verbose!(
                "loaded {} compiled Handlebars templates from the cache in {}",
                templates.len(),
                crate::log::ms(start)
            );
            templates
        }
        None => {
            let templates = compile_sources(sources)?;
            match compiled::encode(&templates) {
                Some(bytes) => {
                    store.store(&entry, || Ok(bytes));
                    store.prune(MAX_ENTRIES);
                }
                None => crate::verbose!(
                    "these Handlebars templates cannot be cached (a construct the cache does not carry); they are compiled on every run"
                ),
            }
            templates
        }
    };
    for warning in store.take_warnings() {
        crate::log::warning(&warning);
    }
    Ok(templates)
}

fn compile_sources(sources: &[(String, &str)]) -> Result<Vec<HbTemplate>> {
    super::super::parallel_map(sources, |(name, text)| compile(name, text))
        .into_iter()
        .collect()
}

/// SHA-256 of what the compiled templates depend on: this build (version, parser and
/// post-processing fingerprint) and every template's name and text, each length-prefixed.
fn entry_key(sources: &[(String, &str)]) -> [u8; KEY_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(b"kubectl-chart handlebars templates\0");
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update([0]);
    hasher.update(fingerprint());
    hasher.update((sources.len() as u64).to_le_bytes());
    for (name, text) in sources {
        for part in [name.as_bytes(), text.as_bytes()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    hasher.finalize().into()
}

/// A digest of what this build makes of a template using every construct the cache carries,
/// partials' guards included: it changes with handlebars' parser, its types, or our
/// post-processing, so entries of another build are never looked at.
fn fingerprint() -> &'static [u8; 32] {
    static FINGERPRINT: OnceLock<[u8; 32]> = OnceLock::new();
    FINGERPRINT.get_or_init(|| {
        const PROBE: &str = "a {{x}} {{{y}}} {{! c }}\n  {{#if (eq a.b \"s\" 1 true null) k=v}}\n\
            {{> p z=1}}{{else if q}}{{/if}}\n{{#each l as |e i|}}{{@index}}{{../w}}{{/each}}\n\
            {{#*inline \"n\"}}t{{/inline}}{{#> p}}d{{/p}}{{~ f ~}}\\{{raw}}";
        let compiled = compile("probe", PROBE).map(|t| format!("{t:?}"));
        Sha256::digest(format!("{compiled:?}").as_bytes()).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_covers_names_texts_and_their_boundaries() {
        let key = |sources: &[(&str, &str)]| {
            let owned: Vec<(String, &str)> =
                sources.iter().map(|(n, t)| (n.to_string(), *t)).collect();
            entry_key(&owned)
        };
        let base = key(&[("c/templates/a.yaml", "x"), ("c/templates/b.yaml", "y")]);
        assert_eq!(
            base,
            key(&[("c/templates/a.yaml", "x"), ("c/templates/b.yaml", "y")])
        );
        for other in [
            key(&[("c/templates/a.yaml", "x"), ("c/templates/b.yaml", "z")]),
            key(&[("c/templates/a.yaml", "x"), ("c/templates/c.yaml", "y")]),
            key(&[("c/templates/b.yaml", "y"), ("c/templates/a.yaml", "x")]),
            key(&[("c/templates/a.yaml", "xc/templates/b.yaml"), ("", "y")]),
            key(&[("c/templates/a.yaml", "x")]),
        ] {
            assert_ne!(base, other);
        }
        assert_eq!(fingerprint(), fingerprint());
    }
}

//! Compiled Handlebars templates as bytes, for the template cache.
//!
//! handlebars-rust has no serialised form of its `Template`, and builds some of its parts only
//! through constructors. So a compiled template is mirrored here by plain serde types, encoded
//! with postcard, and rebuilt through handlebars' public constructors: paths from their raw
//! text (`Path::parse`, once per distinct path), the one flag it keeps private
//! (`indent_before_write`) read back by comparing against both constructions.
//!
//! [`encode`] only returns bytes that [`decode`] turns back into a template equal to the
//! original (handlebars' own `PartialEq`, which sees every field): a construct the mirror does
//! not carry, or a future handlebars that builds differently, is never cached, just compiled.

use std::collections::HashMap;
use std::sync::OnceLock;

use handlebars::template::{
    BlockParam, DecoratorTemplate, ExpressionSpec, ExpressionSpecBuilder, HelperTemplate,
    Parameter, Subexpression, TemplateElement, TemplateMapping,
};
use handlebars::{Path, Template};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Tpl {
    name: Option<String>,
    elements: Vec<Element>,
    mapping: Vec<(usize, usize)>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Element {
    Raw(String),
    Html(Box<Helper>),
    Expression(Box<Helper>),
    HelperBlock(Box<Helper>),
    DecoratorExpression(Box<Decorator>),
    DecoratorBlock(Box<Decorator>),
    PartialExpression(Box<Decorator>),
    PartialBlock(Box<Decorator>),
    Comment(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Helper {
    name: Param,
    params: Vec<Param>,
    hash: Vec<(String, Param)>,
    block_param: Option<BlockParams>,
    template: Option<Tpl>,
    inverse: Option<Tpl>,
    block: bool,
    chain: bool,
    indent_before_write: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Decorator {
    name: Param,
    params: Vec<Param>,
    hash: Vec<(String, Param)>,
    template: Option<Tpl>,
    indent: Option<String>,
    indent_before_write: bool,
}

#[derive(Debug, Serialize, Deserialize)]
enum Param {
    Name(String),
    /// The path's raw text, parsed again on decoding.
    Path(String),
    /// The literal as JSON text (postcard cannot carry a self-describing value).
    Literal(String),
    Subexpression(Box<Element>),
}

#[derive(Debug, Serialize, Deserialize)]
enum BlockParams {
    Single(Param),
    Pair(Param, Param),
}

/// The bytes of `templates`, or `None` when one of them would not come back equal.
pub(super) fn encode(templates: &[Template]) -> Option<Vec<u8>> {
    // Each template is encoded on its own, so that decoding can share them out among threads.
    let blobs: Vec<Vec<u8>> = templates
        .iter()
        .map(|t| postcard::to_stdvec(&mirror_template(t.clone())?).ok())
        .collect::<Option<_>>()?;
    let bytes = postcard::to_stdvec(&blobs).ok()?;
    // Decoded again and compared: only what provably round-trips is ever stored.
    let decoded = decode(&bytes).ok()?;
    (decoded.as_slice() == templates).then_some(bytes)
}

/// The templates of bytes [`encode`] produced, decoded on every core.
pub(super) fn decode(bytes: &[u8]) -> Result<Vec<Template>, String> {
    let blobs: Vec<&[u8]> = postcard::from_bytes(bytes).map_err(|err| err.to_string())?;
    let chunk = crate::render::chunk_len(blobs.len(), 8);
    let mut templates = Vec::with_capacity(blobs.len());
    for part in crate::render::on_threads(blobs.chunks(chunk), |chunk| {
        let mut rebuild = Rebuild::default();
        chunk
            .iter()
            .map(|blob| {
                let mirrored: Tpl = postcard::from_bytes(blob).map_err(|err| err.to_string())?;
                rebuild.template(mirrored)
            })
            .collect::<Result<Vec<_>, String>>()
    }) {
        templates.extend(part.map_err(|err| err.to_string())??);
    }
    Ok(templates)
}

fn mirror_template(template: Template) -> Option<Tpl> {
    Some(Tpl {
        mapping: template.mapping.iter().map(|m| (m.0, m.1)).collect(),
        elements: template
            .elements
            .into_iter()
            .map(mirror_element)
            .collect::<Option<_>>()?,
        name: template.name,
    })
}

/// `Some(None)` for no template, `None` when the template cannot be mirrored.
fn mirror_optional(template: Option<Template>) -> Option<Option<Tpl>> {
    match template {
        None => Some(None),
        Some(t) => mirror_template(t).map(Some),
    }
}

fn mirror_element(element: TemplateElement) -> Option<Element> {
    Some(match element {
        TemplateElement::RawString(text) => Element::Raw(text),
        TemplateElement::Comment(text) => Element::Comment(text),
        TemplateElement::HtmlExpression(h) => Element::Html(Box::new(mirror_helper(*h)?)),
        TemplateElement::Expression(h) => Element::Expression(Box::new(mirror_helper(*h)?)),
        TemplateElement::HelperBlock(h) => Element::HelperBlock(Box::new(mirror_helper(*h)?)),
        TemplateElement::DecoratorExpression(d) => {
            Element::DecoratorExpression(Box::new(mirror_decorator(*d)?))
        }
        TemplateElement::DecoratorBlock(d) => {
            Element::DecoratorBlock(Box::new(mirror_decorator(*d)?))
        }
        TemplateElement::PartialExpression(d) => {
            Element::PartialExpression(Box::new(mirror_decorator(*d)?))
        }
        TemplateElement::PartialBlock(d) => Element::PartialBlock(Box::new(mirror_decorator(*d)?)),
        _ => return None,
    })
}

fn mirror_helper(mut helper: HelperTemplate) -> Option<Helper> {
    let template = helper.template.take();
    let inverse = helper.inverse.take();
    // The private flag: whichever construction gives back this very helper.
    let indent_before_write = [false, true].into_iter().find(|&flag| {
        let mut candidate = HelperTemplate::new(
            spec(
                helper.name.clone(),
                helper.params.clone(),
                helper.hash.clone(),
                helper.block_param.clone(),
            ),
            helper.block,
            flag,
        );
        candidate.chain = helper.chain;
        candidate == helper
    })?;
    Some(Helper {
        name: mirror_param(helper.name)?,
        params: mirror_params(helper.params)?,
        hash: mirror_hash(helper.hash)?,
        block_param: match helper.block_param {
            None => None,
            Some(BlockParam::Single(p)) => Some(BlockParams::Single(mirror_param(p)?)),
            Some(BlockParam::Pair((a, b))) => {
                Some(BlockParams::Pair(mirror_param(a)?, mirror_param(b)?))
            }
            Some(_) => return None,
        },
        template: mirror_optional(template)?,
        inverse: mirror_optional(inverse)?,
        block: helper.block,
        chain: helper.chain,
        indent_before_write,
    })
}

fn mirror_decorator(mut decorator: DecoratorTemplate) -> Option<Decorator> {
    let template = decorator.template.take();
    let indent = decorator.indent.take();
    let indent_before_write = [false, true].into_iter().find(|&flag| {
        DecoratorTemplate::new(
            spec(
                decorator.name.clone(),
                decorator.params.clone(),
                decorator.hash.clone(),
                None,
            ),
            flag,
        ) == decorator
    })?;
    Some(Decorator {
        name: mirror_param(decorator.name)?,
        params: mirror_params(decorator.params)?,
        hash: mirror_hash(decorator.hash)?,
        template: mirror_optional(template)?,
        indent,
        indent_before_write,
    })
}

fn mirror_params(params: Vec<Parameter>) -> Option<Vec<Param>> {
    params.into_iter().map(mirror_param).collect()
}

fn mirror_hash(hash: HashMap<String, Parameter>) -> Option<Vec<(String, Param)>> {
    let mut pairs: Vec<(String, Param)> = hash
        .into_iter()
        .map(|(k, v)| Some((k, mirror_param(v)?)))
        .collect::<Option<_>>()?;
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Some(pairs)
}

fn mirror_param(param: Parameter) -> Option<Param> {
    Some(match param {
        Parameter::Name(name) => Param::Name(name),
        Parameter::Path(Path::Relative((_, raw)) | Path::Local((_, _, raw))) => Param::Path(raw),
        Parameter::Literal(value) => Param::Literal(serde_json::to_string(&value).ok()?),
        Parameter::Subexpression(sub) => {
            Param::Subexpression(Box::new(mirror_element(*sub.element)?))
        }
        _ => return None,
    })
}

/// An `ExpressionSpec` (only its builder can make one, and the builder clones every field on
/// `build`): an empty one is built once and cloned, then its public fields are set.
fn spec(
    name: Parameter,
    params: Vec<Parameter>,
    hash: HashMap<String, Parameter>,
    block_param: Option<BlockParam>,
) -> ExpressionSpec {
    static EMPTY: OnceLock<ExpressionSpec> = OnceLock::new();
    let mut spec = EMPTY
        .get_or_init(|| {
            ExpressionSpecBuilder::default()
                .name(Parameter::Name(String::new()))
                .params(Vec::new())
                .hash(HashMap::new())
                .omit_pre_ws(false)
                .omit_pro_ws(false)
                .build()
                .expect("every field without a default is set above")
        })
        .clone();
    spec.name = name;
    spec.params = params;
    spec.hash = hash;
    spec.block_param = block_param;
    spec
}

/// Builds templates back, parsing each distinct path once.
#[derive(Default)]
struct Rebuild {
    paths: HashMap<String, Path>,
    mapping: Option<TemplateMapping>,
}

impl Rebuild {
    fn template(&mut self, mirrored: Tpl) -> Result<Template, String> {
        let mut template = Template::new();
        template.name = mirrored.name;
        template.elements = mirrored
            .elements
            .into_iter()
            .map(|e| self.element(e))
            .collect::<Result<_, _>>()?;
        template.mapping = mirrored
            .mapping
            .into_iter()
            .map(|(line, column)| self.mapping(line, column))
            .collect::<Result<_, _>>()?;
        Ok(template)
    }

    /// A `TemplateMapping` cannot be built outside handlebars; one is taken from a compiled
    /// template and its public fields set.
    fn mapping(&mut self, line: usize, column: usize) -> Result<TemplateMapping, String> {
        if self.mapping.is_none() {
            self.mapping = Template::compile("{{x}}")
                .ok()
                .and_then(|mut t| t.mapping.pop());
        }
        let mut mapping = self
            .mapping
            .clone()
            .ok_or("handlebars gave no position for a compiled expression")?;
        mapping.0 = line;
        mapping.1 = column;
        Ok(mapping)
    }

    fn element(&mut self, element: Element) -> Result<TemplateElement, String> {
        Ok(match element {
            Element::Raw(text) => TemplateElement::RawString(text),
            Element::Comment(text) => TemplateElement::Comment(text),
            Element::Html(h) => TemplateElement::HtmlExpression(Box::new(self.helper(*h)?)),
            Element::Expression(h) => TemplateElement::Expression(Box::new(self.helper(*h)?)),
            Element::HelperBlock(h) => TemplateElement::HelperBlock(Box::new(self.helper(*h)?)),
            Element::DecoratorExpression(d) => {
                TemplateElement::DecoratorExpression(Box::new(self.decorator(*d)?))
            }
            Element::DecoratorBlock(d) => {
                TemplateElement::DecoratorBlock(Box::new(self.decorator(*d)?))
            }
            Element::PartialExpression(d) => {
                TemplateElement::PartialExpression(Box::new(self.decorator(*d)?))
            }
            Element::PartialBlock(d) => {
                TemplateElement::PartialBlock(Box::new(self.decorator(*d)?))
            }
        })
    }

    fn helper(&mut self, helper: Helper) -> Result<HelperTemplate, String> {
        let block_param = match helper.block_param {
            None => None,
            Some(BlockParams::Single(p)) => Some(BlockParam::Single(self.param(p)?)),
            Some(BlockParams::Pair(a, b)) => {
                Some(BlockParam::Pair((self.param(a)?, self.param(b)?)))
            }
        };
        let spec = spec(
            self.param(helper.name)?,
            self.params(helper.params)?,
            self.hash(helper.hash)?,
            block_param,
        );
        let mut built = HelperTemplate::new(spec, helper.block, helper.indent_before_write);
        built.chain = helper.chain;
        built.template = helper.template.map(|t| self.template(t)).transpose()?;
        built.inverse = helper.inverse.map(|t| self.template(t)).transpose()?;
        Ok(built)
    }

    fn decorator(&mut self, decorator: Decorator) -> Result<DecoratorTemplate, String> {
        let spec = spec(
            self.param(decorator.name)?,
            self.params(decorator.params)?,
            self.hash(decorator.hash)?,
            None,
        );
        let mut built = DecoratorTemplate::new(spec, decorator.indent_before_write);
        built.indent = decorator.indent;
        built.template = decorator.template.map(|t| self.template(t)).transpose()?;
        Ok(built)
    }

    fn params(&mut self, params: Vec<Param>) -> Result<Vec<Parameter>, String> {
        params.into_iter().map(|p| self.param(p)).collect()
    }

    fn hash(&mut self, hash: Vec<(String, Param)>) -> Result<HashMap<String, Parameter>, String> {
        hash.into_iter()
            .map(|(k, v)| Ok((k, self.param(v)?)))
            .collect()
    }

    fn param(&mut self, param: Param) -> Result<Parameter, String> {
        Ok(match param {
            Param::Name(name) => Parameter::Name(name),
            Param::Path(raw) => {
                if let Some(path) = self.paths.get(&raw) {
                    Parameter::Path(path.clone())
                } else {
                    let path = Path::parse(&raw).map_err(|err| format!("path `{raw}`: {err}"))?;
                    self.paths.insert(raw, path.clone());
                    Parameter::Path(path)
                }
            }
            Param::Literal(json) => {
                Parameter::Literal(serde_json::from_str(&json).map_err(|err| err.to_string())?)
            }
            Param::Subexpression(element) => {
                let mut sub =
                    Subexpression::new(Parameter::Name(String::new()), vec![], HashMap::new());
                sub.element = Box::new(self.element(*element)?);
                Parameter::Subexpression(sub)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(source: &str) -> Template {
        let template = Template::compile_with_name(source, "t".to_owned()).unwrap();
        let bytes = encode(std::slice::from_ref(&template)).expect("encodes");
        let back = decode(&bytes).unwrap().pop().unwrap();
        assert_eq!(back, template, "{source}");
        back
    }

    #[test]
    fn every_construct_comes_back_equal() {
        for source in [
            "",
            "plain text\n",
            "a {{x}} {{{y}}} {{! c }} {{!-- long --}}",
            "{{#if (eq a.b \"s\" 1 2.5 true null) k=v other=(f x)}}\n  yes\n{{else if q}}\n  no\n{{else}}z{{/if}}\n",
            "{{#each l as |e i|}}{{@index}} {{../w}} {{this}} {{@../key}}{{/each}}",
            "{{#with a as |b|}}{{b.c}}{{/with}}",
            "{{> p z=1}}\n  {{> (dyn) }}\n{{#> layout}}default{{/layout}}",
            "{{#*inline \"n\"}}\ninner {{x}}\n{{/inline}}\n",
            "{{~ f ~}}\n  {{~#if a~}} b {{~/if~}}\n\\{{raw}}",
            "{{{{raw}}}} {{not parsed}} {{{{/raw}}}}",
            "{{lookup a \"b\"}} {{a.[0].b}} {{[weird key]}} {{a/b}}",
            "line1\n  {{#each x}}\n    - {{this}}\n  {{/each}}\n",
            "{{#unless a}}u{{^}}v{{/unless}}",
        ] {
            round_trip(source);
        }
    }

    #[test]
    fn the_rebuilt_template_renders_the_same_and_reports_the_same_line() {
        let source = "a: {{x}}\nb:\n{{#each l}}\n  - {{this}}\n{{/each}}\nc: {{missing 1}}\n";
        let original = Template::compile_with_name(source, "t".to_owned()).unwrap();
        let back = round_trip(source);
        let mut registry = handlebars::Handlebars::new();
        registry.register_template("original", original);
        registry.register_template("back", back);
        let data = serde_json::json!({"x": 1, "l": ["p", "q"]});
        let a = registry.render("original", &data).unwrap_err();
        let b = registry.render("back", &data).unwrap_err();
        assert_eq!((a.line_no, a.column_no), (b.line_no, b.column_no));
        assert_eq!(a.line_no, Some(6));
        registry.register_template(
            "ok",
            Template::compile("{{#each l}}- {{this}}\n{{/each}}").unwrap(),
        );
        let encoded =
            encode(&[Template::compile("{{#each l}}- {{this}}\n{{/each}}").unwrap()]).unwrap();
        registry.register_template("ok-back", decode(&encoded).unwrap().pop().unwrap());
        assert_eq!(
            registry.render("ok", &data).unwrap(),
            registry.render("ok-back", &data).unwrap()
        );
        assert_eq!(registry.render("ok-back", &data).unwrap(), "- p\n- q\n");
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let bytes = encode(&[Template::compile("{{#if a}}{{b}}{{/if}}").unwrap()]).unwrap();
        for cut in 0..bytes.len() {
            let _ = decode(&bytes[..cut]);
        }
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01").is_err());
    }
}

//! Every template of the real charts in `../shared/data/helm-charts/charts` (ingress-nginx,
//! cert-manager, bitnami, ...) parses, with every function name Helm defines present. (They
//! render through the host once Sprig and the encoding functions are in; this crate alone
//! checks the language.)

use std::path::{Path, PathBuf};

use kchart_gotemplate::{Args, FuncDef, FuncMap, FuncResult, Param, Sig, TemplateSet, Value};

/// Sprig's function names (less `env`/`expandenv`) and Helm's additions, as stubs: parsing
/// only needs the names.
const NAMES: &[&str] = &[
    "hello",
    "ago",
    "date",
    "date_in_zone",
    "date_modify",
    "dateInZone",
    "dateModify",
    "duration",
    "durationRound",
    "htmlDate",
    "htmlDateInZone",
    "must_date_modify",
    "mustDateModify",
    "mustToDate",
    "now",
    "toDate",
    "unixEpoch",
    "abbrev",
    "abbrevboth",
    "trunc",
    "trim",
    "upper",
    "lower",
    "title",
    "untitle",
    "substr",
    "repeat",
    "trimall",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "nospace",
    "initials",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "swapcase",
    "shuffle",
    "snakecase",
    "camelcase",
    "kebabcase",
    "wrap",
    "wrapWith",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "replace",
    "plural",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "adler32sum",
    "toString",
    "atoi",
    "int64",
    "int",
    "float64",
    "seq",
    "toDecimal",
    "split",
    "splitList",
    "splitn",
    "toStrings",
    "until",
    "untilStep",
    "add1",
    "add",
    "sub",
    "div",
    "mod",
    "mul",
    "randInt",
    "add1f",
    "addf",
    "subf",
    "divf",
    "mulf",
    "biggest",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "join",
    "sortAlpha",
    "default",
    "empty",
    "coalesce",
    "all",
    "any",
    "compact",
    "mustCompact",
    "fromJson",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "mustFromJson",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "ternary",
    "deepCopy",
    "mustDeepCopy",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "kindOf",
    "kindIs",
    "deepEqual",
    "getHostByName",
    "base",
    "dir",
    "clean",
    "ext",
    "isAbs",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "tuple",
    "list",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "keys",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
    "values",
    "append",
    "push",
    "mustAppend",
    "mustPush",
    "prepend",
    "mustPrepend",
    "first",
    "mustFirst",
    "rest",
    "mustRest",
    "last",
    "mustLast",
    "initial",
    "mustInitial",
    "reverse",
    "mustReverse",
    "uniq",
    "mustUniq",
    "without",
    "mustWithout",
    "has",
    "mustHas",
    "slice",
    "mustSlice",
    "concat",
    "dig",
    "chunk",
    "mustChunk",
    "bcrypt",
    "htpasswd",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "decryptAES",
    "randBytes",
    "uuidv4",
    "semver",
    "semverCompare",
    "fail",
    "regexMatch",
    "mustRegexMatch",
    "regexFindAll",
    "mustRegexFindAll",
    "regexFind",
    "mustRegexFind",
    "regexReplaceAll",
    "mustRegexReplaceAll",
    "regexReplaceAllLiteral",
    "mustRegexReplaceAllLiteral",
    "regexSplit",
    "mustRegexSplit",
    "regexQuoteMeta",
    "urlParse",
    "urlJoin",
    "toToml",
    "mustToToml",
    "fromToml",
    "toYaml",
    "mustToYaml",
    "toYamlPretty",
    "fromYaml",
    "fromYamlArray",
    "mustToJson",
    "fromJsonArray",
    "mustToDuration",
    "durationSeconds",
    "durationMilliseconds",
    "durationMicroseconds",
    "durationNanoseconds",
    "durationMinutes",
    "durationHours",
    "durationDays",
    "durationWeeks",
    "durationRoundTo",
    "durationTruncateTo",
];

fn stub(_: &Args<'_>) -> FuncResult {
    Ok(Value::Nil)
}

fn funcs() -> FuncMap {
    let mut funcs = FuncMap::helm();
    for &name in NAMES {
        if !funcs.contains(name) {
            funcs.insert(FuncDef {
                name,
                sig: Sig::variadic(&[], Param::Any),
                func: stub,
            });
        }
    }
    funcs
}

fn templates_of(chart: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let templates = chart.join("templates");
    let mut stack = vec![templates.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(chart)
                    .expect("inside chart")
                    .to_string_lossy()
                    .into_owned();
                out.push((format!("{prefix}/{rel}"), path));
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(chart.join("charts")) {
        for entry in entries {
            let sub = entry.expect("entry").path();
            if sub.is_dir() {
                let name = sub
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                templates_of(&sub, &format!("{prefix}/charts/{name}"), out);
            }
        }
    }
}

#[test]
fn every_template_of_the_real_charts_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/helm-charts/charts");
    let charts: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the shared chart data is required)",
                root.display()
            )
        })
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("Chart.yaml").exists())
        .collect();
    assert!(
        charts.len() >= 6,
        "expected the six real charts in {}",
        root.display()
    );
    let funcs = funcs();
    let mut count = 0;
    let mut failures = Vec::new();
    for chart in &charts {
        let name = chart
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut files = Vec::new();
        templates_of(chart, &name, &mut files);
        let mut set = TemplateSet::new(funcs.clone());
        for (template, path) in files {
            let text = std::fs::read_to_string(&path).expect("template text");
            count += 1;
            if let Err(e) = set.parse(&template, &text) {
                failures.push(e.helm_message());
            }
        }
    }
    assert!(count > 100, "only {count} templates found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

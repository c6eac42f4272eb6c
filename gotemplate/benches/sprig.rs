//! Time per call of the Sprig functions charts call most, on typical arguments:
//! `cargo bench -p kchart-gotemplate --bench sprig`. A plain loop with `Instant`, printed as
//! nanoseconds per call; nothing is asserted.

use std::hint::black_box;
use std::time::Instant;

use kchart_gotemplate::func::FixedEnv;
use kchart_gotemplate::{Args, FuncDef, Map, Value, sprig};

fn bench(defs: &[FuncDef], name: &str, args: &[Value], iterations: u32) {
    let def = defs
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no function {name}"));
    let env = FixedEnv;
    // Warm up caches (regexes, time zones) first, as a render would after its first call.
    let _ = (def.func)(&Args::new(args, &env));
    let start = Instant::now();
    for _ in 0..iterations {
        let _ = black_box((def.func)(&Args::new(black_box(args), &env)));
    }
    let per_call = start.elapsed().as_nanos() / u128::from(iterations);
    println!("{name:<18} {per_call:>9} ns/call");
}

fn main() {
    let defs = sprig::functions();
    let yaml = "key: value\nlist:\n  - a\n  - b\n".repeat(100);
    let values: Map = (0..50)
        .map(|i| (format!("key{i}"), Value::from(format!("value{i}"))))
        .collect();
    let overrides: Map = (25..75)
        .map(|i| (format!("key{i}"), Value::Int(i)))
        .collect();
    bench(
        &defs,
        "nindent",
        &[Value::Int(4), yaml.as_str().into()],
        2_000,
    );
    bench(&defs, "quote", &["some-release-name".into()], 200_000);
    bench(&defs, "default", &["x".into(), "".into()], 500_000);
    bench(
        &defs,
        "trunc",
        &[
            Value::Int(63),
            "a-rather-long-release-name-for-a-chart-that-goes-on-and-on-and-on".into(),
        ],
        500_000,
    );
    bench(&defs, "trimSuffix", &["-".into(), "name-".into()], 500_000);
    bench(
        &defs,
        "replace",
        &["_".into(), "-".into(), "my_chart_name".into()],
        200_000,
    );
    bench(
        &defs,
        "semverCompare",
        &[">=1.21-0".into(), "v1.30.2-gke.1587003".into()],
        50_000,
    );
    bench(
        &defs,
        "regexReplaceAll",
        &["[^a-z0-9-]".into(), "My_Chart.Name".into(), "-".into()],
        100_000,
    );
    bench(&defs, "sha256sum", &[yaml.as_str().into()], 5_000);
    bench(&defs, "b64enc", &[yaml.as_str().into()], 5_000);
    bench(
        &defs,
        "dict",
        &["a".into(), Value::Int(1), "b".into(), "x".into()],
        200_000,
    );
    bench(
        &defs,
        "merge",
        &[Value::dict(values.clone()), Value::map(overrides)],
        20_000,
    );
    bench(&defs, "deepCopy", &[Value::map(values)], 20_000);
    bench(&defs, "toString", &[Value::Float(1e6)], 200_000);
    bench(
        &defs,
        "date",
        &["2006-01-02".into(), Value::Int(1_704_164_645)],
        100_000,
    );
    bench(
        &defs,
        "dateInZone",
        &[
            "2006-01-02 15:04 MST".into(),
            Value::Int(1_704_164_645),
            "Europe/Paris".into(),
        ],
        20_000,
    );
    bench(&defs, "uuidv4", &[], 100_000);
}

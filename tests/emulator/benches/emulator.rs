//! Emulator throughput and latency on loopback (a benchmark, not a test): 1,000 creates over
//! one keep-alive connection with per-request latency percentiles, a list of all of them, and
//! concurrent clients. Run with `cargo bench -p kchart-emulator`.

use std::time::{Duration, Instant};

use kchart_emulator::Emulator;
use kchart_emulator::client::Client;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn configmap(name: &str) -> Vec<u8> {
    format!(r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","labels":{{"bench":"yes"}}}},"data":{{"k":"v"}}}}"#).into_bytes()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let emu = Emulator::start()?;
    println!("startup: {:?}", start.elapsed());

    let mut c = Client::connect(emu.url())?;
    let path = "/api/v1/namespaces/default/configmaps";
    let n = 1000;
    let mut lat = Vec::with_capacity(n);
    let t = Instant::now();
    for i in 0..n {
        let t0 = Instant::now();
        let r = c.request(
            "POST",
            path,
            Some("application/json"),
            &configmap(&format!("cm-{i}")),
        )?;
        lat.push(t0.elapsed());
        assert_eq!(r.status, 201);
    }
    let total = t.elapsed();
    lat.sort();
    println!(
        "create x{n} (1 client): total {total:?}, {:.0} req/s, p50 {:?}, p99 {:?}, max {:?}",
        n as f64 / total.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat[lat.len() - 1]
    );

    let mut gets = Vec::with_capacity(n);
    for i in 0..n {
        let t0 = Instant::now();
        let r = c.get(&format!("{path}/cm-{i}"))?;
        gets.push(t0.elapsed());
        assert_eq!(r.status, 200);
    }
    gets.sort();
    println!(
        "get x{n}: p50 {:?}, p99 {:?}",
        percentile(&gets, 0.5),
        percentile(&gets, 0.99)
    );

    let mut lists = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let r = c.get(path)?;
        lists.push(t0.elapsed());
        assert!(r.body.len() > 100_000);
    }
    lists.sort();
    println!(
        "list of {} objects: p50 {:?}",
        n + 1,
        percentile(&lists, 0.5)
    );
    let t0 = Instant::now();
    let r = c.get(&format!("{path}?labelSelector=bench%3Dyes"))?;
    println!(
        "list with label selector: {:?} ({} bytes)",
        t0.elapsed(),
        r.body.len()
    );

    for clients in [4, 16] {
        let per = 250;
        let url = emu.url().to_string();
        let t = Instant::now();
        let handles: Vec<_> = (0..clients)
            .map(|k| {
                let url = url.clone();
                std::thread::spawn(move || -> std::io::Result<Vec<Duration>> {
                    let mut c = Client::connect(&url)?;
                    let mut lat = Vec::with_capacity(per);
                    for i in 0..per {
                        let t0 = Instant::now();
                        let r = c.request(
                            "POST",
                            "/api/v1/namespaces/default/configmaps",
                            Some("application/json"),
                            &configmap(&format!("c{clients}-{k}-{i}")),
                        )?;
                        lat.push(t0.elapsed());
                        assert_eq!(r.status, 201);
                    }
                    Ok(lat)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().map_err(|_| "client thread panicked")??);
        }
        let total = t.elapsed();
        all.sort();
        println!(
            "create x{} ({clients} concurrent clients): total {total:?}, {:.0} req/s, p50 {:?}, p99 {:?}",
            all.len(),
            all.len() as f64 / total.as_secs_f64(),
            percentile(&all, 0.5),
            percentile(&all, 0.99)
        );
    }
    println!("objects stored: {}", emu.object_count());
    Ok(())
}

//! Client-list latency with 100,000 clients in one realm, on SQLite and PostgreSQL.
//! Run: `cargo run --release -p keyward-store --example bench_list`

use std::time::{Duration, Instant};

use keyward_store::testing::PgCluster;
use keyward_store::{clients, realms, Db};

const CLIENTS: u32 = 100_000;
const ITERATIONS: usize = 500;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    rows.extend(bench("SQLite", &url).await?);

    let pg = PgCluster::start()?;
    rows.extend(bench("PostgreSQL", &pg.url()).await?);

    println!("| backend | query | p50 ms | p99 ms | rows |");
    println!("|---|---|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

async fn bench(backend: &str, url: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let db = Db::connect(url).await?;
    let realm = realms::create(&db, "bench", "Bench", 0).await?;
    let t = Instant::now();
    clients::seed(&db, &realm.realm_id, "svc", CLIENTS, 0).await?;
    eprintln!(
        "{backend}: seeded {CLIENTS} clients in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let kinds: [(&str, Option<&str>, i64); 5] = [
        ("first page (first=0, max=20)", None, 0),
        ("search \"-04217\" (few matches)", Some("-04217"), 0),
        ("search \"service 9999\" (name)", Some("service 9999"), 0),
        ("search \"svc-0\" (common: all match)", Some("svc-0"), 0),
        ("deep page (first=50000, max=20)", None, 50_000),
    ];
    let mut out = Vec::new();
    for (label, search, first) in kinds {
        // Warm-up.
        let page = clients::list(&db, &realm.realm_id, search, first, 20).await?;
        let mut times = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let t = Instant::now();
            let p = clients::list(&db, &realm.realm_id, search, first, 20).await?;
            times.push(t.elapsed());
            assert_eq!(p.items.len(), page.items.len());
        }
        times.sort();
        out.push(format!(
            "| {backend} | {label} | {:.2} | {:.2} | {} |",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100]),
            page.items.len()
        ));
    }
    db.close().await;
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

//! Master-key rotation of 100,000 sealed client secrets, on SQLite and PostgreSQL.
//! Run: `cargo run --release -p keyward-server --example bench_rotate`

use std::time::Instant;

use keyward_credentials::seal::{context, KeyRing, MasterKey};
use keyward_service::vault::reseal_all;
use keyward_store::secrets::{self, NewSecret};
use keyward_store::testing::PgCluster;
use keyward_store::{clients, realms, Db};

const SECRETS: usize = 100_000;
const PER_CLIENT: usize = 100;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut rows = vec![bench("SQLite", &url).await?];
    let pg = PgCluster::start()?;
    rows.push(bench("PostgreSQL", &pg.url()).await?);
    println!("| backend | sealed secrets | re-sealed | time s | per secret µs |");
    println!("|---|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

async fn bench(backend: &str, url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let db = Db::connect(url).await?;
    let realm = realms::create(&db, "bench", "Bench", 0).await?;
    let old = KeyRing::new(vec![MasterKey::from_bytes(&[1; 32])])?;
    let mut rng = rand::rngs::OsRng;
    let t = Instant::now();
    for c in 0..SECRETS / PER_CLIENT {
        let client = clients::create(
            &db,
            &realm.realm_id,
            &clients::NewClient {
                client_id: &format!("svc-{c:05}"),
                name: "",
                description: "",
                enabled: true,
                public_client: false,
            },
            0,
        )
        .await?;
        let sealed: Vec<_> = (0..PER_CLIENT)
            .map(|i| {
                old.seal(
                    &mut rng,
                    context::CLIENT_SECRET,
                    format!("secret-{c}-{i}").as_bytes(),
                )
            })
            .collect();
        let items: Vec<NewSecret<'_>> = sealed
            .iter()
            .map(|s| NewSecret {
                label: "bench",
                verifier: &[0; 32],
                sealed: Some((&s.bytes, &s.key_id)),
                expires_at: None,
                created_by: "bench",
            })
            .collect();
        secrets::insert_many(&db, &client.client_row_id, &items, 0).await?;
    }
    eprintln!(
        "{backend}: sealed {SECRETS} secrets in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let ring = KeyRing::new(vec![
        MasterKey::from_bytes(&[2; 32]),
        MasterKey::from_bytes(&[1; 32]),
    ])?;
    let t = Instant::now();
    let report = reseal_all(&db, &ring).await?;
    let secs = t.elapsed().as_secs_f64();
    assert!(report.resealed as usize >= SECRETS);
    assert!(
        secrets::sealed_not_under(&db, ring.primary().id(), true, "", 1)
            .await?
            .is_empty()
    );
    db.close().await;
    Ok(format!(
        "| {backend} | {SECRETS} | {} | {secs:.1} | {:.0} |",
        report.resealed,
        secs * 1e6 / report.resealed as f64
    ))
}

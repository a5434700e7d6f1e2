//! Test support (always compiled so tests, examples and other crates can use it): a
//! throw-away PostgreSQL 15 cluster for the store suite and benchmarks.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A throw-away PostgreSQL 15 cluster in a temporary directory, listening on 127.0.0.1 with
/// trust authentication and a database `keyward`. Stopped and removed on drop.
///
/// Never skips silently: when PostgreSQL is missing or a step fails, [`PgCluster::start`]
/// returns an error naming the step.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCluster")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish()
    }
}

fn step_err(step: &str, detail: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("PgCluster: {step} failed: {detail}"))
}

/// Directory holding initdb/pg_ctl/createdb.
fn bindir() -> io::Result<PathBuf> {
    let fixed = PathBuf::from("/usr/lib/postgresql/15/bin");
    if fixed.join("initdb").is_file() {
        return Ok(fixed);
    }
    let out = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .map_err(|e| {
            step_err(
                "locating PostgreSQL 15 (no /usr/lib/postgresql/15/bin/initdb; pg_config)",
                e,
            )
        })?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if out.status.success() && dir.join("initdb").is_file() {
        Ok(dir)
    } else {
        Err(step_err(
            "locating PostgreSQL 15",
            "initdb not found in /usr/lib/postgresql/15/bin nor in `pg_config --bindir`",
        ))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    /// Creates, starts and prepares the cluster (initdb, pg_ctl start, createdb keyward).
    pub fn start() -> io::Result<PgCluster> {
        let bin = bindir()?;
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!(
            "keyward-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| step_err(&format!("removing stale {}", dir.display()), e))?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| step_err(&format!("creating {}", dir.display()), e))?;
        let mut cluster = PgCluster {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        // From here on, Drop cleans up whatever was made.
        if as_postgres {
            let out = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&cluster.dir)
                .output()
                .map_err(|e| step_err("chown of the cluster directory to postgres", e))?;
            check("chown of the cluster directory to postgres", &out)?;
        }
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        cluster.port = free_port()?;
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off",
            cluster.port,
            path_str(&cluster.dir)?
        );
        let log = cluster.dir.join("postgres.log");
        let started = cluster.run(
            "pg_ctl start",
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-o",
                &opts,
                "-l",
                path_str(&log)?,
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
        if let Err(e) = started {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(step_err("pg_ctl start", format!("{e}; server log: {tail}")));
        }
        let port = cluster.port.to_string();
        cluster.run(
            "createdb keyward",
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "keyward"],
        )?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/keyward`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/keyward", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, step: &str, program: &str, args: &[&str]) -> io::Result<()> {
        let out = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| step_err(step, e))?;
        check(step, &out)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            if let Some(data) = data.to_str() {
                let _ = self
                    .command("pg_ctl")
                    .args(["-D", data, "-m", "immediate", "-w", "stop"])
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check(step: &str, out: &Output) -> io::Result<()> {
    if out.status.success() {
        Ok(())
    } else {
        Err(step_err(
            step,
            format!(
                "{}: {} {}",
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ))
    }
}

fn path_str(p: &Path) -> io::Result<&str> {
    p.to_str()
        .ok_or_else(|| step_err("path conversion", format!("{} is not UTF-8", p.display())))
}

fn free_port() -> io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| step_err("picking a free port", e))?;
    Ok(listener
        .local_addr()
        .map_err(|e| step_err("picking a free port", e))?
        .port())
}

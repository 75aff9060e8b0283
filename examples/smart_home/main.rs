//! # smart_home — the reference application (SPEC section 9)
//!
//! A Lambda-style smart-home function with ~50 modules named after the seeds', each with
//! a real, data-bearing `init`. The binary replays the seeds' scenarios in three modes,
//! each in a fresh child process, and prints the seeds' results table with every figure
//! measured in this run beside the seeds' claims:
//!
//! - `eager`: `LAZY_LOADING_ENABLED=false`, no unloading, no fast path (the baseline);
//! - `ligs`: lazy builds only;
//! - `lmms`: LIGS + LUGS + ZAFP, the seeds' defaults.
//!
//! ```text
//! cargo run --release --example smart_home                 # the table
//! cargo run --release --example smart_home -- --json       # one JSON object
//! cargo run --release --example smart_home -- --plot heap.svg
//! cargo run --release --example smart_home -- --quick      # small data, short replay
//! ```
//!
//! Internally the binary re-runs itself as `--mode NAME --child` (one process per mode,
//! so each starts cold); the child prints its figures as JSON on stdout and its
//! `[LMMS_STATS]` line on stderr.

mod child;
mod data;
mod handler;
mod modules;
mod plot;
mod report;
mod scenarios;

use std::process::{Command, Stdio};
use std::time::Instant;

/// Live heap bytes are counted (and attributed to modules) by lmms' counting allocator.
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

struct Args {
    json: bool,
    plot: Option<String>,
    quick: bool,
    child_mode: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        plot: None,
        quick: false,
        child_mode: None,
    };
    let mut mode = None;
    let mut child = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "--quick" => args.quick = true,
            "--child" => child = true,
            "--plot" => args.plot = Some(it.next().ok_or("--plot needs a file name")?),
            "--mode" => mode = Some(it.next().ok_or("--mode needs eager, ligs or lmms")?),
            "-h" | "--help" => {
                return Err("usage: smart_home [--json] [--plot FILE.svg] [--quick]".into())
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if child {
        args.child_mode = Some(mode.ok_or("--child needs --mode")?);
    }
    Ok(args)
}

fn main() {
    let started_unix_ns = scenarios::unix_ns();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    data::set_scale_pct(if args.quick { 5 } else { 70 });
    let code = match &args.child_mode {
        Some(mode) => run_child(mode, args.quick, started_unix_ns),
        None => run_parent(&args),
    };
    std::process::exit(code);
}

fn run_child(mode: &str, quick: bool, started_unix_ns: u64) -> i32 {
    match child::run(mode, quick, started_unix_ns) {
        Ok(result) => match serde_json::to_string(&result) {
            Ok(s) => {
                println!("{s}");
                0
            }
            Err(e) => {
                eprintln!("{mode}: cannot serialize the result: {e}");
                1
            }
        },
        Err(e) => {
            eprintln!("{mode}: {e}");
            1
        }
    }
}

fn run_mode(mode: &str, quick: bool) -> Result<report::ModeResult, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["--mode", mode, "--child"]);
    if quick {
        cmd.arg("--quick");
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    // Cold start is measured from here to the child's first response (same wall clock).
    let spawn_unix_ns = scenarios::unix_ns();
    let out = cmd
        .spawn()
        .and_then(|c| c.wait_with_output())
        .map_err(|e| format!("{mode}: spawn: {e}"))?;
    if !out.status.success() {
        return Err(format!("{mode}: child exited with {}", out.status));
    }
    let mut result: report::ModeResult = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{mode}: child output is not a result: {e}"))?;
    result.set_spawn(spawn_unix_ns);
    Ok(result)
}

fn run_parent(args: &Args) -> i32 {
    let start = Instant::now();
    let mut modes = Vec::new();
    for mode in ["eager", "ligs", "lmms"] {
        match run_mode(mode, args.quick) {
            Ok(r) => modes.push(r),
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        }
    }
    if let Some(path) = &args.plot {
        if let Err(e) = plot::draw(path, &modes) {
            eprintln!("plot {path}: {e}");
            return 1;
        }
    }
    if args.json {
        println!("{}", report::json(&modes));
        return 0;
    }
    let m = &modes[0];
    println!(
        "\nsmart_home: {} modules, {} operations; {} requests per mode on the replay clock{}",
        m.modules,
        m.operations,
        m.requests,
        if args.quick {
            " (--quick: 5 % data, short replay)"
        } else {
            ""
        }
    );
    println!("Seed columns are the seeds' claims (Python, quoted); eager/ligs/lmms are measured in this run.\n");
    print!("{}", report::table(&modes));
    println!();
    for m in &modes {
        println!(
            "{:5}: loads {:4}, unloads {:4}, fast-path hits {:8}, reclaimed {:7.2} MiB, resident at end {:2}/{}, non-200 {}, hot op on fast path: {}",
            m.mode,
            m.ligs_loads,
            m.lugs_unloads,
            m.zafp_hits,
            m.memory_reclaimed_bytes as f64 / 1048576.0,
            m.resident_modules_at_end,
            m.modules,
            m.non_200,
            m.hot_path_on_fast_path
        );
    }
    println!(
        "\nNotes: cold start = parent's spawn of a fresh child → that child's first response (wall clock; in-child main → first response: {}).\n\
         Seed GB-s = RSS at each request × its handler time; AWS GB-s = configured memory × billed duration (handler + boundary sweep, rounded up to 1 ms).\n\
         Free tier: 400 000 GB-s and 1 000 000 requests per month. Month: the seeds' 50 000 calls.",
        modes
            .iter()
            .map(|m| format!("{} {:.1} ms", m.mode, m.cold_start_in_child_ms))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(p) = &args.plot {
        println!("Plot written to {p}.");
    }
    println!("Whole run: {:.1} s.", start.elapsed().as_secs_f64());
    0
}

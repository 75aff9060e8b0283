//! # smart_home — the reference application
//!
//! A Lambda-style smart-home function with 51 small modules named after the original
//! design documents' (the "seeds" in the code), each with a real, data-bearing `init`, and
//! seven 90–150 MiB data modules (models, map tiles, a forecast grid, a device catalogue,
//! firmware): 58 modules registered. Two profiles: `small` (the data modules hold nothing
//! and are never called) and `large` (all of them). The binary replays the documents'
//! scenarios in four modes, each in a fresh child process, and prints per profile its
//! result in one sentence, then a table of every figure measured in this run; then the
//! documents' claimed figures beside the measured ones, the targets, and how to read the
//! figures. Every line of it fits 120 columns. The modes:
//!
//! - `eager`: `LAZY_LOADING_ENABLED=false`, no unloading, no fast path (the baseline);
//! - `ligs`: lazy builds only;
//! - `lmms`: LIGS + LUGS + ZAFP, the default (`cost`) unload strategy, under a memory budget;
//! - `lmms_idle`: the same with the documents' clock rule (`UNLOAD_STRATEGY=idle`).
//!
//! ```text
//! cargo run --release --example smart_home                 # the results; plot in target/smart_home.svg
//! cargo run --release --example smart_home -- --json       # one JSON object
//! cargo run --release --example smart_home -- --plot out.svg  # the plot elsewhere (--no-plot: none)
//! cargo run --release --example smart_home -- --quick      # small data, short replay
//! cargo run --release --example smart_home -- --size-sweep # + lmms priced at candidate sizes
//! cargo run --release --example smart_home -- --strict     # exit 1 if a target is missed
//! ```
//!
//! **Exit status**: 0 when every mode ran and the figures were printed (and the plot
//! written): the targets are informational, reported `met` or `MISSED` in their own
//! section, and a missed one does not fail the run. 1 when a mode's child failed or the
//! plot could not be written, or, with `--strict`, when at least one target is missed.
//! 2 for a bad argument.
//!
//! Internally the binary re-runs itself as `--profile P --mode M --child` (one process per
//! mode and profile, so each starts cold); the child prints its figures as JSON on stdout,
//! its `[LMMS_STATS]` line among them (`--json` shows it). Before the large profile's
//! `lmms`, a warm-up instance (`--warmup N`: N mixed requests of another request sequence)
//! exports the heat profile that `lmms` starts from (`--heat-profile FILE`); `--size-sweep`
//! runs more of them, one per candidate size, each priced at its size; `lmms_idle` replays a
//! prefix of the mixed workload. How sizes and bills are computed: `sizing.rs`, `bill.rs`,
//! `wait.rs` and `docs/smart_home.md`.

mod bill;
mod child;
mod claims;
mod data;
mod handler;
mod large;
mod modules;
mod parent;
mod plot;
mod plot_cost;
mod plot_style;
mod report;
mod scenarios;
mod size_search;
mod sizing;
mod summary;
mod table;
mod targets;
mod text;
mod wait;
mod workload;

use sizing::{Mode, Profile};

/// Live heap bytes are counted (and attributed to modules) by lmms' counting allocator.
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// Size of the large modules under `--quick`, in 1/1000 of full (4–5 MiB each).
pub const QUICK_LARGE_PERMILLE: u32 = 30;

pub struct Args {
    pub json: bool,
    /// Where the plot goes: `target/smart_home.svg` unless `--plot FILE` or `--no-plot`.
    pub plot: Option<String>,
    /// Exit 1 when a target is missed.
    pub strict: bool,
    pub quick: bool,
    /// Also price the large profile's lmms at candidate sizes (`size_search.rs`).
    pub size_sweep: bool,
    child: Option<child::Job>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        plot: Some(default_plot_path()),
        strict: false,
        quick: false,
        size_sweep: false,
        child: None,
    };
    let (mut mode, mut profile, mut memory_mb, mut child) = (None, None, None, false);
    let (mut warmup, mut heat_profile) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "--strict" => args.strict = true,
            "--no-plot" => args.plot = None,
            "--quick" => args.quick = true,
            "--size-sweep" => args.size_sweep = true,
            "--child" => child = true,
            "--warmup" => {
                let v = it.next().ok_or("--warmup needs a number of requests")?;
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("--warmup {v:?}: not a number of requests"))?;
                warmup = Some(n);
            }
            "--heat-profile" => {
                heat_profile = Some(it.next().ok_or("--heat-profile needs a file name")?)
            }
            "--plot" => args.plot = Some(it.next().ok_or("--plot needs a file name")?),
            "--mode" => mode = Some(Mode::parse(&it.next().ok_or("--mode needs a mode")?)?),
            "--profile" => {
                profile = Some(Profile::parse(
                    &it.next().ok_or("--profile needs a profile")?,
                )?)
            }
            "--memory-mb" => {
                let v = it.next().ok_or("--memory-mb needs a number")?;
                let mb: u32 = v
                    .parse()
                    .map_err(|_| format!("--memory-mb {v:?}: not a number"))?;
                if !(128..=10_240).contains(&mb) {
                    return Err(format!("--memory-mb {mb}: Lambda sizes are 128..=10240"));
                }
                memory_mb = Some(mb);
            }
            "-h" | "--help" => {
                return Err(
                    "usage: smart_home [--json] [--plot FILE.svg | --no-plot] [--quick] [--size-sweep] [--strict]".into(),
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if child {
        args.child = Some(child::Job {
            mode: mode.ok_or("--child needs --mode")?,
            profile: profile.ok_or("--child needs --profile")?,
            quick: args.quick,
            memory_mb,
            warmup,
            heat_profile,
        });
    }
    Ok(args)
}

/// `smart_home.svg` in the target directory this binary was built in
/// (`target/<profile>/examples/smart_home` → `target/smart_home.svg`), relative to the
/// working directory when it is under it; `smart_home.svg` if the binary's path says nothing.
fn default_plot_path() -> String {
    let exe = std::env::current_exe().ok();
    let target = exe.as_deref().and_then(|e| e.ancestors().nth(3));
    let Some(path) = target.map(|t| t.join("smart_home.svg")) else {
        return "smart_home.svg".into();
    };
    let cwd = std::env::current_dir().ok();
    cwd.and_then(|c| path.strip_prefix(c).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| path.display().to_string())
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
    let code = match &args.child {
        Some(job) => run_child(job, started_unix_ns),
        None => parent::run(&args),
    };
    std::process::exit(code);
}

fn run_child(job: &child::Job, started_unix_ns: u64) -> i32 {
    let large = match (job.profile, job.quick) {
        (Profile::Small, _) => 0,
        (Profile::Large, true) => QUICK_LARGE_PERMILLE,
        (Profile::Large, false) => 1000,
    };
    data::set_large_permille(large);
    let name = format!("{}/{}", job.profile.name(), job.mode.name());
    if job.warmup.is_some() {
        return print_json(&format!("{name} warm-up"), child::warm_up(job));
    }
    print_json(&name, child::run(job, started_unix_ns))
}

/// A child's answer on stdout as one line of JSON; the exit code.
fn print_json<T: serde::Serialize>(name: &str, result: Result<T, String>) -> i32 {
    match result.and_then(|r| {
        serde_json::to_string(&r).map_err(|e| format!("cannot serialize the result: {e}"))
    }) {
        Ok(s) => {
            println!("{s}");
            0
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            1
        }
    }
}

//! The parent process: runs every profile and mode in its own child, sizes the adaptive
//! modes from figures measured earlier in the run, draws the plot and prints the results
//! (`summary.rs`) or the JSON; its exit status (`main.rs`).

use crate::report::{find, ModeResult};
use crate::sizing::{self, Mode, Profile, MARGIN};
use crate::{child, large, plot, scenarios, size_search, summary, table, targets, wait, Args};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One child process: its stdout and the parent's spawn time.
pub fn spawn(
    name: &str,
    profile: Profile,
    mode: Mode,
    memory_mb: Option<u32>,
    quick: bool,
    extra: &[&str],
) -> Result<(Vec<u8>, u64), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "--profile",
        profile.name(),
        "--mode",
        mode.name(),
        "--child",
    ]);
    if let Some(mb) = memory_mb {
        cmd.args(["--memory-mb", &mb.to_string()]);
    }
    if quick {
        cmd.arg("--quick");
    }
    cmd.args(extra);
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    // Cold start is measured from here to the child's first response (same wall clock).
    let spawn_unix_ns = scenarios::unix_ns();
    let out = cmd
        .spawn()
        .and_then(|c| c.wait_with_output())
        .map_err(|e| format!("{name}: spawn: {e}"))?;
    if !out.status.success() {
        return Err(format!("{name}: child exited with {}", out.status));
    }
    Ok((out.stdout, spawn_unix_ns))
}

/// One mode's run in a fresh child, from a heat profile file if given.
fn run_mode(
    profile: Profile,
    mode: Mode,
    memory_mb: Option<u32>,
    quick: bool,
    heat: Option<&size_search::Heat>,
) -> Result<ModeResult, String> {
    let name = format!("{}/{}", profile.name(), mode.name());
    let extra: Vec<&str> = heat.map_or(vec![], |h| vec!["--heat-profile", h.path.as_str()]);
    let (stdout, spawn_unix_ns) = spawn(&name, profile, mode, memory_mb, quick, &extra)?;
    let mut result: ModeResult = serde_json::from_slice(&stdout)
        .map_err(|e| format!("{name}: child output is not a result: {e}"))?;
    result.set_spawn(spawn_unix_ns);
    result.heat_profile_from = heat.map(|h| h.from.clone());
    eprintln!(
        "smart_home: {name} done in {:.1} s ({:.1} s CPU)",
        result.child_wall_s, result.child_cpu_s
    );
    Ok(result)
}

/// The size each profile's adaptive modes ran at, and how it was found.
pub struct Sized {
    pub profile: Profile,
    pub size_mb: u32,
    /// Each candidate size as its warm-up instance measured it (`--size-sweep`, the large
    /// profile).
    pub priced: Vec<size_search::Priced>,
}

/// What one run measured: every profile and mode, the adaptive modes' sizes as decided,
/// and the bill of a second small `eager` child.
pub struct Run {
    pub modes: Vec<ModeResult>,
    pub sizes: Vec<Sized>,
    /// `gb_s_per_1k_aws` of the small profile's `eager`, run again after its four modes:
    /// the spread of two identical runs on this machine, measured (`None` under `--quick`).
    pub small_eager_again: Option<f64>,
}

/// Every profile and mode, in order; the adaptive modes' sizes as decided.
fn run_all(quick: bool, size_sweep: bool) -> Result<Run, String> {
    let mut modes = Vec::new();
    let mut sizes = Vec::new();
    let mut small_eager_again = None;
    for profile in Profile::ALL {
        for mode in [Mode::Eager, Mode::Ligs] {
            modes.push(run_mode(profile, mode, None, quick, None)?);
        }
        // Measured above, before any adaptive mode runs: one request's RSS and the small
        // application's working set, and this profile's largest data module.
        let small_ligs = find(&modes, Profile::Small, Mode::Ligs).ok_or("small ligs missing")?;
        let (one_request, small_set) = (
            small_ligs.single_command_rss_bytes,
            small_ligs.peak_rss_bytes,
        );
        let largest = match profile {
            Profile::Small => 0,
            Profile::Large => {
                let ligs = find(&modes, profile, Mode::Ligs).ok_or("large ligs missing")?;
                large::largest(&ligs.module_bytes)
            }
        };
        let size = sizing::adaptive_size_mb(small_set, largest);
        // The large profile's lmms starts as a new Lambda instance would: from the heat
        // profile an earlier instance exported, which gives LUGS the size of a module's
        // first build (it makes room before building). The idle rule does not use it.
        let heat = match profile {
            Profile::Small => None,
            Profile::Large => {
                Some(size_search::warm_up(profile, size, quick, child::WARMUP_MIXED, None)?.1)
            }
        };
        modes.push(run_mode(
            profile,
            Mode::Lmms,
            Some(size),
            quick,
            heat.as_ref(),
        )?);
        modes.push(run_mode(profile, Mode::LmmsIdle, Some(size), quick, None)?);
        // What lmms would cost at other sizes, measured (on request).
        let priced = match (&heat, size_sweep) {
            (Some(h), true) => {
                let candidates = sizing::candidate_sizes_mb(one_request, small_set, largest);
                size_search::sweep(profile, &candidates, quick, h)?
            }
            _ => Vec::new(),
        };
        sizes.push(Sized {
            profile,
            size_mb: size,
            priced,
        });
        // The small profile's lmms and eager bills differ by about as much as two runs of
        // one binary do: measure that spread in this run rather than quote it.
        if profile == Profile::Small && !quick {
            let again = run_mode(profile, Mode::Eager, None, quick, None)?;
            small_eager_again = Some(again.gb_s_per_1k_aws);
        }
    }
    Ok(Run {
        modes,
        sizes,
        small_eager_again,
    })
}

pub fn run(args: &Args) -> i32 {
    let start = Instant::now();
    let Run {
        modes,
        sizes,
        small_eager_again,
    } = match run_all(args.quick, args.size_sweep) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    if let Some(path) = &args.plot {
        if let Err(e) = plot::draw(path, &modes) {
            eprintln!("plot {path}: {e}");
            return 1;
        }
    }
    let checked = targets::check(&modes, small_eager_again);
    if args.json {
        let extra = serde_json::json!({
            "quick": args.quick,
            "targets": checked,
            "results": Profile::ALL.iter().filter_map(|&p| Some((p.name(), summary::result(&modes, p)?))).collect::<std::collections::BTreeMap<_, _>>(),
            "plot": args.plot,
            "sizing": {
                "safety_margin": MARGIN,
                "adaptive_size_mb": sizes.iter().map(|s| (s.profile.name(), s.size_mb)).collect::<std::collections::BTreeMap<_, _>>(),
                "adaptive_budget_mb": sizes.iter().map(|s| (s.profile.name(), sizing::budget_mb(s.size_mb))).collect::<std::collections::BTreeMap<_, _>>(),
                "size_search": sizes.iter().map(|s| (s.profile.name(), &s.priced)).collect::<std::collections::BTreeMap<_, _>>(),
            },
            "small_eager_again_gb_s_per_1k_aws": small_eager_again,
            "wait_model": {"median_ms": wait::MEDIAN_MS, "sigma": wait::SIGMA},
            "whole_run_s": start.elapsed().as_secs_f64(),
        });
        println!("{}", table::json(&modes, extra));
    } else {
        summary::print(args, &modes, &sizes, &checked, args.plot.as_deref());
        println!("Whole run: {:.1} s.", start.elapsed().as_secs_f64());
    }
    let missed = checked.iter().filter(|t| !t.met).count();
    if args.strict && missed > 0 {
        eprintln!("smart_home: --strict: {missed} target(s) missed");
        return 1;
    }
    0
}

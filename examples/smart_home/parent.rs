//! The parent process: runs every profile and mode in its own child, sizes the adaptive
//! modes from figures measured earlier in the run, and prints the tables, the bills, the
//! right-sizing lines and the targets.

use crate::report::ModeResult;
use crate::sizing::{self, Mode, Profile, MARGIN};
use crate::{
    child, large, plot, scenarios, size_search, table, targets, wait, Args, QUICK_LARGE_PERMILLE,
};
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

fn find(modes: &[ModeResult], p: Profile, m: Mode) -> Option<&ModeResult> {
    modes
        .iter()
        .find(|r| r.profile == p.name() && r.mode == m.name())
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
        return 0;
    }
    print_text(args, &modes, &sizes, &checked);
    println!("Whole run: {:.1} s.", start.elapsed().as_secs_f64());
    0
}

fn print_text(args: &Args, modes: &[ModeResult], sizes: &[Sized], checked: &[targets::Target]) {
    let quick = if args.quick {
        format!(
            " (--quick: 5 % data, short replay; large modules at {:.0} % of their full size)",
            QUICK_LARGE_PERMILLE as f64 / 10.0
        )
    } else {
        String::new()
    };
    for p in Profile::ALL {
        let Some(m) = find(modes, p, Mode::Eager) else {
            continue;
        };
        let sized = sizes.iter().find(|s| s.profile == p);
        let size = sized.map_or(0, |s| s.size_mb);
        let empty = match p {
            Profile::Small => format!(" ({} large ones empty here)", large::names().count()),
            Profile::Large => String::new(),
        };
        println!(
            "\nsmart_home, {} profile: {} modules{empty}, {} operations; {} invocations per mode on the replay clock{quick}",
            p.name(),
            m.modules,
            m.operations,
            m.requests,
        );
        println!(
            "lmms and lmms_idle run at {size} MB (budget {} MB); eager and ligs at the smallest size that holds 1.25 × their peak.",
            sizing::budget_mb(size)
        );
        if let Some(s) = sized.filter(|s| !s.priced.is_empty()) {
            println!(
                "lmms at other sizes (--size-sweep): {}.",
                size_search::describe(&s.priced)
            );
        }
        if let Some(idle) = find(modes, p, Mode::LmmsIdle) {
            println!(
                "lmms_idle replays the first {} of the {} mixed requests ({} of {} invocations of the mixed workload here): the seeds' clock rule rebuilds on most calls; its figures are per request.",
                child::scaled(child::MIXED_IDLE, args.quick),
                child::scaled(child::MIXED, args.quick),
                idle.mixed_requests,
                m.mixed_requests
            );
        }
        for r in modes.iter().filter(|r| r.profile == p.name()) {
            if let Some(from) = &r.heat_profile_from {
                println!("{} starts from {from}; nothing preloaded.", r.mode);
            }
        }
        if p == Profile::Large {
            if let Some(l) = find(modes, p, Mode::Ligs) {
                let parts: Vec<String> = large::names()
                    .filter_map(|n| {
                        let mib = *l.module_bytes.get(n)? as f64 / 1048576.0;
                        let ms = l.large_build_ms.get(n)?;
                        Some(format!("{n} {mib:.0} MiB in {ms:.0} ms"))
                    })
                    .collect();
                println!("Large modules as ligs built them: {}.", parts.join(", "));
            }
        }
        println!();
        print!("{}", table::table(p, modes));
        println!();
        for m in modes.iter().filter(|r| r.profile == p.name()) {
            println!(
                "{:9}: loads {:4}, rebuilds {:4}, unloads {:4}, fast-path hits {:8}, reclaimed {:8.2} MiB, resident at end {:2}/{}, non-200 {}, hot op on fast path: {}",
                m.mode,
                m.ligs_loads,
                m.rebuilds,
                m.lugs_unloads,
                m.zafp_hits,
                m.memory_reclaimed_bytes as f64 / 1048576.0,
                m.resident_modules_at_end,
                m.modules,
                m.non_200,
                m.hot_path_on_fast_path
            );
        }
        for m in modes
            .iter()
            .filter(|r| r.profile == p.name() && r.rebuilds > 0)
        {
            let mut most: Vec<(&String, &u64)> = m.module_rebuilds.iter().collect();
            most.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let of_large: u64 = most
                .iter()
                .filter(|(n, _)| large::names().any(|l| l == n.as_str()))
                .map(|(_, k)| **k)
                .sum();
            let top: Vec<String> = most
                .iter()
                .take(4)
                .map(|(n, k)| format!("{n} {k}"))
                .collect();
            println!(
                "{:9}: rebuilds of large modules {of_large}, of small ones {}; most: {}",
                m.mode,
                m.rebuilds.saturating_sub(of_large),
                top.join(", ")
            );
        }
        for m in modes.iter().filter(|r| r.profile == p.name() && r.oom) {
            if let Some(at) = &m.peak_at {
                println!(
                    "{:9}: OOM at {} MB: peak {:.0} MiB in invocation #{} ({}), with {} resident before it",
                    m.mode,
                    m.configured_memory_mb,
                    at.peak_rss as f64 / 1048576.0,
                    at.index,
                    at.key,
                    if at.big_resident_before.is_empty() {
                        "no module of 32 MiB or more".to_string()
                    } else {
                        at.big_resident_before.join(", ")
                    }
                );
            }
        }
    }
    println!("\nRight-sizing from each mode's trace (lmms::memory::RightSizing, every size 128..=10240 MB):");
    print!("{}", targets::recommendations(modes));
    println!("\nTargets (figures from this run):");
    print!("{}", targets::lines(checked));
    println!(
        "\nNotes: cold start = parent's spawn of a fresh child → that child's first response (wall clock; in-child main → first response: {}).\n\
         Lambda bill: each invocation = modelled wait (log-normal, median {} ms, on the replay clock; an assumption) + measured CPU × 1769 / MB,\n\
         rounded up to 1 ms, × configured GB; INIT billed the same way; $0.0000166667 per GB-s and $0.20 per million requests (x86).\n\
         Seed GB-s = RSS at each request × its handler time. Free tier: 400 000 GB-s and 1 000 000 requests per month. Month: the seeds' 50 000 calls.",
        modes
            .iter()
            .map(|m| format!("{}/{} {:.1} ms", m.profile, m.mode, m.cold_start_in_child_ms))
            .collect::<Vec<_>>()
            .join(", "),
        wait::MEDIAN_MS
    );
    if let Some(p) = &args.plot {
        println!("Plot written to {p}.");
    }
}

//! The default text output: what the modes are, then per profile its result in one
//! sentence (from this run's figures), how it ran and its table; then the claimed figures
//! beside the measured ones, the targets, and how to read it all. Every line fits
//! [`text::WIDTH`](crate::text::WIDTH) columns.

use crate::parent::Sized;
use crate::report::{find, ModeResult};
use crate::sizing::{self, Mode, Profile};
use crate::text::{count, header, num, wrap};
use crate::{child, claims, large, size_search, table, targets, wait, Args, QUICK_LARGE_PERMILLE};
use std::fmt::Write;

/// One profile's result in one sentence: lmms' bill and cold start against eager's.
pub fn result(modes: &[ModeResult], p: Profile) -> Option<String> {
    let (e, l) = (find(modes, p, Mode::Eager)?, find(modes, p, Mode::Lmms)?);
    let r = l.cost_per_million_usd / e.cost_per_million_usd;
    let verb = if (r - 1.0).abs() < 0.005 {
        "costs the same as"
    } else if r < 1.0 {
        "costs less than"
    } else {
        "costs more than"
    };
    let sizes = if l.configured_memory_mb == e.configured_memory_mb {
        format!("both at {} MB", l.configured_memory_mb)
    } else {
        format!(
            "at {} MB vs {} MB",
            l.configured_memory_mb, e.configured_memory_mb
        )
    };
    let mut s = format!(
        "Result: lmms {verb} eager: ${:.2} vs ${:.2} per million requests ({r:.3}×), {sizes}; its cold start is {}× \
         eager's ({} ms vs {} ms)",
        l.cost_per_million_usd,
        e.cost_per_million_usd,
        num(l.cold_start_ms / e.cold_start_ms),
        num(l.cold_start_ms),
        num(e.cold_start_ms),
    );
    if l.rebuilds > 0 {
        let share = 100.0 * l.rebuilds as f64 / l.requests.max(1) as f64;
        let _ = write!(s, "; {} % of its invocations rebuild a module", num(share));
    }
    if l.oom {
        s.push_str("; its peak RSS × 1.25 exceeds its size (OOM)");
    }
    s.push('.');
    Some(s)
}

fn intro(args: &Args) -> String {
    let mut out = wrap(
        "smart_home: one smart-home function (a Lambda handler whose parts are lmms modules), in two profiles, \
         replayed in four modes, each in a fresh process:",
        "",
    );
    for (mode, what) in [
        ("eager", "every module built at start, none unloaded (the baseline)"),
        ("ligs", "each module built on its first call (lazy), none unloaded"),
        (
            "lmms",
            "lazy builds, unloads under a memory budget, fast path for hot operations (the defaults)",
        ),
        ("lmms_idle", "lmms with the original design's idle-clock unloading rule"),
    ] {
        out.push_str(&format!("  {mode:10} {what}\n"));
    }
    if args.quick {
        out.push_str(&wrap(
            &format!(
                "--quick: 5 % data, short replay, large modules at {:.0} % of their full size.",
                QUICK_LARGE_PERMILLE as f64 / 10.0
            ),
            "",
        ));
    }
    out
}

fn profile_section(args: &Args, modes: &[ModeResult], p: Profile, sized: Option<&Sized>) -> String {
    let Some(e) = find(modes, p, Mode::Eager) else {
        return String::new();
    };
    let n_large = large::names().count();
    let small = e.modules.saturating_sub(n_large);
    let what = match p {
        Profile::Small => format!(
            "{} modules ({small} small ones; the {n_large} large data modules hold nothing here)",
            e.modules
        ),
        Profile::Large => format!(
            "{} modules ({small} small ones and {n_large} large data modules)",
            e.modules
        ),
    };
    let mut out = header(&format!(
        "{} profile: {what}, {} operations",
        p.name(),
        e.operations
    ));
    if let Some(s) = result(modes, p) {
        out.push_str(&wrap(&s, ""));
    }
    let size = sized.map_or(0, |s| s.size_mb);
    let mut ran = format!(
        "How it ran: {} invocations per mode on the replay clock. lmms and lmms_idle at {size} MB with a {} MB \
         memory budget; eager and ligs at the smallest size that holds 1.25 × their peak RSS.",
        e.requests,
        sizing::budget_mb(size)
    );
    if let Some(idle) = find(modes, p, Mode::LmmsIdle) {
        let _ = write!(
            ran,
            " lmms_idle replays only the first {} of the {} mixed requests ({} of {} mixed invocations): its rule \
             rebuilds on most calls, so its counts cover a shorter replay; its times and bill are per request.",
            child::scaled(child::MIXED_IDLE, args.quick),
            child::scaled(child::MIXED, args.quick),
            idle.mixed_requests,
            e.mixed_requests
        );
    }
    out.push_str(&wrap(&ran, ""));
    if let Some(s) = sized.filter(|s| !s.priced.is_empty()) {
        out.push_str(&wrap(
            &format!(
                "lmms at other sizes (--size-sweep): {}.",
                size_search::describe(&s.priced)
            ),
            "  ",
        ));
    }
    for r in modes.iter().filter(|r| r.profile == p.name()) {
        if let Some(from) = &r.heat_profile_from {
            out.push_str(&wrap(
                &format!("{} starts from {from}; nothing preloaded.", r.mode),
                "  ",
            ));
        }
    }
    if let (Profile::Large, Some(l)) = (p, find(modes, p, Mode::Ligs)) {
        let parts: Vec<String> = large::names()
            .filter_map(|n| {
                let mib = *l.module_bytes.get(n)? as f64 / 1048576.0;
                let ms = l.large_build_ms.get(n)?;
                Some(format!("{n} {mib:.0} MiB in {ms:.0} ms"))
            })
            .collect();
        out.push_str(&wrap(
            &format!("Large modules as ligs built them: {}.", parts.join(", ")),
            "  ",
        ));
    }
    out.push('\n');
    out.push_str(&table::table(p, modes));
    out.push_str(&events(modes, p));
    out
}

/// Which modules each rebuilding mode rebuilt, and where an OOM mode peaked.
fn events(modes: &[ModeResult], p: Profile) -> String {
    let mut out = String::new();
    for m in modes.iter().filter(|r| r.profile == p.name()) {
        if m.rebuilds > 0 {
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
            out.push_str(&wrap(
                &format!(
                    "{}: {of_large} rebuilds of large modules, {} of small ones; most: {}.",
                    m.mode,
                    m.rebuilds.saturating_sub(of_large),
                    top.join(", ")
                ),
                "  ",
            ));
        }
        if let (true, Some(at)) = (m.oom, &m.peak_at) {
            let before = if at.big_resident_before.is_empty() {
                "no module of 32 MiB or more".to_string()
            } else {
                at.big_resident_before.join(", ")
            };
            out.push_str(&wrap(
                &format!(
                    "{}: OOM at {} MB: peak RSS {:.0} MiB in invocation #{} ({}), with {before} resident before it.",
                    m.mode,
                    m.configured_memory_mb,
                    at.peak_rss as f64 / 1048576.0,
                    at.index,
                    at.key,
                ),
                "  ",
            ));
        }
    }
    out
}

fn notes(modes: &[ModeResult], plot: Option<&str>) -> String {
    let in_child: Vec<String> = modes
        .iter()
        .map(|m| format!("{}/{} {}", m.profile, m.mode, num(m.cold_start_in_child_ms)))
        .collect();
    let mut out = header("How to read the figures");
    for (first, rest) in [
        (
            "lmms ÷ eager:",
            "lmms' figure divided by eager's. Each row is in the one unit its label names.".to_string(),
        ),
        (
            "cold start:",
            format!(
                "the parent's spawn of a fresh process → that process's first response (wall clock). From the \
                 process's own main instead, in ms: {}.",
                in_child.join(", ")
            ),
        ),
        (
            "Lambda bill:",
            format!(
                "each invocation is billed for a modelled I/O wait (log-normal, median {} ms; an assumption) + \
                 the measured CPU × 1769 / configured MB, rounded up to 1 ms, × the configured GB; INIT is billed \
                 the same way; $0.0000166667 per GB-s and $0.20 per million requests (x86).",
                wait::MEDIAN_MS
            ),
        ),
        (
            "OOM:",
            "the measured peak RSS × 1.25 exceeds the configured size (the same safety margin for every mode)."
                .into(),
        ),
        (
            "recommended size:",
            "the cheapest size from 128 to 10240 MB that holds the mode's peak × 1.25, priced on its trace by \
             lmms::memory::RightSizing (for lmms and lmms_idle, only sizes from the one they ran at up)."
                .into(),
        ),
        (
            "[LMMS_STATS]:",
            "each mode's runtime counters as a Lambda function logs them for CloudWatch (Stats::log_line()), \
             one JSON object per line: in the --json output, as profiles.<profile>.modes.<mode>.stats_line."
                .into(),
        ),
        (
            "exit status:",
            "0 when every mode ran and its figures are printed, whatever the targets say; 1 when a mode failed, \
             or, with --strict, when a target is MISSED; 2 for a bad argument."
                .into(),
        ),
    ] {
        out.push_str(&wrap(&format!("{first} {rest}"), "  "));
    }
    if let Some(p) = plot {
        out.push_str(&wrap(
            &format!(
                "Plot: {p} (live heap over the replay, and $ per million requests at each memory size; \
                 --plot FILE.svg writes it elsewhere, --no-plot not at all)."
            ),
            "  ",
        ));
    }
    out
}

/// Everything the default run prints before its `Whole run` line.
pub fn print(
    args: &Args,
    modes: &[ModeResult],
    sizes: &[Sized],
    checked: &[targets::Target],
    plot: Option<&str>,
) {
    print!("{}", intro(args));
    for p in Profile::ALL {
        print!(
            "{}",
            profile_section(args, modes, p, sizes.iter().find(|s| s.profile == p))
        );
    }
    print!("{}", claims::section(modes));
    print!(
        "{}",
        header("Targets (informational: a MISSED target does not fail the run; --strict makes it exit 1)")
    );
    print!("{}", targets::lines(checked));
    let missed = checked.iter().filter(|t| !t.met).count();
    println!(
        "{} of {} targets met, {} missed.",
        count((checked.len() - missed) as u64),
        count(checked.len() as u64),
        count(missed as u64)
    );
    print!("{}", notes(modes, plot));
}

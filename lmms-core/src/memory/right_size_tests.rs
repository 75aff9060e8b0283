use super::*;
use crate::memory::lambda::{
    LAMBDA_MAX_MB, LAMBDA_MIN_MB, LAMBDA_PRICE_PER_REQUEST, LAMBDA_X86_PRICE_PER_GB_S,
};
use std::time::Duration;

fn ms(x: f64) -> Duration {
    Duration::from_secs_f64(x / 1000.0)
}

fn trace_of(n: usize, peak: u64, cpu: Duration, wait: Duration) -> Trace {
    let mut t = Trace::new();
    for _ in 0..n {
        t.push(TracedInvocation::new(peak, cpu, wait));
    }
    t
}

fn size(s: &RightSizing, mb: u32) -> &SizeCost {
    s.at(mb).unwrap_or_else(|| panic!("{mb} MB not priced"))
}

#[test]
fn wait_bound_trace_is_cheapest_at_the_smallest_fitting_size() {
    // 20 ms waiting on an API, 50 µs of CPU: cost grows with memory.
    let t = trace_of(1000, 10 * MIB, ms(0.05), ms(20.0));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(s.recommended_mb, Some(128));
    assert!(size(&s, 128).cost_usd < size(&s, 256).cost_usd);
    assert!(size(&s, 256).cost_usd < size(&s, 4096).cost_usd);
    assert_eq!(s.sizes.len(), (LAMBDA_MAX_MB - LAMBDA_MIN_MB + 1) as usize);
}

#[test]
fn cpu_bound_trace_recommends_a_bigger_size_than_a_wait_bound_one() {
    // 0.9 ms of CPU on a full core, no wait. At MB below 1769 it runs 0.9 × 1769 / MB ms,
    // billed rounded up: MB × ceil(1592.1 / MB) is least (1593) at 177 MB (9 ms), 531 MB
    // (3 ms) and 1593 MB (1 ms); the smallest of these wins the tie. At 128 MB: 13 ms, 1664.
    let cpu = trace_of(1000, 10 * MIB, ms(0.9), Duration::ZERO);
    let wait = trace_of(1000, 10 * MIB, ms(0.05), ms(20.0));
    let opts = RightSizeOptions::new();
    let c = RightSizing::for_trace(&cpu, &opts).unwrap();
    let w = RightSizing::for_trace(&wait, &opts).unwrap();
    assert_eq!(c.recommended_mb, Some(177));
    assert_eq!(size(&c, 177).billed_ms, 9 * 1000);
    assert_eq!(size(&c, 128).billed_ms, 13 * 1000);
    assert!(c.recommended_mb > w.recommended_mb);
    assert_eq!(size(&c, 1593).cost_usd, size(&c, 177).cost_usd);
    // Pure CPU costs about the same at any size below one vCPU (only rounding differs),
    // and more above it, where extra vCPUs sit idle.
    let big = trace_of(100, 10 * MIB, ms(100.0), Duration::ZERO);
    let b = RightSizing::for_trace(&big, &opts).unwrap();
    let (at_128, at_1024) = (size(&b, 128).gb_s, size(&b, 1024).gb_s);
    assert!(
        (at_128 - at_1024).abs() / at_1024 < 0.01,
        "{at_128} vs {at_1024}"
    );
    assert!(size(&b, 3538).gb_s > 1.9 * at_1024);
}

#[test]
fn an_oom_size_is_never_recommended() {
    // Wait-bound, so smaller would be cheaper, but the peak needs 300 MiB × 1.25 = 375 MB.
    let t = trace_of(100, 300 * MIB, ms(0.1), ms(30.0));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(s.needed_bytes, 375 * MIB);
    assert_eq!(s.recommended_mb, Some(375));
    assert!(size(&s, 374).oom && !size(&s, 375).oom);
    assert!(size(&s, 374).cost_usd < size(&s, 375).cost_usd);
    assert_eq!(s.smallest_fitting().unwrap().memory_mb, 375);
    // One invocation's peak decides, and so does the INIT's.
    let mut t = trace_of(100, 10 * MIB, ms(0.1), ms(30.0));
    t.init = Some(TracedInvocation::new(400 * MIB, ms(5.0), Duration::ZERO));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(s.recommended_mb, Some(500));
    // Nothing fits: no recommendation, every size marked.
    let t = trace_of(1, 9 * 1024 * MIB, ms(1.0), Duration::ZERO);
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(s.recommended_mb, None);
    assert!(s.sizes.iter().all(|x| x.oom));
}

#[test]
fn each_invocation_is_rounded_up_to_one_millisecond() {
    // 1.2 ms of wait and no CPU: 2 ms billed each, at every size.
    let t = trace_of(10, MIB, Duration::ZERO, ms(1.2));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(size(&s, 128).billed_ms, 20);
    assert_eq!(size(&s, 10_240).billed_ms, 20);
    // Exactly 1 ms is 1 ms; 1 ms + 1 ns is 2.
    let t = trace_of(3, MIB, Duration::ZERO, Duration::from_nanos(1_000_001));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(size(&s, 1024).billed_ms, 6);
    let t = trace_of(3, MIB, Duration::ZERO, Duration::from_millis(1));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(size(&s, 1024).billed_ms, 3);
}

#[test]
fn cpu_is_stretched_exactly_and_huge_durations_saturate() {
    // 1 ns of CPU at 128 MB runs ceil(1769 / 128) = 14 ns: with 1 ms - 14 ns of wait that
    // is exactly 1 ms, one nanosecond less of wait is still 1 ms, one more is 2.
    let billed = |wait_ns: u64| {
        let t = trace_of(
            1,
            MIB,
            Duration::from_nanos(1),
            Duration::from_nanos(wait_ns),
        );
        let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
        size(&s, 128).billed_ms
    };
    assert_eq!(billed(1_000_000 - 14), 1);
    assert_eq!(billed(1_000_000 - 15), 1);
    assert_eq!(billed(1_000_000 - 13), 2);
    // Durations past u64 nanoseconds take the wide path and saturate, never wrap.
    let t = trace_of(2, MIB, Duration::MAX, Duration::MAX);
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!(size(&s, 128).billed_ms, u64::MAX);
    assert_eq!(size(&s, 10_240).billed_ms, u64::MAX);
    let year = Duration::from_secs(365 * 86_400);
    let t = trace_of(1, MIB, year * 600, Duration::ZERO);
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    let want = (year * 600).as_nanos() * 1769 / 128 / 1_000_000;
    assert_eq!(u128::from(size(&s, 128).billed_ms), want);
}

#[test]
fn cost_is_gb_seconds_plus_request_fees_with_the_init_billed() {
    let mut t = trace_of(4, MIB, ms(10.0), ms(40.0));
    t.init = Some(TracedInvocation::new(MIB, ms(100.0), Duration::ZERO));
    let opts = RightSizeOptions::new();
    let s = RightSizing::for_trace(&t, &opts).unwrap();
    // At 2048 MB (a full core): 50 ms per invocation, INIT 100 ms.
    let c = size(&s, 2048);
    assert_eq!((c.init_billed_ms, c.billed_ms), (100, 200));
    assert!((c.gb_s - 2.0 * 0.3).abs() < 1e-12);
    let cost = 0.6 * LAMBDA_X86_PRICE_PER_GB_S + 4.0 * LAMBDA_PRICE_PER_REQUEST;
    assert!((c.cost_usd - cost).abs() < 1e-15);
    assert!((c.cost_per_million_usd - cost / 4.0 * 1e6).abs() < 1e-9);
    assert!((c.gb_s_per_1k - 0.6 / 4.0 * 1000.0).abs() < 1e-9);
    // At 128 MB the CPU part stretches by 1769 / 128; the wait does not.
    let c = size(&s, 128);
    let per = (40.0f64 + 10.0 * 1769.0 / 128.0).ceil() as u64;
    assert_eq!(c.billed_ms, 4 * per);
    assert_eq!(c.init_billed_ms, (100.0f64 * 1769.0 / 128.0).ceil() as u64);
    assert_eq!(c.cpu_share, 128.0 / 1769.0);
    // Free request fees and a custom GB-s price.
    let s = RightSizing::for_trace(
        &t,
        &RightSizeOptions::new()
            .price_per_request(0.0)
            .price_per_gb_s(1.0),
    )
    .unwrap();
    assert!((size(&s, 2048).cost_usd - 0.6).abs() < 1e-12);
}

#[test]
fn sizes_range_and_step() {
    let t = trace_of(2, MIB, ms(1.0), ms(1.0));
    let s =
        RightSizing::for_trace(&t, &RightSizeOptions::new().sizes(256, 1024).step_mb(256)).unwrap();
    let mbs: Vec<u32> = s.sizes.iter().map(|x| x.memory_mb).collect();
    assert_eq!(mbs, [256, 512, 768, 1024]);
    assert!(s.at(128).is_none());
    assert_eq!(s.recommended_mb, Some(256));
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new().sizes(10_240, 10_240)).unwrap();
    assert_eq!(s.sizes.len(), 1);
}

#[test]
fn bad_input_is_an_error() {
    let t = trace_of(1, MIB, ms(1.0), ms(1.0));
    let run = |o: RightSizeOptions| RightSizing::for_trace(&t, &o).unwrap_err();
    let o = RightSizeOptions::new;
    assert_eq!(
        run(o().safety_margin(0.99)),
        RightSizeError::SafetyMargin(0.99)
    );
    assert!(matches!(
        run(o().safety_margin(f64::NAN)),
        RightSizeError::SafetyMargin(_)
    ));
    assert!(matches!(
        run(o().price_per_gb_s(-1.0)),
        RightSizeError::Price("price_per_gb_s", _)
    ));
    assert!(matches!(
        run(o().price_per_request(f64::INFINITY)),
        RightSizeError::Price("price_per_request", _)
    ));
    assert_eq!(run(o().sizes(64, 512)), RightSizeError::Sizes(64, 512));
    assert_eq!(run(o().sizes(512, 256)), RightSizeError::Sizes(512, 256));
    assert_eq!(
        run(o().sizes(128, 20_000)),
        RightSizeError::Sizes(128, 20_000)
    );
    assert_eq!(run(o().step_mb(0)), RightSizeError::Step);
    assert_eq!(
        RightSizing::for_trace(&Trace::new(), &o()).unwrap_err(),
        RightSizeError::EmptyTrace
    );
    assert!(RightSizeError::Step.to_string().contains("step"));
}

#[test]
fn rebuilds_and_peak_are_reported() {
    let mut t = trace_of(3, MIB, ms(0.01), ms(30.0));
    t.invocations[1] = t.invocations[1].with_rebuilds(2);
    t.invocations[2].peak_bytes = 5 * MIB;
    let s = RightSizing::for_trace(&t, &RightSizeOptions::new()).unwrap();
    assert_eq!((s.invocations, s.rebuilds, s.peak_bytes), (3, 2, 5 * MIB));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["recommended_mb"], 128);
    assert_eq!(json["sizes"][0]["memory_mb"], 128);
}

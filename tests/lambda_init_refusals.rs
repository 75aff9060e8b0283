//! `lmms::lambda::Boundary::init` refuses, with a message naming the fix, what would break
//! the boundary later: a runtime without tokio's timers (the extension bounds its waits with
//! them), a background sweeper interval of zero (a loop without pause on the sweep lock),
//! and an Extensions API that never answers the registration (INIT would hang). One test:
//! each case sets environment variables, which the process shares.

use lmms::lambda::{Boundary, BoundaryMode, Options};
use std::time::{Duration, Instant};

fn runtime(timers: bool) -> tokio::runtime::Runtime {
    let mut b = tokio::runtime::Builder::new_current_thread();
    b.enable_io();
    if timers {
        b.enable_time();
    }
    b.build().unwrap()
}

fn init_error(rt: &tokio::runtime::Runtime, options: Options) -> String {
    match rt.block_on(Boundary::init(options)) {
        Ok(b) => panic!("Boundary::init accepted it: {:?}", b.mode()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn init_refuses_what_would_break_the_boundary() {
    // Read when the gateway starts, at the first `Boundary::init` that gets that far.
    std::env::set_var("LMMS_SWEEP_INTERVAL_MS", "0");
    // Nothing listens there; the cases below end before anything is sent to it.
    std::env::set_var("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9");

    // A runtime without timers, as `enable_io()` alone builds.
    std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
    let e = init_error(&runtime(false), Options::default());
    assert!(e.contains("timers") && e.contains("enable_all()"), "{e}");

    // Lambda Managed Instances with a zero interval from the environment.
    std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "4");
    let rt = runtime(true);
    let e = init_error(&rt, Options::default());
    assert!(e.contains("LMMS_SWEEP_INTERVAL_MS is 0"), "{e}");
    // The options' own interval serves instead.
    let options = Options::default().sweep_interval(Duration::from_millis(50));
    let boundary = rt
        .block_on(Boundary::init(options))
        .expect("an interval of 50 ms");
    assert_eq!(
        boundary.mode(),
        BoundaryMode::Sweeper { max_concurrency: 4 }
    );
    lmms::gateway().stop_sweeper();

    // An Extensions API that takes the connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std::env::set_var(
        "AWS_LAMBDA_RUNTIME_API",
        listener.local_addr().unwrap().to_string(),
    );
    std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let started = Instant::now();
    let e = rt.block_on(async {
        let init = Boundary::init(Options::default());
        match tokio::time::timeout(Duration::from_secs(30), init).await {
            Ok(Ok(_)) => panic!("registered with an API that never answers"),
            Ok(Err(e)) => e.to_string(),
            Err(_) => panic!("Boundary::init still waiting for the registration after 30 s"),
        }
    });
    assert!(e.contains("no answer from the Extensions API"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

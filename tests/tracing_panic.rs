//! A `tracing` subscriber is user code: it may panic, or call back into the gateway, from
//! the events lmms sends for load, unload, promotion and demotion. Events go out after the
//! runtime's state is settled, with no runtime lock held, and a panic in one is contained:
//! every waiter of the build gets its value, and the gateway stays usable.
//!
//! Runs with the `tracing` feature: `cargo test -p lmms --features tracing --test tracing_panic`.

use lmms::{Init, InitError};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

static EVENTS: AtomicUsize = AtomicUsize::new(0);

/// Calls back into the gateway on every lmms event, then panics.
struct Hostile;

impl Subscriber for Hostile {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        if e.metadata().target() == "lmms" {
            EVENTS.fetch_add(1, SeqCst);
            let gw = lmms::gateway();
            let _ = (gw.stats(), gw.modules(), gw.operations());
            panic!("subscriber exploded");
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[lmms::module(name = "traced", policy = "feature")]
pub struct Traced(u32);
impl Init for Traced {
    fn init() -> Result<Self, InitError> {
        std::thread::sleep(Duration::from_millis(30));
        Ok(Traced(11))
    }
}
#[lmms::operation(interface = "traced", op = "get", module = Traced)]
pub fn get(t: &Traced) -> u32 {
    t.0
}

#[test]
fn a_panicking_reentrant_subscriber_leaves_every_waiter_served() {
    tracing::subscriber::set_global_default(Hostile).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..4 {
        let tx = tx.clone();
        std::thread::spawn(move || tx.send(get()).unwrap());
    }
    for _ in 0..4 {
        let r = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a waiter hung after the subscriber panicked");
        assert_eq!(r.unwrap(), 11);
    }
    let gw = lmms::gateway();
    assert!(
        gw.unload("traced").unwrap(),
        "the unload event panics too, contained"
    );
    assert_eq!(get().unwrap(), 11, "rebuilt after a contained panic");
    assert!(
        EVENTS.load(SeqCst) >= 3,
        "load, unload, load: {}",
        EVENTS.load(SeqCst)
    );
}

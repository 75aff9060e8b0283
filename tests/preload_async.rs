//! `Gateway::preload_async`: builds a module ahead of need — an async init awaited, a
//! blocking one run — and holds it for no call, so the module stays unloadable.

use lmms::{AsyncInit, Init, InitError};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static REMOTE_BUILDS: AtomicUsize = AtomicUsize::new(0);
static TABLE_BUILDS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module(name = "remote", policy = "feature", async_init)]
pub struct Remote(String);

impl AsyncInit for Remote {
    async fn init() -> Result<Self, InitError> {
        REMOTE_BUILDS.fetch_add(1, SeqCst);
        tokio::task::yield_now().await;
        Ok(Remote("eu-west-1".into()))
    }
}

#[lmms::operation(interface = "remote", op = "region", module = Remote)]
pub async fn region(r: &Remote) -> String {
    r.0.clone()
}

#[lmms::module(name = "table", policy = "feature")]
pub struct Table(Vec<u64>);

impl Init for Table {
    fn init() -> Result<Self, InitError> {
        TABLE_BUILDS.fetch_add(1, SeqCst);
        Ok(Table((0..64).collect()))
    }
}

#[lmms::operation(interface = "table", op = "len", module = Table)]
pub fn len(t: &Table) -> usize {
    t.0.len()
}

#[path = "common/modules.rs"]
mod modules;
use modules::module;

#[tokio::test]
async fn preload_async_builds_once_and_holds_nothing() {
    let gw = lmms::gateway();
    for (name, builds) in [("remote", &REMOTE_BUILDS), ("table", &TABLE_BUILDS)] {
        assert!(
            !module(name).resident,
            "{name}: nothing is built before it is needed"
        );
        gw.preload_async(name).await.unwrap();
        let info = module(name);
        assert!(info.resident, "{name}: preloaded");
        assert_eq!(info.active_calls, 0, "{name}: the preload holds no call");
        assert_eq!(builds.load(SeqCst), 1, "{name}: one build");
        // Preloading a resident module builds nothing.
        gw.preload_async(name).await.unwrap();
        assert_eq!(builds.load(SeqCst), 1, "{name}: still one build");
    }
    // The calls are served by the preloaded builds.
    assert_eq!(region().await.unwrap(), "eu-west-1");
    assert_eq!(len().unwrap(), 64);
    assert_eq!(REMOTE_BUILDS.load(SeqCst) + TABLE_BUILDS.load(SeqCst), 2);
    // Held by nothing, both can be unloaded.
    for name in ["remote", "table"] {
        gw.unload(name).unwrap();
        assert!(!module(name).resident, "{name}: unloaded after its preload");
    }
}

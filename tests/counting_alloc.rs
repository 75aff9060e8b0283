//! The counting allocator as the global allocator, small enough for miri (CI runs this file
//! under `cargo +nightly miri test`): every allocation path it forwards (alloc, zeroed,
//! realloc, dealloc) is exercised, and a module's build and drop are attributed to it.

use lmms::{Config, Init, InitError};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

#[lmms::module(policy = "feature")]
pub struct Buffers {
    zeroed: Vec<u8>,
    grown: Vec<u32>,
}

impl Init for Buffers {
    fn init() -> Result<Self, InitError> {
        let zeroed = vec![0u8; 4096]; // alloc_zeroed
        let mut grown = Vec::with_capacity(1); // alloc
        for i in 0..1024 {
            grown.push(i); // realloc as it grows
        }
        Ok(Buffers { zeroed, grown })
    }
}

#[lmms::operation(interface = "buffers", op = "sum", module = Buffers)]
pub fn sum(b: &Buffers) -> u64 {
    b.zeroed.iter().map(|&x| u64::from(x)).sum::<u64>()
        + b.grown.iter().map(|&x| u64::from(x)).sum::<u64>()
}

#[test]
fn build_and_drop_are_attributed_to_the_module() {
    lmms::configure(Config::builder().build().unwrap()).unwrap();
    let gw = lmms::gateway();
    let before = lmms::memory::live_heap_bytes().expect("the counting allocator is installed");
    assert_eq!(sum().unwrap(), (0..1024u64).sum::<u64>());
    let info = gw
        .modules()
        .into_iter()
        .find(|m| m.name == "buffers")
        .unwrap();
    let bytes = info.bytes.expect("measured");
    // 4 KiB zeroed + 4 KiB of u32 (the final capacity is at least 1024 elements).
    assert!(bytes >= 4096 + 4096, "module bytes {bytes}");
    let resident = lmms::memory::live_heap_bytes().unwrap();
    assert!(
        resident >= before + 8192,
        "live heap {before} -> {resident}"
    );
    assert!(gw.unload("buffers").unwrap());
    let after = lmms::memory::live_heap_bytes().unwrap();
    // What the drop freed, counted on the dropping thread: all of the module's bytes.
    // (`stats()` also reads /proc/self/statm, which miri's isolation refuses.)
    if !cfg!(miri) {
        let reclaimed = gw.stats().memory_reclaimed_bytes.expect("measured");
        assert!(reclaimed >= 8192, "the unload reclaimed {reclaimed} bytes");
    }
    // The process-wide live heap fell too. Not by all of it, necessarily: other threads
    // (the test harness's, a runtime thread starting up) may allocate meanwhile — a CI run
    // under load saw 7 340 of the 8 192+ bytes.
    assert!(
        resident - after >= 4096,
        "unload gave back {} bytes of live heap",
        resident - after
    );
    let info = gw
        .modules()
        .into_iter()
        .find(|m| m.name == "buffers")
        .unwrap();
    assert!(!info.resident && info.builds == 1 && info.drops == 1);
}

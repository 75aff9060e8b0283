//! A dynamic call frees its arguments on every exit: the shim's argument map is dropped by
//! hand (out of line, to keep each shim small), so a path that skipped it would leak the
//! caller's JSON on each call. Counted with the counting allocator (its own process).

use serde_json::json;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

#[lmms::operation(interface = "args_freed", op = "len")]
pub fn len(text: String, times: u64) -> u64 {
    text.len() as u64 * times
}

const CALLS: usize = 1000;
/// Each call's argument string: a leak of it on every call would be over 1 MB.
const TEXT: usize = 1024;

fn live() -> u64 {
    lmms::memory::live_heap_bytes().expect("the counting allocator is installed")
}

#[test]
fn arguments_are_freed_on_success_and_on_each_error() {
    let text = "x".repeat(TEXT);
    let call = |args: &serde_json::Value| lmms::execute("args_freed", "len", args.clone());
    // The shim's exits: success, a bad argument (after the first was taken), a missing one,
    // a key that is no parameter.
    let exits = [
        json!({ "text": text, "times": 2 }),
        json!({ "text": text, "times": "two" }),
        json!({ "text": text }),
        json!({ "text": text, "times": 2, "x": 1 }),
    ];
    assert_eq!(call(&exits[0]).unwrap(), json!(2 * TEXT as u64));
    for args in &exits[1..] {
        assert!(call(args).is_err(), "{args} is refused");
    }
    for (exit, args) in exits.iter().enumerate() {
        // Warm: the gateway's own first-use allocations are not the arguments'.
        for _ in 0..10 {
            let _ = call(args);
        }
        let before = live();
        for _ in 0..CALLS {
            let _ = call(args);
        }
        let grown = live().saturating_sub(before);
        assert!(
            grown < (CALLS * TEXT / 4) as u64,
            "exit {exit}: live heap grew by {grown} bytes over {CALLS} calls"
        );
    }
}

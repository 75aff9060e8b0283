use std::future::Future;

#[lmms::module]
pub struct Counter {
    start: u64,
}

impl lmms::Init for Counter {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Counter { start: 40 })
    }
}

#[lmms::operation(interface = "counter", op = "add", module = Counter)]
pub async fn add(c: &Counter, n: u64) -> u64 {
    std::future::ready(()).await;
    c.start + n
}

#[lmms::operation(interface = "counter", op = "echo")]
pub async fn echo(text: String) -> String {
    text
}

/// A minimal executor: lmms needs no particular async runtime.
fn block_on<F: Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

fn main() {
    // The async fn stays an async fn, with the state parameter removed.
    let fut = add(2);
    let sum: Result<u64, lmms::Error> = block_on(fut);
    assert_eq!(sum.unwrap(), 42);
    assert_eq!(block_on(echo("hi".into())).unwrap(), "hi");

    let json = block_on(lmms::execute_async(
        "counter",
        "add",
        serde_json::json!({"n": 1}),
    ))
    .unwrap();
    assert_eq!(json, 41);

    // The sync entry point refuses an async operation with a clear error.
    let err = lmms::execute("counter", "echo", serde_json::json!({"text": "x"})).unwrap_err();
    assert!(matches!(err, lmms::Error::AsyncOperation { .. }), "{err}");
}

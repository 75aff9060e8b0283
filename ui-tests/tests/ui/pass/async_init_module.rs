use std::future::Future;

#[lmms::module(async_init)]
pub struct Remote {
    greeting: String,
}

impl lmms::AsyncInit for Remote {
    async fn init() -> Result<Self, lmms::InitError> {
        std::future::ready(()).await;
        Ok(Remote {
            greeting: "hello".into(),
        })
    }
}

#[lmms::operation(interface = "remote", op = "greet", module = Remote)]
pub async fn greet(r: &Remote, name: String) -> String {
    format!("{} {name}", r.greeting)
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
    assert_eq!(block_on(greet("Ada".into())).unwrap(), "hello Ada");
    let json = block_on(lmms::execute_async(
        "remote",
        "greet",
        serde_json::json!({"name": "Bo"}),
    ))
    .unwrap();
    assert_eq!(json, "hello Bo");
}

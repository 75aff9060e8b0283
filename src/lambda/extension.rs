//! The internal extension that runs the boundary sweep after each response.
//!
//! Lambda freezes a classic execution environment when the runtime *and* every extension
//! wait for their next event. The runtime asks as soon as it has posted a response; this
//! extension, registered for `INVOKE` events, asks only after it has swept: it waits
//! for the [layer](super::layer)'s end mark of the invocation (its request id), sweeps on
//! a blocking thread, logs the stats line, and only then returns to `next`.

use super::emf::{now_ms, Emitter, SweepFacts};
use lambda_extension::{service_fn, Error, Extension, LambdaEvent, NextEvent};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::Mutex;

/// The name the extension registers under (unique within the function).
pub(super) const EXTENSION_NAME: &str = "lmms-boundary";

/// The longest a Lambda invocation can run (15 minutes): the wait for an end mark is
/// bounded by the invocation's deadline, and by this if the deadline is unreadable.
const MAX_INVOCATION: Duration = Duration::from_secs(15 * 60);

/// How the layer marks the end of an invocation for the extension.
pub(super) struct EndSignal {
    tx: UnboundedSender<String>,
    /// Set when the layer wraps a runtime's service: without it no end mark ever comes.
    layered: Arc<AtomicBool>,
}

impl EndSignal {
    /// The invocation `request_id` has ended (a send fails only if the extension has
    /// stopped; it logged why).
    pub(super) fn ended(&self, request_id: String) {
        let _ = self.tx.send(request_id);
    }

    /// The layer now wraps a runtime's service.
    pub(super) fn layered(&self) {
        self.layered.store(true, Ordering::SeqCst);
    }
}

/// A connected signal (for the layer) and receiver (for the extension).
fn channel() -> (EndSignal, Ends) {
    let (tx, rx) = mpsc::unbounded_channel();
    let layered = Arc::new(AtomicBool::new(false));
    let ends = Ends {
        rx,
        early: VecDeque::new(),
        layered: layered.clone(),
    };
    (EndSignal { tx, layered }, ends)
}

/// How long INIT waits for the Extensions API to answer the registration.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(5);

/// Registers the extension (it must be, before the runtime's first `next`), starts its
/// event loop on a task, and returns the signal on which the layer marks invocation ends.
pub(super) async fn register(emitter: Arc<Emitter>) -> Result<EndSignal, Error> {
    let (signal, ends) = channel();
    let ends = Arc::new(Mutex::new(ends));
    let processor = service_fn(move |event: LambdaEvent| {
        let (ends, emitter) = (ends.clone(), emitter.clone());
        async move { on_event(event, ends, emitter).await }
    });
    let registration = Extension::new()
        .with_extension_name(EXTENSION_NAME)
        .with_events(&["INVOKE"])
        .with_events_processor(processor)
        .register();
    // Lambda ends INIT after 10 s; an Extensions API that takes the connection and never
    // answers would otherwise hold it that long, or for ever under an emulator.
    let registered = tokio::time::timeout(REGISTER_TIMEOUT, registration)
        .await
        .map_err(|_| {
            format!(
                "lmms::lambda: registering the `{EXTENSION_NAME}` extension: no answer from the \
                 Extensions API within {} s",
                REGISTER_TIMEOUT.as_secs()
            )
        })?
        .map_err(|e| format!("lmms::lambda: registering the `{EXTENSION_NAME}` extension: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = registered.run().await {
            // Without it the environment would freeze before sweeps: say so.
            println!("[LMMS_FAULT] lmms::lambda: the `{EXTENSION_NAME}` extension stopped: {e}");
        }
    });
    Ok(signal)
}

/// How many end marks [`Ends`] keeps for `INVOKE` events still to come. A mark that
/// arrives while another invocation is awaited is usually late (its own wait ran into
/// its deadline), and no `INVOKE` will claim it: without a bound, each such mark would
/// be kept for the life of the environment.
const EARLY_MARKS: usize = 16;

/// The end marks the layer sent, and those that arrived before their `INVOKE` event
/// (the newest [`EARLY_MARKS`]).
struct Ends {
    rx: UnboundedReceiver<String>,
    early: VecDeque<String>,
    layered: Arc<AtomicBool>,
}

impl Ends {
    /// Waits for `request_id`'s end mark. `false` if every sender is gone.
    async fn wait(&mut self, request_id: &str) -> bool {
        if let Some(at) = self.early.iter().position(|id| id == request_id) {
            self.early.remove(at);
            return true;
        }
        while let Some(id) = self.rx.recv().await {
            if id == request_id {
                return true;
            }
            if self.early.len() == EARLY_MARKS {
                self.early.pop_front();
            }
            self.early.push_back(id);
        }
        false
    }
}

async fn on_event(
    event: LambdaEvent,
    ends: Arc<Mutex<Ends>>,
    emitter: Arc<Emitter>,
) -> Result<(), Error> {
    let NextEvent::Invoke(invoke) = event.next else {
        return Ok(());
    };
    let mut ends = ends.lock().await;
    if !ends.layered.load(Ordering::SeqCst) {
        // No end mark will come: waiting would hold every invocation to its deadline.
        println!(
            "[LMMS_FAULT] lmms::lambda: the boundary layer is not on the runtime (add \
             `Boundary::layer()` with `Runtime::layer`): sweeping as invocation {} starts, \
             not after its response",
            invoke.request_id
        );
    } else {
        let wait = until_deadline(invoke.deadline_ms, now_ms());
        let ended = tokio::time::timeout(wait, ends.wait(&invoke.request_id)).await;
        if !matches!(ended, Ok(true)) {
            println!(
                "[LMMS_FAULT] lmms::lambda: no end mark for invocation {} within {} ms (its \
                 deadline); sweeping anyway",
                invoke.request_id,
                wait.as_millis()
            );
        }
    }
    drop(ends);
    // The sweep drops modules (user Drop code, maybe slow): on a blocking thread, so
    // that the async workers stay free.
    let request_id = invoke.request_id;
    let swept = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let report = crate::gateway().sweep();
        let facts = SweepFacts {
            elapsed: started.elapsed(),
            report,
        };
        emitter.emit(&request_id, Some(&facts));
    })
    .await;
    // Never an `Err` to `lambda-extension`: its event loop would end (after posting an init
    // error), the extension would never ask for its next event again, and every later
    // invocation would wait for it until its timeout. One failed sweep is logged instead.
    if let Err(e) = swept {
        println!("[LMMS_FAULT] lmms::lambda: the boundary sweep failed: {e}");
    }
    Ok(())
}

/// Time left until `deadline_ms` (milliseconds since the Unix epoch), at most
/// [`MAX_INVOCATION`]. A deadline already past when the event arrives is no deadline
/// (Lambda sends no expired invocation; some emulators send 0): then the longest an
/// invocation can run.
fn until_deadline(deadline_ms: u64, now_ms: u64) -> Duration {
    match deadline_ms.checked_sub(now_ms) {
        Some(left) if left > 0 => Duration::from_millis(left).min(MAX_INVOCATION),
        _ => MAX_INVOCATION,
    }
}

#[cfg(test)]
mod tests {
    use super::{channel, now_ms, on_event, until_deadline, Ends, EARLY_MARKS, MAX_INVOCATION};
    use crate::lambda::{emf::Emitter, Options, StatsFormat};
    use lambda_extension::{InvokeEvent, LambdaEvent, NextEvent, Tracing};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use tokio::sync::Mutex;

    #[test]
    fn the_wait_for_an_end_mark_is_bounded_by_the_deadline() {
        let now = 1_700_000_000_000;
        assert_eq!(
            until_deadline(now + 2_500, now),
            Duration::from_millis(2_500)
        );
        assert_eq!(until_deadline(now + 3_600_000, now), MAX_INVOCATION);
        // Past, now or unset (0): not a deadline.
        for unusable in [now - 1, now, 0] {
            assert_eq!(until_deadline(unusable, now), MAX_INVOCATION);
        }
    }

    /// The extension's handling of one `INVOKE` (deadline `in_ms` from now), on a task.
    fn invoke(ends: &Arc<Mutex<Ends>>, id: &str, in_ms: u64) -> tokio::task::JoinHandle<()> {
        let event = LambdaEvent {
            next: NextEvent::Invoke(InvokeEvent {
                deadline_ms: now_ms() + in_ms,
                request_id: id.into(),
                invoked_function_arn: "arn:aws:lambda:eu-west-1:0:function:f".into(),
                tracing: Tracing::default(),
            }),
        };
        let emitter = Arc::new(Emitter::new(&Options::default().stats(StatsFormat::Off)));
        let ends = ends.clone();
        tokio::spawn(async move { on_event(event, ends, emitter).await.unwrap() })
    }

    const BOUND: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn the_sweep_waits_for_the_end_mark_of_its_invocation() {
        let (signal, ends) = channel();
        signal.layered();
        let ends = Arc::new(Mutex::new(ends));
        let task = invoke(&ends, "r1", 60_000);
        // Another invocation's mark does not release it.
        signal.ended("r0".into());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!task.is_finished(), "swept before the response");
        let sweeps = crate::gateway().stats().sweeps;
        signal.ended("r1".into());
        tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
        assert!(crate::gateway().stats().sweeps > sweeps);
        // A mark that arrived before its INVOKE (r0's) is kept for it.
        let task = invoke(&ends, "r0", 60_000);
        tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn without_the_layer_it_does_not_wait_for_a_mark_that_cannot_come() {
        let (_signal, ends) = channel();
        let ends = Arc::new(Mutex::new(ends));
        let task = invoke(&ends, "r1", 60_000);
        tokio::time::timeout(BOUND, task)
            .await
            .expect("no wait for the deadline")
            .unwrap();
    }

    #[tokio::test]
    async fn without_a_mark_it_sweeps_at_the_deadline() {
        let (signal, ends) = channel();
        signal.layered();
        let ends = Arc::new(Mutex::new(ends));
        let started = Instant::now();
        tokio::time::timeout(BOUND, invoke(&ends, "r1", 300))
            .await
            .unwrap()
            .unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn late_marks_are_not_kept_for_ever() {
        let (signal, ends) = channel();
        signal.layered();
        let ends = Arc::new(Mutex::new(ends));
        let task = invoke(&ends, "awaited", 60_000);
        // Marks of invocations whose wait already ended (or whose INVOKE never comes).
        for late in 0..1_000 {
            signal.ended(format!("late-{late}"));
        }
        signal.ended("awaited".into());
        tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
        let ends = ends.lock().await;
        assert_eq!(ends.early.len(), EARLY_MARKS);
        // The newest are the ones kept.
        assert_eq!(ends.early.back().map(String::as_str), Some("late-999"));
    }
}

//! The tower layer that marks the end of each invocation.
//!
//! It wraps the runtime's whole invocation service (`Runtime::layer`): the service that
//! deserializes the event, calls the handler and posts the response or error to the
//! Runtime API. Its future therefore ends once the caller has its answer, for every
//! invocation, whether or not the event deserialized or the handler succeeded.

use super::emf::Emitter;
use super::extension::EndSignal;
use lambda_runtime::tower::Layer;
use lambda_runtime::{Error, LambdaInvocation, Service};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// What the layer does at an invocation's end: tell the extension (which sweeps), or,
/// with the background sweeper, log the stats line itself.
struct Shared {
    signal: Option<EndSignal>,
    emitter: Arc<Emitter>,
}

/// The boundary's tower layer, from [`Boundary::layer`](super::Boundary::layer); add it
/// last to a `lambda_runtime::Runtime` so that it wraps the response's posting too.
#[derive(Clone)]
pub struct BoundaryLayer {
    shared: Arc<Shared>,
}

impl BoundaryLayer {
    pub(super) fn new(signal: Option<EndSignal>, emitter: Arc<Emitter>) -> Self {
        BoundaryLayer {
            shared: Arc::new(Shared { signal, emitter }),
        }
    }
}

impl<S> Layer<S> for BoundaryLayer {
    type Service = BoundaryService<S>;

    fn layer(&self, inner: S) -> BoundaryService<S> {
        if let Some(signal) = &self.shared.signal {
            signal.layered();
        }
        BoundaryService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service [`BoundaryLayer`] makes.
#[derive(Clone)]
pub struct BoundaryService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Service<LambdaInvocation> for BoundaryService<S>
where
    S: Service<LambdaInvocation, Response = (), Error = Error>,
{
    type Response = ();
    type Error = Error;
    type Future = BoundaryFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let end = End {
            request_id: invocation.context.request_id.clone(),
            shared: self.shared.clone(),
        };
        BoundaryFuture {
            inner: Box::pin(self.inner.call(invocation)),
            end: Some(end),
        }
    }
}

/// One invocation through [`BoundaryService`]: the runtime's own future, then the end mark.
pub struct BoundaryFuture<F> {
    inner: Pin<Box<F>>,
    end: Option<End>,
}

impl<F: Future<Output = Result<(), Error>>> Future for BoundaryFuture<F> {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = std::task::ready!(self.inner.as_mut().poll(cx));
        // The response (or error) is posted: the invocation has ended.
        drop(self.end.take());
        Poll::Ready(out)
    }
}

/// Marks the end of one invocation when dropped: when the response has been posted, and
/// also if the runtime's future failed or was dropped half way (so that the extension
/// never waits for an end that will not come).
struct End {
    request_id: String,
    shared: Arc<Shared>,
}

impl Drop for End {
    fn drop(&mut self) {
        match &self.shared.signal {
            Some(signal) => signal.ended(std::mem::take(&mut self.request_id)),
            None => self.shared.emitter.emit(&self.request_id, None),
        }
    }
}

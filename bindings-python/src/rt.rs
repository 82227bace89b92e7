//! The async bridge runs futures on the core's shared runtime rather than a runtime owned by
//! pyo3-async-runtimes: the core rebuilds its runtime in a forked child, whereas
//! `pyo3_async_runtimes::tokio::init_with_runtime` pins one runtime for the life of the
//! process (a child would spawn onto a runtime with no threads and hang).

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;

use pyo3_async_runtimes::generic::{ContextExt, Runtime};
use pyo3_async_runtimes::TaskLocals;

pub struct CoreRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

fn handle() -> tokio::runtime::Handle {
    match noorle::runtime::runtime() {
        Ok(rt) => rt.handle().clone(),
        // Callers check `runtime()` before converting a future, so this cannot fail in practice;
        // if it does, the panic is caught and becomes a NoorleError.
        Err(e) => panic!("the noorle runtime is unavailable: {e}"),
    }
}

impl Runtime for CoreRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        handle().spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        handle().spawn_blocking(f)
    }
}

impl ContextExt for CoreRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

//! Running calls on the core's runtime and settling their promises on the JS thread, in batches.
//!
//! napi-rs's own future-to-promise bridge creates, signals and closes one threadsafe function
//! per call: a libuv handle each, and each loop wake-up scans every open one. Here each JS thread
//! (the main one, each worker's) has one threadsafe function for all its calls: a runtime thread
//! queues an answer, the first answer of a batch wakes the loop, and one callback settles every
//! queued promise (as the Python binding's `Completer` does for asyncio).

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::FutureExt;
use napi::bindgen_prelude::*;
use napi::sys;

use crate::{js_error, json_text_to_js};

/// What a call ends with: the answer as JSON text, or the core's error.
pub type Outcome = noorle::Result<String>;

/// A promise's resolver, moved to a runtime thread and back; only used on its JS thread.
struct Deferred(sys::napi_deferred);
// SAFETY: the pointer is only dereferenced by N-API on the thread that created it (in `drain`).
unsafe impl Send for Deferred {}

/// The threadsafe function of one JS thread.
#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);
// SAFETY: `napi_call_threadsafe_function` may be called from any thread while the function is
// open; `Queue::closed` (set by the environment's cleanup hook) says when it no longer is.
unsafe impl Send for Tsfn {}

#[derive(Default)]
struct Queue {
    done: Vec<(Deferred, Outcome)>,
    tsfn: Option<Tsfn>,
    // The environment is tearing down: nothing awaits the promises any more.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an outcome (on a runtime thread); the first of a batch wakes the JS thread.
    fn complete(&self, deferred: Deferred, outcome: Outcome) {
        let mut q = self.lock();
        let Some(tsfn) = q.tsfn.filter(|_| !q.closed) else {
            return;
        };
        q.done.push((deferred, outcome));
        if q.done.len() == 1 {
            // Under the lock, so the cleanup hook cannot close the function in between.
            let status = unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
            if status != sys::Status::napi_ok {
                q.closed = true;
                q.done.clear();
            }
        }
    }
}

/// This JS thread's state: its environment, the shared queue, and how many calls are in flight
/// (the threadsafe function keeps the event loop alive exactly while some are).
struct Local {
    env: sys::napi_env,
    shared: Arc<Shared>,
    tsfn: Tsfn,
    pending: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Runs `fut` on the core's runtime and returns a promise settled with its outcome on this
/// thread; a panic in `fut` rejects the promise with an error.
pub fn submit<'env, F>(env: &'env Env, fut: F) -> Result<Unknown<'env>>
where
    F: Future<Output = Outcome> + Send + 'static,
{
    let handle = noorle::runtime::runtime().map_err(|e| js_error(env, &e))?;
    let shared = LOCAL.with(|l| -> Result<Arc<Shared>> {
        let mut l = l.borrow_mut();
        let local = match l.as_mut() {
            Some(local) if local.env == env.raw() => local,
            _ => l.insert(open(env)?),
        };
        Ok(local.shared.clone())
    })?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) })?;
    LOCAL.with(|l| {
        if let Some(local) = l.borrow_mut().as_mut() {
            local.pending += 1;
            if local.pending == 1 {
                unsafe { sys::napi_ref_threadsafe_function(env.raw(), local.tsfn.0) };
            }
        }
    });
    let deferred = Deferred(deferred);
    handle.spawn(async move {
        let outcome = AssertUnwindSafe(fut)
            .catch_unwind()
            .await
            .unwrap_or_else(|p| Err(noorle::Error::from_panic(p.as_ref())));
        shared.complete(deferred, outcome);
    });
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
}

/// Creates this thread's threadsafe function (not keeping the loop alive until a call is in
/// flight) and the cleanup hook that closes the queue when the environment tears down.
fn open(env: &Env) -> Result<Local> {
    let shared = Arc::new(Shared::default());
    let mut name = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_string_utf8(env.raw(), c"noorle".as_ptr(), 6, &mut name)
    })?;
    let context = Arc::into_raw(shared.clone()) as *mut c_void;
    let mut tsfn = ptr::null_mut();
    let status = unsafe {
        sys::napi_create_threadsafe_function(
            env.raw(),
            ptr::null_mut(),
            ptr::null_mut(),
            name,
            0,
            1,
            context,
            Some(release_context),
            context,
            Some(drain),
            &mut tsfn,
        )
    };
    if status != sys::Status::napi_ok {
        drop(unsafe { Arc::from_raw(context as *const Shared) });
        check_status!(status)?;
    }
    check_status!(unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) })?;
    shared.lock().tsfn = Some(Tsfn(tsfn));
    // Hooks run in reverse order of registration: this one before Node closes the function.
    let hook_arg = Arc::into_raw(shared.clone()) as *mut c_void;
    check_status!(unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(teardown), hook_arg) })?;
    Ok(Local {
        env: env.raw(),
        shared,
        tsfn: Tsfn(tsfn),
        pending: 0,
    })
}

unsafe extern "C" fn release_context(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    drop(unsafe { Arc::from_raw(data as *const Shared) });
}

unsafe extern "C" fn teardown(arg: *mut c_void) {
    let shared = unsafe { Arc::from_raw(arg as *const Shared) };
    {
        let mut q = shared.lock();
        q.closed = true;
        q.done.clear();
    }
    // Also leaves a reused thread (a worker's) to open a new queue for its next environment.
    let _ = LOCAL.try_with(|l| {
        let mut l = l.borrow_mut();
        if l.as_ref()
            .is_some_and(|local| Arc::ptr_eq(&local.shared, &shared))
        {
            *l = None;
        }
    });
}

/// The loop's side: settles every queued promise, each in its own handle scope.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    // A null environment: the function is being closed with the environment.
    if env.is_null() || context.is_null() {
        return;
    }
    let shared = unsafe { &*(context as *const Shared) };
    let items = std::mem::take(&mut shared.lock().done);
    let settled = items.len();
    let env = Env::from_raw(env);
    for (deferred, outcome) in items {
        let mut scope = ptr::null_mut();
        unsafe { sys::napi_open_handle_scope(env.raw(), &mut scope) };
        settle(&env, deferred.0, outcome);
        unsafe { sys::napi_close_handle_scope(env.raw(), scope) };
    }
    let _ = LOCAL.try_with(|l| {
        let mut l = l.borrow_mut();
        if let Some(local) = l
            .as_mut()
            .filter(|local| ptr::eq(Arc::as_ptr(&local.shared), shared))
        {
            local.pending = local.pending.saturating_sub(settled);
            if local.pending == 0 {
                unsafe { sys::napi_unref_threadsafe_function(env.raw(), local.tsfn.0) };
            }
        }
    });
}

fn settle(env: &Env, deferred: sys::napi_deferred, outcome: Outcome) {
    let value = match outcome {
        Ok(text) => json_text_to_js(env, text).map(|v| v.raw()),
        Err(e) => Err(js_error(env, &e)),
    };
    let raw = env.raw();
    match value {
        Ok(v) => unsafe {
            sys::napi_resolve_deferred(raw, deferred, v);
        },
        Err(err) => unsafe {
            // The error object built by `js_error` comes back as itself.
            let v = ToNapiValue::to_napi_value(raw, err).unwrap_or(ptr::null_mut());
            sys::napi_reject_deferred(raw, deferred, v);
        },
    }
}

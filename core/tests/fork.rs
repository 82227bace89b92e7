//! A forked child inherits none of the runtime's threads: the shared runtime and the client's
//! connection pool are rebuilt there, so calls work instead of hanging.

// Unix only: fork(2) and waitpid(2) have no Windows counterpart.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use noorle::ApiKey;

#[test]
fn blocking_client_works_in_a_forked_child() {
    // The server runs on its own runtime, which stays alive in the parent.
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let env = server_rt.block_on(common::start());
    let key = ApiKey::parse(env.server.root_key().unwrap()).unwrap();
    let client = noorle::blocking::Client::new(common::builder(&env).api_key(key.clone())).unwrap();
    client.whoami().unwrap(); // the shared runtime and a pooled connection now exist
                              // Built but never used: its HTTP client comes into being in the child, at its first call.
    let fresh = noorle::blocking::Client::new(common::builder(&env).api_key(key)).unwrap();

    // SAFETY: the child only makes SDK calls and leaves with _exit, never returning into the
    // test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = (0..3).all(|_| client.whoami().is_ok() && fresh.whoami().is_ok());
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let start = Instant::now();
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the child hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
    // The parent is unaffected.
    client.whoami().unwrap();
    fresh.whoami().unwrap();
}

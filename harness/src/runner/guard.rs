//! Panics inside a case become results, never lost verdicts.
//!
//! Owns catching the unwind around the code a trial runs ([`catch`]) and recovering the panic's
//! message *and* location (`file:line:col`), which the unwind payload alone does not carry. A
//! process-wide panic hook, installed once ([`install_hook`]), records the panic of a thread that
//! is inside [`catch`] into a thread-local slot instead of printing it (the case's result reports
//! it); panics anywhere else go to the hook that was installed before, unchanged.
//!
//! Also owns the self-test hook [`INJECT_PANIC_ENV`]: the harness's own tests set it to make a
//! named step panic, to prove that a harness bug turns into an `error` result, that cleanups still
//! run and that the exit code is 1.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// Environment variable for the harness's own tests: a step whose name equals its value panics
/// just before its request is rendered. Never set it in real runs.
pub const INJECT_PANIC_ENV: &str = "EWS_CONFORMANCE_SELFTEST_PANIC_STEP";

thread_local! {
    /// How many [`catch`] frames this thread is inside.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The last panic recorded on this thread while inside [`catch`].
    static LAST: RefCell<Option<Panicked>> = const { RefCell::new(None) };
}

/// A caught panic: its message and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked {
    pub message: String,
    /// `file:line:col` of the panic, when the hook saw it.
    pub location: Option<String>,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(at) => write!(f, "harness bug: panicked at {at}: {}", self.message),
            None => write!(f, "harness bug: panicked: {}", self.message),
        }
    }
}

/// Installs the recording panic hook (once per process; later calls do nothing).
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                previous(info);
                return;
            }
            let recorded = Panicked {
                message: payload_text(info.payload()),
                location: info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
            };
            LAST.with(|slot| *slot.borrow_mut() = Some(recorded));
        }));
    });
}

/// Runs `f`; a panic inside it is returned as [`Panicked`] instead of unwinding further.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    LAST.with(|slot| slot.borrow_mut().take());
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    outcome.map_err(|payload| {
        LAST.with(|slot| slot.borrow_mut().take())
            .unwrap_or_else(|| Panicked {
                message: payload_text(payload.as_ref()),
                location: None,
            })
    })
}

/// Panics when the self-test hook names this step (see [`INJECT_PANIC_ENV`]).
pub fn maybe_inject(step_name: &str) {
    if std::env::var(INJECT_PANIC_ENV).is_ok_and(|name| name == step_name) {
        panic!("self-test panic injected into step `{step_name}`");
    }
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_returned_with_its_message_and_location() {
        let line = line!() + 1;
        let caught = catch(|| -> u8 { panic!("boom {}", 42) }).unwrap_err();
        assert_eq!(caught.message, "boom 42");
        let at = caught
            .location
            .clone()
            .expect("location recorded by the hook");
        assert!(
            at.contains("guard.rs") && at.contains(&format!(":{line}:")),
            "{at}"
        );
        assert!(caught.to_string().starts_with("harness bug: panicked at "));
    }

    #[test]
    fn a_value_passes_through_and_nesting_keeps_the_inner_panic() {
        assert_eq!(catch(|| 7), Ok(7));
        let outer = catch(|| {
            let inner = catch(|| -> () { panic!("inner") });
            assert_eq!(inner.unwrap_err().message, "inner");
            "outer survived"
        });
        assert_eq!(outer, Ok("outer survived"));
    }
}

//! Where generation's time goes, printed on stderr as `timing: ...` lines.

use std::time::Instant;

/// Prints how long `what` took since `started`.
pub(super) fn phase(what: &str, started: Instant) {
    eprintln!("timing: {:>7.1} s  {what}", started.elapsed().as_secs_f64());
}

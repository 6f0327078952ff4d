//! The standard Prometheus process metrics, read from `/proc/self` (Linux; elsewhere they are
//! left out): resident memory, CPU time, open and allowed file descriptors, start time.

use std::fmt::Write;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on every Linux port).
const TICKS_PER_SEC: f64 = 100.0;

/// What `/proc/self` tells.
#[derive(Debug, Default, PartialEq)]
pub struct Process {
    /// Resident memory in bytes.
    pub resident_bytes: Option<u64>,
    /// User and system CPU time in seconds.
    pub cpu_seconds: Option<f64>,
    /// Open file descriptors.
    pub open_fds: Option<u64>,
    /// The soft limit of open file descriptors.
    pub max_fds: Option<u64>,
    /// Start time in seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

/// The fields of `/proc/self/stat` after the command name (which may hold spaces), from the
/// third (`state`) on.
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default()
}

impl Process {
    /// Reads the current process.
    pub fn read() -> Self {
        let mut p = Process::default();
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            p.resident_bytes = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .map(|kb| kb * 1024);
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            let f = stat_fields(&stat);
            // utime and stime are fields 14 and 15, starttime 22 (1-based, so 11, 12, 19 here).
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
            if let (Some(u), Some(s)) = (num(11), num(12)) {
                p.cpu_seconds = Some((u + s) as f64 / TICKS_PER_SEC);
            }
            let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("btime "))
                    .and_then(|v| v.trim().parse::<u64>().ok())
            });
            if let (Some(boot), Some(start)) = (boot, num(19)) {
                p.start_time_seconds = Some(boot as f64 + start as f64 / TICKS_PER_SEC);
            }
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            p.open_fds = Some(dir.count() as u64);
        }
        if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
            p.max_fds = limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse().ok());
        }
        p
    }

    /// Appends the metrics that could be read, in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let mut metric = |name: &str, kind: &str, help: &str, value: Option<String>| {
            if let Some(value) = value {
                let _ = write!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
                );
            }
        };
        metric(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            self.resident_bytes.map(|v| v.to_string()),
        );
        metric(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            self.cpu_seconds.map(|v| v.to_string()),
        );
        metric(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            self.open_fds.map(|v| v.to_string()),
        );
        metric(
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            self.max_fds.map(|v| v.to_string()),
        );
        metric(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch in seconds.",
            self.start_time_seconds.map(|v| v.to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_survive_a_command_name_with_spaces() {
        let stat = "42 (crm (worker) 1) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 12345 1000 200";
        let f = stat_fields(stat);
        assert_eq!(f[0], "S");
        assert_eq!(f[11], "250");
        assert_eq!(f[12], "50");
        assert_eq!(f[19], "12345");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        let p = Process::read();
        assert!(p.resident_bytes.unwrap() > 1024 * 1024);
        assert!(p.open_fds.unwrap() >= 3);
        assert!(p.start_time_seconds.unwrap() > 1.6e9);
        assert!(p.cpu_seconds.unwrap() >= 0.0);
    }
}

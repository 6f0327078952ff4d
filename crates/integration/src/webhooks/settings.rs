//! How webhooks behave: the retry schedule, the timeout, the address guard, the automatic
//! disabling and how often the fan-out reads the feed.

use std::time::Duration;

/// The default retry schedule: waits after the 1st, 2nd, ... failed attempt (about a day).
pub const DEFAULT_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h";

/// Settings of webhook delivery.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Waits after each failed attempt; once they are used up the delivery has failed.
    pub retry_schedule: Vec<Duration>,
    /// How long one attempt may take (connect, send, answer).
    pub timeout: Duration,
    /// Allow endpoints on loopback, private, link-local and metadata addresses (tests, and
    /// operators whose receivers are on their own network).
    pub allow_private: bool,
    /// Refuse `http://` endpoints (production).
    pub require_https: bool,
    /// An endpoint failing without a single success for this long is disabled.
    pub disable_after: Duration,
    /// How often the fan-out reads the change feed of an organization with endpoints.
    pub fanout_interval: Duration,
    /// How long a rotated-out secret still signs (both signatures are sent meanwhile).
    pub rotation_overlap: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_schedule: parse_schedule(DEFAULT_SCHEDULE).unwrap_or_default(),
            timeout: Duration::from_secs(10),
            allow_private: false,
            require_https: false,
            disable_after: Duration::from_secs(5 * 86_400),
            fanout_interval: Duration::from_secs(1),
            rotation_overlap: Duration::from_secs(86_400),
        }
    }
}

/// Parses a schedule such as `5s,5m,30m,2h,5h,10h` (units `ms`, `s`, `m`, `h`, `d`; 1 to 20
/// steps, each at most 7 days).
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("`{part}` has no unit (ms, s, m, h or d)"))?;
        let (number, unit) = part.split_at(split);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("`{part}` does not start with a whole number"))?;
        let ms = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(format!("`{part}` has an unknown unit (ms, s, m, h or d)")),
        };
        let wait = Duration::from_millis(n.saturating_mul(ms));
        if wait > Duration::from_secs(7 * 86_400) {
            return Err(format!("`{part}` is longer than 7 days"));
        }
        out.push(wait);
    }
    if out.is_empty() || out.len() > 20 {
        return Err("must have 1 to 20 steps".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        let d = parse_schedule(DEFAULT_SCHEDULE).unwrap();
        assert_eq!(d.len(), 6);
        assert_eq!(d[0], Duration::from_secs(5));
        assert_eq!(d[5], Duration::from_secs(36_000));
        assert_eq!(
            parse_schedule("100ms, 1s").unwrap(),
            vec![Duration::from_millis(100), Duration::from_secs(1)]
        );
        for bad in ["", "5", "5x", "s", "8d"] {
            assert!(parse_schedule(bad).is_err(), "{bad}");
        }
    }
}

//! The standard process metrics (`process_resident_memory_bytes`, `process_cpu_seconds_total`,
//! `process_open_fds`, `process_start_time_seconds`), read from `/proc/self` at each scrape
//! as the Prometheus client libraries do. Linux only; elsewhere they are left out.

use keyportal_service::metrics::exposition::{Exposition, Kind};

/// What `/proc/self/stat` says, in its own units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// User and system CPU time, in clock ticks.
    pub utime: u64,
    pub stime: u64,
    /// When the process started, in clock ticks after boot.
    pub start_ticks: u64,
    /// Resident set size, in pages.
    pub rss_pages: u64,
}

/// Parses `/proc/self/stat`. The command name (field 2) is in parentheses and may hold spaces
/// and parentheses itself, so fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let after_name = &text[text.rfind(')')? + 1..];
    // Field 3 (state) is the first after the name; field n is at index n - 3.
    let fields: Vec<&str> = after_name.split_ascii_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(ProcStat {
        utime: field(14)?,
        stime: field(15)?,
        start_ticks: field(22)?,
        rss_pages: field(24)?,
    })
}

/// The boot time (`btime`, seconds since the epoch) from `/proc/stat`.
pub fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

/// The process metrics, as far as `/proc` tells them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessMetrics {
    pub resident_bytes: f64,
    pub cpu_seconds: f64,
    pub open_fds: Option<f64>,
    pub start_time_seconds: Option<f64>,
}

impl ProcessMetrics {
    /// Combines what `/proc` says with the system's clock ticks and page size.
    pub fn from_proc(
        stat: ProcStat,
        ticks_per_second: u64,
        page_size: u64,
        boot: Option<u64>,
    ) -> Self {
        let ticks = ticks_per_second.max(1) as f64;
        ProcessMetrics {
            resident_bytes: (stat.rss_pages * page_size) as f64,
            cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
            open_fds: None,
            start_time_seconds: boot.map(|boot| boot as f64 + stat.start_ticks as f64 / ticks),
        }
    }

    /// Reads this process's figures; `None` where `/proc` is not there.
    #[cfg(target_os = "linux")]
    pub fn read() -> Option<ProcessMetrics> {
        let stat = parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| parse_boot_time(&text));
        let mut metrics = ProcessMetrics::from_proc(
            stat,
            rustix::param::clock_ticks_per_second(),
            rustix::param::page_size() as u64,
            boot,
        );
        // The listing's own descriptor is counted too, as every client library does.
        metrics.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| entries.count() as f64);
        Some(metrics)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn read() -> Option<ProcessMetrics> {
        None
    }

    pub fn write(&self, out: &mut Exposition) {
        out.family(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            Kind::Gauge,
        );
        out.sample("process_resident_memory_bytes", &[], self.resident_bytes);
        out.family(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            Kind::Counter,
        );
        out.sample("process_cpu_seconds_total", &[], self.cpu_seconds);
        if let Some(fds) = self.open_fds {
            out.family(
                "process_open_fds",
                "Number of open file descriptors.",
                Kind::Gauge,
            );
            out.sample("process_open_fds", &[], fds);
        }
        if let Some(start) = self.start_time_seconds {
            out.family(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                Kind::Gauge,
            );
            out.sample("process_start_time_seconds", &[], start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (key (portal) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                        250 125 0 0 20 0 9 0 987654 123456789 3000 18446744073709551615 \
                        1 1 0 0 0 0 0 4096 17664 0 0 0 17 1 0 0 0 0 0";

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = parse_stat(STAT).expect("parsed");
        assert_eq!(
            stat,
            ProcStat {
                utime: 250,
                stime: 125,
                start_ticks: 987654,
                rss_pages: 3000,
            }
        );
        assert_eq!(parse_stat("12 (x) S 1 2"), None);
        assert_eq!(parse_stat("no parentheses"), None);
    }

    #[test]
    fn figures_are_converted_to_seconds_and_bytes() {
        let stat = parse_stat(STAT).expect("parsed");
        let boot = parse_boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n");
        assert_eq!(boot, Some(1_700_000_000));
        let metrics = ProcessMetrics::from_proc(stat, 100, 4096, boot);
        assert_eq!(metrics.resident_bytes, 3000.0 * 4096.0);
        assert_eq!(metrics.cpu_seconds, 3.75);
        assert_eq!(metrics.start_time_seconds, Some(1_700_000_000.0 + 9876.54));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_can_be_read() {
        let metrics = ProcessMetrics::read().expect("/proc/self");
        assert!(metrics.resident_bytes > 0.0);
        assert!(metrics.open_fds.is_some_and(|n| n >= 3.0));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs_f64();
        let started = metrics.start_time_seconds.expect("start time");
        assert!(started <= now + 1.0 && started > now - 86_400.0 * 365.0);
    }
}

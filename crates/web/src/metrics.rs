//! Prometheus metrics, kept in memory: requests by method, route and status; request latency by
//! route; and, read at each scrape, the job queue's depth and failures. Written out by hand in the
//! text format (a few counters do not need a metrics framework).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The service's metrics.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    /// Count a request.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency.entry(route.to_string()).or_default();
            let seconds = elapsed.as_secs_f64();
            for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *count += 1;
                }
            }
            histogram.sum += seconds;
            histogram.count += 1;
        }
    }

    /// The metrics in Prometheus's text format, with the queue's figures (`None` when the
    /// database cannot be reached).
    pub fn render(&self, queue: Option<(i64, i64)>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP formwork_http_requests_total HTTP requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE formwork_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "formwork_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        out.push_str(
            "# HELP formwork_http_request_duration_seconds Time to answer HTTP requests, by route.\n",
        );
        out.push_str("# TYPE formwork_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, histogram) in latency.iter() {
                let route = escape(route);
                for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                    let _ = writeln!(
                        out,
                        "formwork_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "formwork_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "formwork_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "formwork_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    histogram.count
                );
            }
        }
        out.push_str("# HELP formwork_database_up 1 when the database answered this scrape.\n# TYPE formwork_database_up gauge\n");
        let _ = writeln!(out, "formwork_database_up {}", u8::from(queue.is_some()));
        if let Some((waiting, failed)) = queue {
            out.push_str(
                "# HELP formwork_jobs_waiting Jobs waiting or running.\n# TYPE formwork_jobs_waiting gauge\n",
            );
            let _ = writeln!(out, "formwork_jobs_waiting {waiting}");
            out.push_str("# HELP formwork_jobs_failed Jobs that failed for good and wait for an administrator.\n# TYPE formwork_jobs_failed gauge\n");
            let _ = writeln!(out, "formwork_jobs_failed {failed}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_with_latency_buckets() {
        let metrics = Metrics::default();
        metrics.record("GET", "/organisations/{slug}", 200, Duration::from_millis(7));
        metrics.record("GET", "/organisations/{slug}", 200, Duration::from_millis(70));
        metrics.record("GET", "/organisations/{slug}", 404, Duration::from_millis(1));
        let text = metrics.render(Some((3, 1)));
        assert!(text.contains(
            "formwork_http_requests_total{method=\"GET\",route=\"/organisations/{slug}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "formwork_http_request_duration_seconds_bucket{route=\"/organisations/{slug}\",le=\"0.01\"} 2"
        ));
        assert!(text.contains(
            "formwork_http_request_duration_seconds_bucket{route=\"/organisations/{slug}\",le=\"0.1\"} 3"
        ));
        assert!(text.contains("formwork_jobs_waiting 3\n") && text.contains("formwork_jobs_failed 1\n"));
        assert!(metrics.render(None).contains("formwork_database_up 0"));
    }
}

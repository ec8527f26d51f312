//! Request counts and durations by route template, method and status, for Prometheus:
//! `keyportal_http_requests_total` and `keyportal_http_request_duration_seconds`. The router's
//! requests are counted by [`count_request`] (a layer around the whole application), the
//! `/verify` front's by [`HttpMetrics::count_verify`]; both under the template `/verify`.
//! The `route` label is always a template the router matched (`/sharing/rest/content/items/{id}`)
//! or `none` when no route matched — never the path a client sent.

mod routes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use keyportal_service::metrics::exposition::{Exposition, Kind};

use crate::request_log::RouteTemplate;
use routes::{method_index, RouteTable};

/// The `route` of requests no route matched.
pub const UNMATCHED: &str = "none";
/// The template of the verify route (the front counts its answers under it).
const VERIFY_ROUTE: &str = "/verify";

/// The counters of one server.
#[derive(Debug)]
pub struct HttpMetrics {
    routes: RouteTable,
    /// The slot of `/verify`, claimed at the start: the front counts there without hashing.
    verify: usize,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics::new()
    }
}

impl HttpMetrics {
    pub fn new() -> HttpMetrics {
        let routes = RouteTable::default();
        let verify = routes.claim(VERIFY_ROUTE);
        HttpMetrics { routes, verify }
    }

    /// Counts one request answered for `route` (a template, or [`UNMATCHED`]).
    pub fn count(&self, route: &str, method: &str, status: u16, took: Duration) {
        self.routes
            .entry(route)
            .count(method_index(method), status, took);
    }

    /// Counts one `GET` (or `HEAD`) `/verify` answered by the connection front.
    pub fn count_verify(&self, head_only: bool, status: u16, took: Duration) {
        let method = if head_only { 1 } else { 0 };
        self.routes.at(self.verify).count(method, status, took);
    }

    /// The two HTTP families, for the series seen so far.
    pub fn write_metrics(&self, out: &mut Exposition) {
        const REQUESTS: &str = "keyportal_http_requests_total";
        const DURATION: &str = "keyportal_http_request_duration_seconds";
        out.family(
            REQUESTS,
            "HTTP requests answered, by route template, method and status.",
            Kind::Counter,
        );
        for entry in self.routes.entries() {
            for (method, counts) in entry.methods() {
                for (status, count) in counts.statuses() {
                    out.sample(
                        REQUESTS,
                        &[
                            ("route", entry.template()),
                            ("method", method),
                            ("status", &status),
                        ],
                        count as f64,
                    );
                }
            }
        }
        out.family(
            DURATION,
            "Time from a request's head to its answer's head, by route template and method.",
            Kind::Histogram,
        );
        for entry in self.routes.entries() {
            for (method, counts) in entry.methods() {
                out.histogram(
                    DURATION,
                    &[("route", entry.template()), ("method", method)],
                    &counts.duration.snapshot(),
                );
            }
        }
    }
}

/// Layer around the application: counts every request the router answers, under the route
/// template `remember_route` put on the answer.
pub async fn count_request(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or(UNMATCHED, RouteTemplate::as_str);
    metrics.count(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scrape_names_templates_methods_and_statuses() {
        let metrics = HttpMetrics::new();
        metrics.count("/items/{id}", "POST", 200, Duration::from_millis(3));
        metrics.count_verify(false, 401, Duration::from_micros(20));
        metrics.count_verify(true, 200, Duration::from_micros(20));
        let mut out = Exposition::new();
        metrics.write_metrics(&mut out);
        let text = out.finish();
        for line in [
            "keyportal_http_requests_total{route=\"/items/{id}\",method=\"POST\",status=\"200\"} 1\n",
            "keyportal_http_requests_total{route=\"/verify\",method=\"GET\",status=\"401\"} 1\n",
            "keyportal_http_requests_total{route=\"/verify\",method=\"HEAD\",status=\"200\"} 1\n",
            "keyportal_http_request_duration_seconds_bucket{route=\"/verify\",method=\"GET\",le=\"0.0001\"} 1\n",
            "keyportal_http_request_duration_seconds_count{route=\"/items/{id}\",method=\"POST\"} 1\n",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}

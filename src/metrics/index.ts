// Observability: Prometheus metrics on a per-agent registry, the request observer (request id,
// one log line, metrics) and where metrics are served.
export { createMetrics, type SessionCounts } from './metrics.js';
export { instrumentRunner } from './instrument-runner.js';
export { observeRequests } from './observe-requests.js';
export { listenForMetrics, mountMetrics, type MetricsListener } from './routes.js';

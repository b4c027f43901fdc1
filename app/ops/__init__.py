"""Running the service: observability (logs, metrics), health probes, backups, rate and
body-size limits, outbound network policy (egress), the page middleware, the operations CLI."""

"""Operations: health probes, Prometheus metrics, structured logs and HTTP policies
(request ids, CSP, CORS, Global Privacy Control)."""

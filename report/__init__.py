"""The CX report: one self-contained HTML page of charts built from published.duckdb
(a BI consumer: it reads only the published marts, read-only)."""

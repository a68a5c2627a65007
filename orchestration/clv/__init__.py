"""Customer lifetime value: BG/NBD (purchase frequency, probability alive) and Gamma-Gamma
(spend per purchase) fitted by maximum likelihood with scipy, plus the documented fallbacks.

Pure numpy/scipy/pandas functions, no Dagster import: the dbt Python models
`customer_clv_fit` and `customer_clv` call them, and so do the tests and `benchmarks/clv.py`.
"""

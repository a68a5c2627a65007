"""Great Expectations 1.x suites of the warehouse, defined in code (suites.py: raw tables;
marts.py: public marts) and run by runner.py."""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

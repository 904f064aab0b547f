"""Load tests (issue 16): how many concurrent users an endpoint serves within a latency SLO. The SLO (slo.py)
and what is stored (result.py) are plain data; the search and the load generator live beside them."""

from .result import LoadLevel, LoadResult, sentence, verdict
from .slo import DEFAULT_SLO, Slo, SloError, parse_slo

__all__ = ["DEFAULT_SLO", "LoadLevel", "LoadResult", "Slo", "SloError", "parse_slo", "sentence", "verdict"]

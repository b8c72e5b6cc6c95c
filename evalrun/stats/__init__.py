"""Paired tests and intervals for comparing two runs of the same task (`evalrun diff`).

Standard library only. Every function is seeded where it draws at random, so the same
inputs always give the same figures.

```python
from evalrun.stats import mcnemar_exact, paired_test, bootstrap_mean_ci
mcnemar_exact(30, 0)                     # 2 * 0.5**30: 30 pairs right only in A, none only in B
paired_test([0.5, -1.0, 0.25, ...])      # ("permutation", p) or ("wilcoxon", p)
bootstrap_mean_ci([0, -1, 1, ...])       # Interval(low, high, resamples)
```
"""

from evalrun.stats._paired import (
    Interval,
    bootstrap_mean_ci,
    mcnemar_exact,
    paired_test,
    sign_flip_test,
    wilcoxon_signed_rank,
)

__all__ = [
    "Interval",
    "bootstrap_mean_ci",
    "mcnemar_exact",
    "paired_test",
    "sign_flip_test",
    "wilcoxon_signed_rank",
]

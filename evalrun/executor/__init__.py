"""Where an eval-set's units run: `eval-set --executor ray` spreads them over a Ray
cluster (`evalrun.executor._ray`); the default runs them in this process.

The driver (the `eval-set` process) plans, skips and resumes exactly as it does locally;
only the running of the units it has to run moves. Each unit travels to a worker as
plain data (`_packed`): the task as its log's header stores it, the dataset's rows and
the model's arguments, so a worker needs evalrun installed and the log dir mounted,
not a checkout. Workers write their logs into the set's log dir, which is the truth the
driver reads results from. Connection limits per endpoint are held by one actor for the
whole set (`_limits`), so `--max-connections` holds across the cluster.

Nothing here imports Ray until a set runs with `--executor ray`.
"""

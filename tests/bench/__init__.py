"""Benchmarks of mal, run on demand with ``python -m tests.bench``; never collected as tests.

They measure what a person and an organisation feel: how fast `/mal`, a button and the Home tab
answer compared with the bare framework, how fast a tick fans out through Slack's limits, whether a
tick's cost follows the due work rather than the size of the organisation, and what a running bot
costs in memory. Timing is reported, never asserted; only a correctness check fails the run.
"""

"""Fairness: adverse impact, item bias, and the statistics behind them (issue 17)."""

"""Scores: every way a score row is made or remade, and the shapes the API reports them in."""

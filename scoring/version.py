"""Version of the scoring rules, stored with every score so a report can be reproduced."""

SCORING_VERSION = "1.0.0"

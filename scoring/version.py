"""Version of the scoring rules, stored with every score so a report can be reproduced."""

# 1.1.0: best/worst SJT items, the drive competency, the idealized-answers flag (bank v2);
# every score of 1.0.0 is unchanged.
SCORING_VERSION = "1.1.0"

"""The questionnaire bank and its tooling (pure Python: no web or database imports).

schema (models, JSON Schema) · parsing (YAML, structural problems) · rules (semantic rules) ·
loader (load, hash, look up, published check) · validate (report, CLI) · views (candidate and
staff dicts) · screening (form, answers) · privacy (notice, consent).
"""

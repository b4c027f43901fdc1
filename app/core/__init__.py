"""Infrastructure every domain uses: settings, the database and its sessions, the clock,
errors, i18n, templating, numbers, tenant scope, migrations."""

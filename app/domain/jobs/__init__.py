"""Background jobs: pgqueuer on Tend's PostgreSQL, its cron schedules, and the checks."""

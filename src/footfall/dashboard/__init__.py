"""The web dashboard: sign-in, sites, per-site dashboards and shared links."""

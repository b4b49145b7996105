"""Footfall: self-hosted, cookieless web analytics."""

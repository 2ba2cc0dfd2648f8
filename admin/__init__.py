"""Solsignals admin (depends on core; core never imports it)."""

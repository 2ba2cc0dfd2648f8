"""Solsignals workers (depends on core; core never imports it)."""

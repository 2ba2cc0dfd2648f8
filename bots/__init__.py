"""Solsignals bots (depends on core; core never imports it)."""

"""The follow-up pages, one module each: the queue (and its actions), stale deals, the dormant list; home panels."""

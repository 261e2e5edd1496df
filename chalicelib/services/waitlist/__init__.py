"""The waitlist: joining it (join.py), freed time offered to it (refill.py), and the
offer's one-tap booking (offers.py)."""

"""Attacks from the threat model (issue 12): each test is one attack with the answer it must get."""

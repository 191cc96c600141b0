"""The rules a business can trust: which first text, when follow-ups may go, who is paged, what revokes consent.

Each rule is a pure function of the facts and `now` that returns a decision with its reason (like
calls/decide.py); the models here only hold what a business configured.
"""

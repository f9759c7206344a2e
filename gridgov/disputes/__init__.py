"""Disputes (矛盾纠纷): events with parties, mediation, agreements, referrals and follow-ups."""

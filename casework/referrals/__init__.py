"""Referrals between agencies (issue 31): sent from a family's page to a partner
organisation, answered by its practitioner, its outcome recorded."""

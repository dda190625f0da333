"""Referrals between agencies (docs/partners.md): sent from a family's page to a partner
organisation, answered by its practitioner, its outcome recorded."""

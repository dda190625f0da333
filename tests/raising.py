"""Make one family's evaluation (or a step after it) raise, as a record the rules cannot
read would: for the tests of what carries on past such a family."""

from __future__ import annotations


def raise_for(monkeypatch, module, name: str, family_id: int, error: Exception) -> None:
    """module.name raises `error` when called for the family `family_id` (its first
    argument: the family's id, or an object with that family_id); for every other family
    it does what it did."""
    real = getattr(module, name)

    def replaced(first, *args, **kwargs):
        if getattr(first, "family_id", first) == family_id:
            raise error
        return real(first, *args, **kwargs)

    monkeypatch.setattr(module, name, replaced)

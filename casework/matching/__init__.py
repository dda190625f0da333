"""Linking partner records that have no person_ref to people, with Splink; the rows waiting for review."""
